"""`driftdeck history` and the history engine against a log whose figures are worked out by hand."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest
from audit_kit import LogKit

from driftdeck.core.audit import AuditReader
from driftdeck.core.audit.entry import Entry
from driftdeck.core.audit.history import HistoryModel, HistoryUnverifiable, bucket_series
from driftdeck.tui.cli import main


def _seconds(ts: str) -> float:
    # Independent of the engine's parser: the writer's fixed layout, read with strptime.
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() - datetime(1970, 1, 1).timestamp()


SUMMARY_1 = {"total": 4, "in_sync": 1, "changed": 1, "missing": 0, "pending": 0, "unmanaged": 1, "unknown": 1,
             "coverage_pct": 75}
SUMMARY_2 = {"total": 4, "in_sync": 2, "changed": 0, "missing": 1, "pending": 1, "unmanaged": 0, "unknown": 0,
             "coverage_pct": 100}
OTHER = {"total": 2, "in_sync": 0, "changed": 2, "missing": 0, "pending": 0, "unmanaged": 3, "unknown": 2,
         "coverage_pct": 0}


def _next_millisecond(ts: str) -> None:
    """Wait (on the condition, not a fixed time) until the log's clock has moved past `ts`."""
    while time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z" <= ts:
        pass


def _build(kit: LogKit) -> dict[str, Entry]:
    """a: changed -> missing -> resolved, attributed to alice (and bob, twice), then drifts again (open);
    b: pending, then gone from the scan; a second workspace's scan adds to the estate counts."""
    ws = str(kit.workspace)
    log = kit.open()

    def drift(kind: str, key: str, before: str | None, to: str) -> Entry:
        return log.append(kind, subject={"workspace": ws, "address": key, "resource_type": "aws_s3_bucket"},
                          data={"key": key, "from": before, "to": to})

    def attributed(actor: str, link: Entry, event: str) -> Entry:
        return log.append("cloud.change.attributed",
                          subject={"workspace": ws, "address": "aws_s3_bucket.a", "provider_id": "a-bkt"},
                          actor={"principal": f"arn:aws:iam::123456789012:user/{actor}"},
                          data={"actor": actor, "event_name": event, "attribute": "tags.Env",
                                "drift_event": f"{link.seq}:{link.hash}",
                                "resource": {"address": "aws_s3_bucket.a", "type": "aws_s3_bucket", "id": "a-bkt"}})

    e: dict[str, Entry] = {}
    e["a1"] = drift("drift.detected", "aws_s3_bucket.a", None, "changed")
    e["b1"] = drift("drift.detected", "aws_sqs_queue.b", None, "pending")
    e["scan1"] = log.append("scan.completed", subject={"workspace": ws}, data={"summary": SUMMARY_1})
    e["alice"] = attributed("alice", e["a1"], "PutBucketTagging")
    e["bob"] = attributed("bob", e["a1"], "PutBucketTagging")
    e["a2"] = drift("drift.detected", "aws_s3_bucket.a", "changed", "missing")
    e["other"] = log.append("scan.completed", subject={"workspace": "/elsewhere"}, data={"summary": OTHER})
    e["a3"] = drift("drift.resolved", "aws_s3_bucket.a", "missing", "in_sync")
    e["b2"] = drift("drift.resolved", "aws_sqs_queue.b", "pending", "absent")
    e["scan2"] = log.append("scan.completed", subject={"workspace": ws}, data={"summary": SUMMARY_2})
    _next_millisecond(e["scan2"].ts)  # the second episode starts strictly later (the --since test cuts there)
    e["a4"] = drift("drift.detected", "aws_s3_bucket.a", "in_sync", "changed")
    e["bob2"] = attributed("bob", e["a4"], "DeleteBucketTagging")
    e["code"] = log.append("config.changed", subject={"workspace": ws}, data={"file": "main.tf"})
    e["plan"] = log.append("remediation.planned", subject={"workspace": ws, "address": "aws_s3_bucket.a"},
                           data={"plan": "plan-a"})
    log.close()
    return e


def _history_json(capsys: pytest.CaptureFixture[str], kit: LogKit, *extra: str) -> dict[str, Any]:
    code = main(["history", str(kit.workspace), "--format", "json", *extra])
    out = capsys.readouterr()
    assert code == 0, out.err
    return dict(json.loads(out.out))


