"""Attribution: who changed what, from CloudTrail (cloud side) and git (code side).

Public API
----------
Event sources (all satisfy `EventSource`: `.events(start, end, *, resource_names=()) -> list[CloudTrailEvent]`
and `.errors: list[InputError]` for files that could not be read):

- `LocalDirectorySource(root: Path | str)` — .json / .json.gz CloudTrail files under a directory.
- `S3LogSource(bucket: str, *, prefix: str = "", accounts: Sequence[str] | None = None,
  regions: Sequence[str] | None = None, org_id: str | None = None, client=None,
  delivery_lag: timedelta = DELIVERY_LAG, max_workers: int = 8)` — files delivered by a trail
  (account or organisation layout); only day folders in range are listed; deduplicated by eventID.
- `LookupEventsSource(regions: Sequence[str], *, client_factory: Callable[[str], client] | None = None,
  rate_per_region: float = 2.0, clock: Clock | None = None, max_name_queries: int = 20)` — the
  LookupEvents API, token-bucket limited per region, cached. A source may also offer
  `.session_events(access_key_ids, start, end)` to find the STS calls that issued session keys.
- `StaticSource(events: Sequence[CloudTrailEvent])` — events already in memory.
- `event_source_from_spec(spec: str, *, regions: Sequence[str] = ()) -> EventSource` — from
  `s3://bucket[/prefix]`, `lookup[:region,...]` or a directory path (for a CLI flag).

Parsing: `parse_log(data: bytes, name: str) -> list[CloudTrailEvent]` (raises InputError naming the
file), `load_files(paths: Iterable[Path]) -> LoadResult` (events + per-file errors).

Attribution:
- `attribute_report(report: ScanReport, source: EventSource, *, window_start: datetime | None = None,
  window_end: datetime | None = None) -> list[AttributionMatch]` fills `ResourceResult.attribution` in
  place for changed / missing / unmanaged resources, confidence `exact` | `resource` | `time`; per
  changed attribute the newest event comes first. `AttributionMatch(result, attribution, event)`.
- `resolve_actor(identity: dict, at: datetime | None, sessions: SessionIndex) -> Actor`,
  `via_of(user_agent: str | None, invoked_by: str | None = None) -> str`.

Outputs:
- `attributed_event(match: AttributionMatch, *, drift_event: str | None = None) -> dict` — the
  `cloud.change.attributed` audit payload `{kind, subject, data, after}` (after = raw record, credentials
  redacted); `attributed_events(matches, drift_events: dict[str, str] | None = None) -> list[dict]`.
- `actors(report: ScanReport, *, min_confidence: str = "time") -> list[tuple[str, int]]` and
  `resources_by_actor(report: ScanReport, actor: str, *, min_confidence: str = "time") ->
  list[ResourceResult]` — for a "who" column and a filter by actor.
- `git_authorship(path: Path) -> dict` — git author/commit/message of a committed IaC file, else
  `{"committed": False, "summary": "uncommitted local edit by <OS user>", ...}`.

Matching rules are data: `rules.RULES` (eventSource -> eventName -> Targets), `rules.FALLBACK`.
"""

from driftdeck.core.attribution.actors import Actor, SessionIndex, resolve_actor, via_of
from driftdeck.core.attribution.engine import (
    EXACT,
    RESOURCE,
    TIME,
    AttributionMatch,
    attribute_report,
    top_attribute,
)
from driftdeck.core.attribution.events import CloudTrailEvent, parse_record
from driftdeck.core.attribution.gitinfo import git_authorship
from driftdeck.core.attribution.parsing import LoadResult, load_files, parse_log
from driftdeck.core.attribution.payloads import EVENT_KIND, attributed_event, attributed_events
from driftdeck.core.attribution.query import actors, resources_by_actor
from driftdeck.core.attribution.ratelimit import Clock, SystemClock, TokenBucket
from driftdeck.core.attribution.sources import (
    EventSource,
    LocalDirectorySource,
    LookupEventsSource,
    S3LogSource,
    StaticSource,
    event_source_from_spec,
)

__all__ = [
    "EXACT",
    "EVENT_KIND",
    "RESOURCE",
    "TIME",
    "Actor",
    "AttributionMatch",
    "Clock",
    "CloudTrailEvent",
    "EventSource",
    "LoadResult",
    "LocalDirectorySource",
    "LookupEventsSource",
    "S3LogSource",
    "SessionIndex",
    "StaticSource",
    "SystemClock",
    "TokenBucket",
    "actors",
    "attribute_report",
    "attributed_event",
    "attributed_events",
    "event_source_from_spec",
    "git_authorship",
    "load_files",
    "parse_log",
    "parse_record",
    "resolve_actor",
    "resources_by_actor",
    "top_attribute",
    "via_of",
]
