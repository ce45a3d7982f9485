"""`cloud.change.attributed` audit event payloads, as plain dicts for whoever appends to the audit log."""

from __future__ import annotations

from typing import Any

from driftdeck.core.attribution.engine import AttributionMatch

EVENT_KIND = "cloud.change.attributed"
# CloudTrail logs STS session tokens and sometimes passwords in clear; the audit log must not keep them.
_SECRET_KEYS = frozenset({"sessionToken", "secretAccessKey", "password", "newPassword", "oldPassword"})
REDACTED = "(redacted)"


def redact(value: Any) -> Any:
    """A deep copy of a CloudTrail record with credential values replaced."""
    if isinstance(value, dict):
        return {
            k: REDACTED if k in _SECRET_KEYS and v not in (None, "") else redact(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def attributed_event(match: AttributionMatch, *, drift_event: str | None = None) -> dict[str, Any]:
    """{kind, subject, data, after}: links the drifted resource (and optionally the drift event's id) to
    the CloudTrail event; `after` is the raw record (credentials redacted)."""
    result, attribution, event = match.result, match.attribution, match.event
    data: dict[str, Any] = {
        **attribution.to_json(),
        "event_source": event.event_source,
        "account_id": event.account_id,
        "resource": {
            "address": result.address,
            "type": result.type,
            "id": result.id,
            "status": result.status.value,
        },
    }
    if drift_event is not None:
        data["drift_event"] = drift_event
    return {"kind": EVENT_KIND, "subject": result.key, "data": data, "after": redact(event.raw)}


def attributed_events(
    matches: list[AttributionMatch], drift_events: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """One payload per match; `drift_events` maps a resource key to the id of its drift audit event."""
    drift_events = drift_events or {}
    return [attributed_event(m, drift_event=drift_events.get(m.result.key)) for m in matches]
