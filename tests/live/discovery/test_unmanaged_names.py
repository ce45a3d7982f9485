"""Unmanaged findings are shown by name: in the JSON report (additive `name`), the text report and the
TUI tree label; a name from AWS (a Name tag) never reaches the terminal with control characters."""

from __future__ import annotations

from driftdeck.core.live.discovery.listing import human_name
from driftdeck.core.model import ResourceResult, ScanReport, Status
from driftdeck.core.outputs.report import render_text, report_to_json
from driftdeck.tui.view_model import resource_label

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/orders"
ARN = "arn:aws:sqs:us-east-1:123456789012:orders"


def _queue(name: str | None = "orders") -> ResourceResult:
    return ResourceResult(address=None, type="aws_sqs_queue", id=URL, status=Status.UNMANAGED, source=None,
                          arn=ARN, name=name, reason="exists in AWS but in no scanned state or stack")


def _report(*results: ResourceResult) -> ScanReport:
    return ScanReport(generated_at="2026-01-01T00:00:00Z", duration_ms=0, sources=[], resources=list(results))


def test_json_carries_name_and_arn_and_omits_name_when_none() -> None:
    (entry,) = report_to_json(_report(_queue()))["resources"]
    assert (entry["name"], entry["arn"], entry["id"]) == ("orders", ARN, URL)
    (bare,) = report_to_json(_report(_queue(None)))["resources"]
    assert "name" not in bare


def test_text_report_and_tree_label_lead_with_the_name() -> None:
    assert f"aws_sqs_queue orders  id={URL}" in render_text(_report(_queue()))
    assert resource_label(_queue()) == "orders"
    assert resource_label(_queue(None)) == URL


def test_a_name_with_control_characters_is_made_printable() -> None:
    label = resource_label(_queue("evil\x1b[2Jname"))
    assert "\x1b" not in label and "evil" in label and "name" in label
    assert "\x1b" not in render_text(_report(_queue("evil\x1b[2Jname")))


def test_human_name_prefers_name_attributes_then_the_name_tag_then_the_id() -> None:
    assert human_name({"name": "web", "tags": {"Name": "other"}}, "sg-1") == "web"
    assert human_name({"bucket": "logs"}, "logs") == "logs"
    assert human_name({"tags": {"Name": "main-vpc"}}, "vpc-1") == "main-vpc"
    assert human_name({"role": "app", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, "app/x") == "ReadOnlyAccess"
    assert human_name({}, "sgr-0123") == "sgr-0123"
    assert human_name(None, URL) == "orders"
