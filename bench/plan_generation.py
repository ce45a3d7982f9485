"""Benchmark: remediation plans for N drifted resources declared in one .tf file.

For N in (50, 200): builds every plan (revert + adopt with validation), renders the Markdown and the
combined patch, and prints CPU time per resource. Baseline, measured in the same run: one
parse of the same file by the parser that validates adopt patches (`hcl/parse.py`), and the cost a naive design would pay (one full-file re-parse
per adopted resource to validate it = N x that parse). Usage: python bench/plan_generation.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from driftdeck.core.inputs.hcl import text_layout
from driftdeck.core.inputs.hcl.parse import parse_hcl
from driftdeck.core.model import ChangeKind, Difference, ResourceResult, SourceRef, Status
from driftdeck.core.remediation import PlanOptions, adopt, build_plans, render_document

clock = time.process_time  # CPU time: the machine is shared


def workspace(n: int) -> Path:
    root = Path(tempfile.mkdtemp(prefix="dd-plan-bench-"))
    blocks = [
        f'# queue {i}\nresource "aws_sqs_queue" "q{i}" {{\n  name          = "q{i}"\n  delay_seconds = 0 # default\n'
        f'  tags = {{\n    Env  = "prod"\n    Team = "t{i % 7}"\n  }}\n}}\n'
        for i in range(n)
    ]
    (root / "main.tf").write_text("\n".join(blocks))
    return root


def results(n: int) -> list[ResourceResult]:
    return [
        ResourceResult(
            address=f"aws_sqs_queue.q{i}", type="aws_sqs_queue", id=f"https://sqs.local/1/q{i}", status=Status.CHANGED,
            source=SourceRef(kind="terraform"),
            differences=[Difference("delay_seconds", 0, 5), Difference("tags.Env", "prod", "dev"),
                         Difference("tags.Owner", None, "mallory", ChangeKind.ADDED)],
            expected={"delay_seconds": 0, "tags": {"Env": "prod", "Team": f"t{i % 7}"}},
            live={"delay_seconds": 5, "tags": {"Env": "dev", "Team": f"t{i % 7}", "Owner": "mallory"}},
            region="us-east-1",
        )
        for i in range(n)
    ]


def run(n: int, repeats: int = 3) -> None:
    root = workspace(n)
    text = (root / "main.tf").read_text()
    parse_times, build_times, render_times = [], [], []
    for _ in range(repeats):
        t0 = clock()
        parse_hcl(text, "main.tf")
        parse_times.append(clock() - t0)
    for _ in range(repeats):
        # cold: forget the per-text memos so every run scans and parses the file afresh
        text_layout._STRUCTURES.clear()
        adopt._PARSES.clear()
        t0 = clock()
        plans = build_plans(results(n), PlanOptions(workspace=root))
        t1 = clock()
        doc = render_document(plans)
        t2 = clock()
        build_times.append(t1 - t0)
        render_times.append(t2 - t1)
    assert all(p.directions[1].validated for p in plans), "every adopt patch must validate"
    parse, build, render = (statistics.median(x) for x in (parse_times, build_times, render_times))
    naive = n * parse
    print(f"N={n:4d}  build {build:6.2f}s ({build / n * 1000:5.1f} ms/resource)  render {render:5.2f}s  "
          f"patch {len(doc.patch.splitlines())} lines")
    print(f"        baseline: one parse of the file {parse:5.3f}s; naive per-resource full re-parse would be "
          f"{naive:6.2f}s -> {naive / build:4.1f}x slower than this")


if __name__ == "__main__":
    for size in (50, 200):
        run(size)