def test_history_json_figures_match_the_hand_computed_log(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    e = _build(kit)
    doc = _history_json(capsys, kit)
    assert doc["chain"]["status"] == "verified"
    resources = {r["address"]: r for r in doc["resources"]}
    assert set(resources) == {"aws_s3_bucket.a", "aws_sqs_queue.b"}

    first, second = resources["aws_s3_bucket.a"]["episodes"]
    assert first["start"] == e["a1"].ts and first["end"] == e["a3"].ts
    assert first["resolution_seconds"] == pytest.approx(_seconds(e["a3"].ts) - _seconds(e["a1"].ts), abs=1e-3)
    assert first["statuses"] == ["changed", "missing"] and first["resolved_to"] == "in_sync"
    assert first["actors"] == ["alice", "bob"]
    assert second == {"start": e["a4"].ts, "end": None, "resolution_seconds": None, "statuses": ["changed"],
                      "resolved_to": None, "actors": ["bob"]}
    (b,) = resources["aws_sqs_queue.b"]["episodes"]
    assert (b["start"], b["end"], b["resolved_to"]) == (e["b1"].ts, e["b2"].ts, "absent")

    estate = doc["estate"]
    # Each point sums every workspace's latest scan: 1+0+0 / 1 / 1 ; then + the other workspace;
    # then this workspace's second scan (0+1+1) with the other's still standing (2).
    assert [(p["seq"], p["drifted"], p["unknown"], p["unmanaged"], p["total"]) for p in estate["series"]] == [
        (e["scan1"].seq, 1, 1, 1, 4), (e["other"].seq, 3, 3, 4, 6), (e["scan2"].seq, 4, 2, 3, 6)]
    assert estate["top_actors"] == [{"actor": "bob", "changes": 2}, {"actor": "alice", "changes": 1}]
    assert estate["most_drifting"][0]["address"] == "aws_s3_bucket.a"
    assert estate["most_drifting"][0]["episodes"] == 2
    durations = [_seconds(e["a3"].ts) - _seconds(e["a1"].ts), _seconds(e["b2"].ts) - _seconds(e["b1"].ts)]
    assert estate["mean_time_to_resolution_seconds"] == pytest.approx(sum(durations) / 2, abs=1e-3)
    assert (estate["resolved_episodes"], estate["open_episodes"], estate["iac_edits"]) == (2, 1, 1)


def test_since_keeps_only_episodes_and_points_in_the_window(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    e = _build(kit)
    doc = _history_json(capsys, kit, "--since", e["a4"].ts)
    resources = {r["address"]: r["episodes"] for r in doc["resources"]}
    assert [ep["start"] for ep in resources["aws_s3_bucket.a"]] == [e["a4"].ts]
    assert doc["estate"]["series"] == [] and doc["estate"]["resolved_episodes"] == 0
    assert doc["estate"]["top_actors"] == [{"actor": "bob", "changes": 1}]


def test_text_output_makes_untrusted_names_printable(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    log = kit.open()
    link = log.append("drift.detected", subject={"workspace": str(kit.workspace), "address": "aws_s3_bucket.x"},
                      data={"key": "aws_s3_bucket.x\x1b[2J", "from": None, "to": "changed"})
    log.append("cloud.change.attributed", subject={"workspace": str(kit.workspace)},
               data={"actor": "eve\x1b]0;pwned\x07", "drift_event": f"{link.seq}:{link.hash}"})
    log.close()
    assert main(["history", str(kit.workspace)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "aws_s3_bucket.x\\x1b[2J" in out and "eve\\x1b]0;pwned\\x07" in out
    assert out.splitlines()[0].startswith("audit chain: verified up to seq")


def test_a_tampered_log_is_one_line_and_exit_2_and_never_drawn(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    _build(kit)
    kit.mutate(lambda lines: [line.replace(b'"alice"', b'"mallory"') for line in lines])
    assert main(["history", str(kit.workspace), "--format", "json"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert len(out.err.strip().splitlines()) == 1 and "does not verify" in out.err and "tampered at seq" in out.err
    model = HistoryModel(AuditReader(kit.log_dir))
    model.refresh()
    with pytest.raises(HistoryUnverifiable):
        model.view()


def test_no_log_is_exit_2(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", str(kit.workspace)]) == 2
    assert "no audit log here" in capsys.readouterr().err


def test_refresh_folds_in_only_what_was_appended(kit: LogKit) -> None:
    e = _build(kit)
    model = HistoryModel(AuditReader(kit.log_dir))
    assert model.refresh() and model.last_seq >= e["plan"].seq
    assert not model.refresh()  # nothing new: nothing read
    log = kit.open()
    resolved = log.append("drift.resolved", subject={"workspace": str(kit.workspace), "address": "aws_s3_bucket.a"},
                          data={"key": "aws_s3_bucket.a", "from": "changed", "to": "in_sync"})
    log.close()
    assert model.refresh()
    history = model.resource("aws_s3_bucket.a")
    assert history is not None and history.episodes[-1].end is not None
    assert history.episodes[-1].seqs == [e["a4"].seq, resolved.seq]
    bands = history.bands(_seconds(e["a1"].ts) - 10, _seconds(resolved.ts) + 10)
    assert [b[2] for b in bands] == ["untracked", "changed", "missing", "in_sync", "changed", "in_sync"]
    assert [m.kind for m in history.markers] == ["cloud.change.attributed"] * 3 + ["remediation.planned"]


def test_bucket_series_carries_the_last_count_forward(kit: LogKit) -> None:
    e = _build(kit)
    model = HistoryModel(AuditReader(kit.log_dir))
    model.refresh()
    start = _seconds(e["scan1"].ts) - 1
    end = _seconds(e["scan2"].ts) + 1
    values = bucket_series(model.series, start, end, 4)
    assert values[0] in (0.0, 1.0) and values[-1] == 4.0 and values == sorted(values)


def test_a_change_logged_before_its_drift_is_given_to_the_episode_it_explains(kit: LogKit) -> None:
    from driftdeck.core.audit import VerificationState

    def entry(seq: int, second: int, kind: str, data: dict[str, Any]) -> Entry:
        return Entry(seq, f"2026-01-01T00:00:{second:02d}.000Z", kind, {}, {"workspace": "/ws"}, data, "0" * 64,
                     f"{seq:064x}")

    key = "aws_s3_bucket.a"
    entries = [
        entry(1, 1, "cloud.change.attributed", {"actor": "alice", "resource": {"address": key}}),
        entry(2, 5, "drift.detected", {"key": key, "from": "in_sync", "to": "changed"}),
        entry(3, 9, "drift.resolved", {"key": key, "from": "changed", "to": "in_sync"}),
        entry(4, 20, "cloud.change.attributed", {"actor": "bob", "resource": {"address": key}}),  # unlinked, between
        entry(5, 30, "drift.detected", {"key": key, "from": "in_sync", "to": "missing"}),
    ]
    model = HistoryModel.from_entries(entries, VerificationState("verified", 5, 5), AuditReader(kit.log_dir))
    history = model.resource(key)
    assert history is not None
    assert [(e.actors, e.resolution_seconds) for e in history.episodes] == [(["alice"], 4.0), (["bob"], None)]
    assert history.initial == "in_sync"


def test_folding_in_small_chunks_gives_the_same_history(kit: LogKit, monkeypatch: pytest.MonkeyPatch) -> None:
    _build(kit)
    whole = HistoryModel(AuditReader(kit.log_dir))
    whole.refresh()
    monkeypatch.setattr("driftdeck.core.audit.history.FOLD_CHUNK", 3)  # chunk edges fall inside episodes
    chunked = HistoryModel(AuditReader(kit.log_dir))
    chunked.refresh()
    assert chunked.last_seq == whole.last_seq
    assert chunked.view(now=2e9).to_json() == whole.view(now=2e9).to_json()
    assert len(chunked.view(now=2e9).resources) == 2


def test_a_since_that_is_neither_a_duration_nor_a_time_is_exit_2(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    _build(kit)
    assert main(["history", str(kit.workspace), "--since", "last tuesday"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--since 'last tuesday'" in err
