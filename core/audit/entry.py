"""One audit event as stored: field names, kinds, and the parsed form the read API returns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = 1

KINDS = frozenset(
    {
        "audit.genesis",
        "scan.completed",
        "alert.delivery",  # one per webhook/Slack/command delivery attempt (driftdeck watch)
        "drift.detected",
        "drift.resolved",
        "config.changed",
        "cloud.change.attributed",
        "remediation.planned",
        "remediation.applied",
        "ignore.rule.changed",
        "operator.note",
        "audit.checkpoint",
        "audit.heartbeat",
        "audit.key.rotated",
        "audit.recovered",
        # Used by other parts of driftdeck (remediation, watch); any well-formed kind is accepted.
        "remediation.failed",
        "audit.chain_verified",
        "audit.chain_failed",
    }
)
# Kinds are lower-case dotted names: "drift.detected", "alert.delivery".
KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# Written only by the log itself.
INTERNAL_KINDS = frozenset(
    {"audit.genesis", "audit.checkpoint", "audit.heartbeat", "audit.key.rotated", "audit.recovered"}
)
# Fsync'd and checkpointed as soon as they are appended.
DURABLE_KINDS = frozenset(
    {"remediation.planned", "remediation.applied", "remediation.failed", "config.changed", "ignore.rule.changed"}
)

# The subject is flat (string values only), so the top-level `prev` can be found in a line without
# parsing it: every key sorted after "prev" holds no nested object that could contain `"prev":"`.
SUBJECT_KEYS = ("tool", "workspace", "address", "provider_id", "resource_type")


@dataclass(slots=True)
class Entry:
    """A parsed audit entry. `hash` is the hex entry hash; blobs are resolved by `AuditLog.get`."""

    seq: int
    ts: str
    kind: str
    actor: dict[str, Any]
    subject: dict[str, Any]
    data: dict[str, Any]
    prev: str
    hash: str
    before: Any = None
    after: Any = None
    before_ref: dict[str, Any] | None = None
    after_ref: dict[str, Any] | None = None
    segment: str | None = None
    line: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, value: dict[str, Any], hash_hex: str, segment: str | None = None, line: int | None = None) -> Entry:
        return cls(
            seq=value["seq"],
            ts=value["ts"],
            kind=value["kind"],
            actor=value.get("actor") or {},
            subject=value.get("subject") or {},
            data=value.get("data") or {},
            prev=value["prev"],
            hash=hash_hex,
            before=value.get("before"),
            after=value.get("after"),
            before_ref=value.get("before_ref"),
            after_ref=value.get("after_ref"),
            segment=segment,
            line=line,
            raw=value,
        )

    def to_json(self) -> dict[str, Any]:
        out = dict(self.raw)
        out["hash"] = self.hash
        if self.before_ref is not None:
            out["before"] = self.before
        if self.after_ref is not None:
            out["after"] = self.after
        return out


REQUIRED = (("v", int), ("seq", int), ("ts", str), ("kind", str), ("actor", dict), ("subject", dict),
            ("data", dict), ("prev", str))
# `mac`: the line authenticator of a key holder (see authn.py); absent in logs written before it.
ALLOWED = frozenset({k for k, _ in REQUIRED} | {"before", "after", "before_ref", "after_ref", "mac"})


def schema_problem(value: Any) -> str | None:
    """Why a parsed line is not an entry, or None."""
    if type(value) is not dict:
        return "not a JSON object"
    for key, kind in REQUIRED:
        if type(value.get(key)) is not kind:
            return f"field {key!r} missing or not {kind.__name__}"
    if not ALLOWED.issuperset(value):
        return f"unexpected fields {sorted(set(value) - ALLOWED)}"
    for item in value["subject"].values():
        if type(item) is not str and item is not None:
            return "subject values must be strings"
    if len(value["prev"]) != 64:
        return "prev is not a 64-hex hash"
    if "mac" in value and (type(value["mac"]) is not str or len(value["mac"]) != 64):
        return "mac is not a 64-hex authenticator"
    return None
