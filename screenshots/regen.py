"""Regenerate the README screenshots from the real demo, headless.

Starts the demo's local AWS, builds its estate, runs the app headless, lets every demo actor act,
and saves SVGs (Textual's save_screenshot) of the main states; PNGs too when `rsvg-convert` is on
PATH (Debian: librsvg2-bin).

    .venv/bin/python screenshots/regen.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from textual.worker import WorkerState

from driftdeck.core.aws import AwsContext
from driftdeck.core.scan.run import run_scan
from driftdeck.tui import messages as msg
from driftdeck.tui.app import DriftdeckApp
from driftdeck.tui.audit_core import open_feed
from driftdeck.tui.demo import Actors, build_workspace, demo_scan_options, local_aws
from driftdeck.tui.widgets.resource_tree import ResourceTree

SIZE = (170, 48)
SG = "module.network.aws_security_group.web"
BUCKET = "aws_s3_bucket.assets"
PENDING = "module.queues.aws_sqs_queue.orders"  # carol's unapplied .tf edit


async def settle(app: DriftdeckApp, pilot: Any) -> None:
    for _ in range(50):
        busy = [w for w in app.workers if w.group != "watch" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
        if not busy:
            await pilot.pause()
            return
        await asyncio.sleep(0.05)
    await pilot.pause()


async def shoot(workspace: Path, out: Path) -> list[Path]:
    feed = open_feed(workspace)
    actors = Actors(workspace, start_after=0, every=0)
    app = DriftdeckApp(
        workspace,
        # Attribution from the CloudTrail records the actors deliver, through the real engine.
        scanner=lambda: run_scan(demo_scan_options(workspace), ctx=AwsContext()),
        feed=feed, poll_interval=0, watch=False, title="driftdeck demo",
    )
    app.audit_debounce = 0
    saved: list[Path] = []

    def save(name: str) -> None:
        app.clear_notifications()
        saved.append(Path(app.save_screenshot(f"{name}.svg", str(out))))

    async with app.run_test(size=SIZE) as pilot:
        while app.scans_applied == 0:
            await asyncio.sleep(0.05)
        await settle(app, pilot)
        actors.start().join(timeout=60)  # every actor acts (the live demo spaces them out)
        code = workspace / "modules" / "queues" / "main.tf"
        app.post_message(msg.FilesChanged({code}))  # what the watcher reports for carol's edit
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)

        tree.select_key(SG)
        await settle(app, pilot)
        save("overview")

        tree.select_key(BUCKET)
        await settle(app, pilot)
        save("changed-resource-detail")

        tree.select_key(PENDING)
        await settle(app, pilot)
        save("pending-code-edit")

        await pilot.press("a")  # all events
        await settle(app, pilot)
        panel_rows = app.query_one("#audit-events")
        events = app.query_one("AuditPanel").events  # type: ignore[attr-defined]
        config_row = next((i for i, e in enumerate(events) if e.kind == "config.changed"), 0)
        panel_rows.move_cursor(row=config_row)  # type: ignore[attr-defined]
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        save("audit-panel-diff")
        await pilot.press("a")
        await settle(app, pilot)

        await pilot.press("h")  # the estate over time, from the verified log
        await settle(app, pilot)
        save("history-estate")
        await pilot.press("escape")
        await settle(app, pilot)

        tree.select_key(SG)
        await settle(app, pilot)
        if app.check_action("plan", ()):
            await pilot.press("p")
            # The plan screen builds its plans in a worker ("planning…"): shoot once its tabs are up.
            for _ in range(600):
                if app.screen.query("#plan-tabs"):
                    break
                await asyncio.sleep(0.05)
            await settle(app, pilot)
            save("remediation-plan")
            await pilot.press("escape")
    return saved


def to_png(svg: Path) -> Path | None:
    tool = shutil.which("rsvg-convert")
    if tool is None:
        return None
    png = svg.with_suffix(".png")
    subprocess.run([tool, "--zoom", "1", "-o", str(png), str(svg)], check=True)
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="driftdeck-shots-") as tmp:
        # A throwaway audit key and config: screenshots never touch the user's own.
        os.environ["DRIFTDECK_CONFIG_DIR"] = str(Path(tmp) / "config")
        workspace = Path(tmp) / "demo"
        with local_aws():
            build_workspace(workspace)
            saved = asyncio.run(shoot(workspace, args.out))
    for svg in saved:
        png = to_png(svg)
        print(svg, "+", png.name if png else "(no PNG: rsvg-convert not found)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
