"""Benchmark: load + evaluate every module directory of the shared Terraform corpus.

Prints total time (cold parse cache), per-file median parse time, the share of time spent in
python-hcl2's Lark parser vs our tree conversion vs evaluation, a warm-cache re-run, and the cost
of re-evaluating one configuration after a one-file edit (content-hash cache), all measured in
this run. Times are CPU seconds of this (single-threaded) process. Usage: python bench/hcl_eval.py [CORPUS_DIR]
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import hcl2

from driftdeck.core.inputs.hcl import ParseCache, load_configuration
from driftdeck.core.inputs.hcl.parse import _body

# CPU time of this process: the machine is shared, and wall time mostly measures the neighbours.
clock = time.process_time
DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "terraform"


def roots_of(corpus: Path) -> list[Path]:
    return sorted({p.parent for p in corpus.rglob("*.tf")})


def parse_split(files: list[Path]) -> tuple[list[float], list[float]]:
    """Per file: seconds in python-hcl2 (Lark) and seconds converting its tree to our syntax."""
    lark_times, convert_times = [], []
    for path in files:
        text = path.read_text()
        t0 = clock()
        tree = hcl2.parses_to_tree(text)
        t1 = clock()
        _body(tree.children[0])
        t2 = clock()
        lark_times.append(t1 - t0)
        convert_times.append(t2 - t1)
    return lark_times, convert_times


def load_all(roots: list[Path], cache: ParseCache) -> tuple[float, list[float], Counter[str]]:
    per_root, knowledge = [], Counter[str]()
    start = clock()
    for root in roots:
        t0 = clock()
        config = load_configuration(root, env={}, cache=cache)
        per_root.append(clock() - t0)
        knowledge.update(i.knowledge for i in config.instances.values())
        knowledge["unexpanded resources"] += len(config.unexpanded)
    return clock() - start, per_root, knowledge


def edit_cost(corpus: Path, repeats: int = 5) -> dict[str, float]:
    """Cold / warm / after-one-edit load times for the largest example (vpc examples/complete);
    each the best of `repeats` runs."""
    repo = corpus / "terraform-aws-modules__terraform-aws-vpc"
    best: dict[str, float] = {}

    def keep(name: str, value: float) -> None:
        best[name] = min(best.get(name, value), value)

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / repo.name
        shutil.copytree(repo, copy)
        root = copy / "examples" / "complete"
        edited = copy / "main.tf"  # the module's biggest file (~1,400 lines)
        for i in range(repeats):
            cache = ParseCache()
            t0 = clock()
            load_configuration(root, env={}, cache=cache)
            keep("cold", clock() - t0)
            t0 = clock()
            load_configuration(root, env={}, cache=cache)
            keep("warm", clock() - t0)
            edited.write_text(edited.read_text() + f"\n# edit {i}\n")
            misses, parsing = cache.stats.misses, cache.stats.parse_seconds
            t0 = clock()
            load_configuration(root, env={}, cache=cache)
            keep("after_edit", clock() - t0)
            keep("after_edit_parsing", cache.stats.parse_seconds - parsing)
            best["reparsed_files"] = cache.stats.misses - misses
            t0 = clock()
            ParseCache().parse_file(edited, "main.tf")
            keep("parse_edited_file", clock() - t0)
    return best


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    roots = roots_of(corpus)
    files = sorted(corpus.rglob("*.tf"))
    print(f"corpus: {corpus}  ({len(files)} .tf files, {len(roots)} module directories)")

    cache = ParseCache()
    total, per_root, knowledge = load_all(roots, cache)
    parse_total = cache.stats.parse_seconds
    eval_total = total - parse_total
    print("\ncold cache (every file parsed once, every module directory loaded + evaluated as a root)")
    print(f"  total                 {total:8.2f} s")
    print(f"  parsing (cache misses {cache.stats.misses}, hits {cache.stats.hits})  {parse_total:8.2f} s  ({parse_total / total:5.1%})")
    print(f"  evaluation + I/O      {eval_total:8.2f} s  ({eval_total / total:5.1%})")
    print(f"  per-root median       {statistics.median(per_root) * 1000:8.1f} ms   max {max(per_root) * 1000:.0f} ms")

    lark_times, convert_times = parse_split(files)
    lark, conv = sum(lark_times), sum(convert_times)
    per_file = [a + b for a, b in zip(lark_times, convert_times, strict=True)]
    print("\nparsing split (each .tf file once)")
    print(f"  python-hcl2 (Lark)    {lark:8.2f} s  ({lark / (lark + conv):5.1%})")
    print(f"  tree -> syntax        {conv:8.2f} s  ({conv / (lark + conv):5.1%})")
    print(f"  per-file median       {statistics.median(per_file) * 1000:8.1f} ms   p90 {sorted(per_file)[int(len(per_file) * 0.9)] * 1000:.1f} ms")
    share_hcl2 = parse_total * lark / (lark + conv) / total
    print(f"  => cold total: python-hcl2 {share_hcl2:5.1%}, tree conversion {parse_total / total - share_hcl2:5.1%}, "
          f"evaluation + I/O {eval_total / total:5.1%}")

    t_warm, _, _ = load_all(roots, cache)
    print("\nwarm cache (nothing changed; re-evaluation only)")
    print(f"  total                 {t_warm:8.2f} s   ratio warm/cold {t_warm / total:.2f}")

    e = edit_cost(corpus)
    print("\none-file edit, terraform-aws-vpc examples/complete (+ ../../ module)")
    print(f"  cold load             {e['cold'] * 1000:8.1f} ms")
    print(f"  warm load             {e['warm'] * 1000:8.1f} ms")
    print(f"  after editing main.tf {e['after_edit'] * 1000:8.1f} ms   re-parsed files: {int(e['reparsed_files'])}, "
          f"of which parsing {e['after_edit_parsing'] * 1000:.1f} ms")
    print(f"  parse of that file    {e['parse_edited_file'] * 1000:8.1f} ms")
    print(f"  ratio after-edit/cold {e['after_edit'] / e['cold']:.2f};  (after-edit - warm) / one-file parse "
          f"{(e['after_edit'] - e['warm']) / e['parse_edited_file']:.2f}")

    print("\nresource instances from code:", dict(knowledge))


if __name__ == "__main__":
    main()
