"""The unattended loop behind `driftdeck watch`: poll, watch IaC files, alert on transitions, record.

It survives AWS outages (a failed poll is logged and retried with backoff; resources that cannot be
read are `unknown`, which never reads as resolution), wakes early when an IaC file changes, reloads
its configuration when the file changes (keeping the previous one when the new one is invalid),
and stops cleanly when `stop` is set (the command sets it on SIGTERM/SIGINT): an in-flight scan may
finish within `stop_grace_seconds`, then the recorder is closed (the audit log's final checkpoint).

Both front ends drive this one object: `driftdeck watch` calls `run` (headless, its own timing and
file watcher); the TUI calls `poll_once` and `file_changed` from its workers (its own interval,
pause and scan-now key) and turns the `on_scan` callback into a message.
"""

from __future__ import annotations

import fnmatch
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from driftdeck.core.audit.subject import subject_of
from driftdeck.core.errors import DriftdeckError, InputError
from driftdeck.core.model import ResourceResult, ScanReport, Status
from driftdeck.core.monitor.alerts import DeliveryAttempt, Dispatcher, Sink, alert_payload, event_payload
from driftdeck.core.monitor.auto_remediation import AutoRemediationOutcome
from driftdeck.core.monitor.iac_files import FileChange, IacContentCache, is_iac
from driftdeck.core.monitor.plans import PlanWriter
from driftdeck.core.resource_types.projections import parent_type
from driftdeck.core.settings import AutoRemediationRule, Config, redact_urls
from driftdeck.core.transitions import Transition, TransitionKind, carry_forward, transitions


class Recorder(Protocol):
    """Where the loop writes its evidence (the audit log in production)."""

    def scan(self, report: ScanReport) -> None: ...
    def event(self, kind: str, subject: dict[str, Any], data: dict[str, Any],
              before: Any = None, after: Any = None) -> None: ...
    def integrity(self) -> str | None: ...  # a description of a broken chain, None when it verifies
    def close(self) -> None: ...


class StructuredLog:
    """One JSON object per line on stderr: machine-readable, never containing secrets."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def __call__(self, event: str, level: str = "info", **fields: Any) -> None:
        line = {"ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "level": level, "event": event, **fields}
        with self._lock:
            self.stream.write(json.dumps(line, default=str) + "\n")
            self.stream.flush()


def _tag_table(attributes: dict[str, Any] | None) -> dict[str, str] | None:
    for name in ("tags_all", "tags"):
        value = (attributes or {}).get(name)
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
    return None


class TagIndex:
    """The tags a rule's `tags` are matched against: the resource's own, in state or live; for an S3
    bucket sub-resource (public access block, versioning, policy...), its bucket's."""

    def __init__(self, results: Sequence[ResourceResult]) -> None:
        self._buckets: dict[str, ResourceResult] = {}
        for r in results:
            if r.type == "aws_s3_bucket":
                self._buckets[str((r.expected or r.live or {}).get("bucket") or r.id)] = r

    def tag_sets(self, result: ResourceResult) -> list[dict[str, str]]:
        owner = result
        if parent_type(result.type) == "aws_s3_bucket":
            name = (result.expected or {}).get("bucket") or (result.live or {}).get("bucket") or result.id
            owner = self._buckets.get(str(name), result)
        return [t for t in (_tag_table(owner.expected), _tag_table(owner.live)) if t is not None]


def rule_matches(rule: AutoRemediationRule, result: ResourceResult, tags: TagIndex | None = None) -> list[str]:
    """Attribute paths of `result` that `rule` covers (empty: the rule does not fire)."""
    if not fnmatch.fnmatchcase(result.type, rule.type):
        return []
    if rule.tags:
        sets = (tags or TagIndex([result])).tag_sets(result)
        if not any(all(k in t and fnmatch.fnmatchcase(t[k], pattern) for k, pattern in rule.tags) for t in sets):
            return []
    if not fnmatch.fnmatchcase(result.address or f"{result.type}.{result.id}", rule.address):
        return []
    actors = [n for a in result.attribution for n in (a.actor, a.actor_arn) if n] or [""]
    if rule.actor != "*" and not any(fnmatch.fnmatchcase(a, rule.actor) for a in actors):
        return []
    return [d.path for d in result.differences if fnmatch.fnmatchcase(d.path, rule.attribute)]


