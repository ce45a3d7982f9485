"""`driftdeck plan`: headless remediation plans for drifted resources.

    driftdeck plan [ADDRESS ...] [--direction revert|adopt|import|forget] [--output DIR] [PATH]

ADDRESS is a resource address (`aws_s3_bucket.logs`, `module.net.aws_subnet.a["x"]`), the key of
an unmanaged resource (`aws_sqs_queue:https://...`), or a pattern with `*` / `?`. Without ADDRESS
every drifted resource gets a plan. A pattern without a `module.` prefix also matches inside modules
(`aws_sqs_queue.*` finds `module.queues.aws_sqs_queue.orders`). PATH (default `.`) is the first or
the last positional that exists on disk; one that looks like a path but does not exist is an error,
never a silent scan of the current folder. Exit codes: 0 a plan was produced for every requested resource, 1 some got none (in sync,
unknown, or the direction does not apply to them), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from driftdeck.core.aws import AwsContext
from driftdeck.core.errors import InputError
from driftdeck.core.model import ResourceResult, Status
from driftdeck.core.remediation import (
    Direction,
    PlanOptions,
    build_plans,
    default_output_dir,
    record_planned,
    render_document,
    save_document,
)
from driftdeck.core.remediation.document import document_json
from driftdeck.core.remediation.plan import CLI_DIRECTIONS
from driftdeck.core.remediation.planner import mirrored_drift
from driftdeck.core.scan.run import ScanOptions, run_scan
from driftdeck.tui.commands.reading import add_reader_options, provider_session, reader_settings


class _IntermixedParser(argparse.ArgumentParser):
    """Lets options sit between ADDRESS arguments and PATH (`plan ADDR --direction adopt PATH`)."""

    _inside = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._inside:
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "plan",
        help="write a remediation plan (revert / adopt / import / forget) for drifted resources",
        description="Exit codes: 0 a plan for every requested resource, 1 some resource got none, 2 bad input.",
    )
    parser.add_argument("targets", nargs="*", metavar="ADDRESS", help="resource addresses or patterns, then optionally PATH")
    parser.add_argument("--direction", choices=[d.value for d in CLI_DIRECTIONS],
                        help="only this direction (default: every one that applies)")
    parser.add_argument("--output", "-o", help="directory for the plan files (default: PATH/.driftdeck/plans)")
    parser.add_argument("--path", help="IaC folder or state file (alternative to a trailing PATH)")
    parser.add_argument("--region", action="append", default=[], help="region to scan (repeatable)")
    parser.add_argument("--stdout", action="store_true", help="also print the Markdown plan")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: print the plan as driftdeck.plan/v1 JSON instead of the summary lines")
    parser.add_argument("--no-audit", action="store_true", help="do not append remediation.planned to the audit log")
    add_reader_options(parser)
    parser.set_defaults(func=run)
    parser.__class__ = _IntermixedParser


def split_targets(targets: list[str], path_option: str | None) -> tuple[list[str], Path]:
    """Addresses and PATH: PATH is the first or the last positional that exists on disk."""
    if path_option:
        return targets, Path(path_option)
    for target in targets:
        # Every address has a `.` (type.name) or a `:` (an unmanaged key), every pattern a wildcard:
        # anything else is a path.
        if not any(c in target for c in ".:*?") and not Path(target).exists():
            raise InputError("path does not exist (an ADDRESS is type.name, a pattern, or type:id)", file=target)
    on_disk = [i for i, target in enumerate(targets) if Path(target).exists()]
    if not on_disk:
        return targets, Path(".")
    if len(on_disk) > 1:
        raise InputError(f"more than one PATH given ({', '.join(targets[i] for i in on_disk)}): "
                         "give one, first or last, or use --path")
    at = on_disk[0]
    if 0 < at < len(targets) - 1:
        raise InputError("PATH must come before or after the addresses, not between them", file=targets[at])
    return targets[:at] + targets[at + 1:], Path(targets[at])


# Any chain of module calls, with instance keys: `module.a.`, `module.b["x"].module.c[0].`
_MODULES = r'(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*'


def matcher(pattern: str) -> re.Pattern[str]:
    """`*` and `?` are wildcards; `[` stays literal because addresses use it for instance keys.

    A wildcard pattern that does not start with `module.` matches at any module depth.
    """
    body = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    if ("*" in pattern or "?" in pattern) and not pattern.startswith(("module.", "*")):
        body = _MODULES + body
    return re.compile(body)


def select(results: list[ResourceResult], addresses: list[str]) -> tuple[list[ResourceResult], list[str]]:
    """Results matching any address (all drifted ones when none given), and addresses matching nothing
    (with the module addresses an exact one may have meant)."""
    if not addresses:
        return [r for r in results if r.status.is_drift], []
    chosen: dict[str, ResourceResult] = {}
    unmatched: list[str] = []
    for address in addresses:
        rx = matcher(address)
        hits = [r for r in results if rx.fullmatch(r.key) or (r.address is None and rx.fullmatch(r.id))]
        if not hits:
            nested = [r.key for r in results if r.address and r.address.endswith(f".{address}")
                      and re.fullmatch(_MODULES + re.escape(address), r.address)]
            unmatched.append(f"{address} (did you mean {' or '.join(nested[:3])}?)" if nested else address)
        for r in hits:
            chosen.setdefault(r.key, r)
    return list(chosen.values()), unmatched


def _shown_dir(out_dir: Path, path: Path) -> str:
    """The plans folder as the workspace root sees it (commands in the plan run from there)."""
    base = path if path.is_dir() else path.parent
    try:
        return out_dir.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return out_dir.resolve().as_posix()


def run(args: argparse.Namespace) -> int:
    addresses, path = split_targets(list(args.targets), args.path)
    if not path.exists():
        raise InputError("path does not exist", file=str(path))
    directions = frozenset({Direction(args.direction)}) if args.direction else None
    ctx = AwsContext()
    detect_unmanaged = directions is None or bool(directions & {Direction.IMPORT, Direction.REVERT})
    workspace = path if path.is_dir() else path.parent
    settings = reader_settings(args, workspace)
    # One provider session for the scan and the plans: import blocks are written by the same warm
    # provider that read live state (ImportResourceState + ReadResource, schema-driven).
    providers = provider_session(args, settings)
    try:
        report = run_scan(ScanOptions(path=path, regions=tuple(args.region), detect_unmanaged=detect_unmanaged,
                                      **settings, providers=providers, provider_debug=args.debug), ctx=ctx)
        selected, unmatched = select(report.resources, addresses)
        if unmatched:
            raise InputError(f"no resource matches {', '.join(unmatched)} in the scan of this path", file=str(path))
        plans = build_plans(selected, PlanOptions(workspace=path, directions=directions), ctx=ctx)
    finally:
        if providers is not None:
            providers.close()
    planned = {p.key for p in plans}
    mirrored = mirrored_drift(selected)
    for r in selected:
        owner = mirrored.get(r.key)
        if r.key not in planned and owner is not None:
            print(f"driftdeck: {r.key}: its drift only mirrors {owner.key}, whose plan answers it", file=sys.stderr)
    missed = [r for r in selected if r.key not in planned and r.key not in mirrored]
    for r in missed:
        why = "in sync" if r.status == Status.IN_SYNC else r.reason or r.status.value
        wanted = f" for --direction {args.direction}" if args.direction else ""
        print(f"driftdeck: no plan{wanted} for {r.key} ({r.status.value}: {why})", file=sys.stderr)
    if not plans:
        if not selected:
            print("driftdeck: nothing drifted; no plan written")
        return 0 if not missed else 1
    out_dir = Path(args.output) if args.output else default_output_dir(path)
    doc = render_document(plans, directions=directions, plans_dir=_shown_dir(out_dir, path))
    save_document(doc, out_dir)
    seq: int | None = None
    if not args.no_audit:
        try:
            seq = record_planned(path, doc, plans)
        except Exception as exc:  # noqa: BLE001 - the plan stands; the operator must know the event is missing
            print(f"driftdeck: warning: could not record remediation.planned in the audit log: {exc}", file=sys.stderr)
    if args.format == "json":
        out = document_json(doc, plans)
        out["audit_seq"] = seq
        sys.stdout.write(json.dumps(out, indent=2, default=str) + "\n")
        return 1 if missed else 0
    print(f"plan: {doc.markdown_path}")
    if doc.patch_path:
        print(f"patch: {doc.patch_path}")
    print(f"blake3: {doc.blake3}")
    for p in plans:
        print(f"  {p.key}: {', '.join(d.direction.value for d in p.directions)}")
    if seq is not None:
        print(f"audit: remediation.planned seq {seq}")
    if args.stdout:
        sys.stdout.write(doc.markdown)
    return 1 if missed else 0
