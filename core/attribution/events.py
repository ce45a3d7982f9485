"""One CloudTrail record, parsed tolerantly into the few fields attribution needs (the raw record is kept)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Event names that read but never change anything; CloudTrail's `readOnly` is missing in old records.
_READ_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "Head",
    "Lookup",
    "Search",
    "Check",
    "Validate",
    "Test",
    "Decrypt",
    "Assume",
    "ConsoleLogin",
    "Simulate",
)


def parse_time(value: Any) -> datetime | None:
    """CloudTrail's eventTime (`2024-07-30T21:31:21Z`, sometimes with fractions or an offset) as aware UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class CloudTrailEvent:
    """A CloudTrail record. Every field may be absent in real logs, so every field is optional."""

    event_id: str
    event_name: str
    event_source: str
    event_time: datetime | None
    region: str | None
    account_id: str | None
    user_identity: dict[str, Any]
    source_ip: str | None
    user_agent: str | None
    request_parameters: dict[str, Any]
    response_elements: dict[str, Any]
    resources: list[dict[str, Any]]
    error_code: str | None
    read_only: bool
    raw: dict[str, Any] = field(compare=False, repr=False)
    origin: str = field(default="", compare=False)  # file or S3 key it came from

    @property
    def failed(self) -> bool:
        """A call AWS refused (AccessDenied, validation...) changed nothing, so it explains no drift."""
        return self.error_code is not None

    @property
    def mutating(self) -> bool:
        return not self.read_only and not self.failed

    @property
    def time_text(self) -> str:
        if self.event_time is None:
            return ""
        return self.event_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_only(record: dict[str, Any], name: str) -> bool:
    flag = record.get("readOnly")
    if isinstance(flag, bool):
        return flag
    if isinstance(flag, str) and flag.lower() in ("true", "false"):
        return flag.lower() == "true"
    return name.startswith(_READ_PREFIXES)


def _synthetic_id(record: dict[str, Any]) -> str:
    # Old or hand-written records lack eventID; a content hash keeps dedup stable across re-reads.
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()
    return f"sha256:{digest[:32]}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def is_record(value: Any) -> bool:
    """Does this JSON object look like a CloudTrail record (rather than some other document)?"""
    if not isinstance(value, dict):
        return False
    if "eventName" in value and "eventSource" in value:
        return True
    named = "eventName" in value or "eventSource" in value
    return named and any(k in value for k in ("eventTime", "eventID", "userIdentity"))


def parse_record(record: dict[str, Any], origin: str = "") -> CloudTrailEvent:
    """Build an event from one record; missing or null fields become empty values, never errors."""
    name = _text(record.get("eventName")) or ""
    error = record.get("errorCode")
    resources = record.get("resources")
    return CloudTrailEvent(
        event_id=_text(record.get("eventID")) or _synthetic_id(record),
        event_name=name,
        event_source=_text(record.get("eventSource")) or "",
        event_time=parse_time(record.get("eventTime")),
        region=_text(record.get("awsRegion")),
        account_id=_text(record.get("recipientAccountId"))
        or _text(_as_dict(record.get("userIdentity")).get("accountId")),
        user_identity=_as_dict(record.get("userIdentity")),
        source_ip=_text(record.get("sourceIPAddress")),
        user_agent=_text(record.get("userAgent")),
        request_parameters=_as_dict(record.get("requestParameters")),
        response_elements=_as_dict(record.get("responseElements")),
        resources=[r for r in resources if isinstance(r, dict)] if isinstance(resources, list) else [],
        error_code=str(error) if error not in (None, "") else None,
        read_only=_read_only(record, name),
        raw=record,
        origin=origin,
    )
