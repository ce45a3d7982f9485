"""Pending edits and revert decisions planned by the real provider (PlanResourceChange), against moto.

Objects are made with boto3 and imported into state through the provider itself; the code is then
written to match, edited, or left while the live object drifts, and the scan must say what
`terraform apply` would do: nothing, an update in place, or a replacement (and why).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from provider_workspace import import_state, write_workspace

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.provider.session import ProviderSession
from driftdeck.core.model import ResourceResult, Status
from driftdeck.core.scan.run import ScanOptions, run_scan

pytestmark = [pytest.mark.slow]

MotoServer = Any

QUEUE = '''
resource "aws_sqs_queue" "jobs" {
  name                       = "jobs"
  visibility_timeout_seconds = VISIBILITY
  max_message_size           = 1048576
  tags = {
    Env = "prod"
  }
}
'''

LOG_GROUP = '''
resource "aws_cloudwatch_log_group" "app" {
  name              = NAME
  retention_in_days = RETENTION
}
'''


def _workspace(moto: MotoServer, session: ProviderSession, ws: Path) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto.url, region_name="us-east-1")
    queue = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"}, tags={"Env": "prod"})["QueueUrl"]
    logs = boto3.client("logs", endpoint_url=moto.url, region_name="us-east-1")
    logs.create_log_group(logGroupName="/app/jobs")
    logs.put_retention_policy(logGroupName="/app/jobs", retentionInDays=7)
    write_workspace(ws, moto.url)
    import_state(session, moto.url, [("aws_sqs_queue", "jobs", queue), ("aws_cloudwatch_log_group", "app", "/app/jobs")],
                 ws / "terraform.tfstate")


def _code(ws: Path, *, visibility: str = "30", name: str = '"/app/jobs"', retention: str = "7", extra: str = "") -> None:
    (ws / "resources.tf").write_text(
        QUEUE.replace("VISIBILITY", visibility) + LOG_GROUP.replace("NAME", name).replace("RETENTION", retention) + extra
    )


def _scan(ws: Path, session: ProviderSession) -> dict[str, ResourceResult]:
    report = run_scan(ScanOptions(path=ws, providers=session, detect_unmanaged=False), ctx=AwsContext())
    return {r.address: r for r in report.resources if r.address}


def test_code_that_matches_state_plans_no_change(provider_env: MotoServer, session: ProviderSession, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _workspace(provider_env, session, ws)
    _code(ws)
    results = _scan(ws, session)
    assert {a: r.status for a, r in results.items()} == {
        "aws_sqs_queue.jobs": Status.IN_SYNC, "aws_cloudwatch_log_group.app": Status.IN_SYNC,
    }
    for res in results.values():
        assert res.code_plan is not None and res.code_plan.action == "no-op"
        assert res.code_plan.decided_by == "registry.terraform.io/hashicorp/aws 5.100.0"


def test_an_edit_the_provider_applies_in_place_is_pending_update(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    _workspace(provider_env, session, ws)
    _code(ws, visibility="60", retention="14")
    results = _scan(ws, session)
    queue, group = results["aws_sqs_queue.jobs"], results["aws_cloudwatch_log_group.app"]
    assert queue.status is Status.PENDING and group.status is Status.PENDING
    assert queue.code_plan is not None and queue.code_plan.action == "update"
    assert [(d.path, d.expected, d.actual, d.side) for d in queue.differences] == [
        ("visibility_timeout_seconds", 60, 30, "code")
    ]
    assert [(d.path, d.expected, d.actual) for d in group.differences] == [("retention_in_days", 14, 7)]
    assert "updates it in place" in (group.reason or "")
    assert queue.to_json()["code_plan"]["action"] == "update"


def test_an_edit_that_forces_a_new_object_is_pending_replacement(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    """The provider's requires_replace decides, not a table: a renamed log group is replaced."""
    ws = tmp_path / "ws"
    _workspace(provider_env, session, ws)
    _code(ws, name='"/app/renamed"')
    group = _scan(ws, session)["aws_cloudwatch_log_group.app"]
    assert group.status is Status.PENDING
    assert group.code_plan is not None and group.code_plan.action == "replace"
    assert group.code_plan.requires_replace == ("name",)
    assert ("name", "/app/renamed", "/app/jobs") in [(d.path, d.expected, d.actual) for d in group.differences]
    assert "replaces it (name cannot change in place" in (group.reason or "")


