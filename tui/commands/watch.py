"""`driftdeck watch`: the monitor loop the dashboard drives (`core.monitor.loop`), headless, for unattended hosts."""

from __future__ import annotations

import argparse
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

from driftdeck.core.aws import AwsContext
from driftdeck.core.monitor.alerts import Dispatcher, Sink
from driftdeck.core.monitor.auto_remediation import revert_remediator
from driftdeck.core.monitor.events import live_source_from_spec, start_events
from driftdeck.core.monitor.loop import MonitorLoop, StructuredLog
from driftdeck.core.monitor.plans import plan_writer
from driftdeck.core.monitor.recorder import AuditRecorder
from driftdeck.core.scan.run import ScanOptions, run_scan
from driftdeck.core.settings import Config, config_paths, load_config
from driftdeck.tui.commands import arg_types
from driftdeck.tui.commands.reading import add_reader_options, provider_session, reader_settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "watch",
        help="poll and watch IaC files unattended; alert on status transitions",
        description="Runs until SIGTERM/SIGINT; logs JSON lines to stderr. Exit codes: 0 clean stop, "
        "2 unusable input or configuration at start.",
    )
    parser.add_argument("path", nargs="?", default=".", help="IaC folder (default: .)")
    parser.add_argument("--config", help="configuration file (default: PATH/.driftdeck/config.toml, then the user's)")
    parser.add_argument("--interval", type=arg_types.watch_interval, metavar="SECONDS",
                        help="seconds between polls, at least 1 (overrides the config; watch has no manual "
                        "polling, the dashboard's --interval 0; for one poll use --once)")
    parser.add_argument("--region", action="append", default=[], help="region to scan (repeatable)")
    parser.add_argument("--cloudtrail", metavar="WHERE",
                        help="attribute drift to CloudTrail events (as for `scan`), so rules can match the actor")
    parser.add_argument("--no-unmanaged", action="store_true", help="skip unmanaged-resource detection")
    parser.add_argument("--events", metavar="SOURCE",
                        help="re-check resources as CloudTrail events arrive: sqs:QUEUE_NAME_OR_URL or lookup[:regions] "
                        "(overrides [events] source); full polls then run every [events] full_poll_seconds")
    parser.add_argument("--once", action="store_true", help="poll once and exit (for cron and tests)")
    parser.add_argument("--dry-run", action="store_true", help="auto-remediation rules only report what would fire")
    parser.add_argument("--no-audit", action="store_true", help="do not append to the audit log")
    parser.add_argument("--no-plans", action="store_true",
                        help="do not write remediation plans for new drift (alerts then carry no plan link)")
    add_reader_options(parser)
    parser.set_defaults(func=run)


def _loader(workspace: Path, explicit: Path | None, args: argparse.Namespace) -> Config:
    """The configuration with the command line's overrides, read again on every reload."""
    config = load_config(workspace, explicit)
    if getattr(args, "events", None):
        config = replace(config, events_source=args.events)
    if config.events_source:  # events find drift; full polls are the safety net
        config = replace(config, interval_seconds=config.events_full_poll_seconds)
    if args.interval is not None:
        config = replace(config, interval_seconds=args.interval)
    if args.dry_run:
        config = replace(config, auto_remediation=tuple(replace(r, dry_run=True) for r in config.auto_remediation))
    return config


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    workspace = path if path.is_dir() else path.parent
    explicit = Path(args.config) if args.config else None
    config = _loader(workspace, explicit, args)  # InputError here: exit 2 with file:line
    log = StructuredLog()
    settings = reader_settings(args, workspace, explicit)
    providers = provider_session(args, settings)  # kept warm for every poll of this watch
    options = ScanOptions(path=path, regions=tuple(args.region), cloudtrail=args.cloudtrail,
                          detect_unmanaged=not args.no_unmanaged, providers=providers, **settings)
    aws = AwsContext()  # clients kept across polls; each scan starts with a fresh memo
    recorder = None
    if not args.no_audit:
        recorder = AuditRecorder(workspace, heartbeat=not args.once)
    loop = MonitorLoop(
        scan=lambda: run_scan(options, ctx=aws),
        config=config,
        dispatcher=Dispatcher([Sink(s) for s in config.sinks], rate_limit_seconds=config.rate_limit_seconds),
        recorder=recorder,
        log=log,
        workspace=str(workspace.resolve()),
        watch_paths=() if args.once else (workspace,),
        remediate=revert_remediator(workspace),
        write_plan=None if args.no_plans else plan_writer(workspace),
        config_loader=lambda: _loader(workspace, explicit, args),
        config_files=(explicit,) if explicit else tuple(config_paths(workspace)),
    )
    if config.events_source and not args.once:
        source = live_source_from_spec(config.events_source, session=aws.session, regions=args.region, stop=loop.stop)
        start_events(loop, source, options, aws)
    if recorder is not None:
        loop.seed(recorder.known_drift())  # drift alerted before a restart (or the last --once) stays quiet
    try:
        if args.once:
            try:
                loop.poll_once()
            finally:
                loop.close()
            return 0

        def _stop(signum: int, _frame: Any) -> None:
            log("watch.signal", signal=signal.Signals(signum).name)
            loop.stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        return loop.run()
    finally:
        if providers is not None:
            providers.close()
