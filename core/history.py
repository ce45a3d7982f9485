"""Drift history from the verified audit log: episodes per resource, status bands, estate series.

`HistoryModel` reads a log through `AuditReader`: `refresh()` checks the chain incrementally
(`AuditReader.state`) and folds in only entries appended since the last refresh
(`AuditReader.entries_since`, which bisects to the position and skips other kinds on raw bytes);
`view(since=...)` answers from memory, so a redraw never re-reads the log. Nothing is drawn from a
log whose chain did not verify: `view` raises `HistoryUnverifiable` instead.

What the log holds per resource is its drift transitions (`drift.detected` / `drift.resolved`,
written by `record_scan`), attributed cloud changes, remediation events; an `unknown` verdict is
not a transition (the previous status is kept), so per-resource bands never show `unknown`. The
estate's unknown count comes from each `scan.completed` summary.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from driftdeck.core.audit.entry import Entry
from driftdeck.core.audit.reader import AuditReader, VerificationState
from driftdeck.core.errors import DriftdeckError

# Kinds history reads; every other line is skipped on its raw bytes by the reader.
HISTORY_KINDS = (
    "drift.detected",
    "drift.resolved",
    "scan.completed",
    "cloud.change.attributed",
    "config.changed",
    "remediation.planned",
    "remediation.applied",
    "remediation.failed",
)
IN_SYNC = "in_sync"
DRIFTED_STATUSES = ("changed", "missing", "pending")  # managed drift; unmanaged is its own series


class HistoryUnverifiable(DriftdeckError):
    """The log's chain or checkpoints did not verify: no figure is drawn from it (exit 2)."""


def parse_ts(ts: str) -> float:
    """Seconds since the epoch of an RFC 3339 UTC timestamp as the log writes it."""
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def format_ts(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_since(text: str, now: float) -> float:
    """`7d`, `12h`, `30m`, `90s`, `2w` before `now`, or an RFC 3339 time / date."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    value = text.strip()
    if value[:-1].isdigit() and value[-1:] in units:
        return now - int(value[:-1]) * units[value[-1]]
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DriftdeckError(f"--since {value!r}: expected a duration like 7d, 12h, 30m or an RFC 3339 time") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class Marker:
    """One event drawn on a resource's timeline: an attributed change, IaC edit, plan or remediation."""

    seq: int
    at: float
    kind: str
    actor: str
    label: str


@dataclass
class Episode:
    """A stretch of drift: from the first `drift.detected` to the `drift.resolved` (end None: open)."""

    start: float
    statuses: list[str]
    end: float | None = None
    resolved_to: str | None = None  # "in_sync" or "absent" (the resource left the scan)
    actors: list[str] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)  # drift events that opened, changed and closed it

    @property
    def resolution_seconds(self) -> float | None:
        return None if self.end is None else round(self.end - self.start, 3)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": format_ts(self.start),
            "end": format_ts(self.end) if self.end is not None else None,
            "resolution_seconds": self.resolution_seconds,
            "statuses": list(self.statuses),
            "resolved_to": self.resolved_to,
            "actors": list(self.actors),
        }


@dataclass
class ResourceHistory:
    """Everything the log says about one resource (identity: workspace + the scan's resource key)."""

    key: str
    workspace: str
    resource_type: str | None = None
    provider_id: str | None = None
    episodes: list[Episode] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    transitions: list[tuple[float, str]] = field(default_factory=list)  # (when, status from then on)
    # Before its first transition: in sync when a previous scan of the workspace saw it so, else untracked.
    initial: str = "untracked"
    # Actors of changes logged before the drift they explain was detected: given to the next episode.
    waiting_actors: list[str] = field(default_factory=list)

    def bands(self, start: float, end: float) -> list[tuple[float, float, str]]:
        """(from, to, status) covering [start, end]; `initial` before the first transition."""
        out: list[tuple[float, float, str]] = []
        status, at = self.initial, start
        for when, now in self.transitions:
            if when <= start:
                status = now
                continue
            if when >= end:
                break
            if now != status:
                out.append((at, when, status))
                status, at = now, when
        out.append((at, end, status))
        return out

    def episodes_in(self, start: float | None) -> list[Episode]:
        """Episodes that overlap [start, now] (all when start is None)."""
        if start is None:
            return list(self.episodes)
        return [e for e in self.episodes if e.end is None or e.end >= start]


