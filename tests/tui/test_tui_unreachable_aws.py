"""The TUI shows "cannot reach AWS at <url>" as a failed scan, not a tree of `?` rows."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from tui_helpers import run_async, settle

from driftdeck.core.aws import AwsContext
from driftdeck.core.scan.run import ScanOptions, run_scan


@pytest.fixture
def closed_endpoint(monkeypatch: pytest.MonkeyPatch) -> str:
    with socket.socket() as s:  # bound, never listened on, closed: connections are refused
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                       "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
                       "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
        monkeypatch.setenv(key, value)
    return url


@run_async
async def test_the_tui_shows_that_aws_cannot_be_reached(closed_endpoint: str, tmp_path: Path) -> None:
    from textual.widgets import Static

    from driftdeck.tui.app import DriftdeckApp
    from driftdeck.tui.audit_feed import MemoryFeed
    from driftdeck.tui.widgets.bars import PollBar

    (tmp_path / "terraform.tfstate").write_text(json.dumps({
        "version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": [
            {"mode": "managed", "type": "aws_sqs_queue", "name": "q",
             "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
             "instances": [{"attributes": {"id": "http://127.0.0.1/123456789012/q", "name": "q"}}]}]}))
    ctx = AwsContext()
    app = DriftdeckApp(tmp_path, scanner=lambda: run_scan(ScanOptions(path=tmp_path, reader="native"), ctx=ctx),
                       poll_interval=0, watch=False, feed=MemoryFeed())
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        expected = f"cannot reach AWS at {closed_endpoint}: connection refused"
        assert app.poll.error == expected
        # What the operator sees: the whole line in the error box above the tree, and the status
        # line pointing at it.
        assert expected in " ".join(str(app.query_one("#scan-error-text", Static).render()).split())
        assert "last scan failed" in app.query_one(PollBar)._last
        assert app.scans_applied == 0  # no page of `?` rows standing in for a scan
