"""Unmanaged discovery on the wide estate (real Terraform state, the real hashicorp/aws provider):
objects of every discovery-table type made out of band with boto3 are found as unmanaged with
name and ARN, read through the provider (ImportResourceState + ReadResource); the estate's own
objects and AWS's defaults are not; objects added under managed resources are found with their
parent. One test function (the estate and the scans cost minutes); everything it adds it removes
again, so the other tests sharing the estate never see it (they scan with detect_unmanaged off).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from out_of_band_objects import HELPER, create_every_type
from wide_estate import WideEstate

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.collectors import all_collectors
from driftdeck.core.live.discovery.table import DISCOVERABLE_TYPES
from driftdeck.core.live.provider.session import ProviderSession
from driftdeck.core.model import ResourceResult, ScanReport, Status
from driftdeck.core.scan.run import ScanOptions, run_scan

# The estate build (shared, once per session) plus two scans, fifty objects and their removal.
pytestmark = [pytest.mark.terraform, pytest.mark.slow, pytest.mark.timeout(1200)]

# Types the provider cannot read from moto (measured with moto 5.2.6 and hashicorp/aws 5.100.0):
# CloudTrail's DescribeTrails answers the provider's request with 404; the provider panics on moto's
# DescribeServices answer; moto has no ListStateMachineVersions (the read gives up after
# UNMANAGED_READ_TIMEOUT). Each keeps the listing's name and ARN and says why in its reason.
MOTO_GAPS = {"aws_cloudtrail", "aws_ecs_service", "aws_sfn_state_machine"}


def _scan(estate: WideEstate, providers: ProviderSession) -> ScanReport:
    options = ScanOptions(path=estate.workdir, providers=providers)  # reader auto, unmanaged detection on
    return run_scan(options, ctx=AwsContext(session=estate.boto_session()))


def _unmanaged(report: ScanReport) -> list[ResourceResult]:
    return [r for r in report.resources if r.status is Status.UNMANAGED]


def _add_children(estate: WideEstate) -> tuple[dict[str, str], list[Any]]:
    """Objects Terraform cannot see under managed resources: {finding type: parent address}, undo steps."""
    session = estate.boto_session()
    s3, sns, iam = session.client("s3"), session.client("sns"), session.client("iam")
    bucket, topic = estate.ids["aws_s3_bucket.data"], estate.ids["aws_sns_topic.alerts"]
    undo: list[Any] = []
    put = s3.put_object(Bucket=bucket, Key="uploads/by-hand.csv", Body=b"a,b\n")
    undo.append(lambda: s3.delete_object(Bucket=bucket, Key="uploads/by-hand.csv", VersionId=put["VersionId"])
                if put.get("VersionId") else s3.delete_object(Bucket=bucket, Key="uploads/by-hand.csv"))
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=topic.replace(":sns:", ":sqs:").rsplit(":", 1)[0] + ":extra")
    undo.append(lambda: sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"]))
    policy = iam.create_policy(PolicyName="oob-attached", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))["Policy"]
    undo.append(lambda: iam.delete_policy(PolicyArn=policy["Arn"]))
    iam.attach_group_policy(GroupName="ddw-devs", PolicyArn=policy["Arn"])
    undo.append(lambda: iam.detach_group_policy(GroupName="ddw-devs", PolicyArn=policy["Arn"]))
    iam.attach_user_policy(UserName="ddw-ci", PolicyArn=policy["Arn"])
    undo.append(lambda: iam.detach_user_policy(UserName="ddw-ci", PolicyArn=policy["Arn"]))
    return {
        "aws_s3_object": "aws_s3_bucket.data",
        "aws_sns_topic_subscription": "aws_sns_topic.alerts",
        "aws_iam_group_policy_attachment": "aws_iam_group.devs",
        "aws_iam_user_policy_attachment": "aws_iam_user.ci",
        "aws_iam_policy": "",  # the attached policy itself is unmanaged too, at top level
    }, undo


def test_unmanaged_objects_of_every_table_type_are_found_named_and_read_through_the_provider(
    wide_estate: WideEstate,
) -> None:
    with ProviderSession(env=wide_estate.tf_env) as providers:
        baseline = _scan(wide_estate, providers)
        made, cleanup = create_every_type(wide_estate.boto_session(), "oob")
        undo: list[Any] = []
        try:
            children, undo = _add_children(wide_estate)
            report = _scan(wide_estate, providers)
        finally:
            for step in reversed(undo):
                step()
            cleanup()

    # The estate alone: every live object is claimed by the state or is AWS's own (default VPC,
    # its subnets, security group and network ACL, alias/aws/* keys, default.* parameter groups...).
    assert [(r.type, r.name, r.reason) for r in _unmanaged(baseline)] == []
    assert [(r.type, r.id, r.reason) for r in baseline.resources if r.address is None] == []

    expected = {k: m for k, m in made.items() if not k.startswith(HELPER)}
    helpers = {(k.removeprefix(HELPER), m.arn) for k, m in made.items() if k.startswith(HELPER)}
    assert set(expected) >= DISCOVERABLE_TYPES - {"aws_sns_topic_subscription"}
    top = [r for r in _unmanaged(report) if r.parent is None and (r.type, r.arn) not in helpers]
    found: dict[str, list[ResourceResult]] = {}
    for r in top:
        if r.name != "oob-attached":
            found.setdefault(r.type, []).append(r)
    wrong: dict[str, Any] = {}
    for rtype, want in expected.items():
        got = [(r.name, r.arn) for r in found.get(rtype, [])]
        if got != [(want.name, want.arn)]:
            wrong[rtype] = {"want": (want.name, want.arn), "got": got}
    assert wrong == {}
    assert set(found) == set(expected)  # nothing else: no estate object, no default

    # Read through the provider where driftdeck has no native collector: the detail pane has the
    # object as `terraform import` would read it, not only a name and an ARN.
    native = {t for t, c in all_collectors().items() if c.discoverable}
    table_only = {t: rs[0] for t, rs in found.items() if t not in native}
    read = {t for t, r in table_only.items() if r.reader == "provider" and r.live and len(r.live) > 3}
    not_read = {t: r.reason for t, r in table_only.items() if t not in read}
    assert set(not_read) <= MOTO_GAPS, not_read
    assert all("not read through the provider" in (reason or "") for reason in not_read.values()), not_read
    lam = found["aws_lambda_function"][0]
    assert lam.live is not None and lam.live["function_name"] == "oob-fn" and lam.live["runtime"] == "python3.12"
    assert lam.provider == "registry.terraform.io/hashicorp/aws 5.100.0"
    secret = found["aws_secretsmanager_secret"][0]
    assert secret.live is not None and secret.live["name"] == "oob-secret"

    parents = {r.type: r.parent for r in _unmanaged(report) if r.parent}
    assert {t: parents.get(t) for t, p in children.items() if p} == {t: p for t, p in children.items() if p}
    objects = next(r for r in _unmanaged(report) if r.type == "aws_s3_object")
    assert objects.live is not None and objects.live["first_keys"] == ["uploads/by-hand.csv"]
    assert all(r.name for r in _unmanaged(report))
