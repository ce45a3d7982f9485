"""Provider reads vs `terraform plan -refresh-only` on the wide estate (38 types, real Terraform
applies against a moto server of its own), same run, same drifted estate.

Run: .venv/bin/python bench/provider_reads.py [--runs 5]

Measured, each `--runs` times, medians printed with ratios against Terraform (the baseline):
- terraform: `terraform plan -refresh-only` at its default parallelism (10);
- cold: `driftdeck scan --reader auto` with an empty cache dir (no schema cache, no binary digest);
- warm: the same with the cache dir of an earlier run (what a second CLI scan pays);
- re-poll: a scan inside one process that keeps its ProviderSession (what the TUI and `watch` pay
  on every poll after the first).
AWS requests per resource come from the moto server's request log (one line per HTTP request);
peak RSS is the sum over the measured process tree (driftdeck or terraform plus its provider).
Unmanaged detection is off (Terraform has none); driftdeck still evaluates the code (pending).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "provider")]

from aws_test_support import terraform  # noqa: E402
from wide_estate import WideEstate, build_wide_estate  # noqa: E402

from driftdeck.core.aws import AwsContext  # noqa: E402
from driftdeck.core.live.provider.session import ProviderSession  # noqa: E402
from driftdeck.core.scan.run import ScanOptions, run_scan  # noqa: E402


def terraform_env(folder: Path) -> dict[str, str]:
    proc = subprocess.run(["sh", str(REPO.parent / "shared" / "terraform" / "terraformrc.sh")],
                          capture_output=True, text=True, check=True)
    rc = folder / "terraformrc"
    rc.write_text(proc.stdout)
    return {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}


class TreeRss:
    """Peak resident memory of a process tree, sampled every 20 ms from /proc."""

    def __init__(self, root: int, exclude: set[int]) -> None:
        self.root, self.exclude, self.peak = root, exclude, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.root) if p not in self.exclude))
            self._stop.wait(0.02)


def _tree(root: int) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except OSError:
            pass
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RequestLog:
    """Counts HTTP requests the estate's moto server logged between two points."""

    def __init__(self, estate: WideEstate) -> None:
        self.path = estate.aux / "moto.log"

    def mark(self) -> int:
        return self.path.stat().st_size

    def since(self, offset: int) -> int:
        with open(self.path, "rb") as handle:
            handle.seek(offset)
            return sum(1 for line in handle if b'HTTP/1.1"' in line)


def measure(name: str, runs: int, fn: Callable[[], subprocess.Popen[bytes] | None], log: RequestLog,
            exclude: set[int]) -> dict[str, float]:
    times, requests, peaks = [], [], []
    for _ in range(runs):
        offset = log.mark()
        started = time.perf_counter()
        proc = fn()
        if proc is not None:
            with TreeRss(proc.pid, exclude) as rss:
                code = proc.wait()
            if code not in (0, 1, 2):
                raise SystemExit(f"{name} failed with exit code {code}")
            peaks.append(rss.peak)
        times.append(time.perf_counter() - started)
        requests.append(log.since(offset))
    out = {"seconds": statistics.median(times), "requests": statistics.median(requests)}
    if peaks:
        out["rss"] = statistics.median(peaks)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="driftdeck-bench-"))
    env = terraform_env(base)
    print("building the wide estate (terraform apply against moto)…", flush=True)
    estate = build_wide_estate(base, env)
    try:
        estate.drift_out_of_band()
        resources = len(estate.ids)
        log = RequestLog(estate)
        moto_pids = {p for p in _tree(os.getpid()) if p != os.getpid()}
        dd_env = {**{k: v for k, v in env.items() if not k.startswith("AWS_")},
                  "AWS_ENDPOINT_URL": estate.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                  "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                  "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        driftdeck = [str(Path(sys.executable).parent / "driftdeck"), "scan", str(estate.workdir), "--reader", "auto",
                     "--no-audit", "--no-unmanaged", "--format", "json", "-o", os.devnull]
        warm_cache = base / "warm-cache"
        subprocess.run(driftdeck, env={**dd_env, "DRIFTDECK_CACHE_DIR": str(warm_cache)}, check=False)
        terraform(estate.workdir, estate.tf_env, "plan", "-refresh-only", "-out=warmup.tfplan")  # page cache

        def tf_plan() -> subprocess.Popen[bytes]:
            return subprocess.Popen(["terraform", "plan", "-refresh-only", "-input=false", "-no-color",
                                     f"-out={base / 'bench.tfplan'}"], cwd=estate.workdir, env=estate.tf_env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def cold() -> subprocess.Popen[bytes]:
            cache = Path(tempfile.mkdtemp(dir=base, prefix="cold-"))
            return subprocess.Popen(driftdeck, env={**dd_env, "DRIFTDECK_CACHE_DIR": str(cache)},
                                    stdout=subprocess.DEVNULL)

        def warm() -> subprocess.Popen[bytes]:
            return subprocess.Popen(driftdeck, env={**dd_env, "DRIFTDECK_CACHE_DIR": str(warm_cache)},
                                    stdout=subprocess.DEVNULL)

        figures = {
            "terraform plan -refresh-only": measure("terraform", args.runs, tf_plan, log, moto_pids),
            "driftdeck scan, cold": measure("cold", args.runs, cold, log, moto_pids),
            "driftdeck scan, warm": measure("warm", args.runs, warm, log, moto_pids),
        }
        os.environ.update({k: v for k, v in dd_env.items() if k.startswith("AWS_")})
        os.environ["DRIFTDECK_CACHE_DIR"] = str(warm_cache)
        options = ScanOptions(path=estate.workdir, reader="auto", detect_unmanaged=False)
        with ProviderSession(env=estate.tf_env) as session:
            options.providers = session
            aws = AwsContext()  # as the TUI and watch keep it: clients across polls
            run_scan(options, ctx=aws)  # the session's first poll: start, schema, Configure
            with TreeRss(os.getpid(), moto_pids) as rss:
                figures["re-poll in one process"] = measure(
                    "re-poll", args.runs, lambda: (run_scan(options, ctx=aws), None)[1], log, moto_pids)
            figures["re-poll in one process"]["rss"] = rss.peak
            report = run_scan(options, ctx=aws)
        drifted = sum(1 for r in report.resources if r.status.is_drift)
        unknown = sum(1 for r in report.resources if r.status.value == "unknown")
    finally:
        estate.stop()

    baseline = figures["terraform plan -refresh-only"]["seconds"]
    print(f"\nwide estate: {resources} resources in {len(estate.types)} types; driftdeck found {drifted} drifted, "
          f"{unknown} unknown; medians of {args.runs} runs; load average {os.getloadavg()[0]:.1f}")
    print(f"{'':34} {'seconds':>8} {'vs terraform':>13} {'AWS requests/resource':>22} {'peak RSS':>10}")
    for name, f in figures.items():
        ratio = baseline / f["seconds"] if f["seconds"] else float("inf")
        rss = f"{f['rss'] / 2**20:.0f} MiB" if "rss" in f else "-"
        print(f"{name:34} {f['seconds']:8.2f} {ratio:12.1f}x {f['requests'] / resources:22.2f} {rss:>10}")


if __name__ == "__main__":
    main()
