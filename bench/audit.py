"""Audit log throughput: append with group commit, full verify, hash-only verify.

Run: .venv/bin/python bench/audit.py [--events 1000000] [--dir DIR] [--keep]

Appends N events of about 500 bytes (no fsync per event: group commits and periodic signed
checkpoints), then verifies the log fully (parse, re-canonicalise, hash, Merkle, signatures) and
hash-only (chain links). Each phase prints events/s and its cost relative to plain BLAKE3 over the
same stored lines, measured in the same run, plus peak RSS so a growing footprint would show.
Rates are given per wall-clock second and per CPU second of this process (the latter is the
steadier figure on a shared machine).
Targets: append >= 80,000/s, full verify >= 50,000/s, hash-only >= 500,000/s.
"""

from __future__ import annotations

import argparse
import gc
import resource
import shutil
import tempfile
import time
from pathlib import Path

from blake3 import blake3

from driftdeck.core.audit import AuditConfig, AuditLog
from driftdeck.core.audit.layout import segments
from driftdeck.core.audit.verify import verify


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def event(i: int) -> dict[str, object]:
    """A drift-shaped event; canonical line of about 500 bytes."""
    return {
        "key": f"module.net.aws_security_group.web[{i % 97}]",
        "from": "in_sync",
        "to": "changed",
        "differences": 2 + i % 5,
        "region": "eu-west-1",
        "changed": [f"ingress[{i % 4}].cidr_blocks[0]", "tags.Owner"],
    }


class Timer:
    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def raw_blake3(log_dir: Path) -> tuple[Timer, int, int]:
    """Time to read and BLAKE3 every stored line (per line, as the verifier does); lines; bytes."""
    lines = size = 0
    with Timer() as timer:
        for _, path in segments(log_dir):
            with open(path, "rb", buffering=1 << 20) as f:
                for raw in f:
                    blake3(raw).digest()
                    lines += 1
                    size += len(raw)
    return timer, lines, size


def line_out(label: str, count: int, timer: Timer, raw: Timer, target: str) -> str:
    return (f"{label + ':':<24}{count / timer.wall:>10,.0f}/s wall {count / timer.cpu:>10,.0f}/s cpu  "
            f"{timer.cpu / raw.cpu:5.1f}x raw blake3 (cpu)  peak RSS {peak_rss_mib():,.0f} MiB  (target >= {target}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, help="work directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the log afterwards")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="driftdeck-bench-audit-", dir=args.dir))
    try:
        config = AuditConfig(config_dir=root / "config", commit_entries=4096, commit_seconds=1.0,
                             checkpoint_entries=10_000, segment_entries=250_000)
        workspace = root / "ws"
        workspace.mkdir()
        n = args.events
        print(f"events: {n:,}   machine: {__import__('os').cpu_count()} cpus")

        log = AuditLog.open(workspace, config=config, actor={"type": "operator", "user": "bench", "host": "bench"})
        subject = {"address": "module.net.aws_security_group.web", "provider_id": "sg-0123456789abcdef0"}
        gc.collect()
        with Timer() as appending:
            with log.batch():
                for i in range(n):
                    log.append("drift.detected", subject=subject, data=event(i))
            log.close()
        log_dir = config.log_dir_for(workspace.resolve())

        raw, lines, size = raw_blake3(log_dir)
        print(f"log: {lines:,} lines, {size / 2**20:,.0f} MiB, {size / lines:.0f} bytes/line, "
              f"{len(segments(log_dir))} segments")
        print(f"{'raw blake3 per line:':<24}{lines / raw.wall:>10,.0f}/s wall {lines / raw.cpu:>10,.0f}/s cpu  "
              f"({size / raw.cpu / 2**30:.2f} GiB/s)")
        print(line_out("append (group commit)", n, appending, raw, "80,000"))

        for label, drop_cache in (("reopen (state cache)", False), ("reopen (re-read all)", True)):
            if drop_cache:
                (log_dir / "index" / "writer-state.json").unlink()
            with Timer() as opening:
                again = AuditLog.open(workspace, config=config)
            print(f"{label + ':':<24}{opening.wall * 1000:>10,.1f} ms wall {opening.cpu * 1000:>10,.1f} ms cpu")
            again.close()  # one more checkpoint entry each; negligible next to the rest

        keys = config.pinned_keys()
        for label, hash_only, target in (("full verify", False, "50,000"), ("hash-only verify", True, "500,000")):
            gc.collect()
            with Timer() as checking:
                result = verify(log_dir, keys, hash_only=hash_only)
            assert result.exit_code == 0, [str(f) for f in result.findings[:5]]
            print(line_out(label, lines, checking, raw, target))
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
