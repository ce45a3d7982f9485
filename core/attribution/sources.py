"""Where CloudTrail events come from: all three sources answer the same question the same way.

`events(start, end, resource_names=...)` returns the events with start <= eventTime <= end. The
resource names are a hint: LookupEvents can only filter by one attribute per call, so it asks per
name; file-based sources read whole days and ignore the hint (the matcher filters afterwards).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import botocore.exceptions

from driftdeck.core.attribution.actors import SESSION_EVENTS
from driftdeck.core.attribution.events import CloudTrailEvent, parse_record
from driftdeck.core.attribution.parsing import LoadResult, dedupe, is_log_name, load_files, parse_log
from driftdeck.core.attribution.ratelimit import Clock, PerKeyLimiter
from driftdeck.core.errors import InputError

# CloudTrail writes a file a few minutes after the events in it; its date folder can be the next day.
DELIVERY_LAG = timedelta(hours=1)
LOOKUP_RATE_PER_REGION = 2.0  # LookupEvents quota: 2 requests per second per account per region
LOOKUP_MAX_NAME_QUERIES = 20  # more names than this: one ReadOnly=false sweep is fewer calls


class EventSource(Protocol):
    """Anything that can list CloudTrail events for a time range."""

    errors: list[InputError]

    def events(
        self, start: datetime, end: datetime, *, resource_names: Collection[str] = ()
    ) -> list[CloudTrailEvent]: ...


def _in_range(event: CloudTrailEvent, start: datetime, end: datetime) -> bool:
    return event.event_time is not None and start <= event.event_time <= end


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class StaticSource:
    """Events already in memory (from any loader); handy for tests and for chaining sources."""

    def __init__(self, events: Sequence[CloudTrailEvent]) -> None:
        self._events = dedupe(events)
        self.errors: list[InputError] = []

    def events(
        self, start: datetime, end: datetime, *, resource_names: Collection[str] = ()
    ) -> list[CloudTrailEvent]:
        start, end = _utc(start), _utc(end)
        return [e for e in self._events if _in_range(e, start, end)]


class LocalDirectorySource:
    """CloudTrail log files (.json, .json.gz) anywhere under a local directory.

    Each question re-lists the directory and parses only files that are new or changed since the last
    one (by size and modification time), so a long-running session sees newly delivered logs cheaply.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError("not a directory of CloudTrail log files", file=str(self.root))
        self.errors: list[InputError] = []
        self.parsed_files = 0  # how many file reads so far (diagnostics, tests)
        self._files: dict[Path, tuple[tuple[int, int], LoadResult]] = {}

    def load(self) -> LoadResult:
        """Everything under the directory now, deduplicated; per-file errors in `.errors`."""
        current: dict[Path, tuple[tuple[int, int], LoadResult]] = {}
        for path in sorted(p for p in self.root.rglob("*") if is_log_name(p.name) and p.is_file()):
            try:
                stat = path.stat()
            except OSError:
                continue  # removed while listing
            stamp = (stat.st_mtime_ns, stat.st_size)
            known = self._files.get(path)
            if known is None or known[0] != stamp:
                self.parsed_files += 1
                known = (stamp, load_files([path]))
            current[path] = known
        self._files = current
        merged = LoadResult()
        for _, result in current.values():
            merged.extend(result)
        merged.events = dedupe(merged.events)
        self.errors = list(merged.errors)
        return merged

    def events(
        self, start: datetime, end: datetime, *, resource_names: Collection[str] = ()
    ) -> list[CloudTrailEvent]:
        start, end = _utc(start), _utc(end)
        return [e for e in self.load().events if _in_range(e, start, end)]


def _days(start: datetime, end: datetime) -> Iterator[date]:
    day = start.astimezone(UTC).date()
    last = end.astimezone(UTC).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def _client_error_text(exc: Exception) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        message = " ".join(str(err.get("Message", "")).split())[:200]  # servers may answer with an HTML page
        return f"{err.get('Code', 'error')}: {message}".rstrip(": ")
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


