"""Import blocks for out-of-band objects: driftdeck's planner with a warm provider against
`terraform plan -generate-config-out` on the same objects, in the same run.

Run: .venv/bin/python bench/import_generation.py [--sets 2] [--runs 3]

A moto server of its own holds `--sets` copies of the objects of tests/live/provider/out_of_band.py
(17 objects in 16 types per set). Measured, each `--runs` times, medians printed:
- driftdeck: `build_plans` (import direction) for every object, through one ProviderSession that
  has already served a first pass (schema decoded, provider configured): ImportResourceState,
  ReadResource, ValidateResourceTypeConfig and PlanResourceChange per object, plus rendering.
  Wall time, and CPU of this process plus the provider process;
- terraform: `terraform plan -generate-config-out` over one workspace holding an `import {}` block
  per object (after one `terraform init`, not measured). Wall time and CPU of terraform and its
  provider.
Then one `terraform plan` of each generated configuration says how many objects each writes a block
for that plans clean (an import and no change), the property that matters to whoever applies it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "provider"), str(REPO / "bench")]

from out_of_band import REGION, OutOfBand, make_objects  # noqa: E402
from provider_reads import terraform_env  # noqa: E402
from provider_workspace import write_workspace  # noqa: E402

from driftdeck.core.aws import AwsContext  # noqa: E402
from driftdeck.core.live.provider.session import ProviderSession  # noqa: E402
from driftdeck.core.model import ResourceResult, Status  # noqa: E402
from driftdeck.core.remediation import Direction, PlanOptions, build_plans  # noqa: E402
from driftdeck.core.remediation.plan import ResourcePlan  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def unmanaged(objects: list[OutOfBand]) -> list[ResourceResult]:
    return [ResourceResult(address=None, type=o.type, id=o.import_id, status=Status.UNMANAGED, source=None,
                           region=REGION) for o in objects]


def driftdeck_run(ws: Path, objects: list[OutOfBand], session: ProviderSession) -> tuple[float, float, list[ResourcePlan]]:
    ctx = AwsContext()
    ctx.providers = session
    pids = [p.client.process.pid for p in session.in_use()]
    cpu0 = time.process_time() + sum(proc_cpu(p) for p in pids if p)
    wall0 = time.perf_counter()
    plans = build_plans(unmanaged(objects), PlanOptions(workspace=ws, directions=frozenset({Direction.IMPORT})), ctx=ctx)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() + sum(proc_cpu(p) for p in pids if p) - cpu0
    return wall, cpu, plans


def terraform(ws: Path, env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["terraform", *args, "-input=false", "-no-color"] if args[0] in ("init", "plan")
                          else ["terraform", *args, "-no-color"], cwd=ws, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise SystemExit(f"terraform {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc


def terraform_run(ws: Path, env: dict[str, str]) -> tuple[float, float]:
    (ws / "generated.tf").unlink(missing_ok=True)
    cpu0, wall0 = children_cpu(), time.perf_counter()
    # exit 1 is expected when the generated configuration does not plan: the file is written anyway
    terraform(ws, env, "plan", "-generate-config-out=generated.tf", check=False)
    return time.perf_counter() - wall0, children_cpu() - cpu0


def clean_imports(ws: Path, env: dict[str, str]) -> tuple[int, str]:
    """How many resources `terraform plan` shows as an import with no change (and its first error)."""
    proc = terraform(ws, env, "plan", "-out=tfplan", check=False)
    if proc.returncode != 0:
        errors = [line.strip() for line in proc.stderr.splitlines() if line.startswith("Error:")]
        return 0, f"{len(errors)} error(s), first: {errors[0] if errors else proc.stderr.strip()[:200]}"
    shown = json.loads(terraform(ws, env, "show", "-json", "tfplan").stdout)
    clean = [c for c in shown.get("resource_changes", [])
             if c["change"]["actions"] == ["no-op"] and c["change"].get("importing")]
    return len(clean), ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=2, help="copies of the out-of-band objects (17 per set)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from moto.server import ThreadedMotoServer

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory(prefix="dd-import-bench-") as tmp:
            root = Path(tmp)
            env = terraform_env(root)
            os.environ["TF_CLI_CONFIG_FILE"] = env["TF_CLI_CONFIG_FILE"]
            os.environ["DRIFTDECK_CACHE_DIR"] = str(root / "cache")
            objects = [o for i in range(args.sets) for o in make_objects(endpoint, suffix=f"-{i}")]
            n = len(objects)

            ours_ws = write_workspace(root / "driftdeck", endpoint)
            theirs_ws = write_workspace(root / "terraform", endpoint)
            (theirs_ws / "imports.tf").write_text("".join(
                f'import {{\n  to = {o.type}.{o.name.replace("-", "_")}\n  id = {json.dumps(o.import_id)}\n}}\n'
                for o in objects))
            terraform(theirs_ws, env, "init")

            with ProviderSession(env=env) as session:
                driftdeck_run(ours_ws, objects, session)  # warm: start, schema, Configure
                ours = [driftdeck_run(ours_ws, objects, session) for _ in range(args.runs)]
            plans = ours[-1][2]
            theirs = [terraform_run(theirs_ws, env) for _ in range(args.runs)]

            variables: dict[str, str] = {}
            for obj, plan in zip(objects, plans, strict=True):
                patch = plan.directions[0].patches[0]
                (ours_ws / patch.file).write_text(patch.patched)
                for line in patch.patched.splitlines():
                    if line.startswith("variable "):
                        variables[f"TF_VAR_{line.split(chr(34))[1]}"] = obj.secret
            terraform(ours_ws, env, "init")
            ours_clean, ours_error = clean_imports(ours_ws, {**env, **variables})
            theirs_clean, theirs_error = clean_imports(theirs_ws, env)
            verified = sum(1 for p in plans if p.directions[0].validated)
    finally:
        server.stop()

    def per(values: list[float]) -> float:
        return statistics.median(values) / n * 1000

    ours_wall, ours_cpu = per([r[0] for r in ours]), per([r[1] for r in ours])
    theirs_wall, theirs_cpu = per([r[0] for r in theirs]), per([r[1] for r in theirs])
    print(f"{n} out-of-band objects in {len({o.type for o in objects})} types, {args.runs} runs, medians per object")
    print(f"  driftdeck (warm provider):          {ours_wall:7.1f} ms wall  {ours_cpu:7.1f} ms CPU (incl. provider)")
    print(f"  terraform plan -generate-config-out: {theirs_wall:7.1f} ms wall  {theirs_cpu:7.1f} ms CPU (incl. provider)")
    print(f"  ratio terraform / driftdeck:         {theirs_wall / ours_wall:7.1f}x wall  {theirs_cpu / ours_cpu:7.1f}x CPU")
    print(f"  blocks that plan as an import with no change: driftdeck {ours_clean}/{n} "
          f"(provider-checked {verified}/{n}){' - ' + ours_error if ours_error else ''}; "
          f"terraform's own {theirs_clean}/{n}{' - ' + theirs_error if theirs_error else ''}")


if __name__ == "__main__":
    main()
