"""The unattended loop behind `driftdeck watch`: poll, watch IaC files, alert on transitions, record.

It survives AWS outages (a failed poll is logged and retried with backoff; resources that cannot be
read are `unknown`, which never reads as resolution), wakes early when an IaC file changes, and
stops cleanly when `stop` is set (the command sets it on SIGTERM/SIGINT).
"""

from __future__ import annotations

import fnmatch
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from driftdeck.core.alerts import DeliveryAttempt, Dispatcher, alert_payload
from driftdeck.core.config import AutoRemediationRule, Config
from driftdeck.core.errors import DriftdeckError
from driftdeck.core.model import ResourceResult, ScanReport
from driftdeck.core.transitions import Transition, TransitionKind, carry_forward, transitions

IAC_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfstate", ".yaml", ".yml", ".json", ".template")


class Recorder(Protocol):
    """Where the loop writes its evidence (the audit log in production)."""

    def scan(self, report: ScanReport) -> None: ...
    def event(self, kind: str, subject: dict[str, Any], data: dict[str, Any]) -> None: ...
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


def rule_matches(rule: AutoRemediationRule, result: ResourceResult) -> list[str]:
    """Attribute paths of `result` that `rule` covers (empty: the rule does not fire)."""
    if not fnmatch.fnmatchcase(result.type, rule.type):
        return []
    if not fnmatch.fnmatchcase(result.address or f"{result.type}.{result.id}", rule.address):
        return []
    actors = [a.actor for a in result.attribution] or [""]
    if rule.actor != "*" and not any(fnmatch.fnmatchcase(a, rule.actor) for a in actors):
        return []
    return [d.path for d in result.differences if fnmatch.fnmatchcase(d.path, rule.attribute)]


@dataclass
class WatchLoop:
    scan: Callable[[], ScanReport]
    config: Config
    dispatcher: Dispatcher
    recorder: Recorder | None
    log: Callable[..., None]
    workspace: str
    watch_paths: Sequence[Path] = ()
    # Applies a tested revert for (result, rule, paths); returns (ok, detail). None: auto-remediation off.
    remediate: Callable[[ResourceResult, AutoRemediationRule, list[str]], tuple[bool, str]] | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)
    max_backoff: float = 600.0
    baseline: list[ResourceResult] | None = None
    failures: int = 0
    polls: int = 0

    def poll_once(self) -> list[Transition]:
        """One scan; alerts and records what changed since the previous one."""
        report = self.scan()
        self.polls += 1
        found = transitions(self.baseline, report.resources)
        self.baseline = carry_forward(self.baseline, report.resources)
        if self.recorder is not None:
            self.recorder.scan(report)
        summary = report.summary()
        self.log("scan.completed", total=summary["total"], drifted=sum(summary[k] for k in ("changed", "missing", "unmanaged", "pending")),
                 unknown=summary["unknown"], transitions=len(found), duration_ms=report.duration_ms)
        for transition in found:
            self.log(transition.kind.value, level="warning" if transition.kind is not TransitionKind.RESOLVED else "info",
                     resource=transition.key, before=transition.before, after=transition.after)
            self._deliver(transition, self.dispatcher.dispatch(transition, alert_payload(transition, workspace=self.workspace)))
            if transition.result is not None and transition.kind in (TransitionKind.NEW_DRIFT, TransitionKind.DRIFT_CHANGED):
                self._auto_remediate(transition.result)
        return found

    def _deliver(self, transition: Transition, attempts: list[DeliveryAttempt]) -> None:
        for attempt in attempts:
            self.log("alert.delivery", level="info" if attempt.ok else "warning", sink=attempt.sink,
                     resource=transition.key, attempt=attempt.attempt, ok=attempt.ok, detail=attempt.detail)
            if self.recorder is not None:
                self.recorder.event(
                    "alert.delivery",
                    {"tool": "driftdeck", "workspace": self.workspace, "resource": transition.key},
                    {"sink": attempt.sink, "attempt": attempt.attempt, "ok": attempt.ok, "detail": attempt.detail,
                     "alert": transition.kind.value, "fingerprint": attempt.fingerprint},
                )

    def _auto_remediate(self, result: ResourceResult) -> None:
        for rule in self.config.auto_remediation:
            paths = rule_matches(rule, result)
            if not paths:
                continue
            if rule.dry_run or self.remediate is None:
                self.log("auto_remediation.would_fire", rule=rule.name, resource=result.key, paths=paths,
                         reason="dry run" if rule.dry_run else "no tested revert available")
                continue
            ok, detail = self.remediate(result, rule, paths)
            self.log("auto_remediation.applied" if ok else "auto_remediation.failed", level="warning",
                     rule=rule.name, resource=result.key, paths=paths, detail=detail)

    def run(self) -> int:
        """Poll until stopped. Returns the process exit code (0 after a clean stop)."""
        watcher = threading.Thread(target=self._watch_files, name="driftdeck-watchfiles", daemon=True)
        if self.watch_paths:
            watcher.start()
        self.log("watch.started", interval_seconds=self.config.interval_seconds, workspace=self.workspace)
        while not self.stop.is_set():
            delay = self.config.interval_seconds
            try:
                self.poll_once()
                self.failures = 0
            except DriftdeckError as exc:
                self.failures += 1
                delay = min(self.max_backoff, self.config.interval_seconds * 2 ** min(self.failures, 10))
                self.log("scan.failed", level="error", error=str(exc), retry_in_seconds=delay)
            except Exception as exc:  # noqa: BLE001 - an outage must not end the watch
                self.failures += 1
                delay = min(self.max_backoff, self.config.interval_seconds * 2 ** min(self.failures, 10))
                self.log("scan.failed", level="error", error=f"{type(exc).__name__}: {exc}", retry_in_seconds=delay)
            self.wake.clear()
            deadline = time.monotonic() + delay
            while not self.stop.is_set() and not self.wake.is_set() and time.monotonic() < deadline:
                self.wake.wait(min(0.5, max(0.0, deadline - time.monotonic())))
        self.log("watch.stopping", polls=self.polls)
        if self.recorder is not None:
            self.recorder.close()
        return 0

    def _watch_files(self) -> None:
        import watchfiles

        def relevant(_change: watchfiles.Change, path: str) -> bool:
            return path.endswith(IAC_SUFFIXES) and "/.driftdeck/" not in path and "/.terraform/" not in path

        for changes in watchfiles.watch(*self.watch_paths, watch_filter=relevant, stop_event=self.stop, debounce=400, rust_timeout=500):
            for change, path in sorted(changes):
                self.log("config.changed", file=path, change=change.name)
                if self.recorder is not None:
                    self.recorder.event(
                        "config.changed", {"tool": "driftdeck", "workspace": self.workspace, "file": path}, {"change": change.name}
                    )
            self.wake.set()
