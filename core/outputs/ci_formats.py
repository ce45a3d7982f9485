"""CI renderings of a scan: SARIF 2.1.0 (code-scanning UIs) and JUnit XML (test-report UIs)."""

from __future__ import annotations

import json
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import PureWindowsPath
from typing import Any

from driftdeck.core.model import DRIFT_STATUSES, ResourceResult, ScanReport, Status

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_RULES = {
    Status.CHANGED: ("DD001", "changed", "Live resource differs from its Terraform state (out-of-band change)", "error"),
    Status.MISSING: ("DD002", "missing", "Resource in state was deleted out of band", "error"),
    Status.UNMANAGED: ("DD003", "unmanaged", "Live resource is not managed by any scanned IaC", "warning"),
    Status.PENDING: ("DD004", "pending", "Code differs from state: edited but not applied", "warning"),
    Status.UNKNOWN: ("DD005", "unknown", "Resource could not be checked", "note"),
}


def parse_fail_on(text: str) -> frozenset[Status]:
    """`changed,missing` -> the statuses that fail the build. Raises ValueError on unknown names."""
    wanted = {part.strip() for part in text.split(",") if part.strip()}
    allowed = {s.value for s in DRIFT_STATUSES} | {Status.UNKNOWN.value}
    bad = wanted - allowed
    if bad:
        raise ValueError(f"unknown status in --fail-on: {', '.join(sorted(bad))} (allowed: {', '.join(sorted(allowed))})")
    return frozenset(Status(v) for v in wanted)


def _message(res: ResourceResult) -> str:
    name = res.address or f"{res.type} {res.id}"
    if res.status is Status.CHANGED:
        paths = ", ".join(d.path for d in res.differences[:10])
        return f"{name} drifted: {paths}"
    if res.status is Status.UNKNOWN:
        return f"{name} could not be checked: {res.reason}"
    return f"{name} is {res.status.value}" + (f": {res.reason}" if res.reason else "")


def artifact_uri(path: str) -> str:
    """A file path as the URI reference SARIF requires: `dir name/main.tf` -> `dir%20name/main.tf`."""
    windows = PureWindowsPath(path)
    if windows.drive and windows.is_absolute():
        return windows.as_uri()
    return urllib.parse.quote(path, safe="/")


def to_sarif(report: ScanReport) -> dict[str, Any]:
    """One result per resource that is not in sync, located at its IaC file and line when known."""
    rules = [
        {"id": rid, "name": name, "shortDescription": {"text": text}, "defaultConfiguration": {"level": level}}
        for rid, name, text, level in _RULES.values()
    ]
    results: list[dict[str, Any]] = []
    for res in report.resources:
        if res.status not in _RULES:
            continue
        rid, _name, _text, level = _RULES[res.status]
        result: dict[str, Any] = {
            "ruleId": rid,
            "level": level,
            "message": {"text": _message(res)},
            "partialFingerprints": {"driftdeckResource/v1": res.key},
            "properties": {
                "status": res.status.value,
                "type": res.type,
                "id": res.id,
                "differences": [d.to_json() for d in res.differences],
            },
        }
        src = res.source
        if src is not None and src.file:
            region: dict[str, Any] = {"startLine": src.line} if src.line else {}
            location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(src.file)}}}
            if region:
                location["physicalLocation"]["region"] = region
            if res.address:
                location["logicalLocations"] = [{"fullyQualifiedName": res.address, "kind": "resource"}]
            result["locations"] = [location]
        elif res.address or res.arn:
            result["locations"] = [
                {"logicalLocations": [{"fullyQualifiedName": res.address or res.arn, "kind": "resource"}]}
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "driftdeck", "rules": rules}},
                "results": results,
                "invocations": [{"executionSuccessful": True, "endTimeUtc": report.generated_at}],
            }
        ],
    }


def to_junit(report: ScanReport, fail_on: frozenset[Status] = DRIFT_STATUSES) -> str:
    """One test case per resource: failures for `fail_on` statuses, skipped for unknown."""
    suite = ET.Element(
        "testsuite",
        name="driftdeck",
        tests=str(len(report.resources)),
        time=f"{report.duration_ms / 1000:.3f}",
        timestamp=report.generated_at,
    )
    failures = skipped = 0
    for res in report.resources:
        case = ET.SubElement(suite, "testcase", classname=res.type, name=res.address or res.id)
        if res.status in fail_on:
            failures += 1
            fail = ET.SubElement(case, "failure", message=_message(res), type=res.status.value)
            fail.text = json.dumps([d.to_json() for d in res.differences], indent=2, default=str)
        elif res.status is Status.UNKNOWN:
            skipped += 1
            ET.SubElement(case, "skipped", message=res.reason or "unknown")
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