class S3LogSource:
    """CloudTrail files delivered to S3, for any time range, deduplicated by eventID.

    Keys are `[prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`, or with an
    organisation trail `[prefix/]AWSLogs/<o-id>/<account>/CloudTrail/...`. Accounts, organisations and
    regions are discovered with delimiter listings unless given; only the day folders inside the range
    are listed, and each object is fetched once (delivered files never change).
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        accounts: Sequence[str] | None = None,
        regions: Sequence[str] | None = None,
        org_id: str | None = None,
        client: Any = None,
        delivery_lag: timedelta = DELIVERY_LAG,
        max_workers: int = 8,
    ) -> None:
        self.bucket = bucket
        self.max_workers = max_workers
        self.prefix = (prefix.strip("/") + "/") if prefix.strip("/") else ""
        self.accounts = list(accounts) if accounts else None
        self.regions = list(regions) if regions else None
        self.org_id = org_id
        self.delivery_lag = delivery_lag
        self._client = client
        self._objects: dict[str, list[CloudTrailEvent]] = {}
        self._lock = threading.Lock()
        self.errors: list[InputError] = []
        self.listed_prefixes: list[str] = []  # for tests and diagnostics: which folders were listed
        self.fetched_keys: list[str] = []
        self._bases: list[str] | None = None
        self._regions: dict[str, list[str]] = {}
        self._closed_days: dict[str, list[str]] = {}  # listings of day folders no file can arrive in any more

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")
        return self._client

    def _where(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{key}"

    def _list(self, prefix: str, delimiter: str | None = None) -> tuple[list[str], list[str]]:
        """(folders, keys) directly under prefix, following continuation tokens."""
        folders: list[str] = []
        keys: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        self.listed_prefixes.append(prefix)
        try:
            while True:
                page = self.client.list_objects_v2(**kwargs)
                folders += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
                keys += [o["Key"] for o in page.get("Contents", [])]
                if not page.get("IsTruncated"):
                    return folders, keys
                kwargs["ContinuationToken"] = page["NextContinuationToken"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise InputError(
                f"cannot list CloudTrail logs: {_client_error_text(exc)}", file=self._where(prefix)
            ) from exc

    def _account_bases(self) -> list[str]:
        if self._bases is None:
            self._bases = self._discover_bases()
        return self._bases

    def _discover_bases(self) -> list[str]:
        root = f"{self.prefix}AWSLogs/"
        if self.accounts is not None:
            middle = f"{self.org_id}/" if self.org_id else ""
            return [f"{root}{middle}{account}/" for account in self.accounts]
        bases = []
        for folder in self._list(root, "/")[0]:
            name = folder[len(root) :].strip("/")
            if name.startswith("o-"):  # organisation trail: one more level, one folder per account
                bases += [f for f in self._list(folder, "/")[0] if f[len(folder) :].strip("/").isdigit()]
            else:
                bases.append(folder)
        return bases

    def _region_folders(self, base: str) -> list[str]:
        trail = f"{base}CloudTrail/"
        if self.regions is not None:
            return [f"{trail}{region}/" for region in self.regions]
        if base not in self._regions:
            self._regions[base] = self._list(trail, "/")[0]
        return self._regions[base]

    def _day_keys(self, folder: str, day: date) -> list[str]:
        if folder in self._closed_days:
            return self._closed_days[folder]
        keys = self._list(folder)[1]
        day_end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        if day_end + self.delivery_lag < datetime.now(UTC):
            self._closed_days[folder] = keys
        return keys

    def _read(self, key: str) -> list[CloudTrailEvent]:
        with self._lock:
            if key in self._objects:
                return self._objects[key]
        name = self._where(key)
        error: InputError | None = None
        events: list[CloudTrailEvent] = []
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            events = parse_log(body, name)
        except InputError as exc:
            error = exc
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            error = InputError(f"cannot read: {_client_error_text(exc)}", file=name)
        with self._lock:
            self._objects[key] = events
            self.fetched_keys.append(key)
            if error is not None:
                self.errors.append(error)
        return events

    def events(
        self, start: datetime, end: datetime, *, resource_names: Collection[str] = ()
    ) -> list[CloudTrailEvent]:
        start, end = _utc(start), _utc(end)
        keys: list[str] = []
        for base in self._account_bases():
            for region_folder in self._region_folders(base):
                for day in _days(start, end + self.delivery_lag):
                    day_keys = self._day_keys(f"{region_folder}{day:%Y/%m/%d}/", day)
                    keys += sorted(k for k in day_keys if is_log_name(k))
        # A busy trail writes a file every few minutes per region: fetch them concurrently, keep order.
        _ = self.client  # create the client once, before the threads share it
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            per_key = list(pool.map(self._read, keys))
        return dedupe(e for events in per_key for e in events if _in_range(e, start, end))


class LookupEventsSource:
    """CloudTrail's LookupEvents API (last 90 days), rate-limited per region and cached.

    One attribute per call: with a few resource names it asks `ResourceName=<name>` for each; with
    none (or many) it sweeps `ReadOnly=false` once. Results are cached per (region, attribute) and
    time range, so a narrower repeat query makes no call at all.
    """

    def __init__(
        self,
        regions: Sequence[str],
        *,
        client_factory: Callable[[str], Any] | None = None,
        rate_per_region: float = LOOKUP_RATE_PER_REGION,
        clock: Clock | None = None,
        max_name_queries: int = LOOKUP_MAX_NAME_QUERIES,
    ) -> None:
        if not regions:
            raise ValueError("LookupEventsSource needs at least one region")
        self.regions = list(regions)
        self._client_factory = client_factory or _default_cloudtrail_client
        self._clients: dict[str, Any] = {}
        self.limiter = PerKeyLimiter(rate_per_region, clock=clock)
        self.max_name_queries = max_name_queries
        self._cache: dict[tuple[str, str, str], list[tuple[datetime, datetime, list[CloudTrailEvent]]]] = {}
        self.errors: list[InputError] = []
        self.calls = 0
        # Regions whose LookupEvents failed: reported once, not once per resource.
        self._failed_regions: set[str] = set()

    def _client(self, region: str) -> Any:
        if region not in self._clients:
            self._clients[region] = self._client_factory(region)
        return self._clients[region]

    def _query(
        self, region: str, key: str, value: str, start: datetime, end: datetime
    ) -> list[CloudTrailEvent]:
        for cached_start, cached_end, events in self._cache.get((region, key, value), []):
            if cached_start <= start and end <= cached_end:
                return [e for e in events if _in_range(e, start, end)]
        events = self._fetch(region, key, value, start, end)
        self._cache.setdefault((region, key, value), []).append((start, end, events))
        return events

    def _fetch(
        self, region: str, key: str, value: str, start: datetime, end: datetime
    ) -> list[CloudTrailEvent]:
        kwargs: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}],
            "StartTime": start,
            "EndTime": end,
            "MaxResults": 50,
        }
        events: list[CloudTrailEvent] = []
        where = f"cloudtrail:LookupEvents {region} {key}={value}"
        if region in self._failed_regions:
            return events  # already reported once: do not repeat a failing call per resource
        while True:
            self.limiter.acquire(region)
            self.calls += 1
            try:
                page = self._client(region).lookup_events(**kwargs)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                self._failed_regions.add(region)
                self.errors.append(InputError(_client_error_text(exc), file=f"cloudtrail:LookupEvents {region}"))
                return events
            for index, entry in enumerate(page.get("Events", [])):
                try:
                    events += parse_log(entry.get("CloudTrailEvent", "").encode(), f"{where} Events[{index}]")
                except InputError as exc:
                    self.errors.append(exc)
            token = page.get("NextToken")
            if not token:
                return events
            kwargs["NextToken"] = token

    def events(
        self, start: datetime, end: datetime, *, resource_names: Collection[str] = ()
    ) -> list[CloudTrailEvent]:
        start, end = _utc(start), _utc(end)
        names = sorted({n for n in resource_names if n})
        queries = (
            [("ResourceName", n) for n in names]
            if 0 < len(names) <= self.max_name_queries
            else [("ReadOnly", "false")]
        )
        return self._run(self.regions, queries, start, end)

    def sweep(self, start: datetime, end: datetime) -> list[CloudTrailEvent]:
        """Every mutating event in [start, end], asked again (no cache, a region that failed before is
        retried): the live-polling fallback of `driftdeck.core.monitor.events`. Failures land in `errors`."""
        start, end = _utc(start), _utc(end)
        found: list[CloudTrailEvent] = []
        for region in self.regions:
            self._failed_regions.discard(region)
            found += self._fetch(region, "ReadOnly", "false", start, end)
        return dedupe(e for e in found if _in_range(e, start, end))

    def session_events(
        self, access_key_ids: Collection[str], start: datetime, end: datetime
    ) -> list[CloudTrailEvent]:
        """The STS events that issued these session keys. AssumeRole is read-only, so a ReadOnly=false
        sweep never finds it: ask by key (LookupEvents lists the issued key as a resource), or by event
        name when there are many keys. STS's global endpoint logs in us-east-1, so that region is asked too."""
        start, end = _utc(start), _utc(end)
        keys = sorted({k for k in access_key_ids if k})
        if not keys:
            return []
        if len(keys) <= self.max_name_queries:
            queries = [("ResourceName", k) for k in keys]
        else:
            queries = [("EventName", name) for name in sorted(SESSION_EVENTS)]
        regions = list(dict.fromkeys([*self.regions, "us-east-1"]))
        return self._run(regions, queries, start, end)

    def _run(
        self, regions: Sequence[str], queries: Sequence[tuple[str, str]], start: datetime, end: datetime
    ) -> list[CloudTrailEvent]:
        found: list[CloudTrailEvent] = []
        for region in regions:
            for key, value in queries:
                found += self._query(region, key, value, start, end)
        return dedupe(e for e in found if _in_range(e, start, end))