def test_a_value_known_only_after_apply_is_planned_as_unknown(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    """A tag taken from a resource not yet created: the provider plans the change with the value
    "(known after apply)", as the provider planned it."""
    ws = tmp_path / "ws"
    _workspace(provider_env, session, ws)
    extra = 'resource "aws_sqs_queue" "dlq" {\n  name = "jobs-dlq"\n}\n'
    _code(ws, extra=extra)
    text = (ws / "resources.tf").read_text().replace('Env = "prod"', 'Env = "prod"\n    Dlq = aws_sqs_queue.dlq.arn')
    (ws / "resources.tf").write_text(text)
    queue = _scan(ws, session)["aws_sqs_queue.jobs"]
    assert queue.status is Status.PENDING
    assert queue.code_plan is not None and queue.code_plan.action == "update"
    # The SDKv2 provider plans a map with an unknown element as wholly unknown: that is its answer.
    tags = [d for d in queue.differences if d.path.split(".")[0] == "tags"]
    assert tags and "(known after apply)" in repr(tags[0].expected)


def test_a_drifted_resource_learns_what_reverting_it_would_do(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    _workspace(provider_env, session, ws)
    _code(ws)
    logs = boto3.client("logs", endpoint_url=provider_env.url, region_name="us-east-1")
    logs.put_retention_policy(logGroupName="/app/jobs", retentionInDays=30)
    group = _scan(ws, session)["aws_cloudwatch_log_group.app"]
    assert group.status is Status.CHANGED
    assert group.code_plan is not None and group.code_plan.action == "no-op"  # nothing pending in code
    assert group.revert_plan is not None and group.revert_plan.action == "update"
    assert [(d.path, d.expected, d.actual, d.side) for d in group.revert_plan.differences] == [
        ("retention_in_days", 7, 30, "live")
    ]


def test_ignore_changes_is_honoured_as_terraform_does(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    _workspace(provider_env, session, ws)
    _code(ws, retention="14")
    text = (ws / "resources.tf").read_text().replace(
        "retention_in_days = 14\n", "retention_in_days = 14\n  lifecycle {\n    ignore_changes = [retention_in_days]\n  }\n"
    )
    (ws / "resources.tf").write_text(text)
    group = _scan(ws, session)["aws_cloudwatch_log_group.app"]
    assert group.status is Status.IN_SYNC
    assert group.code_plan is not None and group.code_plan.action == "no-op"


ZONE_AND_RECORD = '''
resource "aws_route53_zone" "main" {
  name    = ZONE
  comment = COMMENT
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "www.plan.example.com"
  type    = "A"
  ttl     = TTL
  records = ["10.0.0.10"]
}
'''


def _zone_workspace(moto: MotoServer, session: ProviderSession, ws: Path) -> None:
    r53 = boto3.client("route53", endpoint_url=moto.url, region_name="us-east-1")
    zone = r53.create_hosted_zone(Name="plan.example.com", CallerReference="plan",
                                  HostedZoneConfig={"Comment": "zone"})["HostedZone"]["Id"].split("/")[-1]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "www.plan.example.com", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "10.0.0.10"}]}}]})
    write_workspace(ws, moto.url)
    import_state(session, moto.url, [("aws_route53_zone", "main", zone),
                                     ("aws_route53_record", "www", f"{zone}_www.plan.example.com_A")], ws / "terraform.tfstate")


def _zone_code(ws: Path, *, zone: str = "plan.example.com", comment: str = "zone", ttl: int = 300) -> None:
    (ws / "dns.tf").write_text(ZONE_AND_RECORD.replace("ZONE", f'"{zone}"').replace("COMMENT", f'"{comment}"')
                               .replace("TTL", str(ttl)))


def test_a_reference_to_a_resource_updated_in_place_keeps_its_computed_values(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    """The record refers to the zone's computed zone_id: an in-place update of the zone keeps it,
    so the record's own edit is an update, as `terraform plan` says (it once read as a replacement
    because the evaluator forgot every computed value of an edited resource)."""
    ws = tmp_path / "ws"
    _zone_workspace(provider_env, session, ws)
    _zone_code(ws, comment="the zone", ttl=60)
    results = _scan(ws, session)
    zone, record = results["aws_route53_zone.main"], results["aws_route53_record.www"]
    assert zone.code_plan is not None and zone.code_plan.action == "update"
    assert record.code_plan is not None and record.code_plan.action == "update"
    assert [(d.path, d.expected, d.actual) for d in record.differences] == [("ttl", 60, 300)]


def test_a_reference_to_a_replaced_resource_is_known_only_after_apply(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    """Renaming the zone replaces it; its new zone_id is unknown, and zone_id forces a new record."""
    ws = tmp_path / "ws"
    _zone_workspace(provider_env, session, ws)
    _zone_code(ws, zone="plan2.example.com")
    results = _scan(ws, session)
    zone, record = results["aws_route53_zone.main"], results["aws_route53_record.www"]
    assert zone.code_plan is not None and zone.code_plan.action == "replace"
    assert record.status is Status.PENDING
    assert record.code_plan is not None and record.code_plan.action == "replace"
    assert record.code_plan.requires_replace == ("zone_id",)
    assert ("zone_id", "(known after apply)") in [(d.path, d.expected) for d in record.differences]