@dataclass(frozen=True)
class EstatePoint:
    """Counts after one `scan.completed`, summed over every workspace's latest scan."""

    at: float
    seq: int
    drifted: int
    unknown: int
    unmanaged: int
    total: int


@dataclass
class HistoryView:
    """What a redraw or `driftdeck history` shows for one time window."""

    chain: VerificationState
    since: float | None
    now: float
    resources: list[tuple[ResourceHistory, list[Episode]]]
    series: list[EstatePoint]
    top_actors: list[tuple[str, int]]
    most_drifting: list[tuple[str, int, float]]  # key, episodes, seconds drifted in the window
    mean_time_to_resolution: float | None
    resolved_episodes: int
    open_episodes: int
    iac_edits: list[Marker]

    def to_json(self) -> dict[str, Any]:
        return {
            "chain": {"status": self.chain.status, "verified_through": self.chain.verified_through,
                      "signed_through": self.chain.signed_through},
            "since": format_ts(self.since) if self.since is not None else None,
            "until": format_ts(self.now),
            "resources": [
                {"address": r.key, "workspace": r.workspace, "type": r.resource_type,
                 "episodes": [e.to_json() for e in episodes]}
                for r, episodes in self.resources
            ],
            "estate": {
                "series": [{"at": format_ts(p.at), "seq": p.seq, "drifted": p.drifted, "unknown": p.unknown,
                            "unmanaged": p.unmanaged, "total": p.total} for p in self.series],
                "top_actors": [{"actor": a, "changes": n} for a, n in self.top_actors],
                "most_drifting": [{"address": k, "episodes": n, "drifted_seconds": round(s, 3)}
                                  for k, n, s in self.most_drifting],
                "mean_time_to_resolution_seconds": (round(self.mean_time_to_resolution, 3)
                                                    if self.mean_time_to_resolution is not None else None),
                "resolved_episodes": self.resolved_episodes,
                "open_episodes": self.open_episodes,
                "iac_edits": len(self.iac_edits),
            },
        }


def _actor_name(actor: dict[str, Any]) -> str:
    for name in ("principal", "aws_arn", "user"):
        if actor.get(name):
            return str(actor[name])
    return "?"


