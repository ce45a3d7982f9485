"""Who made a call: the human or workload behind an identity, and the tool they used.

Assumed-role sessions are followed back through the STS event that created them (matched by the
session's access key id, else by the session ARN) to whoever called AssumeRole / AssumeRoleWithSAML /
AssumeRoleWithWebIdentity, repeatedly for role chains. `sourceIdentity` is used when the chain
cannot be followed (or leaves the account).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from driftdeck.core.attribution.events import CloudTrailEvent

SESSION_EVENTS = frozenset(
    {"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetFederationToken", "GetSessionToken"}
)
# Role sessions last at most 12 hours: the event that created one is no older than that.
MAX_SESSION = timedelta(hours=12)
_MAX_CHAIN = 10

# First match wins; Terraform's and the CLI's user agents also mention the SDK they are built on.
_VIA_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("terraform", r"terraform|hashicorp"),
        ("cloudformation", r"cloudformation"),
        ("pulumi", r"pulumi"),
        # The CLI before the console: CLI agents name the command (`ec2.enable-serial-console-access`).
        ("cli", r"aws-cli/|aws-shell|cloudshell|aws-powershell|awspowershell"),
        (
            "console",
            r"console\.amazonaws\.com|signin\.amazonaws\.com|console|aws internal|aws-internal|mozilla/",
        ),
        ("sdk", r"boto3/|botocore/|boto/|aws-sdk|aws-chalice|aws-cdk"),
        ("service", r"^[a-z0-9.-]+\.amazonaws\.com$"),
    )
)


def via_of(user_agent: str | None, invoked_by: str | None = None) -> str:
    """console / cli / sdk / terraform / cloudformation / pulumi / service / other / unknown."""
    if invoked_by and "cloudformation" in invoked_by:
        return "cloudformation"
    if not user_agent:
        return "service" if invoked_by else "unknown"
    for name, pattern in _VIA_PATTERNS:
        if pattern.search(user_agent):
            return name
    return "service" if invoked_by else "other"


@dataclass(frozen=True)
class Actor:
    name: str
    type: str
    arn: str | None = None
    chain: tuple[str, ...] = ()  # from the origin principal to the identity that made the call
    source_identity: str | None = None
    resolved: bool = True  # False when an assumed-role session could not be traced to its creator
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def _arn_tail(arn: str | None, marker: str) -> str | None:
    if not arn or marker not in arn:
        return None
    return arn.split(marker, 1)[1]


def issued_key(event: CloudTrailEvent) -> str | None:
    creds = event.response_elements.get("credentials")
    key = creds.get("accessKeyId") if isinstance(creds, dict) else None
    return key if isinstance(key, str) and key else None


def _issued_arn(event: CloudTrailEvent) -> str | None:
    for holder in ("assumedRoleUser", "federatedUser"):
        value = event.response_elements.get(holder)
        if isinstance(value, dict) and isinstance(value.get("arn"), str):
            return str(value["arn"])
    return None


class SessionIndex:
    """STS events that created sessions, by issued access key id and by session ARN."""

    def __init__(self, events: Iterable[CloudTrailEvent] = ()) -> None:
        self._by_key: dict[str, CloudTrailEvent] = {}
        self._by_arn: dict[str, list[CloudTrailEvent]] = {}
        self.add(events)

    def add(self, events: Iterable[CloudTrailEvent]) -> None:
        for event in events:
            if event.event_name not in SESSION_EVENTS or event.failed or event.event_time is None:
                continue
            key = issued_key(event)
            if key:
                self._by_key[key] = event
            arn = _issued_arn(event)
            if arn:
                self._by_arn.setdefault(arn, []).append(event)

    def issued(self, access_key_id: str) -> bool:
        return access_key_id in self._by_key

    def origin(self, identity: dict[str, Any], at: datetime | None) -> CloudTrailEvent | None:
        key = identity.get("accessKeyId")
        if isinstance(key, str) and key in self._by_key:
            found = self._by_key[key]
            if at is None or (found.event_time is not None and found.event_time <= at):
                return found
        candidates = [
            e
            for e in self._by_arn.get(str(identity.get("arn")), [])
            if at is None or (e.event_time is not None and at - MAX_SESSION <= e.event_time <= at)
        ]
        return max(candidates, key=lambda e: e.event_time or datetime.min) if candidates else None


def _context(identity: dict[str, Any]) -> dict[str, Any]:
    ctx = identity.get("sessionContext")
    return ctx if isinstance(ctx, dict) else {}


def _source_identity(identity: dict[str, Any]) -> str | None:
    value = _context(identity).get("sourceIdentity")
    return value if isinstance(value, str) and value else None


def resolve_actor(
    identity: dict[str, Any], at: datetime | None, sessions: SessionIndex, *, depth: int = 0
) -> Actor:
    """The principal behind `identity` (a record's userIdentity) at time `at`."""
    kind = str(identity.get("type") or "")
    arn = identity.get("arn") if isinstance(identity.get("arn"), str) else None
    account = identity.get("accountId")
    invoked_by = identity.get("invokedBy")
    if kind == "IAMUser":
        name = (
            identity.get("userName") or _arn_tail(arn, ":user/") or identity.get("principalId") or "unknown"
        )
        return Actor(str(name), "IAMUser", arn, (arn or str(name),))
    if kind == "Root":
        return Actor(f"root ({account})" if account else "root", "Root", arn, (arn or "root",))
    if kind == "AWSService" or (not kind and invoked_by):
        return Actor(str(invoked_by or "aws-service"), "AWSService", None, (str(invoked_by or ""),))
    if kind in ("SAMLUser", "WebIdentityUser"):
        name = identity.get("userName") or identity.get("principalId") or "unknown"
        provider = identity.get("identityProvider")
        return Actor(str(name), kind, None, (f"{provider}:{name}" if provider else str(name),))
    if kind == "IdentityCenterUser":
        behalf = identity.get("onBehalfOf") if isinstance(identity.get("onBehalfOf"), dict) else {}
        name = identity.get("userName") or (behalf or {}).get("userId") or "unknown"
        return Actor(str(name), kind, arn, (str(name),))
    if kind == "AWSAccount":
        name = f"account {account}" if account else str(identity.get("principalId") or "unknown")
        return Actor(name, "AWSAccount", None, (name,))
    if kind in ("AssumedRole", "FederatedUser"):
        return _resolve_session(identity, kind, arn, at, sessions, depth)
    name = str(identity.get("principalId") or arn or "unknown")
    return Actor(name, kind or "Unknown", arn, (name,), resolved=False)


def _session_label(arn: str | None, kind: str) -> str:
    tail = _arn_tail(arn, ":assumed-role/") or _arn_tail(arn, ":federated-user/")
    return tail or (arn or kind)


def _resolve_session(
    identity: dict[str, Any],
    kind: str,
    arn: str | None,
    at: datetime | None,
    sessions: SessionIndex,
    depth: int,
) -> Actor:
    source_identity = _source_identity(identity)
    origin = sessions.origin(identity, at) if depth < _MAX_CHAIN else None
    label = _session_label(arn, kind)
    if origin is not None:
        caller = resolve_actor(origin.user_identity, origin.event_time, sessions, depth=depth + 1)
        requested = origin.request_parameters.get("sourceIdentity")
        source_identity = (
            source_identity or caller.source_identity or (requested if isinstance(requested, str) else None)
        )
        chain = (*caller.chain, arn or label)
        if caller.type in ("AWSAccount", "AWSService") and source_identity:
            # Cross-account or service-issued session: sourceIdentity is the only name for the human.
            return Actor(source_identity, caller.type, arn, chain, source_identity, caller.resolved)
        if caller.type == "AWSService":
            # A workload (instance profile, Lambda...): name the session, which carries the workload id.
            return Actor(label, "AWSService", arn, chain, source_identity, True, {"service": caller.name})
        return Actor(caller.name, caller.type, caller.arn, chain, source_identity, caller.resolved)
    if kind == "FederatedUser":
        issuer = _context(identity).get("sessionIssuer")
        if isinstance(issuer, dict) and issuer.get("userName"):
            return Actor(
                str(issuer["userName"]), "IAMUser", issuer.get("arn"), (str(issuer.get("arn")), arn or label)
            )
    if source_identity:
        return Actor(source_identity, "AssumedRole", arn, (arn or label,), source_identity, resolved=False)
    return Actor(label, kind, arn, (arn or label,), None, resolved=False)
