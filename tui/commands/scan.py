"""`driftdeck scan`: headless drift scan for people and CI pipelines."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from driftdeck.core.audit import AuditLog
from driftdeck.core.aws import AwsContext
from driftdeck.core.errors import DriftdeckError, InputError
from driftdeck.core.monitor.scan_evidence import record_scan_evidence
from driftdeck.core.outputs.ci_formats import parse_fail_on, to_junit, to_sarif
from driftdeck.core.outputs.report import dumps_json, render_text
from driftdeck.core.scan.run import ScanOptions, run_scan
from driftdeck.tui.commands import arg_types
from driftdeck.tui.commands.reading import add_reader_options, reader_settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "scan",
        help="scan IaC under PATH against AWS and report drift",
        description="Exit codes: 0 nothing drifted, 1 drift found, 2 could not run, 3 some resources unknown.",
    )
    parser.add_argument("path", nargs="?", default=".", help="IaC folder or state file (default: .)")
    parser.add_argument("--format", choices=("text", "json", "sarif", "junit"), default="text")
    parser.add_argument(
        "--fail-on",
        default="changed,missing,unmanaged,pending",
        help="statuses that make the exit code 1 (comma-separated; default: %(default)s)",
    )
    parser.add_argument("--output", "-o", help="write the report to FILE instead of stdout")
    parser.add_argument("--region", action="append", default=[], help="region to scan (repeatable)")
    parser.add_argument("--ignore-file", help="ignore rules (default: PATH/.driftignore)")
    parser.add_argument("--no-unmanaged", action="store_true", help="skip unmanaged-resource detection")
    parser.add_argument("--all", action="store_true", help="text format: also list in-sync resources")
    parser.add_argument("--no-audit", action="store_true", help="do not append this scan to the audit log")
    parser.add_argument(
        "--cloudformation",
        choices=("auto", "all", "off"),
        default="auto",
        help="auto: compare stacks matched to templates under PATH, use the rest for ownership; "
        "all: compare every stack; off: skip CloudFormation (default: auto)",
    )
    parser.add_argument("--stack", action="append", default=[], help="compare this stack (repeatable)")
    parser.add_argument(
        "--cloudtrail",
        metavar="WHERE",
        help="attribute drift to CloudTrail events: s3://bucket[/prefix], lookup[:region,...], or a folder of log files",
    )
    parser.add_argument(
        "--since", metavar="TIME",
        help="with --cloudtrail: attribute events from TIME on (RFC 3339 or YYYY-MM-DD, UTC); default: the "
        "state's history in the audit log, else when the state was last written",
    )
    parser.add_argument("--workers", type=arg_types.workers, default=16, help="concurrent AWS calls, at least 1 (default 16)")
    add_reader_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        fail_on = parse_fail_on(args.fail_on)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    path = Path(args.path)
    workspace = path if path.is_dir() else path.parent
    options = ScanOptions(
        **reader_settings(args, workspace),
        provider_debug=args.debug,
        path=path,
        regions=tuple(args.region),
        ignore_file=Path(args.ignore_file) if args.ignore_file else None,
        detect_unmanaged=not args.no_unmanaged,
        max_workers=args.workers,
        cloudtrail=args.cloudtrail,
        attribution_since=parse_since(args.since) if args.since else None,
        cloudformation=args.cloudformation,
        stacks=tuple(args.stack),
    )
    report = run_scan(options, ctx=AwsContext(max_pool_connections=max(10, args.workers * 2)))
    audit_error: DriftdeckError | None = None
    if not args.no_audit:
        try:
            _record(path, report)
        except DriftdeckError as exc:
            audit_error = exc  # the report is still printed; the run then exits 2, not 0/1
    if args.format == "json":
        text = dumps_json(report)
    elif args.format == "sarif":
        text = json.dumps(to_sarif(report), indent=2, default=str) + "\n"
    elif args.format == "junit":
        text = to_junit(report, fail_on)
    else:
        to_tty = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        text = render_text(report, color=to_tty, show_in_sync=args.all)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write the report: {exc.strerror}", file=args.output) from None
    else:
        sys.stdout.write(text)
    if audit_error is not None:
        print(f"driftdeck: error: audit log: {audit_error}", file=sys.stderr)
        return 2
    return report.exit_code(fail_on)


def _record(path: Path, report: Any) -> None:
    """Append the scan and its status transitions to the workspace's audit log."""
    workspace = path if path.is_dir() else path.parent
    with AuditLog.open(workspace) as log:
        record_scan_evidence(log, report, workspace=workspace)


def parse_since(text: str) -> datetime:
    """`--since`: an RFC 3339 time or a date (UTC); InputError otherwise."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--since {text!r} is not a time: use RFC 3339 (2026-01-31T12:00:00Z) or a date") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
