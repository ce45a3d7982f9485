"""The watch loop's decisions: alerts on transitions only, recorded deliveries, outage backoff,
auto-remediation rules (dry run and firing), IaC file changes waking the loop, clean stop."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from driftdeck.core.errors import InputError
from driftdeck.core.model import Attribution, Difference, ResourceResult, ScanReport, Status
from driftdeck.core.monitor.alerts import Dispatcher, Sink
from driftdeck.core.monitor.auto_remediation import AutoRemediationOutcome
from driftdeck.core.monitor.loop import MonitorLoop, rule_matches
from driftdeck.core.settings import AutoRemediationRule, Config, SinkConfig


class ListRecorder:
    def __init__(self) -> None:
        self.scans: list[ScanReport] = []
        self.events: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self.closed = False

    def scan(self, report: ScanReport) -> None:
        self.scans.append(report)

    def event(self, kind: str, subject: dict[str, Any], data: dict[str, Any], before: Any = None,
              after: Any = None) -> None:
        self.events.append((kind, subject, data))

    def integrity(self) -> str | None:
        return None

    def close(self) -> None:
        self.closed = True


def _report(*resources: ResourceResult) -> ScanReport:
    return ScanReport(generated_at="2026-01-01T00:00:00Z", duration_ms=1, sources=[], resources=list(resources))


def _pab(status: Status, actor: str = "alice") -> ResourceResult:
    diffs = [Difference("block_public_acls", True, False)] if status is Status.CHANGED else []
    att = [Attribution(actor, "IAMUser", "console", "PutPublicAccessBlock", "t", None, None, "exact", "e1")] if diffs else []
    return ResourceResult("aws_s3_bucket_public_access_block.data", "aws_s3_bucket_public_access_block", "data",
                          status, None, diffs, attribution=att)


def _loop(reports: list[Any], receiver_url: str, recorder: ListRecorder, **kw: Any) -> MonitorLoop:
    feed = iter(reports)

    def scan() -> ScanReport:
        item = next(feed)
        if isinstance(item, Exception):
            raise item
        return item

    sink = Sink(SinkConfig(kind="webhook", name="ops", url=receiver_url, retries=0))
    return MonitorLoop(scan=scan, config=kw.pop("config", Config(interval_seconds=1)), dispatcher=Dispatcher([sink]),
                     recorder=recorder, log=lambda *a, **k: None, workspace="infra", **kw)


def test_alerts_fire_on_transitions_only_and_deliveries_are_recorded(receiver: Any) -> None:
    recorder = ListRecorder()
    loop = _loop([_report(_pab(Status.IN_SYNC)), _report(_pab(Status.CHANGED)), _report(_pab(Status.CHANGED)),
                  _report(_pab(Status.IN_SYNC))], receiver.url, recorder)
    kinds = [[t.kind.value for t in loop.poll_once()] for _ in range(4)]
    assert kinds == [[], ["drift.new"], [], ["drift.resolved"]]
    assert len(receiver.requests) == 2
    deliveries = [e for e in recorder.events if e[0] == "alert.delivery"]
    assert [d[2]["alert"] for d in deliveries] == ["drift.new", "drift.resolved"] and all(d[2]["ok"] for d in deliveries)
    assert len(recorder.scans) == 4


def test_auto_remediation_rules_match_type_attribute_and_actor() -> None:
    rule = AutoRemediationRule(name="pab", type="aws_s3_bucket_public_access_block", attribute="block_public_*", actor="*")
    assert rule_matches(rule, _pab(Status.CHANGED)) == ["block_public_acls"]
    assert rule_matches(AutoRemediationRule(name="x", actor="ci-*"), _pab(Status.CHANGED)) == []
    assert rule_matches(AutoRemediationRule(name="x", type="aws_sqs_queue"), _pab(Status.CHANGED)) == []


def test_auto_remediation_fires_once_per_new_drift_and_dry_run_only_reports(receiver: Any) -> None:
    fired: list[tuple[str, list[str]]] = []

    def remediate(res: ResourceResult, rule: AutoRemediationRule, paths: list[str]) -> AutoRemediationOutcome:
        fired.append((rule.name, paths))
        return AutoRemediationOutcome("applied", "reverted")

    rules = (AutoRemediationRule(name="pab", type="aws_s3_bucket_public_access_block"),)
    loop = _loop([_report(_pab(Status.IN_SYNC)), _report(_pab(Status.CHANGED)), _report(_pab(Status.CHANGED))],
                 receiver.url, ListRecorder(), config=Config(auto_remediation=rules), remediate=remediate)
    for _ in range(3):
        loop.poll_once()
    assert fired == [("pab", ["block_public_acls"])]
    dry: list[Any] = []

    def never(*args: Any) -> AutoRemediationOutcome:
        dry.append(args)
        return AutoRemediationOutcome("applied", "")

    loop = _loop([_report(_pab(Status.IN_SYNC)), _report(_pab(Status.CHANGED))], receiver.url, ListRecorder(),
                 config=Config(auto_remediation=(AutoRemediationRule(name="pab", dry_run=True),)), remediate=never)
    loop.poll_once()
    loop.poll_once()
    assert dry == []


def test_outage_backs_off_keeps_running_and_stops_cleanly(receiver: Any, tmp_path: Path) -> None:
    recorder = ListRecorder()
    reports: list[Any] = [InputError("endpoint unreachable")] + [_report(_pab(Status.IN_SYNC))] * 50
    loop = _loop(reports, receiver.url, recorder, config=Config(interval_seconds=60), watch_paths=(tmp_path,))
    loop.max_backoff = 0.2  # keep the test quick: the first retry comes after 0.2 s instead of 2 s
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30  # generous: a bound on waiting, not a timing assertion
        while loop.polls < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert loop.polls >= 1  # recovered after the failure
        polls_before = loop.polls
        (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
        while not any(e[0] == "config.changed" for e in recorder.events) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(e[0] == "config.changed" and e[2]["file"] == "main.tf" for e in recorder.events)
        while loop.polls == polls_before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert loop.polls > polls_before  # the file change woke the loop before its interval
    finally:
        loop.stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive() and recorder.closed


def test_each_poll_is_handed_to_on_scan_after_it_is_recorded(receiver: Any) -> None:
    recorder = ListRecorder()
    seen: list[tuple[int, list[str], int]] = []
    loop = _loop([_report(_pab(Status.IN_SYNC)), _report(_pab(Status.CHANGED))], receiver.url, recorder,
                 on_scan=lambda poll: seen.append((len(recorder.scans), [t.kind.value for t in poll.transitions],
                                                   len(poll.report.resources))))
    loop.poll_once()
    loop.poll_once()
    assert seen == [(1, [], 1), (2, ["drift.new"], 1)]  # recorded first: a front end reading the log finds the scan


def test_file_changed_returns_the_change_as_recorded(tmp_path: Path, receiver: Any) -> None:
    code, secrets = tmp_path / "main.tf", tmp_path / "prod.tfvars"
    code.write_text('resource "aws_s3_bucket" "a" {}\n')
    secrets.write_text('password = "old"\n')
    recorder = ListRecorder()
    loop = _loop([], receiver.url, recorder, watch_paths=(tmp_path,))
    assert loop.cache is not None
    loop.cache.load()
    code.write_text('resource "aws_s3_bucket" "b" {}\n')
    secrets.write_text('password = "new-secret"\n')
    changed = loop.file_changed(code)
    withheld = loop.file_changed(secrets)
    assert changed is not None and changed.content_recorded and changed.counts == (1, 1)
    assert withheld is not None and not withheld.content_recorded and withheld.after is None
    assert loop.file_changed(code) is None  # the same bytes again: nothing happened
    assert [kind for kind, _, _ in recorder.events] == ["config.changed", "config.changed"]
    assert "new-secret" not in repr(recorder.events)
