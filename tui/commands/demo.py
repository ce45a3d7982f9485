"""`driftdeck demo`: the dashboard on a local emulated AWS estate that drifts while you watch."""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from driftdeck.core.aws import AwsContext
from driftdeck.core.scan.run import run_scan
from driftdeck.tui.commands.tui import add_common_options, exit_code_of
from driftdeck.tui.keys import load_keymap

DEMO_INTERVAL = 4.0  # seconds: the actors' changes show up quickly
DEMO_EXTRA_MISSING = "driftdeck demo needs the demo extra: pip install 'driftdeck[demo]'"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="try driftdeck without an AWS account: a local estate that drifts while you watch",
        description=(
            "Starts a local AWS emulator (moto) on 127.0.0.1, creates a small estate with its Terraform code "
            "and state in a temporary folder, opens the dashboard, and has named actors change things out of band."
        ),
    )
    add_common_options(parser, interval=DEMO_INTERVAL)
    parser.add_argument("--start-after", type=float, default=2.0,
                        help="seconds after the first scan before the first actor acts (default 2)")
    parser.add_argument("--step", type=float, default=6.0, help="seconds between actors (default 6)")
    parser.add_argument("--workspace", type=Path, help="build the demo here instead of a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace afterwards")
    parser.set_defaults(func=run)


def emulator_installed() -> bool:
    """The local AWS emulator (moto's server) comes with the `demo` extra, not with every install."""
    try:
        import moto.server  # noqa: F401 - a third-party package: present only with the demo extra
    except ImportError:
        return False
    return True


def run(args: argparse.Namespace) -> int:
    if not emulator_installed():
        print(DEMO_EXTRA_MISSING, file=sys.stderr)
        return 2
    from driftdeck.tui.app import (
        DriftdeckApp,  # deferred: the app; --help must not load it (bench/import_time.py)
    )
    from driftdeck.tui.audit_core import (
        open_feed,  # deferred: the app; --help must not load it (bench/import_time.py)
    )
    from driftdeck.tui.audit_feed import (
        MemoryFeed,  # deferred: the app; --help must not load it (bench/import_time.py)
    )
    from driftdeck.tui.demo import (  # deferred: the app; --help must not load it (bench/import_time.py)
        Actors,
        build_workspace,
        demo_scan_options,
        local_aws,
        make_workspace,
    )

    # The emulator logs every request; on a full-screen terminal that would tear the display.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    keymap = load_keymap(args.keymap)
    workspace = args.workspace.resolve() if args.workspace else make_workspace()
    workspace.mkdir(parents=True, exist_ok=True)
    # The demo's audit log is signed with the user's key in the documented default location
    # (created and pinned on first use, as by the first scan), so `driftdeck audit verify` on the
    # demo workspace verifies afterwards with no options.
    emulator = contextlib.ExitStack()
    try:
        feed = MemoryFeed() if args.no_audit else open_feed(workspace, read_only=args.read_only)
        actors = Actors(workspace, start_after=args.start_after, every=args.step)

        def prepare(progress: Callable[[str], None]) -> None:
            # In the dashboard's worker thread, so the screen says what is happening from the first second.
            progress("starting the local AWS emulator (moto) on 127.0.0.1…")
            emulator.enter_context(local_aws())
            build_workspace(workspace, progress=progress)

        app = DriftdeckApp(
            workspace,
            # Attribution comes from the trail folder the actors deliver to, through the real engine.
            scanner=lambda: run_scan(demo_scan_options(workspace), ctx=AwsContext()),
            feed=feed,
            poll_interval=args.interval,
            read_only=args.read_only,
            watch=not args.no_watch,
            keymap=keymap,
            record_audit=not args.no_audit,
            title="demo" if not args.workspace else f"demo · {workspace.name}",
            prepare=prepare,
            on_first_scan=actors.start,  # the clean estate is on screen before anyone changes it
        )

        def announce(text: str) -> None:
            try:
                app.call_from_thread(app.notify, text, title="demo actor", timeout=6)
                # Show each change at once rather than at the next poll (polling goes on as configured).
                app.call_from_thread(app.action_rescan)
            except RuntimeError:
                pass  # the app has already exited

        actors.announce = announce
        try:
            app.run()
        finally:
            actors.stop()
            emulator.close()
    finally:
        if not args.workspace and not args.keep:
            shutil.rmtree(workspace, ignore_errors=True)
        elif args.keep:
            print(f"demo workspace kept at {workspace}")
    return exit_code_of(app)
