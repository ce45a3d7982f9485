"""Pending plans through the provider vs `terraform plan -refresh=false`, same run, same edits.

Builds the wide estate (38 types, real Terraform against a moto server of its own), copies it with
the code edits of tests/live/provider/test_pending_wide.py (39 resources edited, replacements that reach
other resources included), then measures, each `--runs` times, medians printed:

- terraform: `terraform plan -refresh=false` (code against state: what "pending" means), the
  baseline;
- driftdeck warm: a scan in one process that keeps its ProviderSession (what the TUI and `watch`
  pay per poll), every resource planned with PlanResourceChange and re-planned to a fixpoint
  where references reach a changed resource;
- driftdeck without plans: the same scan with `--reader native` and no provider session (the
  native comparison of code and state), to show what planning itself costs.

It also prints whether driftdeck's action per resource equals Terraform's in every run.

Run: .venv/bin/python bench/pending_plans.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "provider"), str(REPO / "bench")]

from aws_test_support import terraform  # noqa: E402
from provider_reads import terraform_env  # noqa: E402
from test_pending_wide import EDITS  # noqa: E402
from wide_estate import build_wide_estate  # noqa: E402

from driftdeck.core.aws import AwsContext  # noqa: E402
from driftdeck.core.live.provider.session import ProviderSession  # noqa: E402
from driftdeck.core.scan.run import ScanOptions, run_scan  # noqa: E402


def _action(actions: list[str]) -> str:
    return "replace" if sorted(actions) == ["create", "delete"] else actions[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    base = Path(tempfile.mkdtemp(prefix="dd-pending-bench-"))
    estate = build_wide_estate(base / "estate", terraform_env(base))
    try:
        work = base / "edited"
        shutil.copytree(estate.workdir, work, symlinks=True)
        text = (work / "main.tf").read_text()
        for _, old, new in EDITS:
            text = text.replace(old, new)
        (work / "main.tf").write_text(text)
        times: dict[str, list[float]] = {"terraform": [], "driftdeck warm": [], "driftdeck without plans": []}
        agree: list[bool] = []
        with ProviderSession(env=estate.tf_env) as session:
            ctx = AwsContext(session=estate.boto_session())
            options = ScanOptions(path=work, reader="provider", providers=session, detect_unmanaged=False)
            run_scan(options, ctx=ctx)  # warm-up: provider started, schema loaded, configured
            for _ in range(runs):
                t = time.perf_counter()
                terraform(work, estate.tf_env, "plan", "-refresh=false", "-lock=false", "-out=p.tfplan")
                times["terraform"].append(time.perf_counter() - t)
                shown = json.loads(terraform(work, estate.tf_env, "show", "-json", "p.tfplan"))
                by_terraform = {rc["address"]: _action(rc["change"]["actions"])
                                for rc in shown["resource_changes"] if rc["mode"] == "managed"}
                t = time.perf_counter()
                report = run_scan(options, ctx=ctx)
                times["driftdeck warm"].append(time.perf_counter() - t)
                by_driftdeck = {r.address: r.code_plan.action for r in report.resources if r.address and r.code_plan}
                agree.append(all(by_driftdeck.get(a) == action for a, action in by_terraform.items()))
                t = time.perf_counter()
                run_scan(ScanOptions(path=work, reader="native", detect_unmanaged=False), ctx=ctx)
                times["driftdeck without plans"].append(time.perf_counter() - t)
        baseline = statistics.median(times["terraform"])
        print(f"{len(by_terraform)} managed resources, {len(EDITS)} edited; runs={runs}")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:26s} {median:7.2f} s   {baseline / median:5.1f}x terraform")
        print(f"driftdeck's action equals terraform's for every resource in every run: {all(agree)}")
    finally:
        estate.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
