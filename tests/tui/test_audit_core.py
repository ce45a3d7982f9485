"""The audit panel's feed over the real hash-chained log, and the app wired to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sample_reports import drifted_estate, small_estate
from tui_helpers import make_app, run_async, settle, wait_for

from driftdeck.tui.audit_core import CoreFeed, open_feed
from driftdeck.tui.widgets.audit_panel import AuditPanel
from driftdeck.tui.widgets.resource_tree import ResourceTree

SG = "module.network.aws_security_group.web"


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))


def test_feed_reads_writes_and_verifies_the_real_log(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    feed = open_feed(ws)
    assert isinstance(feed, CoreFeed)
    feed.record_scan(small_estate())
    feed.record_scan(drifted_estate())
    feed.append("config.changed", subject={"tool": "driftdeck", "workspace": str(ws)},
                data={"file": "main.tf", "diff": "-a\n+b\n"}, before="a\n", after="b\n")
    events = feed.events()
    assert events[0].seq == feed.head()
    # Config events are checkpointed at once: the newest non-checkpoint entry is ours.
    assert next(e for e in events if not e.kind.startswith("audit.")).kind == "config.changed"
    assert [e.seq for e in events] == sorted((e.seq for e in events), reverse=True)
    mine = feed.events(resource=SG)
    assert [e.kind for e in mine] == ["drift.detected"]
    full = feed.event(mine[0].seq)
    assert full is not None and full.after is not None and full.hash and full.prev
    assert feed.chain_state().state == "verified"
    feed.close()
    assert feed.verify().state == "verified"


def test_edited_entry_turns_the_badge_to_tampered(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    feed = open_feed(ws)
    feed.record_scan(drifted_estate())
    feed.close()
    segments = sorted((ws / ".driftdeck" / "audit").rglob("*.jsonl"))
    assert segments
    lines = segments[0].read_bytes().splitlines(keepends=True)
    entry = json.loads(lines[2])
    entry["data"]["to"] = "in_sync"  # rewrite history
    lines[2] = json.dumps(entry, separators=(",", ":"), sort_keys=True).encode() + b"\n"
    segments[0].write_bytes(b"".join(lines))
    state = open_feed(ws, read_only=True).verify()
    assert state.state == "tampered"
    assert state.seq == entry["seq"]


@run_async
async def test_app_records_transitions_in_the_real_log(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    feed = open_feed(ws)
    app = make_app(ws, [small_estate(), drifted_estate()], feed=feed)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        app.query_one(ResourceTree).select_key(SG)
        await settle(app, pilot)
        panel = app.query_one(AuditPanel)
        assert [e.kind for e in panel.events] == ["drift.detected"]
        # The verdict's own before/after per attribute, not a wall of added JSON.
        await wait_for(pilot, lambda: "ingress[1] (added)" in str(app.query_one("#audit-event-diff").render()))
        assert "+ {" in str(app.query_one("#audit-event-diff").render())
        await pilot.press("v")
        await settle(app, pilot)
        assert app.chain.state == "verified"
        assert "verified" in str(app.query_one("#chain-badge").render())
