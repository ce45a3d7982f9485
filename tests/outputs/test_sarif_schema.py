"""`scan --format sarif` validates against the OASIS SARIF 2.1.0 JSON schema (vendored under
tests/data, see tests/data/README.md), formats included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from repo_paths import FIXTURES, TESTS

from driftdeck.core.model import Difference, ResourceResult, ScanReport, SourceRef, Status
from driftdeck.core.outputs.ci_formats import to_sarif

SCHEMA_PATH = TESTS / "data" / "sarif-schema-2.1.0.json"
FIXTURE_STATE = FIXTURES / "terraform" / "s3_sqs_sns" / "reference.tfstate"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    # Every registered format, so the schema's "uri-reference" (not a draft-4 name) is checked too.
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _errors(validator: jsonschema.protocols.Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def _report() -> ScanReport:
    src = SourceRef(kind="terraform", file="modules/data stores/main.tf", line=12, state="terraform.tfstate")
    return ScanReport(
        generated_at="2026-11-28T08:00:00Z", duration_ms=5, sources=[],
        resources=[
            ResourceResult("aws_s3_bucket.data", "aws_s3_bucket", "dd-data", Status.CHANGED, src,
                           [Difference("tags.Env", "prod", "dev"), Difference("policy", "{}", "{\"a\": 1}")]),
            ResourceResult("aws_sqs_queue.gone", "aws_sqs_queue", "q", Status.MISSING,
                           SourceRef(kind="terraform", file="main.tf", line=None)),
            ResourceResult(None, "aws_s3_bucket", "stray", Status.UNMANAGED, None, arn="arn:aws:s3:::stray"),
            ResourceResult("aws_sns_topic.t", "aws_sns_topic", "t", Status.PENDING, None),
            ResourceResult("aws_iam_role.r", "aws_iam_role", "r", Status.UNKNOWN, None, reason="AccessDenied"),
            ResourceResult("aws_sqs_queue.ok", "aws_sqs_queue", "ok", Status.IN_SYNC, None),
            ResourceResult("aws_s3_bucket.cfn", "AWS::S3::Bucket", "b", Status.CHANGED,
                           SourceRef(kind="cloudformation", file="C:\\stacks\\app #1.yaml", line=3, stack="app")),
        ],
    )


def test_every_status_and_location_shape_validates(validator: jsonschema.protocols.Validator) -> None:
    doc = to_sarif(_report())
    assert _errors(validator, doc) == []
    results = doc["runs"][0]["results"]
    assert [r["properties"]["status"] for r in results] == ["changed", "missing", "unmanaged", "pending", "unknown", "changed"]
    first = results[0]["locations"][0]["physicalLocation"]
    assert first["region"] == {"startLine": 12}
    assert first["artifactLocation"]["uri"] == "modules/data%20stores/main.tf"
    cfn = results[-1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert cfn == "file:///C:/stacks/app%20%231.yaml"


def test_the_schema_is_not_vacuous(validator: jsonschema.protocols.Validator) -> None:
    doc = to_sarif(_report())
    broken = json.loads(json.dumps(doc))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][0]["tool"]["driver"]["name"]
    broken["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b\\c"
    problems = _errors(validator, broken)
    assert any("fatal" in p for p in problems)
    assert any("'name' is a required property" in p for p in problems)
    assert any("uri-reference" in p for p in problems)


def test_scan_command_output_validates_against_moto(aws_env: Any, tmp_path: Path, validator: jsonschema.protocols.Validator) -> None:
    """The real command on a real (moto) account: every resource in the state is missing there."""
    (tmp_path / "terraform.tfstate").write_text(FIXTURE_STATE.read_text())
    out = tmp_path / "report.sarif"
    proc = subprocess.run([sys.executable, "-m", "driftdeck.tui.cli", "scan", str(tmp_path), "--format", "sarif",
                           "--no-audit", "--no-unmanaged", "-o", str(out)], env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr  # drift found
    doc = json.loads(out.read_text())
    assert _errors(validator, doc) == []
    statuses = {r["properties"]["status"] for r in doc["runs"][0]["results"]}
    assert "missing" in statuses
