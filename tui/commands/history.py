"""`driftdeck history [PATH]`: drift episodes per resource and the estate over time, from the
verified audit log (exit 2, one line, when the log does not verify)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from driftdeck.core.audit import AuditReader
from driftdeck.core.audit.history import HistoryModel, format_ts, humanize_seconds, parse_since
from driftdeck.core.text import printable


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "history",
        help="drift timeline per resource and for the estate, from the audit log",
        description="Exit codes: 0 shown, 2 no log, or the log does not verify (nothing is drawn from it).",
    )
    parser.add_argument("path", nargs="?", default=".", help="workspace (default: .)")
    parser.add_argument("--since", help="only episodes and counts since: 7d, 12h, 30m, 2w or an RFC 3339 time")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--top", type=int, default=5, help="how many top actors / drifting resources (default 5)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    workspace = path if path.is_dir() else path.parent
    now = datetime.now(UTC).timestamp()
    since = parse_since(args.since, now) if args.since else None
    model = HistoryModel(AuditReader.for_workspace(workspace))
    model.refresh()
    view = model.view(since, now, top=args.top)  # raises HistoryUnverifiable -> exit 2
    if args.format == "json":
        print(json.dumps(view.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in render_text(view):
            print(line)
    return 0


def render_text(view: Any) -> list[str]:
    """The text report: chain badge, estate figures, then each resource's episodes."""
    chain = view.chain
    lines = [f"audit chain: {chain.summary()}",
             f"window: {format_ts(view.since) if view.since is not None else 'whole log'} .. {format_ts(view.now)}"]
    if view.series:
        last = view.series[-1]
        lines.append(f"estate now: {last.drifted} drifted, {last.unknown} unknown, {last.unmanaged} unmanaged "
                     f"of {last.total} ({len(view.series)} scans in window)")
    else:
        lines.append("estate: no scans in window")
    lines.append(f"mean time to resolution: {humanize_seconds(view.mean_time_to_resolution)} "
                 f"({view.resolved_episodes} resolved, {view.open_episodes} still open)")
    if view.top_actors:
        lines.append("top actors (out-of-band changes):")
        lines += [f"  {n:>5}  {printable(actor)}" for actor, n in view.top_actors]
    if view.most_drifting:
        lines.append("most drifting:")
        lines += [f"  {n:>5}  {printable(key)}  ({humanize_seconds(s)} drifted)" for key, n, s in view.most_drifting]
    if view.iac_edits:
        lines.append(f"IaC edits: {len(view.iac_edits)}")
    for resource, episodes in view.resources:
        if not episodes:
            continue
        lines.append(f"{printable(resource.key)}")
        for e in episodes:
            end = format_ts(e.end) if e.end is not None else "open"
            took = humanize_seconds(e.resolution_seconds) if e.end is not None else "—"
            who = ", ".join(printable(a) for a in e.actors) or "no attributed actor"
            lines.append(f"  {format_ts(e.start)} .. {end}  {'/'.join(e.statuses)}  {took}  {who}")
    return lines
