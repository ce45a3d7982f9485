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


# Module paths in docs/architecture.md, by one simple rule: a path relative to `core/` or `tui/`
# (optionally with that prefix), written between backticks on its own or followed by `:` and a name
# (`scan/run.py: run_scan`); a package (its `__init__.py`) is named by its folder with a trailing
# slash (`inputs/hcl/`). A name shorter than that path (`locate.py` for `inputs/hcl/locate.py`)
# never counts, so the document names each module by the path a newcomer can open.
_DOC_PATH = re.compile(r"`(?:core/|tui/)?([\w/]+\.py|[\w/]+/)(?::[^`]*)?`")


def _modules() -> dict[str, str]:
    """path relative to core/ or tui/ as the document names it -> the file, for every module."""
    named: dict[str, str] = {}
    for top in ("core", "tui"):
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO / top).as_posix()
            if path.name == "__init__.py":
                rel = rel.removesuffix("__init__.py") or f"{top}/"
            named[rel] = f"{top}/{path.relative_to(REPO / top).as_posix()}"
    return named


def test_architecture_names_every_module_and_no_stale_one() -> None:
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = _modules()
    mentioned = set(_DOC_PATH.findall(doc)) | {"core/", "tui/"}
    missing = sorted(file for rel, file in modules.items() if rel not in mentioned)
    assert not missing, f"docs/architecture.md does not name: {missing}"
    # Every module path the document writes exists (tests/ and bench/ paths are not modules).
    stale = sorted(p for p in mentioned if p.endswith(".py") and "/" in p
                   and not p.startswith(("tests/", "bench/")) and p not in modules)
    assert not stale, f"docs/architecture.md names modules that do not exist: {stale}"
    # One row per module: the first cell of the module tables names each module at most once.
    rows: dict[str, int] = {}
    for line in doc.splitlines():
        if line.startswith("| `"):
            for rel in _DOC_PATH.findall(line.split(" | ")[0]):
                rows[rel] = rows.get(rel, 0) + 1
    assert not [rel for rel, count in rows.items() if count > 1], "a module has two rows"