def redacted(change: FileChange) -> FileChange:
    """A configuration file change with webhook URLs cut to their host (see `redact_urls`)."""
    def cut(text: str | None) -> str | None:
        return None if text is None else redact_urls(text)

    return replace(change, before=cut(change.before), after=cut(change.after), diff=redact_urls(change.diff))


Remediate = Callable[[ResourceResult, AutoRemediationRule, list[str]], AutoRemediationOutcome]


@dataclass(frozen=True)
class PollResult:
    """One poll as the loop saw it: the report, what changed since the previous one, how long the scan took."""

    report: ScanReport
    transitions: list[Transition]
    scan_seconds: float


@dataclass
class MonitorLoop:
    """The one monitor both front ends drive: poll (scan, transitions, recording with attribution
    evidence, alerts, plans, auto-remediation) and IaC file changes (one recorder, one digest and
    redaction policy). `driftdeck watch` calls `run`; the TUI calls `poll_once` and `file_changed`
    from its workers and turns `on_scan` into a message."""

    scan: Callable[[], ScanReport]
    config: Config
    dispatcher: Dispatcher
    recorder: Recorder | None
    log: Callable[..., None]
    workspace: str
    watch_paths: Sequence[Path] = ()
    # Applies a tested revert for (result, rule, paths). None: auto-remediation off (rules only log).
    remediate: Remediate | None = None
    # Re-reads the configuration after its file changed; InputError keeps the current one.
    config_loader: Callable[[], Config] | None = None
    config_files: Sequence[Path] = ()
    # Writes a remediation plan for new drift so the alert can link to it. None: no plans.
    write_plan: PlanWriter | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)
    # Set once the file watcher is running: edits made from then on are seen (tests wait on it).
    watching: threading.Event = field(default_factory=threading.Event)
    max_backoff: float = 600.0
    baseline: list[ResourceResult] | None = None
    failures: int = 0
    polls: int = 0
    reloads: int = 0
    cache: IacContentCache | None = None
    # Told about every poll once it is recorded (before alerts go out); the TUI posts it as a message.
    on_scan: Callable[[PollResult], None] | None = None
    _audit_broken: str | None = None
    _seeded: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._config_keys = {p.resolve() for p in self.config_files}
        if self.cache is None and self.watch_paths:
            self.cache = IacContentCache(Path(self.watch_paths[0]))
        self._close_lock = threading.Lock()
        self._closed = False
        # One poll at a time: the baseline is read and replaced by each (the TUI may start a scan
        # while an older one still runs).
        self._poll_lock = threading.Lock()

    def seed(self, statuses: dict[str, str]) -> None:
        """Start from the drift statuses recorded earlier ({key: status}), e.g. by the audit log, so
        drift that was already known (and alerted) before a restart does not alert again."""
        self.baseline = [ResourceResult(address=key, type="", id="", status=Status(status), source=None)
                         for key, status in statuses.items() if status in {s.value for s in Status}]
        self._seeded = {r.key for r in self.baseline}

    # ------------------------------------------------------------------ one poll
    def poll_once(self) -> list[Transition]:
        """One scan; records it (with attribution evidence), then alerts on what changed since the
        previous one. Scan errors propagate (`run` backs off; the TUI shows them)."""
        with self._poll_lock:
            return self._poll()

    def _poll(self) -> list[Transition]:
        config = self.config  # one configuration for the whole poll, even if a reload lands meanwhile
        self.log("scan.started", poll=self.polls + 1)
        started = time.monotonic()
        report = self.scan()
        scan_seconds = time.monotonic() - started
        if self.stop.is_set() and self._closed:
            return []  # abandoned after the stop grace period: the log is already closed
        self.polls += 1
        found = transitions(self.baseline, report.resources)
        if self._seeded:
            # A seeded verdict carries its status, not its differences: same status is not news.
            found = [t for t in found if not (t.key in self._seeded and t.kind is TransitionKind.DRIFT_CHANGED
                                                and t.before == t.after)]
            self._seeded -= {r.key for r in report.resources if r.status is not Status.UNKNOWN}
        self.baseline = carry_forward(self.baseline, report.resources)
        self._record(lambda r: r.scan(report))
        if self.on_scan is not None:
            self.on_scan(PollResult(report, found, scan_seconds))
        summary = report.summary()
        self.log("scan.completed", total=summary["total"], drifted=sum(summary[k] for k in ("changed", "missing", "unmanaged", "pending")),
                 unknown=summary["unknown"], transitions=len(found), duration_ms=report.duration_ms)
        tag_index = TagIndex(report.resources)
        for transition in found:
            self.log(transition.kind.value, level="warning" if transition.kind is not TransitionKind.RESOLVED else "info",
                     resource=transition.key, before=transition.before, after=transition.after)
            payload = alert_payload(transition, workspace=self.workspace, plan_path=self._plan(transition))
            self._deliver(transition.key, transition.result, transition.kind.value,
                          self.dispatcher.dispatch(transition, payload))
            if transition.result is not None and transition.kind in (TransitionKind.NEW_DRIFT, TransitionKind.DRIFT_CHANGED):
                self._auto_remediate(transition.result, config, tag_index)
        self._check_audit()
        return found

    def _plan(self, transition: Transition) -> str | None:
        """Write the plan for new drift (recorded as `remediation.planned`); its path, or None."""
        result = transition.result
        if self.write_plan is None or result is None or transition.kind is TransitionKind.RESOLVED:
            return None
        try:
            written = self.write_plan(result)
        except Exception as exc:  # noqa: BLE001 - an alert without a plan link still goes out
            self.log("plan.failed", level="warning", resource=transition.key, error=f"{type(exc).__name__}: {exc}")
            return None
        if written is None:
            return None
        self.log("plan.written", resource=transition.key, plan=written.path)
        self._record(lambda r: r.event("remediation.planned", subject_of(transition.key, result), written.data))
        return written.path

    def _record(self, action: Callable[[Recorder], None]) -> None:
        """Write to the recorder; a failure is logged and never stops alerting."""
        if self.recorder is None:
            return
        try:
            action(self.recorder)
        except Exception as exc:  # noqa: BLE001 - evidence problems are reported, the watch goes on
            self.log("audit.failed", level="error", error=f"{type(exc).__name__}: {exc}")

    def _deliver(self, key: str, result: ResourceResult | None, alert: str, attempts: list[DeliveryAttempt]) -> None:
        for attempt in attempts:
            self.log("alert.delivery", level="info" if attempt.ok else "warning", sink=attempt.sink,
                     resource=key, attempt=attempt.attempt, ok=attempt.ok, detail=attempt.detail)
            self._record_delivery(key, result, alert, attempt)

    def _record_delivery(self, key: str, result: ResourceResult | None, alert: str, attempt: DeliveryAttempt) -> None:
        data = {"sink": attempt.sink, "attempt": attempt.attempt, "ok": attempt.ok, "detail": attempt.detail,
                "alert": alert, "key": key, "fingerprint": attempt.fingerprint}
        self._record(lambda r: r.event("alert.delivery", subject_of(key, result), data))

    def _auto_remediate(self, result: ResourceResult, config: Config, tags: TagIndex) -> None:
        for rule in config.auto_remediation:
            paths = rule_matches(rule, result, tags)
            if not paths:
                continue
            if rule.dry_run or self.remediate is None:
                self.log("auto_remediation.would_fire", rule=rule.name, resource=result.key, paths=paths,
                         reason="dry run" if rule.dry_run else "auto-remediation is off")
                continue
            outcome = self.remediate(result, rule, paths)
            if not outcome.acted:
                self.log("auto_remediation.refused", level="warning", rule=rule.name, resource=result.key,
                         paths=paths, reason=outcome.detail)
                continue
            self._remediated(result, rule, paths, outcome)
            return  # one revert per transition: the next poll shows what is left

    def _remediated(self, result: ResourceResult, rule: AutoRemediationRule, paths: list[str],
                    outcome: AutoRemediationOutcome) -> None:
        ok = outcome.status == "applied"
        kind = "remediation.applied" if ok else "remediation.failed"
        self.log(f"auto_remediation.{outcome.status}", level="warning" if ok else "error", rule=rule.name,
                 resource=result.key, paths=paths, detail=outcome.detail)
        data = {"trigger": "auto_remediation", "rule": rule.name, "paths": paths, "outcome": outcome.status,
                "detail": outcome.detail, "calls": outcome.calls, "key": result.key}
        self._record(lambda r: r.event(kind, subject_of(result.key, result), data, outcome.before, outcome.after))
        payload = event_payload(kind, result.key, workspace=self.workspace, before=result.status.value,
                                after=(outcome.after or {}).get("status"), type=result.type, id=result.id,
                                rule=rule.name, paths=paths, detail=outcome.detail,
                                differences=(outcome.before or {}).get("differences", []),
                                who=[a.to_json() for a in result.attribution[:3]])
        fingerprint = f"{kind}|{result.key}|{rule.name}|{','.join(paths)}|{self.polls}"
        self._deliver(result.key, result, kind, self.dispatcher.notify(result.key, kind, fingerprint, payload))

    def _check_audit(self) -> None:
        """Alert once when the audit chain stops verifying (and once more when it is whole again)."""
        if self.recorder is None:
            return
        try:
            problem = self.recorder.integrity()
        except Exception as exc:  # noqa: BLE001
            problem = f"cannot verify: {type(exc).__name__}: {exc}"
        if problem == self._audit_broken:
            return
        self._audit_broken = problem
        event = "audit.chain_failed" if problem else "audit.chain_verified"
        self.log(event, level="error" if problem else "info", detail=problem)
        if problem is None:
            return
        payload = event_payload(event, "audit-log", workspace=self.workspace, before="verified", after="tampered",
                                detail=problem)
        self._deliver("audit-log", None, event, self.dispatcher.notify("audit-log", event, f"{event}|{problem}", payload))

    # ------------------------------------------------------------------ the loop
    def run(self) -> int:
        """Poll until stopped. Returns the process exit code (0 after a clean stop)."""
        if self.cache is not None:
            self.cache.load()
        for path in self.config_files:
            if self.cache is not None:
                self.cache.track(path)
        watcher = threading.Thread(target=self._watch_files, name="driftdeck-watchfiles", daemon=True)
        if self.watch_paths:
            watcher.start()
        self.log("watch.started", interval_seconds=self.config.interval_seconds, workspace=self.workspace,
                 sinks=len(self.config.sinks), rules=len(self.config.auto_remediation))
        while not self.stop.is_set():
            delay = self.config.interval_seconds
            self.wake.clear()
            error = self._poll_in_thread()
            if error is not None:
                self.failures += 1
                delay = min(self.max_backoff, self.config.interval_seconds * 2 ** min(self.failures, 10))
                self.log("scan.failed", level="error", error=error, retry_in_seconds=delay)
            elif not self.stop.is_set():
                self.failures = 0
            deadline = time.monotonic() + delay
            while not self.stop.is_set() and not self.wake.is_set() and time.monotonic() < deadline:
                self.wake.wait(min(0.5, max(0.0, deadline - time.monotonic())))
        self.log("watch.stopping", polls=self.polls)
        self.close()
        return 0

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._record(lambda r: r.close())

    def _poll_in_thread(self) -> str | None:
        """Run one poll in a worker so a stop request is answered even while AWS is slow."""
        outcome: dict[str, str | None] = {"error": None}
        done = threading.Event()

        def work() -> None:
            try:
                self.poll_once()
            except DriftdeckError as exc:
                outcome["error"] = str(exc)
            except Exception as exc:  # noqa: BLE001 - an outage must not end the watch
                outcome["error"] = f"{type(exc).__name__}: {exc}"
            finally:
                done.set()

        worker = threading.Thread(target=work, name="driftdeck-poll", daemon=True)
        worker.start()
        while not done.wait(0.2):
            if self.stop.is_set():
                grace = self.config.stop_grace_seconds
                self.log("watch.stop_requested", level="info", waiting_for_scan_seconds=grace)
                if not done.wait(grace):
                    self.log("scan.abandoned", level="warning", reason="stop requested; the scan did not finish in time")
                    return None
                break
        return outcome["error"]

    # ------------------------------------------------------------------ files
    def _relevant(self, path: str) -> bool:
        p = Path(path)
        return p.resolve() in self._config_keys or is_iac(p)

    def _watch_files(self) -> None:
        import watchfiles

        def keep(_change: watchfiles.Change, path: str) -> bool:
            return self._relevant(path)

        roots = {Path(p) for p in self.watch_paths} | {p.parent for p in self.config_files if p.parent.is_dir()}
        for changes in watchfiles.watch(*sorted(roots), watch_filter=keep, stop_event=self.stop, debounce=400,
                                        rust_timeout=500, yield_on_timeout=True):
            self.watching.set()  # the first yield (a timeout's empty set, or changes) proves it is watching
            if not changes:
                continue
            for path in sorted({p for _, p in changes}):
                self.file_changed(Path(path))
            self.wake.set()

    def file_changed(self, path: Path) -> FileChange | None:
        """Record a changed IaC or configuration file (as recorded: a configuration file's webhook
        URLs cut to their host); reload the configuration when it is that file. The change, or None
        when the bytes are the same as before (an editor's rewrite, a touch)."""
        change = self.cache.update(path) if self.cache is not None else None
        if change is not None:
            change = self._record_change(change)
        elif self.cache is not None and path.resolve() not in self._config_keys:
            return None
        if path.resolve() in self._config_keys:
            self.reload_config(path)
        return change

    def _record_change(self, change: FileChange) -> FileChange:
        if change.path in self._config_keys:
            change = redacted(change)
        self.log("config.changed", file=change.file, change=change.change, added=change.counts[0],
                 removed=change.counts[1], content_recorded=change.content_recorded)
        recorded = change
        self._record(lambda r: r.event("config.changed", {}, recorded.audit_data(), recorded.before, recorded.after))
        return recorded

    def reload_config(self, path: Path) -> bool:
        """Re-read the configuration; on any problem keep the running one and say where the problem is."""
        if self.config_loader is None:
            return False
        try:
            new = self.config_loader()
        except InputError as exc:
            self.log("config.invalid", level="error", file=exc.file or str(path), line=exc.line, error=exc.detail,
                     kept="previous configuration")
            return False
        except OSError as exc:
            self.log("config.invalid", level="error", file=str(path), line=None, error=str(exc),
                     kept="previous configuration")
            return False
        self.apply_config(new)
        self.reloads += 1
        self.log("config.reloaded", file=str(new.path or path), interval_seconds=new.interval_seconds,
                 sinks=len(new.sinks), rules=len(new.auto_remediation))
        return True

    def apply_config(self, new: Config) -> None:
        """Switch to `new`: sinks and rate limit change, de-duplication memory is kept."""
        self.dispatcher.sinks = [Sink(s) for s in new.sinks]
        self.dispatcher.rate_limit_seconds = new.rate_limit_seconds
        self.config = new
