"""Link each drifted resource (and each changed attribute) to the CloudTrail events that explain it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from driftdeck.core.attribution.actors import (
    MAX_SESSION,
    SESSION_EVENTS,
    SessionIndex,
    issued_key,
    resolve_actor,
    via_of,
)
from driftdeck.core.attribution.events import CloudTrailEvent, parse_time
from driftdeck.core.attribution.matching import (
    Touch,
    is_unidentified_change,
    resource_keys,
    touches,
    touches_resource,
)
from driftdeck.core.attribution.rules import rules_for
from driftdeck.core.attribution.sources import EventSource
from driftdeck.core.errors import DriftdeckError
from driftdeck.core.model import Attribution, ResourceResult, ScanReport, SourceInfo, Status

EXACT = "exact"  # the event changed this resource and this attribute
RESOURCE = "resource"  # the event changed this resource; which attributes it does not say
TIME = "time"  # the event could have hit this resource (its record does not say which) in the window

# Without a known state write time, look back as far as CloudTrail's LookupEvents can.
DEFAULT_LOOKBACK = timedelta(days=90)
TIME_CANDIDATES = 3
_GLOBAL_SERVICES = frozenset({"iam.amazonaws.com"})  # IAM calls are logged in us-east-1 whatever the region
_ATTRIBUTABLE = (Status.CHANGED, Status.MISSING, Status.UNMANAGED)
_TOP_SEGMENT = re.compile(r"^[^.\[]+")


@dataclass(frozen=True)
class AttributionMatch:
    """An attribution together with the resource it explains and the full event behind it."""

    result: ResourceResult
    attribution: Attribution
    event: CloudTrailEvent


def top_attribute(path: str) -> str:
    """`tags.Env` -> `tags`, `ingress[1].cidr_blocks[0]` -> `ingress`."""
    found = _TOP_SEGMENT.match(path)
    return found.group(0) if found else path


def _written_at(report: ScanReport, result: ResourceResult) -> datetime | None:
    ref = result.source
    infos: Sequence[SourceInfo] = report.sources
    if ref is not None and ref.state:
        for info in infos:
            if ref.state in (info.state, info.path) and info.written_at:
                return parse_time(info.written_at)
    stamps = {info.written_at for info in infos if info.written_at}
    return parse_time(stamps.pop()) if len(stamps) == 1 else None


def window_for(
    report: ScanReport, result: ResourceResult, window_start: datetime | None, end: datetime
) -> tuple[datetime, datetime]:
    """[last state write, scan time]: changes before the state was written are already in it."""
    start = window_start or _written_at(report, result) or end - DEFAULT_LOOKBACK
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    return start, end


_EPOCH = datetime.min.replace(tzinfo=UTC)


def _in_window(event: CloudTrailEvent, start: datetime, end: datetime) -> bool:
    return event.event_time is not None and start <= event.event_time <= end


def _region_ok(event: CloudTrailEvent, result: ResourceResult) -> bool:
    if event.event_source in _GLOBAL_SERVICES or not result.region or not event.region:
        return True
    return event.region == result.region


_Pick = tuple[CloudTrailEvent, str, "str | None"]


def _build(
    event: CloudTrailEvent, confidence: str, attribute: str | None, sessions: SessionIndex
) -> Attribution:
    actor = resolve_actor(event.user_identity, event.event_time, sessions)
    invoked_by = event.user_identity.get("invokedBy")
    return Attribution(
        actor=actor.name,
        actor_type=actor.type,
        via=via_of(event.user_agent, invoked_by if isinstance(invoked_by, str) else None),
        event_name=event.event_name,
        event_time=event.time_text,
        source_ip=event.source_ip,
        user_agent=event.user_agent,
        confidence=confidence,
        event_id=event.event_id,
        attribute=attribute,
        actor_arn=actor.arn,
        chain=actor.chain,
        source_identity=actor.source_identity,
        region=event.region,
    )


class _Attributor:
    def __init__(self, events: list[CloudTrailEvent]) -> None:
        self.events = sorted(events, key=lambda e: e.event_time or _EPOCH, reverse=True)
        # Indexes so each resource looks only at the events that name it (not every event in the trail).
        self._by_key: dict[tuple[str, str], list[tuple[CloudTrailEvent, Touch]]] = {}
        self._by_attributes: dict[str, list[tuple[CloudTrailEvent, Touch]]] = {}
        self._unidentified: dict[tuple[str, str], list[CloudTrailEvent]] = {}
        for event in self.events:
            for touch in touches(event):
                for key in touch.ids:
                    self._by_key.setdefault((touch.type, key), []).append((event, touch))
                if touch.match_values:
                    self._by_attributes.setdefault(touch.type, []).append((event, touch))
            if is_unidentified_change(event):
                for target in rules_for(event.event_source, event.event_name):
                    bucket = self._unidentified.setdefault((target.type, target.effect), [])
                    if not bucket or bucket[-1] is not event:
                        bucket.append(event)

    def _time_candidates(
        self, result: ResourceResult, effect: str, start: datetime, end: datetime
    ) -> list[CloudTrailEvent]:
        """Calls of a kind that could have done this (same type and effect) whose records do not say
        which resource they hit: time proximity is all that links them."""
        found = [
            e
            for e in self._unidentified.get((result.type, effect), [])
            if _in_window(e, start, end) and _region_ok(e, result)
        ]
        return found[:TIME_CANDIDATES]

    def _hits(
        self, result: ResourceResult, start: datetime, end: datetime
    ) -> list[tuple[CloudTrailEvent, Touch]]:
        keys = resource_keys(result)
        candidates = [pair for key in sorted(keys) for pair in self._by_key.get((result.type, key), [])]
        candidates += self._by_attributes.get(result.type, [])
        seen: set[tuple[str, int]] = set()
        hits = []
        for event, touch in candidates:
            marker = (event.event_id, id(touch))
            if marker in seen:
                continue
            seen.add(marker)
            if (
                _in_window(event, start, end)
                and _region_ok(event, result)
                and touches_resource(touch, result, keys)
            ):
                hits.append((event, touch))
        hits.sort(key=lambda pair: pair[0].event_time or _EPOCH, reverse=True)
        return hits

    def select(self, result: ResourceResult, start: datetime, end: datetime) -> list[_Pick]:
        """(event, confidence, attribute) for each explanation, best evidence only, newest first."""
        hits = self._hits(result, start, end)
        picked: list[_Pick] = []

        def pick(events: Iterable[CloudTrailEvent], confidence: str, attribute: str | None) -> bool:
            seen: set[str] = set()
            for event in events:
                if event.event_id not in seen:
                    seen.add(event.event_id)
                    picked.append((event, confidence, attribute))
            return bool(seen)

        if result.status is Status.CHANGED:
            changed: list[str | None] = list(
                dict.fromkeys(top_attribute(d.path) for d in result.differences if d.side == "live")
            )
            for attribute in changed or [None]:
                updates = [(e, t) for e, t in hits if t.effect == "update"]
                exact = [e for e, t in updates if attribute and t.attrs is not None and attribute in t.attrs]
                loose = [e for e, t in updates if t.attrs is None]
                if not pick(exact, EXACT, attribute) and not pick(loose, RESOURCE, attribute):
                    pick(self._time_candidates(result, "update", start, end), TIME, attribute)
        else:
            effect = "delete" if result.status is Status.MISSING else "create"
            exact = [e for e, t in hits if t.effect == effect and t.from_table]
            loose = [e for e, t in hits if t.effect == effect and not t.from_table]
            if not pick(exact, EXACT, None) and not pick(loose, RESOURCE, None):
                pick(self._time_candidates(result, effect, start, end), TIME, None)
        return picked


def _session_index(
    source: EventSource,
    known: list[CloudTrailEvent],
    culprits: list[CloudTrailEvent],
    start: datetime,
    end: datetime,
) -> SessionIndex:
    """STS events behind the culprits' sessions: those already read, then fetched round after round
    for role chains (each round asks only for keys no known event issued)."""
    sessions = SessionIndex(known)
    pending = list(culprits)
    asked: set[str] = set()
    for _ in range(10):
        keys = {
            str(e.user_identity.get("accessKeyId"))
            for e in pending
            if e.user_identity.get("type") in ("AssumedRole", "FederatedUser")
            and e.user_identity.get("accessKeyId")
        }
        pending = [o for e in pending if (o := sessions.origin(e.user_identity, e.event_time)) is not None]
        keys = {k for k in keys - asked if not sessions.issued(k)}
        if not keys:
            if not pending:
                break
            continue  # the next hop is already known: follow it for its own caller
        asked |= keys
        earliest = min(min((e.event_time for e in pending if e.event_time), default=start), start)
        finder = getattr(source, "session_events", None)
        if callable(finder):
            fetched = finder(keys, earliest - MAX_SESSION, end)
        else:
            fetched = source.events(earliest - MAX_SESSION, end, resource_names=keys)
        sessions.add(fetched)
        pending += [e for e in fetched if e.event_name in SESSION_EVENTS and issued_key(e) in keys]
    return sessions


def attribute_report(
    report: ScanReport,
    source: EventSource,
    *,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> list[AttributionMatch]:
    """Fill `attribution` on every changed / missing / unmanaged resource of `report`, in place.

    The window for a resource starts at `window_start` if given, else at its state's last write
    (SourceInfo.written_at), else 90 days back; it ends at `window_end`, else the scan time. Returns
    the matches (with the raw events) for the audit log. Unreadable files and an unreadable trail
    become report warnings, never exceptions.
    """
    end = window_end or parse_time(report.generated_at) or datetime.now(UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    targets = [r for r in report.resources if r.status in _ATTRIBUTABLE]
    if not targets:
        return []
    windows = {id(r): window_for(report, r, window_start, end) for r in targets}
    if window_start is None and any(_written_at(report, r) is None for r in targets):
        report.warnings.append("attribution: state write time unknown, looked back 90 days")
    start = min(w[0] for w in windows.values())
    names = set().union(*(resource_keys(r) for r in targets))
    try:
        events = source.events(start, end, resource_names=names)
        attributor = _Attributor(events)
        selected = {id(r): attributor.select(r, *windows[id(r)]) for r in targets}
        culprits = {e.event_id: e for picks in selected.values() for e, _, _ in picks}
        # Only the sessions behind culprit events are traced back (each may cost API calls).
        sessions = _session_index(source, events, list(culprits.values()), start, end)
    except DriftdeckError as exc:
        # No trail to read (bucket missing, access denied): the scan stands, unattributed.
        report.warnings.append(f"attribution unavailable: {exc}")
        return []
    matches: list[AttributionMatch] = []
    for result in targets:
        built = [(_build(e, confidence, attr, sessions), e) for e, confidence, attr in selected[id(result)]]
        result.attribution = [a for a, _ in built]
        matches += [AttributionMatch(result, a, e) for a, e in built]
    for error in source.errors:
        message = f"attribution: {error}"
        if message not in report.warnings:
            report.warnings.append(message)
    return matches
