"""The documents the code points to exist, and the scan contract names every field a scan writes."""

from __future__ import annotations

import re
from typing import Any

from repo_paths import REPO
from sample_reports import drifted_estate, mixed_sources_estate

from driftdeck.core.model import PlannedChange, ResourceResult, Status
from driftdeck.core.outputs.report import report_to_json

CONTRACT = REPO / "docs" / "drift-contract.md"


def _keys(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(key)
            if key not in ("expected", "actual", "summary_by_status"):  # attribute values, not contract fields
                _keys(item, found)
    elif isinstance(value, list):
        for item in value:
            _keys(item, found)
    return found


def test_linked_documents_exist() -> None:
    for doc in ("README.md", "docs/ci.md", "docs/architecture.md"):
        text = (REPO / doc).read_text(encoding="utf-8")
        for target in re.findall(r"\((docs/[\w./-]+\.md|[\w-]+\.md)\)", text):
            base = REPO if target.startswith("docs/") else (REPO / doc).parent
            assert (base / target).exists(), f"{doc} links to {target}, which does not exist"
    assert "`docs/drift-contract.md`" in (REPO / "docs" / "ci.md").read_text(encoding="utf-8")


def test_contract_names_every_field_a_scan_writes() -> None:
    contract = CONTRACT.read_text(encoding="utf-8")
    assert "driftdeck.scan/v1" in contract
    reports = [drifted_estate(), mixed_sources_estate()]
    # Fields that only some results carry: a provider-read result with plans, a sub-resource finding.
    extra = ResourceResult(address="aws_sqs_queue.jobs", type="aws_sqs_queue", id="q", status=Status.PENDING, source=None,
                           reader="provider", provider="registry.terraform.io/hashicorp/aws 5.100.0",
                           arn="arn:aws:sqs:us-east-1:1:q", parent="aws_iam_user.ci", name="jobs", aggregate=True,
                           code_plan=PlannedChange(action="update"), revert_plan=PlannedChange(action="no-op"))
    reports[0].resources.append(extra)
    reports[0].warnings.append("a warning")
    reports[0].expired_ignore_rules.append("aws_sqs_queue.old")
    fields: set[str] = set()
    for report in reports:
        _keys(report_to_json(report), fields)
    missing = sorted(f for f in fields if f"`{f}`" not in contract)
    assert not missing, f"docs/drift-contract.md does not describe: {missing}"
    for status in Status:
        assert f"`{status.value}`" in contract