class HistoryModel:
    """Drift history of one audit log, kept current by `refresh()` and read by `view()`."""

    def __init__(self, reader: AuditReader) -> None:
        self.reader = reader
        self.chain = VerificationState("unverified")
        self.last_seq = -1  # every entry up to here has been folded in
        self.resources: dict[tuple[str, str], ResourceHistory] = {}
        self.series: list[EstatePoint] = []
        self._series_at: list[float] = []
        self.attributed: list[tuple[float, str]] = []  # (when, actor) of every out-of-band change
        self.iac_edits: list[Marker] = []
        self._latest_scan: dict[str, dict[str, int]] = {}  # workspace -> its latest summary
        self._by_drift_seq: dict[int, ResourceHistory] = {}  # drift event seq -> its resource

    @classmethod
    def for_log_dir(cls, log_dir: Path, reader: AuditReader | None = None) -> HistoryModel:
        return cls(reader or AuditReader(log_dir))

    @classmethod
    def from_entries(cls, entries: Iterable[Entry], chain: VerificationState, reader: AuditReader) -> HistoryModel:
        """A model of entries the caller has already verified (`chain` says how far), oldest first."""
        model = cls(reader)
        model.chain = chain
        for entry in entries:
            model._fold(entry)
            model.last_seq = entry.seq
        return model

    def refresh(self) -> bool:
        """Verify what was appended and fold it in; True when anything new was read."""
        self.chain = self.reader.state()
        if self.chain.status != "verified" or self.chain.verified_through is None:
            return False
        through = self.chain.verified_through
        if through <= self.last_seq:
            return False
        for entry in self.reader.entries_since(self.last_seq, kinds=HISTORY_KINDS):
            if entry.seq > through:
                break  # appended after the chain check: the next refresh verifies it first
            self._fold(entry)
        self.last_seq = through
        return True

    # ------------------------------------------------------------------ folding one entry
    def _resource(self, workspace: str, key: str, entry: Entry) -> ResourceHistory:
        found = self.resources.get((workspace, key))
        if found is None:
            found = self.resources[(workspace, key)] = ResourceHistory(key, workspace)
        found.resource_type = entry.subject.get("resource_type") or found.resource_type
        found.provider_id = entry.subject.get("provider_id") or found.provider_id
        return found

    def _fold(self, entry: Entry) -> None:
        at = parse_ts(entry.ts)
        kind = entry.kind
        workspace = str(entry.subject.get("workspace") or "")
        if kind in ("drift.detected", "drift.resolved"):
            key = entry.data.get("key")
            if not isinstance(key, str):
                return
            resource = self._resource(workspace, key, entry)
            self._by_drift_seq[entry.seq] = resource
            to = str(entry.data.get("to"))
            open_episode = resource.episodes[-1] if resource.episodes and resource.episodes[-1].end is None else None
            if not resource.transitions and entry.data.get("from") == IN_SYNC:
                resource.initial = IN_SYNC
            if kind == "drift.detected":
                if open_episode is None:
                    resource.episodes.append(Episode(at, [to], actors=resource.waiting_actors, seqs=[entry.seq]))
                    resource.waiting_actors = []
                else:
                    open_episode.statuses.append(to)
                    open_episode.seqs.append(entry.seq)
                resource.transitions.append((at, to))
            elif open_episode is not None:
                open_episode.end, open_episode.resolved_to = at, to
                open_episode.seqs.append(entry.seq)
                resource.transitions.append((at, IN_SYNC if to == IN_SYNC else "absent"))
        elif kind == "scan.completed":
            summary = entry.data.get("summary")
            if isinstance(summary, dict):
                self._latest_scan[workspace] = {k: v for k, v in summary.items() if isinstance(v, int)}
                totals: Counter[str] = Counter()
                for counts in self._latest_scan.values():
                    totals.update(counts)
                self.series.append(EstatePoint(
                    at, entry.seq, sum(totals[s] for s in DRIFTED_STATUSES), totals["unknown"],
                    totals["unmanaged"], totals["total"]))
                self._series_at.append(at)
        elif kind == "cloud.change.attributed":
            self._fold_attributed(entry, at, workspace)
        elif kind == "config.changed":
            file = entry.data.get("file")
            self.iac_edits.append(Marker(entry.seq, at, kind, _actor_name(entry.actor),
                                         f"edited {file}" if isinstance(file, str) else "code edited"))
        elif kind.startswith("remediation."):
            key = entry.subject.get("address") or None
            if isinstance(key, str):
                resource = self._resource(workspace, key, entry)
                outcome = entry.data.get("outcome")
                label = kind.split(".", 1)[1] + (f" ({outcome})" if isinstance(outcome, str) else "")
                resource.markers.append(Marker(entry.seq, at, kind, _actor_name(entry.actor), label))

    def _fold_attributed(self, entry: Entry, at: float, workspace: str) -> None:
        data = entry.data
        actor = str(data.get("actor") or _actor_name(entry.actor))
        self.attributed.append((at, actor))
        resource: ResourceHistory | None = None
        linked: int | None = None
        link = data.get("drift_event")  # "seq:hash" of the drift event this change explains
        if isinstance(link, str) and link.split(":", 1)[0].isdigit():
            linked = int(link.split(":", 1)[0])
            resource = self._by_drift_seq.get(linked)
        if resource is None:
            described = data.get("resource") if isinstance(data.get("resource"), dict) else {}
            key = described.get("address") or (
                f"{described.get('type')}:{described.get('id')}" if described.get("id") else None)
            if not isinstance(key, str):
                return
            resource = self._resource(workspace, key, entry)
        label = str(data.get("event_name") or "change")
        if data.get("attribute"):
            label += f" → {data['attribute']}"
        resource.markers.append(Marker(entry.seq, at, entry.kind, actor, label))
        episode = _explained_episode(resource.episodes, linked, at)
        actors = episode.actors if episode is not None else resource.waiting_actors
        if actor not in actors:
            actors.append(actor)

    # ------------------------------------------------------------------ answering
    def require_verified(self) -> None:
        if self.chain.status == "tampered":
            where = self.chain.first_finding
            detail = " ".join(str(where).split()) if where else ""
            raise HistoryUnverifiable(
                f"{self.reader.log_dir}: audit log does not verify ({self.chain.summary()}"
                f"{f'; {detail}' if detail else ''}); no history is drawn from it")
        if self.chain.status != "verified":
            raise HistoryUnverifiable(f"{self.reader.log_dir}: audit log could not be verified "
                                      f"({self.chain.summary()}); no history is drawn from it")

    def resource(self, key: str, workspace: str | None = None) -> ResourceHistory | None:
        if workspace is not None:
            return self.resources.get((workspace, key))
        matches = [r for (_, k), r in self.resources.items() if k == key]
        return matches[-1] if matches else None

    def view(self, since: float | None = None, now: float | None = None, *, top: int = 5) -> HistoryView:
        """Figures for [since, now] from memory (no log reads). Raises HistoryUnverifiable."""
        self.require_verified()
        now = now if now is not None else datetime.now(UTC).timestamp()
        start = since if since is not None else float("-inf")
        resources: list[tuple[ResourceHistory, list[Episode]]] = []
        drifting: list[tuple[str, int, float]] = []
        resolved: list[float] = []
        open_count = 0
        for resource in sorted(self.resources.values(), key=lambda r: (r.key, r.workspace)):
            episodes = resource.episodes_in(since)
            if not episodes and not resource.markers:
                continue
            resources.append((resource, episodes))
            if episodes:
                seconds = sum(min(e.end if e.end is not None else now, now) - max(e.start, start) for e in episodes)
                drifting.append((resource.key, len(episodes), seconds))
            for e in episodes:
                if e.end is None:
                    open_count += 1
                elif e.end >= start:
                    resolved.append(e.end - e.start)
        first = bisect.bisect_left(self._series_at, start)
        actors = Counter(a for at, a in self.attributed if at >= start)
        drifting.sort(key=lambda t: (-t[1], -t[2], t[0]))
        return HistoryView(
            chain=self.chain, since=since, now=now, resources=resources, series=self.series[first:],
            top_actors=sorted(actors.items(), key=lambda t: (-t[1], t[0]))[:top],
            most_drifting=drifting[:top],
            mean_time_to_resolution=sum(resolved) / len(resolved) if resolved else None,
            resolved_episodes=len(resolved), open_episodes=open_count,
            iac_edits=[m for m in self.iac_edits if m.at >= start])


