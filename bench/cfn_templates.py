"""Benchmark: load and evaluate every template of the shared CloudFormation corpus.

Baseline, measured in the same run: plain `yaml.safe_load` / `json.loads` of the same files with
short-form tags ignored (PyYAML's C loader when available, else the pure-Python one). Prints total
CPU seconds, per-file median, the ratio to the baseline, and the cost of the adopt-patch text edits
for one template. Usage: python bench/cfn_templates.py [CORPUS_DIR]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import yaml

from driftdeck.core.compare.cloudformation import compare_cfn
from driftdeck.core.inputs.cfn import load_template
from driftdeck.core.model import DesiredResource, SourceRef
from driftdeck.core.remediation.cloudformation_text import patched_text

# CPU time of this process: the machine is shared, and wall time mostly measures the neighbours.
clock = time.process_time
DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "cloudformation"
BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Tolerant(BaseLoader):  # type: ignore[misc,valid-type]
    pass


_Tolerant.add_multi_constructor("!", lambda loader, suffix, node: None)


def baseline(path: Path) -> float:
    text = path.read_text()
    t0 = clock()
    if path.suffix == ".json":
        json.loads(text)
    else:
        yaml.load(text, Loader=_Tolerant)  # noqa: S506 - a SafeLoader subclass
    return clock() - t0


def ours(path: Path) -> tuple[float, int]:
    t0 = clock()
    template = load_template(path, pseudo={"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"})
    return clock() - t0, len(template.resources)


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    files = sorted(p for p in corpus.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    if not files:
        print(f"no templates under {corpus}")
        return
    base = [baseline(p) for p in files]
    measured = [ours(p) for p in files]
    times = [t for t, _ in measured]
    resources = sum(n for _, n in measured)
    print(f"templates: {len(files)}  resources: {resources}  loader: {BaseLoader.__name__}")
    print(f"baseline parse (no tags, no positions): total {sum(base):.3f}s  median {statistics.median(base) * 1000:.2f} ms")
    print(f"load_template (positions + evaluation): total {sum(times):.3f}s  median {statistics.median(times) * 1000:.2f} ms")
    print(f"ratio to baseline: {sum(times) / max(sum(base), 1e-9):.1f}x")
    slowest = sorted(zip(times, files, strict=True), reverse=True)[:3]
    for seconds, path in slowest:
        print(f"  slowest: {seconds * 1000:.1f} ms  {path.relative_to(corpus)}")

    sqs = corpus / "aws-cloudformation-templates" / "SQS" / "SQSStandardQueue.yaml"
    if sqs.exists():
        template = load_template(sqs)
        res = template.resources["SQSQueue"]
        desired = DesiredResource("cfn:s/SQSQueue", "aws_sqs_queue", "u", res.properties, SourceRef(kind="cloudformation"))
        live = {"visibility_timeout_seconds": 99, "delay_seconds": 1, "tags": {"Owner": "ops"}}
        diffs = compare_cfn(desired, live)
        t0 = clock()
        rounds = 50
        for _ in range(rounds):
            patched_text(template, "SQSQueue", diffs)
        per = (clock() - t0) / rounds
        print(f"adopt patch for {len(diffs)} differences on SQSStandardQueue.yaml: {per * 1000:.1f} ms "
              f"({per / max(times[files.index(sqs)], 1e-9):.1f}x one load of that file)")


if __name__ == "__main__":
    main()
