"""What `driftdeck watch` adds to a scan: transitions, audit recording, integrity check, restart seed.

Run: .venv/bin/python bench/watch_overhead.py [--resources 5000] [--polls 20]

A fake scan returns the same report of N resources (10% changed) every poll, so the figures are
the loop's own cost, not AWS's (a real scan of that many resources takes seconds). Baseline, measured in the same run: polls with no recorder (just
transitions + carry-forward). Then the same polls with the real audit log (record_scan, integrity
check on the incremental reader), one poll in which 10% of the resources change status (the
audit events that implies), and `known_drift()` replaying the log as a restart does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from driftdeck.core.model import Difference, ResourceResult, ScanReport, Status
from driftdeck.core.monitor.alerts import Dispatcher
from driftdeck.core.monitor.loop import MonitorLoop
from driftdeck.core.settings import Config


def report(n: int, flip: bool = False) -> ScanReport:
    resources = []
    for i in range(n):
        drifted = i % 10 == (1 if flip else 0)  # flip: 10% resolve, another 10% drift
        diffs = [Difference("tags.Owner", "a", "b")] if drifted else []
        resources.append(ResourceResult(f"aws_sqs_queue.q{i}", "aws_sqs_queue", f"q{i}",
                                        Status.CHANGED if drifted else Status.IN_SYNC, None, diffs))
    return ScanReport(generated_at="2026-11-28T08:00:00Z", duration_ms=1, sources=[], resources=resources)


def timed_polls(loop: MonitorLoop, polls: int) -> list[float]:
    out = []
    for _ in range(polls):
        started = time.perf_counter()
        loop.poll_once()
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--polls", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dd-watch-bench-"))
    os.environ["DRIFTDECK_CONFIG_DIR"] = str(tmp / "config")
    from driftdeck.core.monitor.recorder import AuditRecorder  # after the config dir is set

    steady = report(args.resources)
    try:
        bare = MonitorLoop(scan=lambda: steady, config=Config(), dispatcher=Dispatcher([]), recorder=None,
                         log=lambda *a, **k: None, workspace="bench")
        bare.poll_once()
        base = statistics.median(timed_polls(bare, args.polls))

        workspace = tmp / "iac"
        workspace.mkdir()
        recorder = AuditRecorder(workspace, heartbeat=False)
        loop = MonitorLoop(scan=lambda: steady, config=Config(), dispatcher=Dispatcher([]), recorder=recorder,
                         log=lambda *a, **k: None, workspace=str(workspace))
        first = timed_polls(loop, 1)[0]  # every changed resource is a drift.detected event
        audited = statistics.median(timed_polls(loop, args.polls))
        flipped = report(args.resources, flip=True)
        loop.scan = lambda: flipped
        churn = timed_polls(loop, 1)[0]
        started = time.perf_counter()
        known = recorder.known_drift()
        seed = time.perf_counter() - started
        loop.close()
        entries = recorder.log.size

        print(f"resources per scan: {args.resources}, steady polls: {args.polls}")
        print(f"baseline poll (transitions only):        {base * 1000:8.1f} ms")
        print(f"audited poll, nothing changed:            {audited * 1000:8.1f} ms  ({audited / base:5.1f}x baseline)")
        print(f"audited first poll ({args.resources // 10} drift.detected):   {first * 1000:8.1f} ms  ({first / base:5.1f}x)")
        print(f"audited poll, {args.resources // 5} status changes:      {churn * 1000:8.1f} ms  ({churn / base:5.1f}x)")
        print(f"restart seed, replay of {entries} entries: {seed * 1000:8.1f} ms  ({len(known)} drifted keys)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
