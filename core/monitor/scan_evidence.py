"""A scan as evidence: its audit events, and the cloud events that explain its new drift."""

from __future__ import annotations

from pathlib import Path

from driftdeck.core.attribution.payloads import attributed_events
from driftdeck.core.audit import AuditLog, cloud_actor
from driftdeck.core.audit.entry import Entry
from driftdeck.core.audit.scan_events import record_scan
from driftdeck.core.audit.subject import resource_subject
from driftdeck.core.model import ScanReport


def record_scan_evidence(log: AuditLog, report: ScanReport, *, workspace: Path) -> list[Entry]:
    """`scan.completed` + transitions (see `record_scan`), then one `cloud.change.attributed` per
    attributed change of a resource whose drift is new in this scan, linked to its drift event.

    Drift already recorded by an earlier scan is not attributed again: repeated scans add no noise.
    """
    written = record_scan(log, report, workspace=workspace)
    drift_events = {
        str(e.data.get("key")): f"{e.seq}:{e.hash}" for e in written if e.kind == "drift.detected"
    }
    matches = [m for m in report.attribution_matches if m.result.key in drift_events]
    for payload in attributed_events(matches, drift_events):
        attribution = payload["data"]
        resource = attribution["resource"]
        written.append(
            log.append(
                payload["kind"],
                subject=resource_subject(resource.get("address") or None, resource_type=str(resource["type"]),
                                         provider_id=str(resource["id"]), workspace=str(workspace)),
                actor=cloud_actor(attribution["actor"], actor_type=attribution["actor_type"], via=attribution["via"]),
                data=attribution,
                after=payload["after"],
            )
        )
    return written

