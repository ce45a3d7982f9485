"""Trust policies: IAM rewrites an account-id principal as the account's root ARN."""

from __future__ import annotations

from driftdeck.core.compare.policy import normalize_policy


def _trust(principal: object) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}


def test_account_id_principal_equals_its_root_arn() -> None:
    assert normalize_policy(_trust("123456789012")) == normalize_policy(_trust("arn:aws:iam::123456789012:root"))
    assert normalize_policy(_trust(["123456789012", "arn:aws:iam::210987654321:role/x"])) == normalize_policy(
        _trust(["arn:aws:iam::210987654321:role/x", "arn:aws:iam::123456789012:root"])
    )


def test_other_accounts_and_non_principal_ids_still_differ() -> None:
    assert normalize_policy(_trust("123456789012")) != normalize_policy(_trust("arn:aws:iam::999999999999:root"))
    # Only principals are rewritten: a 12-digit string elsewhere is left alone.
    a = {"Statement": [{"Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]}
    b = {"Statement": [{"Condition": {"StringEquals": {"aws:SourceAccount": "arn:aws:iam::123456789012:root"}}}]}
    assert normalize_policy(a) != normalize_policy(b)
