"""Drift history from logs written by real scans (`driftdeck scan` against the moto server, CloudTrail
records in a folder for attribution): drift appears, resolves and flaps; actors are attributed; the
dashboard's timeline section and estate view draw it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ct_records import iam_user, now, record
from tui_helpers import run_async, wait_for

from driftdeck.core.audit import AuditConfig, AuditReader
from driftdeck.core.audit.history import HistoryModel
from driftdeck.tui.cli import main

BUCKET = "dd-data"
ADDRESS = "aws_s3_bucket.data"


class Story:
    """Out-of-band changes made with boto3, each logged as CloudTrail would, then a real `driftdeck scan`."""

    def __init__(self, estate: Any, capsys: pytest.CaptureFixture[str]) -> None:
        self.estate = estate
        self.capsys = capsys
        self.trail = estate.workspace.parent / "trail"
        self.trail.mkdir()
        self.records: list[dict[str, Any]] = []
        self.applied_tags = estate.client("s3").get_bucket_tagging(Bucket=BUCKET)["TagSet"]

    def put_back(self) -> None:
        """The tags as applied (an unattributed fix, as a later apply would make)."""
        self.estate.client("s3").put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": self.applied_tags})

    def retag(self, actor: str, env: str) -> None:
        tagging = {"TagSet": [t for t in self.applied_tags if t["Key"] != "Env"] + [{"Key": "Env", "Value": env}]}
        self.estate.client("s3").put_bucket_tagging(Bucket=BUCKET, Tagging=tagging)
        self.records.append(record("PutBucketTagging", "s3", iam_user(actor), when=now(),
                                   params={"bucketName": BUCKET, "Tagging": tagging, "tagging": ""}))
        # Only this change's record: an earlier one must not explain this drift again.
        (self.trail / "events.json").write_text(json.dumps({"Records": self.records[-1:]}))

    def scan(self) -> int:
        code = main(["scan", str(self.estate.workspace), "--no-unmanaged", "--cloudtrail", str(self.trail),
                     "--reader", "native"])
        self.capsys.readouterr()
        return code

    def history(self) -> dict[str, Any]:
        assert main(["history", str(self.estate.workspace), "--format", "json"]) == 0
        return dict(json.loads(self.capsys.readouterr().out))


@pytest.fixture()
def story(estate: Any, capsys: pytest.CaptureFixture[str]) -> Story:
    return Story(estate, capsys)


def _drift_events(workspace: Path) -> list[Any]:
    reader = AuditReader.for_workspace(workspace)
    return [e for e in reader.entries_since(-1, kinds=("drift.detected", "drift.resolved"))
            if e.data.get("key") == ADDRESS]


def test_drift_appears_resolves_and_flaps_with_attributed_actors(story: Story) -> None:
    assert story.scan() == 0  # all in sync: no episode
    assert story.history()["resources"] == []

    story.retag("alice", "dev")
    assert story.scan() == 1
    doc = story.history()
    (episode,) = {r["address"]: r for r in doc["resources"]}[ADDRESS]["episodes"]
    assert episode["end"] is None and episode["resolution_seconds"] is None
    assert episode["statuses"] == ["changed"] and episode["actors"] == ["alice"]

    story.put_back()
    assert story.scan() == 0
    story.retag("bob", "staging")
    assert story.scan() == 1
    story.put_back()
    assert story.scan() == 0

    doc = story.history()
    episodes = {r["address"]: r for r in doc["resources"]}[ADDRESS]["episodes"]
    events = _drift_events(story.estate.workspace)
    assert [(e.kind, e.data["to"]) for e in events] == [
        ("drift.detected", "changed"), ("drift.resolved", "in_sync"),
        ("drift.detected", "changed"), ("drift.resolved", "in_sync")]
    # Each episode spans its own detection and resolution events, to the millisecond the log recorded.
    assert [(ep["start"], ep["end"]) for ep in episodes] == [(events[0].ts, events[1].ts), (events[2].ts, events[3].ts)]
    assert [ep["actors"] for ep in episodes] == [["alice"], ["bob"]]
    assert all(ep["resolution_seconds"] > 0 for ep in episodes)

    estate = doc["estate"]
    assert [p["drifted"] for p in estate["series"]] == [0, 1, 0, 1, 0]
    assert all(p["total"] == 6 and p["unknown"] == 0 for p in estate["series"])
    assert estate["top_actors"] == [{"actor": "alice", "changes": 1}, {"actor": "bob", "changes": 1}]
    assert estate["most_drifting"][0] == {"address": ADDRESS, "episodes": 2,
                                          "drifted_seconds": pytest.approx(sum(ep["resolution_seconds"] for ep in episodes), abs=2e-3)}
    assert estate["resolved_episodes"] == 2 and estate["open_episodes"] == 0
    assert estate["mean_time_to_resolution_seconds"] == pytest.approx(
        sum(ep["resolution_seconds"] for ep in episodes) / 2, abs=1e-3)

    model = HistoryModel(AuditReader.for_workspace(story.estate.workspace))
    model.refresh()
    history = model.resource(ADDRESS)
    assert history is not None
    start, end = history.episodes[0].start - 1, history.episodes[-1].end + 1  # type: ignore[operator]
    # Seen in sync by the first scan, so in sync (not untracked) before the first episode.
    assert [b[2] for b in history.bands(start, end)] == ["in_sync", "changed", "in_sync", "changed", "in_sync"]


@run_async
async def test_timeline_section_and_estate_view_draw_the_scanned_log(story: Story) -> None:
    from textual.widgets import Sparkline, Static

    from driftdeck.tui.app import DriftdeckApp
    from driftdeck.tui.audit_core import open_feed
    from driftdeck.tui.screens.history import HistoryScreen, TimelineSection
    from driftdeck.tui.widgets.resource_tree import ResourceTree

    story.scan()
    story.retag("alice", "dev")
    story.scan()
    story.put_back()
    story.scan()
    story.retag("bob", "qa")

    from driftdeck.core.aws import AwsContext
    from driftdeck.core.scan.run import ScanOptions, run_scan

    workspace = story.estate.workspace

    def scanner() -> Any:
        return run_scan(ScanOptions(path=workspace, detect_unmanaged=False, cloudtrail=str(story.trail)),
                        ctx=AwsContext())

    app = DriftdeckApp(workspace, scanner=scanner, poll_interval=0, watch=False, feed=open_feed(workspace))
    async with app.run_test(size=(160, 50)) as pilot:
        tree = app.query_one(ResourceTree)
        await wait_for(pilot, lambda: ADDRESS in tree.results)
        assert tree.select_key(ADDRESS)
        section = app.query_one(TimelineSection)

        def shown() -> str:
            return str(section.render())

        # The dashboard's own scan records the second drift; the section folds it in on its refresh.
        await wait_for(pilot, lambda: "2 drift episodes" in shown(), rounds=2000)
        text = shown()
        assert "chain verified up to seq" in text
        assert "alice" in text and "bob" in text and "open" in text
        assert "mean time to resolution" in text

        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        screen = app.screen
        await wait_for(pilot, lambda: "verified up to seq" in str(screen.query_one("#history-chain", Static).render()))
        drifted = screen.query_one("#spark-drifted", Sparkline)
        assert max(drifted.data or [0]) == 1
        actors = str(screen.query_one("#history-actors", Static).render())
        assert "alice" in actors and "bob" in actors
        assert ADDRESS in str(screen.query_one("#history-drifting", Static).render())
        await pilot.press("w")  # the last 7 days: everything here happened within them
        await wait_for(pilot, lambda: "window: 7 days" in str(screen.query_one("#history-chain", Static).render()))
        assert max(screen.query_one("#spark-drifted", Sparkline).data or [0]) == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HistoryScreen))


def test_a_log_edited_after_the_scans_is_not_drawn(story: Story) -> None:
    story.scan()
    story.retag("alice", "dev")
    story.scan()
    log_dir = AuditConfig.load().log_dir_for(story.estate.workspace.resolve())
    segment = sorted(log_dir.glob("seg-*.jsonl"))[0]
    segment.write_bytes(segment.read_bytes().replace(b'"alice"', b'"carol"'))
    assert main(["history", str(story.estate.workspace)]) == 2
    out = story.capsys.readouterr()
    assert out.out == "" and "does not verify" in out.err and len(out.err.strip().splitlines()) == 1
