"""The detail pane names the declaring block even when the engine had no position for it, and finds
it in a worker: the UI thread never parses the code."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static
from tui_helpers import run_async, wait_for

from driftdeck.core.model import ResourceResult, SourceRef, Status
from driftdeck.tui.widgets import detail
from driftdeck.tui.widgets.detail import LOCATING, DetailPane, locate_source

ADDRESS = "module.queues.aws_sqs_queue.jobs[0]"


def _workspace(root: Path) -> Path:
    (root / "main.tf").write_text('module "queues" {\n  source = "./modules/queues"\n}\n')
    (root / "modules" / "queues").mkdir(parents=True)
    (root / "modules" / "queues" / "main.tf").write_text('# jobs\n\nresource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n')
    return root


def _unpositioned() -> ResourceResult:
    return ResourceResult(ADDRESS, "aws_sqs_queue", "u", Status.IN_SYNC, SourceRef(kind="terraform", state="terraform.tfstate"))


def test_position_falls_back_to_the_block_in_a_local_module(tmp_path: Path) -> None:
    assert locate_source(_workspace(tmp_path), ADDRESS) == "modules/queues/main.tf:3"
    pane = DetailPane(tmp_path)
    given = ResourceResult("aws_sqs_queue.x", "aws_sqs_queue", "u", Status.IN_SYNC,
                           SourceRef(kind="terraform", file=str(tmp_path / "main.tf"), line=7))
    assert pane._source_location(given) == "main.tf:7"


class PaneHost(App[None]):
    def __init__(self, workspace: Path) -> None:
        super().__init__()
        self.workspace = workspace
        self.keys_seen: list[str] = []

    def compose(self) -> ComposeResult:
        yield DetailPane(self.workspace, id="detail")

    def on_key(self, event: object) -> None:
        self.keys_seen.append(getattr(event, "key", ""))


@run_async
async def test_the_source_row_is_located_in_a_worker_while_keys_still_work(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real = detail.locate_source

    def slow_locate(workspace: Path, address: str) -> str | None:
        assert threading.current_thread() is not threading.main_thread()
        release.wait(timeout=30)
        return real(workspace, address)

    monkeypatch.setattr(detail, "locate_source", slow_locate)
    app = PaneHost(_workspace(tmp_path))
    async with app.run_test() as pilot:
        pane = app.query_one(DetailPane)
        identity = pane.query_one("#detail-identity", Static)
        pane.show(_unpositioned())
        await pilot.press("x")  # handled while the locate worker is blocked
        assert app.keys_seen == ["x"]
        assert LOCATING in str(identity.render())
        release.set()
        await wait_for(pilot, lambda: "modules/queues/main.tf:3" in str(identity.render()))
        assert LOCATING not in str(identity.render())
