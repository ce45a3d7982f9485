"""Item 9: the read API for front ends, keys and configuration."""

from __future__ import annotations

import os
import stat

import pytest
from audit_kit import LogKit

from driftdeck.core.audit import AuditConfig, AuditLog, AuditReader
from driftdeck.core.audit.actor import cloud_actor, default_actor
from driftdeck.core.errors import InputError


def _populate(kit: LogKit) -> AuditLog:
    log = kit.open()
    log.append("drift.detected", subject={"address": "aws_s3_bucket.logs", "provider_id": "logs-bkt"},
               data={"key": "aws_s3_bucket.logs"}, before={"acl": "private"}, after={"acl": "public-read"})
    log.append("cloud.change.attributed", subject={"address": "aws_s3_bucket.logs"},
               actor=cloud_actor("arn:aws:iam::123456789012:user/mallory", via="console"),
               data={"event": "PutBucketAcl"})
    log.append("operator.note", subject={"address": "aws_iam_role.ci"}, data={"text": "looked at it"},
               after={"policy": "p" * 5000})
    return log


def test_iter_entries_newest_first_with_filters(kit: LogKit) -> None:
    log = _populate(kit)
    log.close()
    reader = AuditReader(kit.log_dir)
    kinds = [e.kind for e in reader.iter_entries()]
    assert kinds[0] == "audit.checkpoint" and kinds[-1] == "audit.genesis"
    seqs = [e.seq for e in reader.iter_entries()]
    assert seqs == sorted(seqs, reverse=True)
    assert [e.kind for e in reader.iter_entries(resource="aws_s3_bucket.logs")] == [
        "cloud.change.attributed", "drift.detected"]
    assert [e.kind for e in reader.iter_entries(resource="logs-bkt")] == ["drift.detected"]
    assert [e.kind for e in reader.iter_entries(actor="mallory")] == ["cloud.change.attributed"]
    assert [e.kind for e in reader.iter_entries(kinds={"operator.note", "drift.detected"})] == [
        "operator.note", "drift.detected"]
    assert list(reader.iter_entries(since="2999")) == []
    assert len(list(reader.iter_entries(until="2000"))) == 0
    assert len(list(reader.iter_entries(limit=2))) == 2


def test_get_resolves_blobs_and_entries_since_follows_appends(kit: LogKit) -> None:
    log = _populate(kit)
    reader = AuditReader(kit.log_dir)
    note = next(reader.iter_entries(kinds={"operator.note"}))
    full = reader.get(note.seq)
    assert full is not None and full.after == {"policy": "p" * 5000} and full.after_ref is not None
    drift = reader.get(2)
    assert drift is not None and drift.before == {"acl": "private"} and drift.after == {"acl": "public-read"}
    assert reader.get(10_000) is None
    head = reader.last_seq()
    assert reader.entries_since(head) == []
    new = log.append("operator.note", data={"text": "new"})
    assert [e.seq for e in reader.entries_since(head)] == [new.seq]
    log.close()


def test_get_bisects_large_segments(kit: LogKit) -> None:
    log = kit.open()
    with log.batch():
        for i in range(3000):
            log.append("operator.note", data={"i": i, "pad": "z" * 100})
    log.close()
    reader = AuditReader(kit.log_dir)
    for seq in (0, 2, 1500, 2999, 3001):
        entry = reader.get(seq)
        assert entry is not None and entry.seq == seq
    notes = [e for e in reader.iter_entries(kinds={"operator.note"})]
    assert reader.get(notes[700].seq).data == notes[700].data  # type: ignore[union-attr]


def test_incremental_state_checks_only_new_lines_and_notices_tampering(kit: LogKit) -> None:
    log = _populate(kit)
    reader = AuditReader(kit.log_dir, kit.config.pinned_keys())
    state = reader.state()
    assert state.status == "verified" and state.verified_through == log.size - 1
    assert state.signed_through == 2  # genesis checkpoint; the session is still open
    log.checkpoint("test")
    state = reader.state()
    assert state.verified_through == log.size - 1 and state.signed_through == log.size
    before = reader._incremental.idx  # type: ignore[union-attr]
    log.append("operator.note", data={"i": 1})
    reader.state()
    assert reader._incremental.idx == before + 1  # type: ignore[union-attr]  # one new line read
    log.close()
    # An edit of an already-verified line is found when the file shrinks or is replaced ...
    seg = sorted(kit.log_dir.glob("seg-*.jsonl"))[0]
    lines = seg.read_bytes().split(b"\n")[:-1]
    seg.write_bytes(b"".join(x + b"\n" for x in lines[:3] + lines[4:]))
    state = reader.state()
    assert state.status == "tampered" and state.tampered_at == 3
    assert state.summary() == "tampered at seq 3"


def test_default_actor_and_cloud_actor() -> None:
    actor = default_actor({"Arn": "arn:aws:iam::1:user/a", "Account": "1", "UserId": "X"})
    assert actor["aws_arn"] == "arn:aws:iam::1:user/a" and actor["aws_account"] == "1"
    assert actor["user"] and actor["host"] and actor["type"] == "operator"
    assert cloud_actor("arn:x", via="console")["principal"] == "arn:x"


def test_key_is_private_outside_the_log_and_pinned(kit: LogKit) -> None:
    log = kit.open()
    log.close()
    key = kit.config.key_path()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not str(key).startswith(str(kit.log_dir))
    assert len(kit.config.pinned_keys()) == 1
    os.chmod(key, 0o644)
    with pytest.raises(InputError, match="readable by other users"):
        kit.open()
    os.chmod(key, 0o600)
    inside = AuditConfig(config_dir=kit.config_dir, key_file=kit.log_dir / "key")
    with pytest.raises(InputError, match="must not live inside"):
        AuditLog.open(kit.workspace, config=inside)


