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
from collections.abc import Iterable, Sequence
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
FOLD_CHUNK = 5_000  # entries parsed and held at once on a refresh
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
    # Closed episodes are the first len(closed_ends) (only the last can be open); their ends ascend, so a
    # window is found by bisection, and `closed_prefix[k]` (sum of the first k durations) sums it in O(1).
    closed_ends: list[float] = field(default_factory=list)
    closed_prefix: list[float] = field(default_factory=lambda: [0.0])

    def close(self, episode: Episode, at: float, to: str) -> None:
        episode.end, episode.resolved_to = at, to
        self.closed_ends.append(at)
        self.closed_prefix.append(self.closed_prefix[-1] + (at - episode.start))

    def window(self, start: float, now: float) -> tuple[int, float, float, int]:
        """For [start, now]: index of the first episode in it, seconds drifted in it, summed
        durations of the closed episodes ending in it, and how many those are."""
        closed = len(self.closed_ends)
        first = bisect.bisect_left(self.closed_ends, start)
        resolved_sum = self.closed_prefix[closed] - self.closed_prefix[first]
        drifted = resolved_sum
        if first < closed and self.episodes[first].start < start:
            drifted -= start - self.episodes[first].start  # only the part inside the window
        if len(self.episodes) > closed:
            drifted += max(now - max(self.episodes[-1].start, start), 0.0)
        return first, drifted, resolved_sum, closed - first

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
        # When and by whom every out-of-band change was made, in log order (times ascend).
        self._attributed_at: list[float] = []
        self._attributed_actor: list[str] = []
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
        after = self.last_seq
        while after < through:
            # In chunks: `entries_since` returns a list, and each call bisects straight to `after`,
            # so memory stays bounded by the chunk however long the log is.
            chunk = self.reader.entries_since(after, FOLD_CHUNK, kinds=HISTORY_KINDS)
            for entry in chunk:
                if entry.seq > through:
                    break  # appended after the chain check: the next refresh verifies it first
                self._fold(entry)
            if len(chunk) < FOLD_CHUNK or chunk[-1].seq >= through:
                break
            after = chunk[-1].seq
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
                resource.close(open_episode, at, to)
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
        self._attributed_at.append(at)
        self._attributed_actor.append(actor)
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
        open_count = 0
        resolved_sum, resolved_count = 0.0, 0
        for resource in sorted(self.resources.values(), key=lambda r: (r.key, r.workspace)):
            first, seconds, closed_sum, closed_count = resource.window(start, now)
            episodes = resource.episodes[first:]
            if not episodes and not resource.markers:
                continue
            resources.append((resource, episodes))
            if episodes:
                drifting.append((resource.key, len(episodes), seconds))
                open_count += len(episodes) - closed_count
            resolved_sum += closed_sum
            resolved_count += closed_count
        first_point = bisect.bisect_left(self._series_at, start)
        first_change = bisect.bisect_left(self._attributed_at, start)
        actors = Counter(self._attributed_actor[first_change:])
        drifting.sort(key=lambda t: (-t[1], -t[2], t[0]))
        return HistoryView(
            chain=self.chain, since=since, now=now, resources=resources, series=self.series[first_point:],
            top_actors=sorted(actors.items(), key=lambda t: (-t[1], t[0]))[:top],
            most_drifting=drifting[:top],
            mean_time_to_resolution=resolved_sum / resolved_count if resolved_count else None,
            resolved_episodes=resolved_count, open_episodes=open_count,
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


def bucket_series(points: Sequence[EstatePoint], start: float, end: float, buckets: int,
                  field_name: str = "drifted") -> list[float]:
    """`buckets` values for a sparkline: the last count at or before the end of each time slot.

    `points` are in time order (as `HistoryView.series`); each slot is found by bisection, so a
    frame costs O(buckets · log points), not a walk over every scan.
    """
    values = [0.0] * buckets
    if end <= start or buckets <= 0 or not points:
        return values
    width = (end - start) / buckets
    times = _Times(points)
    for b in range(buckets):
        i = bisect.bisect_right(times, start + (b + 1) * width) - 1
        values[b] = float(getattr(points[i], field_name)) if i >= 0 else 0.0
    return values


class _Times(Sequence[float]):
    """The `at` of each point, viewed without copying (bisect needs only len and indexing)."""

    def __init__(self, points: Sequence[EstatePoint]) -> None:
        self.points = points

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: Any) -> Any:
        return self.points[index].at


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