def _default_cloudtrail_client(region: str) -> Any:
    import boto3
    import botocore.config

    return boto3.client(
        "cloudtrail",
        region_name=region,
        config=botocore.config.Config(retries={"mode": "adaptive", "max_attempts": 8}),
    )


def events_from_records(records: Sequence[dict[str, Any]], origin: str = "") -> list[CloudTrailEvent]:
    """Parse already-decoded records (e.g. from an EventBridge feed) without touching the disk."""
    return [parse_record(r, origin) for r in records if isinstance(r, dict)]


def event_source_from_spec(spec: str, *, regions: Sequence[str] = ()) -> EventSource:
    """An event source from a command-line style spec.

    `s3://bucket[/prefix]` -> S3LogSource; `lookup` or `lookup:us-east-1,eu-west-1` -> LookupEventsSource
    (regions from the spec, else `regions`, else boto3's configured region); anything else is a local
    directory of log files.
    """
    if spec.startswith("s3://"):
        bucket, _, prefix = spec[len("s3://") :].partition("/")
        if not bucket:
            raise InputError("no bucket in CloudTrail location", file=spec)
        return S3LogSource(bucket, prefix=prefix, regions=list(regions) or None)
    if spec == "lookup" or spec.startswith("lookup:"):
        chosen = [r for r in spec.partition(":")[2].split(",") if r] or list(regions)
        if not chosen:
            import boto3

            configured = boto3.session.Session().region_name
            if not configured:
                raise InputError(
                    "LookupEvents needs a region (lookup:<region>[,...] or AWS_REGION)", file=spec
                )
            chosen = [configured]
        return LookupEventsSource(chosen)
    return LocalDirectorySource(spec)
