"""`driftdeck plan` arguments: patterns reach into modules, PATH is found first or last, and a PATH
that is not there is an error rather than a scan of the current folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_reports import drifted_estate

from driftdeck.core.errors import InputError
from driftdeck.tui.commands.plan import select, split_targets


def _keys(addresses: list[str]) -> tuple[list[str], list[str]]:
    chosen, unmatched = select(drifted_estate().resources, addresses)
    return sorted(r.key for r in chosen), unmatched


def test_wildcard_patterns_match_inside_modules() -> None:
    keys, unmatched = _keys(["aws_sqs_queue.*"])
    assert keys == ["module.queues.aws_sqs_queue.orders", "module.queues.aws_sqs_queue.orders_dlq"] and not unmatched
    assert _keys(["aws_s*_bucket.*"])[0] == ["aws_s3_bucket.assets", "aws_s3_bucket.logs"]
    assert _keys(['aws_subnet.private["?"]'])[0] == ['module.network.aws_subnet.private["a"]',
                                                      'module.network.aws_subnet.private["b"]']
    # An explicit module prefix still means that module only.
    assert _keys(["module.network.aws_*"])[0] == [
        "module.network.aws_security_group.web", 'module.network.aws_subnet.private["a"]',
        'module.network.aws_subnet.private["b"]', "module.network.aws_vpc.main"]
    assert _keys(["module.other.aws_sqs_queue.*"]) == ([], ["module.other.aws_sqs_queue.*"])


def test_an_exact_address_stays_exact_and_names_what_it_may_have_meant() -> None:
    assert _keys(["aws_s3_bucket.logs"])[0] == ["aws_s3_bucket.logs"]
    keys, unmatched = _keys(["aws_sqs_queue.orders"])
    assert keys == [] and unmatched == ["aws_sqs_queue.orders (did you mean module.queues.aws_sqs_queue.orders?)"]


def test_path_first_or_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "est2").mkdir()
    assert split_targets(["est2", "aws_sqs_queue.a"], None) == (["aws_sqs_queue.a"], Path("est2"))
    assert split_targets(["aws_sqs_queue.a", "est2"], None) == (["aws_sqs_queue.a"], Path("est2"))
    assert split_targets(["aws_sqs_queue.a"], None) == (["aws_sqs_queue.a"], Path("."))
    assert split_targets(["est2"], None) == ([], Path("est2"))
    assert split_targets(["aws_sqs_*", "est2"], None) == (["aws_sqs_*"], Path("est2"))
    assert split_targets(["est2", "x.y"], "other") == (["est2", "x.y"], Path("other"))


def test_a_missing_or_misplaced_path_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "est2").mkdir()
    (tmp_path / "est3").mkdir()
    with pytest.raises(InputError, match="est9: path does not exist"):
        split_targets(["est9", "aws_sqs_queue.a"], None)
    with pytest.raises(InputError, match="more than one PATH given \\(est2, est3\\)"):
        split_targets(["est2", "aws_sqs_queue.a", "est3"], None)
    with pytest.raises(InputError, match="est2: PATH must come before or after the addresses"):
        split_targets(["aws_sqs_queue.a", "est2", "aws_sqs_queue.b"], None)
