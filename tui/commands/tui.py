"""`driftdeck [PATH]` / `driftdeck tui [PATH]`: the live dashboard on the IaC under PATH."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from driftdeck.core.aws import AwsContext
from driftdeck.core.model import ScanReport
from driftdeck.core.scan.run import ScanOptions, check_inputs, run_scan
from driftdeck.core.settings import load_config
from driftdeck.tui.commands import arg_types
from driftdeck.tui.commands.reading import add_reader_options, provider_session, reader_settings
from driftdeck.tui.keys import load_keymap
from driftdeck.tui.live_events import LiveEvents


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "tui",
        help="open the live dashboard on the IaC under PATH (the default command)",
        description="Keys: ? help, / filter, d drifted only, r rescan, s pause polling, v verify the audit chain, q quit.",
    )
    add_common_options(parser)
    parser.add_argument("path", nargs="?", default=".", help="IaC folder or state file (default: .)")
    parser.add_argument("--region", action="append", default=[], help="region to scan (repeatable)")
    parser.add_argument("--no-unmanaged", action="store_true", help="skip unmanaged-resource detection")
    parser.add_argument(
        "--cloudformation", choices=("auto", "all", "off"), default="auto",
        help="auto: stacks matched to templates under PATH; all: every stack; off: none (default: auto)",
    )
    parser.add_argument("--stack", action="append", default=[], help="show this CloudFormation stack (repeatable)")
    parser.add_argument(
        "--cloudtrail", metavar="WHERE",
        help="attribute drift to CloudTrail events: s3://bucket[/prefix], lookup[:region,...], or a folder",
    )
    parser.add_argument("--events", metavar="SOURCE",
                        help="re-check resources as CloudTrail events arrive: sqs:QUEUE_NAME_OR_URL or lookup[:regions]")
    add_reader_options(parser)
    parser.set_defaults(func=run)


def add_common_options(parser: argparse.ArgumentParser, *, interval: float | None = None) -> None:
    """Options of every dashboard command; `interval`: the command's default seconds between polls
    (None: 60, or [events] full_poll_seconds with --events)."""
    default = f"default {interval:g}" if interval is not None else "default 60; with --events, [events] full_poll_seconds"
    parser.add_argument("--interval", type=arg_types.dashboard_interval, default=interval, metavar="SECONDS",
                        help=f"seconds between polls; 0 = manual polling, only r rescans ({default})")
    parser.add_argument("--read-only", action="store_true", help="hide every action that could change anything")
    parser.add_argument("--no-audit", action="store_true", help="do not write to the audit log")
    parser.add_argument("--no-watch", action="store_true", help="do not watch the IaC files for changes")
    parser.add_argument("--keymap", type=Path, help="TOML file of binding id = \"keys\" (default: keymap.toml in the config dir)")


def run(args: argparse.Namespace) -> int:
    from collections.abc import Callable

    from driftdeck.tui.app import (
        DriftdeckApp,  # deferred: the app; --help must not load it (bench/import_time.py)
    )
    from driftdeck.tui.audit_core import (
        open_feed,  # deferred: the app; --help must not load it (bench/import_time.py)
    )
    from driftdeck.tui.audit_feed import (
        MemoryFeed,  # deferred: the app; --help must not load it (bench/import_time.py)
    )

    check_inputs(Path(args.path))  # fail fast, before the screen opens, naming the path as given
    path = Path(args.path).resolve()
    keymap = load_keymap(args.keymap)
    workspace = path if path.is_dir() else path.parent
    settings = reader_settings(args, workspace)
    providers = provider_session(args, settings)  # one warm provider per configuration, all session
    options = ScanOptions(
        **settings,
        providers=providers,
        path=path,
        regions=tuple(args.region),
        detect_unmanaged=not args.no_unmanaged,
        cloudformation=args.cloudformation,
        stacks=tuple(args.stack),
        cloudtrail=args.cloudtrail,
    )
    aws = AwsContext()  # clients kept across polls; each scan starts with a fresh memo
    feed = MemoryFeed() if args.no_audit else open_feed(workspace, read_only=args.read_only)
    scanner: Callable[[], ScanReport] = lambda: run_scan(options, ctx=aws)  # noqa: E731
    interval = args.interval if args.interval is not None else 60.0
    events = None
    config = load_config(workspace)
    spec = args.events or config.events_source
    if spec:
        events = LiveEvents(spec, options, aws, scanner)
        scanner = events.scanner
        interval = args.interval if args.interval is not None else config.events_full_poll_seconds
    app = DriftdeckApp(
        workspace,
        scanner=scanner,
        feed=feed,
        poll_interval=interval,
        events_status=events.status_text if events is not None else None,
        read_only=args.read_only,
        watch=not args.no_watch,
        keymap=keymap,
        record_audit=not args.no_audit,
        title=path.name if path.is_dir() else f"{path.parent.name}/{path.name}",  # short: the header keeps room for counts
        providers=providers,
    )
    try:
        if events is not None:
            events.start(app)
        app.run()
    finally:
        if events is not None:
            events.stop.set()
        if providers is not None:
            providers.close()
    return exit_code_of(app)


def exit_code_of(app: Any) -> int:
    """The command's exit code once the dashboard has closed: 0, or 2 when Textual stopped it on an
    unexpected error (it printed the traceback; its own code 1 would read as "drift")."""
    if app.return_code:
        print("driftdeck: error: the dashboard stopped on an unexpected error (traceback above)", file=sys.stderr)
        return 2
    return 0
