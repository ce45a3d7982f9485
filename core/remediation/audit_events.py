"""Audit events for remediation: `remediation.planned`, `remediation.applied`, `remediation.failed`.

Plan generation never depends on the audit log: these helpers are called after a plan exists, and
the caller decides what to do when the log cannot be written.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from driftdeck.core.remediation.document import PlanDocument, drift_summary
from driftdeck.core.remediation.plan import ResourcePlan
from driftdeck.core.remediation.sensitive import scrub

_MAX_SAFE_INT = 2**53 - 1


def canonical_safe(value: Any) -> Any:
    """A JSON value the audit log accepts: no floats, bounded integers, NFC text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) <= _MAX_SAFE_INT else str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", str(k)): canonical_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [canonical_safe(v) for v in value]
    return unicodedata.normalize("NFC", str(value))


def subject_of(plans: list[ResourcePlan]) -> dict[str, str]:
    if len(plans) != 1:
        return {}
    r = plans[0].resource
    subject = {"resource_type": r.type, "provider_id": r.id}
    if r.address:
        subject["address"] = r.address
    return subject


def planned_event(doc: PlanDocument, plans: list[ResourcePlan], workspace: Path) -> dict[str, Any]:
    """The `data` of a `remediation.planned` event."""
    base = workspace if workspace.is_dir() else workspace.parent

    def rel(path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            return str(path)

    return canonical_safe(scrub({
        "plan": doc.name,
        "blake3": doc.blake3,
        "markdown": rel(doc.markdown_path),
        "patch": rel(doc.patch_path),
        "directions": sorted({d.direction.value for p in plans for d in p.directions}),
        "drift": [drift_summary(p.resource) for p in plans],
    }, frozenset(v for p in plans for v in p.secrets)))


def record_planned(workspace: Path, doc: PlanDocument, plans: list[ResourcePlan], *, log: Any = None) -> int:
    """Append `remediation.planned` (durable); returns the entry's seq. Opens the workspace log if none given."""
    from driftdeck.core.audit.log import (
        AuditLog,  # deferred: audit log, only when none is passed (bench/import_time.py)
    )

    owned = log is None
    audit = log or AuditLog.open(workspace if workspace.is_dir() else workspace.parent)
    try:
        entry = audit.append("remediation.planned", subject=subject_of(plans), data=planned_event(doc, plans, workspace),
                             durable=True)
        return int(entry.seq)
    finally:
        if owned:
            audit.close()


def record_outcome(
    log: Any, kind: str, plans: list[ResourcePlan], data: dict[str, Any], before: Any, after: Any
) -> int | None:
    """Append `remediation.applied` or `remediation.failed`.

    Logs that do not know `remediation.failed` yet get `remediation.applied` with `outcome: failed`,
    so a failure is never lost.
    """
    secrets = frozenset(v for p in plans for v in p.secrets)
    data, before, after = scrub(data, secrets), scrub(before, secrets), scrub(after, secrets)
    payload = canonical_safe(data)
    try:
        entry = log.append(kind, subject=subject_of(plans), data=payload, before=canonical_safe(before),
                           after=canonical_safe(after), durable=True)
    except Exception:  # noqa: BLE001 - AuditLog raises ValueError for a kind it does not know; feeds may wrap it
        if kind != "remediation.failed":
            raise
        entry = log.append("remediation.applied", subject=subject_of(plans), data={**payload, "outcome": "failed"},
                           before=canonical_safe(before), after=canonical_safe(after), durable=True)
    # AuditLog returns the entry; the TUI's feeds return nothing.
    seq = getattr(entry, "seq", None)
    return int(seq) if seq is not None else None
