"""Start-up cost of the engine parts that are imported on first use rather than at module load.

Run: .venv/bin/python bench/import_time.py [--runs 7]

A few imports stay inside functions, each marked `# deferred: <why> (bench/import_time.py)`
(tests/test_architecture.py holds every other import of driftdeck's own modules to the module's top):
the HCL evaluator, the CloudFormation loader, the audit log, the provider session and what needs it,
and the Textual app (`driftdeck --help` builds every command's parser and must not load it). This
measures, in fresh interpreters, what each would add to every start-up if it were imported at the top:

- baseline: `import driftdeck.core.scan.run` (what every scanning command pays, same run);
- for each deferred part: the extra time to import it after the baseline (median of --runs).

A part whose cost is a small fraction of the baseline has no reason to be deferred; the report says
which are worth keeping deferred (more than 10 % of the baseline).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

BASELINE = "driftdeck.core.scan.run"
# The modules imported inside functions today, by the start-up path that would pay for them.
DEFERRED = [
    "driftdeck.core.scan.code_side",  # and the HCL evaluator under it: a workspace with .tf code only
    "driftdeck.core.inputs.hcl",
    "driftdeck.core.inputs.cfn",  # the CloudFormation loader: templates or stacks in the scan only
    "driftdeck.core.audit",  # the audit log: attribution's history, remediation outcomes
    "driftdeck.core.live.provider.session",  # the provider reader only (not --reader native)
    "driftdeck.core.live.provider.client",
    "driftdeck.core.live.provider.generate",
    "driftdeck.core.live.collectors.provider_backed",
    "driftdeck.core.remediation.planner",  # remediation/forget.py
    "driftdeck.tui.app",  # the dashboard: `driftdeck --help` / `--version` must not load it
    "driftdeck.tui.audit_core",
    "driftdeck.tui.audit_feed",
    "driftdeck.tui.demo",
]

PROBE = """
import sys, time
t0 = time.perf_counter()
import {baseline}
t1 = time.perf_counter()
{extra}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def measure(extra: str | None, runs: int) -> tuple[float, float]:
    base, added = [], []
    for _ in range(runs):
        code = PROBE.format(baseline=BASELINE, extra=f"import {extra}" if extra else "pass")
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        b, a = (float(x) for x in out.split())
        base.append(b)
        added.append(a)
    return statistics.median(base), statistics.median(added)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; median of {args.runs} fresh interpreters")
    baseline, _ = measure(None, args.runs)
    print(f"baseline  import {BASELINE}: {baseline * 1000:7.1f} ms")
    for module in DEFERRED:
        _, added = measure(module, args.runs)
        ratio = added / baseline if baseline else 0.0
        verdict = "keep deferred" if ratio > 0.10 else "import at top"
        print(f"  + {module:45} {added * 1000:7.1f} ms  {ratio:5.2f}x baseline  -> {verdict}")


if __name__ == "__main__":
    main()
