"""One scan: read desired state, read live AWS concurrently, compare, and decide every resource's status.

Data flow: sources (tfstate) -> DesiredResource -> collectors (per type and region, in a thread pool)
-> ReadOutcome -> compare -> ResourceResult; discovery per type -> unmanaged; ignore rules last.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from driftdeck.core.attribution import attribute_report, event_source_from_spec
from driftdeck.core.aws import AwsContext, AwsUnreachableError, describe_failure, failure_cause
from driftdeck.core.compare.cloudformation import compare_cfn
from driftdeck.core.errors import DriftdeckError, InputError
from driftdeck.core.inputs.ignore import IgnoreRules, load_ignore_rules
from driftdeck.core.inputs.tfstate import (
    StateFile,
    find_s3_backends,
    find_state_files,
    read_s3_state,
    read_state_file,
    redact,
)
from driftdeck.core.live.collectors import Collector, all_collectors, collector_for
from driftdeck.core.live.collectors.base import ReadOutcome
from driftdeck.core.live.discovery.children import CHILD_CHECKS, child_findings
from driftdeck.core.live.discovery.listing import (
    UNMANAGED_REASON,
    discover_unmanaged,
    human_name,
    read_unmanaged,
)
from driftdeck.core.model import (
    DesiredResource,
    LiveResource,
    ResourceResult,
    ScanReport,
    SourceInfo,
    Status,
    UnknownCause,
    region_of,
)

if TYPE_CHECKING:
    from driftdeck.core.inputs.cfn.source import CloudFormationState
    from driftdeck.core.live.provider.session import ProviderSession

READERS = ("auto", "native", "provider")

Progress = Callable[[str], None]


@dataclass
class ScanOptions:
    """What to scan and how."""

    path: Path
    regions: Sequence[str] = ()  # empty: the region boto3's configuration selects
    ignore_file: Path | None = None  # default: PATH/.driftignore when it exists
    detect_unmanaged: bool = True
    # Unmanaged pieces inside managed resources (objects in a bucket, extra subscriptions...);
    # None: with `detect_unmanaged`. A targeted re-check keeps them on while discovering nothing
    # else, so a re-checked parent's findings are re-read rather than dropped.
    child_checks: bool | None = None
    max_workers: int = 16
    # Resource types to discover for unmanaged detection; empty = every discoverable collector.
    unmanaged_types: Sequence[str] = ()
    extra_states: list[StateFile] = field(default_factory=list)
    # CloudFormation: "auto" compares stacks matched to a template under PATH (or named in `stacks`)
    # and only uses the others' ownership; "all" compares every stack; "off" skips CloudFormation.
    cloudformation: str = "auto"
    stacks: Sequence[str] = ()
    # Evaluate the Terraform configuration beside each state: source positions and `pending`.
    evaluate_code: bool = True
    # Where to look for CloudTrail events to attribute drift: s3://bucket[/prefix], lookup[:regions], or a folder.
    cloudtrail: str | None = None
    # Who reads live state: "auto" (driftdeck's native collector where one exists, the workspace's
    # Terraform provider for every other type), "native" (native collectors only) or "provider".
    reader: str = "auto"
    # Extra folders to look for provider binaries in (before .terraform, caches and mirrors).
    provider_dirs: Sequence[Path] = ()
    # A long-lived ProviderSession (TUI, watch) kept warm across scans; None: one per scan.
    providers: ProviderSession | None = None
    provider_debug: bool = False  # copy the provider's log lines to stderr
    # Attribution: consider CloudTrail events from this time on (default: the state's own history).
    attribution_since: datetime | None = None
    # Targeted re-check (events): re-read only these resource keys (`ResourceResult.key`) and keep
    # `previous`'s verdicts for the rest. Unmanaged discovery then covers `unmanaged_types` only.
    recheck: frozenset[str] | None = None
    previous: ScanReport | None = None


@dataclass
class DesiredState:
    """Everything read from IaC for one scan."""

    states: list[StateFile]
    resources: list[DesiredResource]
    cloudformation: CloudFormationState | None = None
    # Live objects that a stack owns although none of its resources is compared (ownership only).
    extra_claims: set[tuple[str, str]] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    # Verdicts decided while reading (code-only resources that cannot be looked up live).
    decided: list[ResourceResult] = field(default_factory=list)
    code_only: str | None = None  # the configuration folder, when code is the only desired state

    @property
    def sources(self) -> list[SourceInfo]:
        out = [s.source_info() for s in self.states]
        if self.code_only:
            out.append(SourceInfo(kind="terraform", path=self.code_only, state=None))
        if self.cloudformation is not None:
            compared = {r.source.stack for r in self.resources if r.source.kind == "cloudformation"}
            out.extend(s for s, st in zip(self.cloudformation.sources(), self.cloudformation.stacks, strict=True)
                       if st.name in compared)
        return out


def load_desired_state(
    path: Path,
    ctx: AwsContext | None = None,
    *,
    cloudformation: str = "off",
    region: str | None = None,
    stacks: Sequence[str] = (),
    before_aws: Callable[[], None] | None = None,
) -> DesiredState:
    """Read every Terraform state under `path` (local files and declared S3 backends) and, unless
    `cloudformation` is "off", the region's CloudFormation stacks. InputError on bad input.
    `before_aws` runs once the local state files are read and before the first AWS call (the
    scan's reachability probe: a broken local file is reported first, an outage in seconds)."""
    if not path.exists():
        raise InputError("path does not exist", file=str(path))
    states = [read_state_file(p) for p in find_state_files(path)]
    if before_aws is not None:
        before_aws()
    backends = find_s3_backends(path)
    if backends:
        session = ctx.session if ctx else AwsContext().session
        states.extend(read_s3_state(b, session) for b in backends)
    desired = DesiredState(states=states, resources=[r for s in states for r in s.resources])
    if not states and _has_code(str(path)):
        context = ctx or AwsContext()
        from driftdeck.core.scan.code_side import (
            code_only_state,  # deferred: HCL evaluator, only for .tf code (bench/import_time.py)
        )

        found, decided, notes = code_only_state(path, context, region or context.default_region)
        desired.resources.extend(found)
        desired.decided.extend(decided)
        desired.warnings.extend(notes)
        desired.code_only = str(path)
    if cloudformation != "off" and (states or stacks or cloudformation == "all" or _has_templates(path)):
        _add_cloudformation(desired, path, ctx or AwsContext(), region, cloudformation, stacks)
    if not desired.resources and not desired.decided and not states:
        raise nothing_to_compare(path, cloudformation=cloudformation, notes=desired.warnings)
    return desired


def nothing_to_compare(path: Path | str, *, cloudformation: str = "auto", notes: Sequence[str] = ()) -> InputError:
    """The one message for a path with no desired state, whichever front end (scan, plan, the dashboard)
    or check (before or after reading) finds it."""
    looked = '*.tfstate files, .tf files (with or without a backend "s3" block)'
    looked += "" if cloudformation == "off" else " and CloudFormation templates matching a deployed stack"
    return InputError(
        f"no Terraform state, configuration or CloudFormation template found under {path}: looked for {looked}"
        + "".join(f"; {note}" for note in notes)
    )


def check_inputs(path: Path) -> None:
    """Validate what can be checked without AWS (state files, templates, presence of any desired
    state), so a front end can fail fast with the file and line before it opens."""
    if not path.exists():
        raise InputError("path does not exist", file=str(path))
    states = [read_state_file(p) for p in find_state_files(path)]
    has_code = _has_code(str(path))
    if path.is_dir():
        from driftdeck.core.inputs.cfn import (  # deferred: CloudFormation loader, not to import the engine (bench/import_time.py)
            find_templates,
            load_template,
        )

        templates = find_templates(path)
        for template in templates:
            load_template(template)
    else:
        templates = []
    if not states and not has_code and not templates and not find_s3_backends(path):
        raise nothing_to_compare(path)


def _has_code(folder: str | None) -> bool:
    if not folder:
        return False
    root = Path(folder)
    return root.is_dir() and (any(root.glob("*.tf")) or any(root.glob("*.tf.json")))


def _has_templates(path: Path) -> bool:
    from driftdeck.core.inputs.cfn import (
        find_templates,  # deferred: CloudFormation loader, not to import the engine (bench/import_time.py)
    )

    return bool(find_templates(path))


def _add_cloudformation(
    desired: DesiredState, path: Path, ctx: AwsContext, region: str | None, mode: str, stacks: Sequence[str]
) -> None:
    from driftdeck.core.inputs.cfn import (  # deferred: CloudFormation loader, not to import the engine (bench/import_time.py)
        find_double_ownership,
        load_cloudformation_state,
    )
    from driftdeck.core.inputs.cfn.ownership import (
        stack_service_claims,  # deferred: CloudFormation loader, not to import the engine (bench/import_time.py)
    )

    region = region or ctx.default_region
    try:
        cfn = load_cloudformation_state(path, ctx, region, stack_names=list(stacks) or None)
    except InputError:
        raise  # a malformed template under PATH is the operator's to fix
    except Exception as exc:  # noqa: BLE001 - no CloudFormation access: say so, scan the rest
        desired.warnings.append(
            f"CloudFormation stacks could not be read ({describe_failure(exc)}): resources they own may show as unmanaged"
        )
        return
    desired.cloudformation = cfn
    desired.warnings.extend(cfn.warnings)
    compared_roots = {s.name for s in cfn.matches.values()}
    by_name = {s.name: s for s in cfn.stacks}

    def compared(resource: DesiredResource) -> bool:
        if mode == "all" or stacks:
            return True
        stack = by_name.get(resource.source.stack or "")
        return stack is not None and (stack.name in compared_roots or (stack.root or "") in compared_roots)

    chosen = [r for r in cfn.resources if compared(r)]
    desired.resources.extend(chosen)
    desired.extra_claims = set(cfn.claims())  # normalised identities (ownership.identity)
    desired.extra_claims |= stack_service_claims(cfn.stacks)  # every other type, for discovery/
    for finding in find_double_ownership(desired.resources, cfn.stacks):
        desired.warnings.append(
            f"double ownership: {finding.type} {finding.id} is managed by {finding.terraform_address} "
            f"and by stack {finding.stack} ({finding.logical_id})"
        )


def compare_resource(collector: Collector, resource: DesiredResource, outcome: ReadOutcome) -> ResourceResult:
    """The verdict for one managed resource given what the collector read."""
    sensitive = resource.sensitive_paths | outcome.sensitive_paths
    expected = redact(outcome.prior if outcome.prior is not None else resource.attributes, sensitive)
    result = ResourceResult(
        address=resource.address,
        type=resource.type,
        id=resource.id,
        status=Status.UNKNOWN,
        source=resource.source,
        expected=expected,
        arn=resource.attributes.get("arn") if isinstance(resource.attributes.get("arn"), str) else None,
        reader=outcome.reader or ("cloudformation" if resource.source.kind == "cloudformation" else "native"),
        provider=outcome.provider,
    )
    if resource.reason is not None:
        result.reason = resource.reason  # the desired side could not be evaluated: never drift
        return result
    if outcome.error is not None:
        result.reason = outcome.error
        result.cause = outcome.cause
        return result
    if outcome.live is None:
        result.status = Status.MISSING
        result.reason = "not found in AWS"
        return result
    live = outcome.live
    result.live = redact(live.attributes, sensitive)
    result.region = live.region
    result.arn = result.arn or live.arn
    if resource.source.kind == "cloudformation":
        result.differences = compare_cfn(resource, live.attributes)
        result.status = Status.CHANGED if result.differences else Status.IN_SYNC
        return result
    result.differences = collector.compare(resource, outcome, resource.sensitive_paths)
    result.status = Status.CHANGED if result.differences else Status.IN_SYNC
    return result


def run_scan(options: ScanOptions, *, ctx: AwsContext | None = None, progress: Progress | None = None) -> ScanReport:
    """Scan `options.path` against AWS and return the report. Raises InputError on unusable input."""
    if options.reader not in READERS:
        raise InputError(f"unknown reader {options.reader!r}: choose one of {', '.join(READERS)}")
    ctx = ctx or AwsContext()
    if options.providers is not None or options.reader == "native":
        return _run_scan(options, ctx, progress, options.providers)
    from driftdeck.core.live.provider.session import (
        ProviderSession,  # deferred: provider session, not for --reader native (bench/import_time.py)
    )

    with ProviderSession(explicit_dirs=options.provider_dirs, debug=options.provider_debug) as session:  # this scan's alone
        return _run_scan(options, ctx, progress, session)


def _run_scan(
    options: ScanOptions, ctx: AwsContext, progress: Progress | None, session: ProviderSession | None
) -> ScanReport:
    started = time.monotonic()
    ctx.begin_scan()
    if options.regions and ctx.fallback_region is None:
        ctx.fallback_region = options.regions[0]
    note = progress or (lambda _msg: None)
    desired = load_desired_state(
        options.path, ctx, cloudformation=options.cloudformation,
        region=options.regions[0] if options.regions else None, stacks=options.stacks,
        before_aws=ctx.ensure_reachable,  # seconds, not every call's retries, to learn that AWS cannot be reached
    )
    default_region = options.regions[0] if options.regions else ctx.default_region
    regions = list(options.regions) or [default_region]
    desired.states.extend(options.extra_states)
    desired.resources.extend(r for s in options.extra_states for r in s.resources)
    every_desired = list(desired.resources)
    if options.recheck is not None:
        desired.resources = [r for r in desired.resources if r.address in options.recheck]
        desired.decided = [r for r in desired.decided if r.key in options.recheck]
    if options.ignore_file is not None and not options.ignore_file.is_file():
        raise InputError("ignore file not found (a typo here would silently disable every rule)", file=str(options.ignore_file))
    ignore_path = options.ignore_file or (options.path / ".driftignore" if options.path.is_dir() else None)
    rules = load_ignore_rules(ignore_path) if ignore_path and ignore_path.exists() else IgnoreRules.empty()
    note(f"read {len(desired.resources)} resources from {len(desired.sources)} source(s)")
    if session is not None:
        session.begin_scan()
        ctx.providers = session
        ctx.workspaces = {s.origin: s.config_dir for s in desired.states if s.config_dir}
    events_before = len(session.events) if session is not None else 0
    results = scan_resources(desired.resources, ctx, default_region, options, regions, note, desired.extra_claims,
                             claimed_by=every_desired if options.recheck is not None else None)
    results.extend(desired.decided)
    _raise_if_scan_could_not_run(results)
    if options.evaluate_code and any(_has_code(s.config_dir) for s in desired.states):
        from driftdeck.core.scan.code_side import (
            apply_code,  # deferred: HCL evaluator, only for .tf code (bench/import_time.py)
        )

        results = apply_code(desired.states, results, desired.warnings, ctx, default_region)
    report = ScanReport(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        duration_ms=0,
        sources=desired.sources,
        resources=results,
        regions=regions,
    )
    report.warnings.extend(desired.warnings)
    report.providers = sorted({r.provider for r in results if r.provider})
    if session is not None:
        report.warnings.extend(e.message for e in session.events[events_before:])
    other = sum(s.other_provider_count for s in desired.states)
    if other:
        report.warnings.append(f"{other} resource(s) of non-AWS providers are out of scope and were not checked")
    if options.recheck is not None and options.previous is not None:
        report.resources = merge_rechecked(options.previous.resources, report.resources, options.recheck,
                                           set(options.unmanaged_types) if options.detect_unmanaged else set())
    rules.apply(report)
    if options.cloudtrail:
        workspace = options.path if options.path.is_dir() else options.path.parent
        attribute(report, options.cloudtrail, regions, desired.states, since=options.attribution_since,
                  workspace=workspace)
    report.duration_ms = int((time.monotonic() - started) * 1000)
    return report


def merge_rechecked(previous: Sequence[ResourceResult], fresh: Sequence[ResourceResult], rechecked: frozenset[str],
                    rediscovered: set[str]) -> list[ResourceResult]:
    """The full verdict list after a targeted re-check: `fresh` verdicts for the `rechecked` keys,
    their sub-resource findings and the unmanaged objects of the `rediscovered` types; `previous`
    verdicts for everything else (in their previous order, new findings last)."""
    def replaced(r: ResourceResult) -> bool:
        return (r.key in rechecked or (r.parent is not None and r.parent in rechecked)
                or (r.address is None and r.parent is None and r.type in rediscovered))

    by_key = {r.key: r for r in fresh}
    out: list[ResourceResult] = []
    for old in previous:
        if not replaced(old):
            out.append(old)
        elif old.key in by_key:
            out.append(by_key.pop(old.key))
    out.extend(r for r in fresh if r.key in by_key)
    return out


class ProviderUnusableError(DriftdeckError):
    """Every resource the provider was to read failed on its configuration and nothing else could
    be read: the scan as configured cannot run (exit 2), rather than a report of unknowns."""


_COULD_NOT_RUN: dict[UnknownCause, type[DriftdeckError]] = {
    UnknownCause.AWS_UNREACHABLE: AwsUnreachableError,
    UnknownCause.PROVIDER_UNUSABLE: ProviderUnusableError,
}


def _raise_if_scan_could_not_run(results: Sequence[ResourceResult]) -> None:
    """Exit 2 rather than report unknowns when every read the scan attempted failed for one reason
    that is about the scan, not the resource (AWS unreachable, a provider rejecting its configuration).
    Rows nobody tried to read (unsupported types) neither prove nor disprove that the scan ran."""
    attempted = [r for r in results if r.cause is not UnknownCause.NOT_CHECKED]
    if not attempted or any(r.status is not Status.UNKNOWN for r in attempted):
        return
    causes = {r.cause for r in attempted}
    if len(causes) != 1:
        return
    cause = causes.pop()
    error = _COULD_NOT_RUN.get(cause) if cause is not None else None
    if error is None:
        return
    reasons = sorted({r.reason or "" for r in attempted})
    raise error(reasons[0] + (f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""))


def attribute(report: ScanReport, spec: str, regions: Sequence[str], states: Sequence[StateFile], *,
              since: datetime | None = None, workspace: Path | None = None) -> None:
    """Link drift to CloudTrail events written since the states were last written (or `since`),
    and say in a warning where that start came from."""
    start, how = attribution_window(states, since=since, workspace=workspace)
    source = event_source_from_spec(spec, regions=regions)
    report.attribution_matches = attribute_report(report, source, window_start=start)
    if start is not None:
        report.warnings.append(f"attribution considered CloudTrail events since {start:%Y-%m-%dT%H:%M:%SZ}, from {how}")


def attribution_window(states: Sequence[StateFile], *, since: datetime | None = None,
                       workspace: Path | None = None) -> tuple[datetime | None, str]:
    """Where attribution starts and why: `since` when given; else, per state, the last scan in the
    workspace's audit log that still saw an older serial of its lineage (the state was written
    after it); else the state's own write time (S3 last-modified, or the file's mtime, which a copy
    resets). The earliest start over all states wins, so no state's drift is left unattributed."""
    if since is not None:
        return since.astimezone(UTC), "--since"
    history = _serials_seen(workspace) if workspace is not None else []
    starts: list[tuple[datetime, str]] = []
    for state in states:
        older = [seen for seen, lineage, serial in history
                 if state.lineage is not None and lineage == state.lineage and state.serial is not None
                 and serial is not None and serial < state.serial]
        if older:
            starts.append((max(older), f"the audit log (serial {state.serial} of {state.origin} was not yet "
                                        f"written at the scan of {max(older):%Y-%m-%dT%H:%M:%SZ})"))
        elif state.written_at:
            written = datetime.strptime(state.written_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            starts.append((written, state.written_from + f" of {state.origin}; --since sets it explicitly"))
    if not starts:
        return None, "no history"
    return min(starts, key=lambda item: item[0])


def _serials_seen(workspace: Path) -> list[tuple[datetime, str | None, int | None]]:
    """(scan time, lineage, serial) of every state source in the workspace's recorded scans."""
    from driftdeck.core.audit import (
        AuditReader,  # deferred: audit reader, only for attribution (bench/import_time.py)
    )

    try:
        reader = AuditReader.for_workspace(workspace)
        entries = list(reader.iter_entries(kinds={"scan.completed"}))
    except Exception:  # noqa: BLE001 - no log (or an unreadable one): no history to use
        return []
    out: list[tuple[datetime, str | None, int | None]] = []
    for entry in entries:
        try:
            seen = datetime.strptime(str(entry.data.get("generated_at")), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            continue
        for source in entry.data.get("sources") or []:
            if isinstance(source, dict):
                serial = source.get("serial")
                out.append((seen, source.get("lineage"), serial if isinstance(serial, int) else None))
    return out


def scan_resources(
    resources: Sequence[DesiredResource],
    ctx: AwsContext,
    default_region: str,
    options: ScanOptions,
    regions: Sequence[str],
    note: Progress,
    extra_claims: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
    claimed_by: Sequence[DesiredResource] | None = None,
) -> list[ResourceResult]:
    """Read and compare `resources`, then detect unmanaged objects, all AWS calls in one pool.
    `claimed_by` (default `resources`): every desired resource, whose ids are never unmanaged."""
    # Collectors read Terraform-named attributes; CloudFormation resources are shown to them through
    # a Terraform view of their template properties, and compared in CloudFormation terms afterwards.
    views = {id(r): _terraform_view(r) for r in resources}
    every = list(views.values()) if claimed_by is None else [_terraform_view(r) for r in claimed_by]
    ctx.desired = tuple(every)
    groups: dict[tuple[str, str], list[DesiredResource]] = defaultdict(list)
    readers: dict[str, Collector] = {}
    results: list[ResourceResult] = []
    for res in resources:
        reader = choose_reader(res, options.reader, ctx.providers is not None)
        if reader is None:
            results.append(
                ResourceResult(
                    address=res.address, type=res.type, id=res.id, status=Status.UNKNOWN, source=res.source,
                    reason=f"unsupported resource type {res.type}: not checked"
                    + (" (no native collector; provider reads are off: --reader auto)" if options.reader == "native"
                       and res.source.kind == "terraform" else ""),
                    expected=redact(res.attributes, res.sensitive_paths),
                    cause=UnknownCause.NOT_CHECKED,
                )
            )
            continue
        readers[_reader_key(reader)] = reader
        groups[(_reader_key(reader), region_of(res, default_region))].append(res)

    collectors = all_collectors()
    discover_types = [
        t for t, c in collectors.items()
        if c.discoverable and (not options.unmanaged_types or t in options.unmanaged_types)
    ] if options.detect_unmanaged else []

    children = options.detect_unmanaged if options.child_checks is None else options.child_checks
    with ThreadPoolExecutor(max_workers=options.max_workers, thread_name_prefix="driftdeck-scan") as pool:
        reads: dict[tuple[str, str], Future[list[ReadOutcome]]] = {
            key: pool.submit(_read_group, readers[key[0]], ctx, key[1], [views[id(r)] for r in group])
            for key, group in groups.items()
        }
        discoveries: dict[tuple[str, str], Future[list[LiveResource]]] = {
            (t, region): pool.submit(collectors[t].discover, ctx, region) for t in discover_types for region in regions
        }
        # Every other type of the discovery table, by ARN (the native types are discovered above).
        table_jobs = [
            pool.submit(discover_unmanaged, ctx, region, first_region=region == regions[0],
                        skip_types=_natively_discovered(collectors), extra_claims=extra_claims,
                        wanted=options.unmanaged_types)
            for region in regions
        ] if options.detect_unmanaged else []
        sub_jobs: list[Future[list[ResourceResult]]] = []
        for (reader_key, region), future in reads.items():
            collector = readers[reader_key]
            outcomes = future.result()
            for res, outcome in zip(groups[(reader_key, region)], outcomes, strict=True):
                results.append(compare_resource(collector, res, outcome))
                if outcome.live is not None and outcome.reader != "provider":
                    sub_jobs.append(pool.submit(collector.sub_resource_findings, ctx, region, views[id(res)], outcome.live))
                if outcome.live is not None and children and res.type in CHILD_CHECKS:
                    sub_jobs.append(pool.submit(child_findings, ctx, region, views[id(res)]))
        note(f"compared {len(results)} managed resources")
        results.extend(_unmanaged(discoveries, collectors, every, extra_claims))
        for table_job in table_jobs:
            found = table_job.result()  # listing failures come back as `unknown` findings
            read_unmanaged(ctx, found)  # after the managed reads: see read_unmanaged
            results.extend(found)
        for job in sub_jobs:
            try:
                results.extend(job.result())
            except Exception as exc:  # noqa: BLE001 - a failed extra check must not hide the main verdicts
                note(f"sub-resource check failed: {describe_failure(exc)}")
    for result in results:
        if result.status is Status.UNMANAGED and not result.name:
            result.name = human_name(result.live, result.id)  # a queue URL or sg-... id alone names nothing
    return results


def _natively_discovered(collectors: dict[str, Collector]) -> frozenset[str]:
    return frozenset(t for t, c in collectors.items() if c.discoverable)


def choose_reader(resource: DesiredResource, mode: str, provider_reads: bool) -> Collector | None:
    """Who reads `resource`: its native collector, or (for Terraform state instances) the
    workspace's provider. None: nobody can (an unsupported type under `--reader native`, or a
    CloudFormation resource of a type without a native collector)."""
    native = collector_for(resource.type)
    by_provider = provider_reads and resource.source.kind == "terraform" and resource.source.state is not None
    if mode == "native" or not by_provider:
        return native
    if mode == "auto" and native is not None:
        return native
    from driftdeck.core.live.collectors.provider_backed import (
        ProviderCollector,  # deferred: provider session, only for provider reads (bench/import_time.py)
    )

    return ProviderCollector(resource.type)


def _reader_key(collector: Collector) -> str:
    return f"{collector.reader_name}:{collector.resource_type}"


def _terraform_view(resource: DesiredResource) -> DesiredResource:
    if resource.source.kind != "cloudformation":
        return resource
    from driftdeck.core.inputs.cfn import (
        terraform_view,  # deferred: CloudFormation loader, not to import the engine (bench/import_time.py)
    )

    return replace(resource, attributes=terraform_view(resource))


def _read_group(collector: Collector, ctx: AwsContext, region: str, group: list[DesiredResource]) -> list[ReadOutcome]:
    try:
        outcomes = collector.read(ctx, region, group)
    except Exception as exc:  # noqa: BLE001 - any failure is an honest `unknown`, never in_sync/missing
        return [ReadOutcome.failed_on(exc) for _ in group]
    if len(outcomes) != len(group):
        return [ReadOutcome.failed(f"collector for {collector.resource_type} returned a wrong number of results")] * len(group)
    return outcomes


def _unmanaged(
    discoveries: dict[tuple[str, str], Future[list[LiveResource]]],
    collectors: dict[str, Collector],
    resources: Sequence[DesiredResource],
    extra_claims: set[tuple[str, str]],
) -> list[ResourceResult]:
    from driftdeck.core.inputs.cfn.ownership import (
        identity,  # deferred: CloudFormation loader, not to import the engine (bench/import_time.py)
    )

    claimed: dict[str, set[str]] = defaultdict(set)
    for res in resources:
        collector = collectors.get(res.type)
        if collector is not None:
            claimed[res.type].add(collector.live_id(res))
    out: list[ResourceResult] = []
    for (rtype, region), future in discoveries.items():
        collector = collectors[rtype]
        try:
            lives = future.result()
        except Exception as exc:  # noqa: BLE001
            out.append(
                ResourceResult(
                    address=None, type=rtype, id=f"*@{region}", status=Status.UNKNOWN, source=None, region=region,
                    reason=f"unmanaged detection failed: {describe_failure(exc)}", cause=failure_cause(exc),
                )
            )
            continue
        for live in lives:
            if live.id in claimed[rtype] or collector.is_aws_default(live) or identity(rtype, live.id) in extra_claims:
                continue
            out.append(
                ResourceResult(
                    address=None, type=rtype, id=live.id, status=Status.UNMANAGED, source=None,
                    live=live.attributes, arn=live.arn, region=live.region or region,
                    reason=UNMANAGED_REASON,
                )
            )
    return out