def test_key_path_from_environment(kit: LogKit, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTDECK_AUDIT_KEY", str(kit.root / "elsewhere" / "k.pem"))
    log = kit.open()
    log.close()
    assert (kit.root / "elsewhere" / "k.pem").exists()
    assert not (kit.config_dir / "audit-signing-key").exists()


def test_config_file_is_read_and_checked(kit: LogKit) -> None:
    (kit.config_dir).mkdir(exist_ok=True)
    path = kit.config_dir / "audit.toml"
    path.write_text('log_dir = "/tmp/x"\nheartbeat_seconds = 60\n[anchor]\nbucket = "b"\nprefix = "p/"\n')
    cfg = AuditConfig.load()
    assert str(cfg.log_dir) == "/tmp/x" and cfg.heartbeat_seconds == 60
    assert cfg.anchor is not None and cfg.anchor.bucket == "b" and cfg.anchor.prefix == "p/"
    path.write_text("bogus = 1\n")
    with pytest.raises(InputError, match="unknown settings"):
        AuditConfig.load()
    path.write_text("[anchor\n")
    with pytest.raises(InputError, match="invalid TOML"):
        AuditConfig.load()


def test_reserved_and_malformed_kinds_are_refused(kit: LogKit) -> None:
    log = kit.open()
    for kind in ("audit.checkpoint", "audit.genesis", "audit.recovered", "nodot", "Bad.Kind", "a..b", ""):
        with pytest.raises(ValueError):
            log.append(kind)
    assert log.append("alert.delivery", data={"sink": "slack"}).kind == "alert.delivery"
    assert log.append("team.custom_event").kind == "team.custom_event"
    with pytest.raises(ValueError):
        log.append("operator.note", subject={"nested": "x"})
    log.close()


def test_stored_bytes_are_exactly_the_canonical_bytes(kit: LogKit) -> None:
    import json

    from driftdeck.core.audit.canonical import canonical_bytes

    log = kit.open()
    log.append("operator.note", subject={"address": "a\u00e9\u2603"}, data={"t": "caf\u00e9 \n\t\"q\"", "n": -5})
    log.append("operator.note", data={"x": [1, {"b": 2, "a": None}]}, actor={"type": "ci", "user": "bot"})
    log.append("operator.note", data={}, before={"k": "v"}, after=[1, 2])
    log.close()
    for line in kit.lines():
        assert canonical_bytes(json.loads(line)) == line


def test_idle_heartbeat_thread_writes_signed_heartbeats(kit: LogKit) -> None:
    import time

    kit.config = AuditConfig(config_dir=kit.config_dir, heartbeat_seconds=1)
    log = kit.open()
    log.start_heartbeat()
    reader = AuditReader(kit.log_dir, kit.config.pinned_keys())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not list(reader.iter_entries(kinds={"audit.heartbeat"})):
        time.sleep(0.1)
    log.close()
    beats = list(reader.iter_entries(kinds={"audit.heartbeat"}))
    assert beats and beats[0].data["interval_s"] == 1
    result = kit.verify()
    assert result.exit_code == 0 and result.signed_through == result.entries


def test_writer_state_cache_speeds_reopen_but_is_never_trusted(kit: LogKit) -> None:
    import json

    kit.build(5)
    state_path = kit.log_dir / "index" / "writer-state.json"
    log = kit.open()
    assert log.resumed_from_cache
    log.append("operator.note", data={"x": 1})
    log.close()
    assert kit.verify().exit_code == 0

    # Another writer appended after the cache was written: the cache's head still matches, the
    # newer lines are read on open.
    state = json.loads(state_path.read_text())
    other = kit.open()
    other.append("operator.note", data={"x": 2})
    other.close()
    state_path.write_text(json.dumps(state))
    log = kit.open()
    assert log.resumed_from_cache
    log.append("operator.note", data={"x": 3})
    log.close()
    assert kit.verify().exit_code == 0

    # A cache whose head does not match the log is ignored.
    state = json.loads(state_path.read_text())
    state["head"] = "0" * 64
    state_path.write_text(json.dumps(state))
    log = kit.open()
    assert not log.resumed_from_cache
    log.close()
    assert kit.verify().exit_code == 0

    # The cache is authenticated with a key derived from the signing key: a forged tree (which
    # would make the writer sign a wrong head) is not taken, and the log still verifies.
    state = json.loads(state_path.read_text())
    state["subtrees"][0] = "ab" * 32
    state_path.write_text(json.dumps(state))
    log = kit.open()
    assert not log.resumed_from_cache
    log.close()
    assert kit.verify().exit_code == 0


def test_state_without_pinned_keys_checks_the_chain_only(kit: LogKit) -> None:
    kit.build(4)
    state = AuditReader(kit.log_dir).state()
    assert state.status == "verified" and state.signed_through == 0 and state.verified_through == 6


def test_entries_since_with_kinds_skips_other_lines(kit: LogKit) -> None:
    log = kit.open()
    log.append("operator.note", data={"kind": "drift.detected"})  # the text appears, the kind does not
    log.append("drift.detected", data={"key": "a"})
    log.close()
    found = AuditReader(kit.log_dir).entries_since(-1, kinds=["drift.detected"])
    assert [(e.kind, e.data) for e in found] == [("drift.detected", {"key": "a"})]
