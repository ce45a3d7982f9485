"""Scan report renderings: the `driftdeck.scan/v1` JSON document and the plain-text summary.

Text output uses ANSI colours only when asked (a terminal); no UI library is involved.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from driftdeck.core.model import ResourceResult, ScanReport, Status
from driftdeck.core.text import printable

SCHEMA = "driftdeck.scan/v1"

# Display order: what needs attention first.
STATUS_ORDER = (Status.CHANGED, Status.MISSING, Status.UNMANAGED, Status.PENDING, Status.UNKNOWN, Status.IN_SYNC)
_ANSI = {
    Status.IN_SYNC: "32",
    Status.CHANGED: "33",
    Status.MISSING: "31",
    Status.UNMANAGED: "35",
    Status.PENDING: "36",
    Status.UNKNOWN: "90",
}


def report_to_json(report: ScanReport) -> dict[str, Any]:
    """The contract's JSON document (new fields may be added; none renamed)."""
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "generated_at": report.generated_at,
        "duration_ms": report.duration_ms,
        "sources": [s.to_json() for s in report.sources],
        "summary": report.summary(),
        "resources": [r.to_json() for r in _ordered(report.resources)]
        + [{**r.to_json(), "ignored": True} for r in _ordered(report.ignored)],
    }
    if report.regions:
        doc["regions"] = list(report.regions)
    if report.warnings:
        doc["warnings"] = list(report.warnings)
    if report.expired_ignore_rules:
        doc["expired_ignore_rules"] = list(report.expired_ignore_rules)
    return doc


def dumps_json(report: ScanReport) -> str:
    return json.dumps(report_to_json(report), indent=2, sort_keys=False, default=str) + "\n"


def _ordered(resources: list[ResourceResult]) -> list[ResourceResult]:
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    return sorted(resources, key=lambda r: (rank[r.status], r.type, r.address or "", r.id))


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def desired_side(res: ResourceResult) -> str:
    """What the expected side of a drift difference is called: the stack's `template` for
    CloudFormation, Terraform `state` otherwise (text report, dashboard)."""
    return "template" if res.source is not None and res.source.kind == "cloudformation" else "state"


def _reader_counts(report: ScanReport) -> list[tuple[str, int]]:
    """Who read live state, and for how many resources: `driftdeck (12)`, `hashicorp/aws 5.100.0 (30)`."""
    counts: dict[str, int] = defaultdict(int)
    for res in report.resources:
        if res.address is None:
            continue
        if res.reader == "provider" and res.provider:
            counts[res.provider.replace("registry.terraform.io/", "")] += 1
        elif res.reader in ("native", "cloudformation"):
            counts["driftdeck"] += 1
    return sorted(counts.items())


def render_text(report: ScanReport, *, color: bool = False, show_in_sync: bool = False) -> str:
    """Grouped by status, one line per resource, differences indented, then a summary line."""

    def paint(status: Status, text: str) -> str:
        return f"\x1b[{_ANSI[status]}m{text}\x1b[0m" if color else text

    lines: list[str] = []
    by_status: dict[Status, list[ResourceResult]] = defaultdict(list)
    for res in _ordered(report.resources):
        by_status[res.status].append(res)
    for status in STATUS_ORDER:
        items = by_status.get(status, [])
        if not items or (status is Status.IN_SYNC and not show_in_sync):
            continue
        lines.append(paint(status, f"{status.value.upper()} ({len(items)})"))
        for res in items:
            if res.address:
                name = res.address
            elif res.name and res.name != res.id:
                name = f"{res.type} {res.name}  id={res.id}"  # what a person calls it, then its id
            else:
                name = f"{res.type} {res.id}"
            where = ""
            if res.source and res.source.file:
                where = f"  [{res.source.file}:{res.source.line}]" if res.source.line else f"  [{res.source.file}]"
            ident = f"  id={res.id}" if res.address and res.id else ""
            parent = f"  (under {res.parent})" if res.parent else ""
            lines.append(printable(f"  {name}{ident}{where}{parent}"))
            for diff in res.differences:
                shown = diff.to_json()  # sensitive values are already replaced here
                if diff.side == "code":
                    sides = f"code {_short(shown['expected'])}, state {_short(shown['actual'])} (code edit, not applied)"
                else:
                    sides = f"{desired_side(res)} {_short(shown['expected'])}, live {_short(shown['actual'])} ({diff.change.value})"
                lines.append(printable(f"      {diff.path or '(whole resource)'}: {sides}"))
            if res.reason and status in (Status.UNKNOWN, Status.PENDING):
                lines.append(printable(f"      reason: {res.reason}"))
            for att in res.attribution[:3]:
                lines.append(
                    f"      who: {att.actor} via {att.via} ({att.event_name} at {att.event_time}, {att.confidence})"
                )
    for warning in report.warnings:
        lines.append(printable(f"note: {warning}"))
    readers = _reader_counts(report)
    if readers:
        lines.append("live state read by " + ", ".join(f"{who} ({n})" for who, n in readers))
    for rule in report.expired_ignore_rules:
        lines.append(f"note: expired ignore rule no longer applies: {rule}")
    s = report.summary()
    lines.append(
        f"{s['total']} resource{'' if s['total'] == 1 else 's'}: {s['in_sync']} in sync, {s['changed']} changed, {s['missing']} missing, "
        f"{s['unmanaged']} unmanaged, {s['pending']} pending, {s['unknown']} unknown"
        + (f", {s['ignored']} ignored" if s["ignored"] else "")
        + f" (coverage {s['coverage_pct']}%) in {report.duration_ms} ms"
    )
    return "\n".join(lines) + "\n"