def _explained_episode(episodes: list[Episode], linked: int | None, at: float) -> Episode | None:
    """The episode an attributed change explains: the one holding its linked drift event; unlinked,
    the one open at the change, else the first that began after it (a change precedes its detection)."""
    if linked is not None:
        for episode in reversed(episodes):
            if linked in episode.seqs:
                return episode
    for episode in episodes:
        if episode.start <= at and (episode.end is None or at <= episode.end):
            return episode
    return next((e for e in episodes if e.start >= at), None)


def bucket_series(points: Iterable[EstatePoint], start: float, end: float, buckets: int,
                  field_name: str = "drifted") -> list[float]:
    """`buckets` values for a sparkline: the last count in each time slot, carried forward."""
    values = [0.0] * buckets
    if end <= start or buckets <= 0:
        return values
    width = (end - start) / buckets
    last = 0.0
    ordered = list(points)
    i = 0
    for b in range(buckets):
        limit = start + (b + 1) * width
        while i < len(ordered) and ordered[i].at <= limit:
            last = float(getattr(ordered[i], field_name))
            i += 1
        values[b] = last
    return values


def humanize_seconds(seconds: float | None) -> str:
    """`3d 4h`, `2h 5m`, `4m 10s`, `12s`; `—` for None."""
    if seconds is None:
        return "—"
    delta = timedelta(seconds=round(seconds))
    days, rest = delta.days, delta.seconds
    hours, minutes, secs = rest // 3600, rest % 3600 // 60, rest % 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
