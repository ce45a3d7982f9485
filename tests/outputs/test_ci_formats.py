"""SARIF and JUnit renderings and --fail-on."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from driftdeck.core.model import Difference, ResourceResult, ScanReport, SourceRef, Status
from driftdeck.core.outputs.ci_formats import parse_fail_on, to_junit, to_sarif
from driftdeck.tui.cli import main


def _report() -> ScanReport:
    src = SourceRef(kind="terraform", file="infra/main.tf", line=12)
    return ScanReport(
        generated_at="2026-01-01T00:00:00Z", duration_ms=1500, sources=[],
        resources=[
            ResourceResult("aws_s3_bucket.logs", "aws_s3_bucket", "logs", Status.CHANGED, src,
                           [Difference("tags.Owner", "platform", "mallory")]),
            ResourceResult("aws_sqs_queue.q", "aws_sqs_queue", "u", Status.IN_SYNC, src),
            ResourceResult(None, "aws_sns_topic", "arn:aws:sns:us-east-1:1:t", Status.UNMANAGED, None,
                           arn="arn:aws:sns:us-east-1:1:t"),
            ResourceResult("aws_vpc.main", "aws_vpc", "vpc-1", Status.UNKNOWN, src, reason="access denied"),
        ],
    )


def test_sarif_locates_drift_at_its_file_and_line() -> None:
    doc = to_sarif(_report())
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    results = run["results"]
    assert len(results) == 3  # in-sync resources are not results
    assert {r["ruleId"] for r in results} <= rule_ids
    changed = next(r for r in results if r["properties"]["status"] == "changed")
    loc = changed["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "infra/main.tf" and loc["region"]["startLine"] == 12
    assert "tags.Owner" in changed["message"]["text"]
    unmanaged = next(r for r in results if r["properties"]["status"] == "unmanaged")
    assert unmanaged["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "arn:aws:sns:us-east-1:1:t"
    json.dumps(doc)  # serialisable


def test_junit_has_one_case_per_resource_and_honours_fail_on() -> None:
    root = ET.fromstring(to_junit(_report()))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "4"
    assert suite.get("failures") == "2" and suite.get("skipped") == "1"
    root = ET.fromstring(to_junit(_report(), parse_fail_on("missing")))
    assert root.find("testsuite").get("failures") == "0"  # type: ignore[union-attr]


def test_fail_on_validates_names() -> None:
    assert parse_fail_on("changed, missing") == {Status.CHANGED, Status.MISSING}
    with pytest.raises(ValueError, match="bogus"):
        parse_fail_on("changed,bogus")


def test_fail_on_changes_the_exit_code(aws_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "terraform.tfstate").write_text(json.dumps({"version": 4, "resources": [
        {"mode": "managed", "type": "aws_lambda_function", "name": "fn", "instances": [{"attributes": {"id": "fn"}}]}]}))
    assert main(["scan", str(tmp_path), "--no-audit", "--fail-on", "changed"]) == 3
    assert main(["scan", str(tmp_path), "--no-audit", "--fail-on", "changed,unknown"]) == 1
    assert main(["scan", str(tmp_path), "--no-audit", "--fail-on", "nope"]) == 2
    out = tmp_path / "r.sarif"
    main(["scan", str(tmp_path), "--no-audit", "--format", "sarif", "-o", str(out)])
    assert json.loads(out.read_text())["runs"][0]["results"][0]["properties"]["status"] == "unknown"
