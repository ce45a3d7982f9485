"""Drift history at scale: first load and redraw of `HistoryModel` over a large audit log.

Run: .venv/bin/python bench/history.py [--events 1000000] [--resources 2000] [--dir DIR] [--keep]

Writes a log of N events through `AuditLog` (a mix as scans make it: drift transitions that open,
change and close episodes, attributed changes linked to their detection, `scan.completed` with
summaries, and operator notes that history skips), then measures, in the same run:

- baseline: reading every stored line of the log (open, read, split: the least any reader pays);
- first load: `HistoryModel.refresh()` on a fresh reader (incremental chain + Merkle check of every
  line, then `entries_since` over the kinds history reads);
- redraw: what a screen does per frame, from memory: `view()` for the whole log and for the last
  7 days, the three sparkline series bucketed, and one resource's bands (median of several);
- follow-up refresh after 1,000 more appends (reads only the new lines).

Target (issue 19): redraw under one second after the first load, at 1,000,000 events.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from driftdeck.core.audit import AuditConfig, AuditLog, AuditReader
from driftdeck.core.audit.history import HistoryModel, bucket_series
from driftdeck.core.audit.layout import segments


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def write_log(log: AuditLog, events: int, resources: int, workspace: str) -> None:
    """`events` appends: 40% drift transitions, 10% attributed changes, 20% scans, 30% notes."""
    drifting: dict[str, tuple[str, Any]] = {}  # key -> (status, detection entry)
    summary = {"total": resources, "in_sync": resources, "changed": 0, "missing": 0, "pending": 0,
               "unmanaged": 0, "unknown": 0, "coverage_pct": 100}
    i = 0
    with log.batch():
        while i < events:
            slot = i % 10
            key = f"module.app.aws_s3_bucket.b[{(i * 7919) % resources}]"
            subject = {"workspace": workspace, "address": key, "resource_type": "aws_s3_bucket"}
            if slot < 4:
                state = drifting.get(key)
                if state is None:
                    entry = log.append("drift.detected", subject=subject,
                                       data={"key": key, "from": "in_sync", "to": "changed", "differences": 1})
                    drifting[key] = ("changed", entry)
                elif state[0] == "changed" and i % 3 == 0:
                    log.append("drift.detected", subject=subject,
                               data={"key": key, "from": "changed", "to": "missing", "differences": 0})
                    drifting[key] = ("missing", state[1])
                else:
                    log.append("drift.resolved", subject=subject, data={"key": key, "from": state[0], "to": "in_sync"})
                    del drifting[key]
            elif slot == 4 and drifting:
                last_key = next(reversed(drifting))
                detection = drifting[last_key][1]
                log.append("cloud.change.attributed", subject={"workspace": workspace, "address": last_key},
                           data={"actor": f"user-{i % 13}", "event_name": "PutBucketTagging",
                                 "drift_event": f"{detection.seq}:{detection.hash}",
                                 "resource": {"address": last_key, "type": "aws_s3_bucket", "id": last_key}})
            elif slot in (5, 6):
                changed = sum(1 for s, _ in drifting.values() if s == "changed")
                missing = len(drifting) - changed
                summary.update(changed=changed, missing=missing, in_sync=resources - len(drifting),
                               unknown=i % 7, unmanaged=i % 5)
                log.append("scan.completed", subject={"workspace": workspace}, data={"summary": dict(summary)})
            else:
                log.append("operator.note", subject=subject, data={"note": f"looked at {key}"})
            i += 1


def raw_read(log_dir: Path) -> tuple[Timer, int]:
    lines = 0
    with Timer() as timer:
        for _, path in segments(log_dir):
            with open(path, "rb") as f:
                for _line in f:
                    lines += 1
    return timer, lines


def redraw(model: HistoryModel, now: float) -> None:
    """One frame of the estate view plus one resource's timeline section."""
    for since in (None, now - 7 * 86400):
        view = model.view(since, now)
        start = view.series[0].at if view.series else now
        for name in ("drifted", "unknown", "unmanaged"):
            bucket_series(view.series, start, now, 120, name)
    history = model.resource("module.app.aws_s3_bucket.b[7]")
    if history is not None and history.episodes:
        history.bands(history.episodes[0].start, now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--redraws", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="where to write the log (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the log afterwards")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="dd-history-bench-", dir=args.dir))
    os.environ["DRIFTDECK_CONFIG_DIR"] = str(root / "config")
    workspace = (root / "ws").resolve()
    workspace.mkdir()
    config = AuditConfig(config_dir=root / "config", checkpoint_entries=10_000)
    try:
        log = AuditLog.open(workspace, config=config)
        with Timer() as written:
            write_log(log, args.events, args.resources, str(workspace))
        log_dir = log.log_dir
        log.close()
        print(f"log: {args.events:,} events written in {written.wall:.1f} s "
              f"({sum(p.stat().st_size for _, p in segments(log_dir)) / 2**20:.0f} MiB)")

        baseline, lines = raw_read(log_dir)
        print(f"baseline  raw read of {lines:,} lines: {baseline.wall:.2f} s wall, {baseline.cpu:.2f} s cpu")

        model = HistoryModel(AuditReader(log_dir, config.pinned_keys()))
        with Timer() as first:
            model.refresh()
        episodes = sum(len(r.episodes) for r in model.resources.values())
        print(f"first load (verify + fold): {first.wall:.2f} s wall, {first.cpu:.2f} s cpu "
              f"= {first.wall / baseline.wall:.1f}x raw read; chain {model.chain.summary()}; "
              f"{len(model.resources):,} resources, {episodes:,} episodes, {len(model.series):,} scans")

        now = time.time()
        times, cpu = [], []
        for _ in range(args.redraws):
            with Timer() as frame:
                redraw(model, now)
            times.append(frame.wall)
            cpu.append(frame.cpu)
        median = statistics.median(times)
        print(f"redraw (median of {args.redraws}): {median * 1000:.0f} ms wall, "
              f"{statistics.median(cpu) * 1000:.0f} ms cpu (min wall {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) "
              f"= {median / baseline.wall:.2f}x raw read; target < 1000 ms: {'met' if median < 1.0 else 'NOT met'}")

        log = AuditLog.open(workspace, config=config)
        write_log(log, 1000, args.resources, str(workspace))
        log.close()
        with Timer() as follow:
            model.refresh()
        print(f"refresh after 1,000 more appends: {follow.wall * 1000:.0f} ms wall")
        print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
