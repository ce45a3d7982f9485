"""The tamper matrix of docs/design audit-log.md, rows B, C, D (local), E, F, G, H, I, J.

Every case asserts the finding's code AND its location (segment file, line, seq), not just failure.
Log shape from `kit.build(20)`: line 1 genesis (seq 0), line 2 its checkpoint (seq 1), lines 3..22
notes (seq 2..21), line 23 the session-end checkpoint (seq 22); notes sign sizes 2 and 23.
"""

from __future__ import annotations

import json
import os
import unicodedata

import pytest
from audit_kit import LogKit, edit, rechain

from driftdeck.core.audit import AuditConfig, NonCanonicalError
from driftdeck.core.audit.canonical import canonical_bytes
from driftdeck.core.audit.reader import AuditReader
from driftdeck.core.audit.signing_key import create_signer

SEG = "seg-000000000000.jsonl"


def codes(result):  # type: ignore[no-untyped-def]
    return [(f.code, f.segment, f.line, f.seq) for f in result.findings]


def test_clean_log_verifies(kit: LogKit) -> None:
    kit.build(20)
    result = kit.verify()
    assert result.exit_code == 0, codes(result)
    assert result.entries == 23 and result.signed_through == 23 and result.findings == []


# ---------------------------------------------------------------- B: edits
def test_naive_field_edit_is_edited_at_that_entry(kit: LogKit) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[:7] + [edit(L[7], data_i=99)] + L[8:])  # line 8 = seq 7
    result = kit.verify()
    assert result.exit_code == 2
    assert codes(result) == [("EDITED", SEG, 8, 7)]


def test_edit_with_chain_recomputed_is_caught_by_the_signed_checkpoint(kit: LogKit) -> None:
    kit.build(20, checkpoint_every=5)
    lines = kit.lines()
    # seq 9 is a note between the checkpoints signing sizes 8 and 14.
    assert json.loads(lines[9])["seq"] == 9
    lines[9] = edit(lines[9], data_i=1234)
    kit.write_lines(rechain(lines, 10))
    result = kit.verify()
    assert result.exit_code == 2
    first = result.findings[0]
    assert (first.code, first.segment, first.seq, first.seq_end) == (
        "EDITED", "checkpoints/000000000014.note", 8, 13)
    assert first.seq <= 9 <= first.seq_end


def test_blob_edit_and_blob_deletion(kit: LogKit) -> None:
    log = kit.open()
    entry = log.append("config.changed", data={"file": "x"}, before={"v": "a" * 5000}, after={"v": "b" * 5000})
    log.close()
    assert entry.raw.get("before_ref") and entry.raw.get("after_ref")
    before = kit.log_dir / "blobs" / entry.raw["before_ref"]["blake3"][:2] / entry.raw["before_ref"]["blake3"]
    after = kit.log_dir / "blobs" / entry.raw["after_ref"]["blake3"][:2] / entry.raw["after_ref"]["blake3"]
    before.write_bytes(before.read_bytes().replace(b"aaaa", b"aaab", 1))
    after.unlink()
    result = kit.verify()
    assert result.exit_code == 2
    assert [(f.code, f.segment, f.line, f.seq) for f in result.findings] == [
        ("EDITED", SEG, entry.seq + 1, entry.seq),
        ("MISSING", SEG, entry.seq + 1, entry.seq),
    ]
    assert "before_ref" in result.findings[0].detail and "after_ref" in result.findings[1].detail


# ---------------------------------------------------------------- C: deletions, moves, insertions
def test_delete_first_entry(kit: LogKit) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[1:])
    result = kit.verify()
    assert codes(result)[0] == ("MISSING", SEG, 1, 0)
    assert result.findings[0].seq_end == 0


def test_delete_middle_entry(kit: LogKit) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[:10] + L[11:])
    result = kit.verify()
    assert codes(result) == [("MISSING", SEG, 11, 10)]
    assert result.findings[0].seq_end == 10


def test_delete_last_entry_is_truncation_against_the_signed_checkpoint(kit: LogKit) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[:-1])
    result = kit.verify()
    assert [(f.code, f.segment, f.seq, f.seq_end) for f in result.findings] == [
        ("TRUNCATED", "checkpoints/000000000023.note", 22, 22)]


@pytest.mark.parametrize("k", [2, 3, 7])
def test_delete_k_consecutive_counts_exactly(kit: LogKit, k: int) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[:6] + L[6 + k:])
    result = kit.verify()
    assert codes(result) == [("MISSING", SEG, 7, 6)]
    assert result.findings[0].seq_end == 6 + k - 1
    assert result.findings[0].detail.startswith(f"{k} entries")


def test_two_separate_deletions_are_two_findings(kit: LogKit) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[:4] + L[5:15] + L[16:])
    result = kit.verify()
    assert codes(result) == [("MISSING", SEG, 5, 4), ("MISSING", SEG, 15, 15)]


def test_duplicate_entry(kit: LogKit) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[:9] + [L[8]] + L[9:])
    result = kit.verify()
    assert codes(result) == [("INSERTED", SEG, 10, 8)]


def test_swap_two_entries(kit: LogKit) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[:5] + [L[6], L[5]] + L[7:])
    result = kit.verify()
    assert codes(result) == [("REORDERED", SEG, 7, 5)]


def test_move_an_entry_far_down(kit: LogKit) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[:3] + L[4:18] + [L[3]] + L[18:])
    result = kit.verify()
    assert codes(result) == [("REORDERED", SEG, 18, 3)]


def test_cross_segment_move(kit: LogKit) -> None:
    kit.config = AuditConfig(config_dir=kit.config_dir, segment_entries=10)
    kit.build(20)
    first, second = kit.lines(0), kit.lines(1)
    assert json.loads(second[0])["seq"] == 10
    kit.write_lines(first[:-1], 0)  # seq 9 leaves segment 0 ...
    kit.write_lines([second[0], first[-1], *second[1:]], 1)  # ... and reappears after seq 10
    result = kit.verify()
    assert codes(result) == [("REORDERED", "seg-000000000010.jsonl", 2, 9)]


def test_inserted_foreign_entry_that_links_correctly(kit: LogKit) -> None:
    kit.build(20)
    lines = kit.lines()
    forged = edit(lines[6], data_i=-1, kind="drift.resolved")  # seq 6, prev = hash of seq 5: links
    kit.write_lines(lines[:6] + [forged] + lines[6:])
    result = kit.verify()
    assert codes(result) == [("INSERTED", SEG, 7, 6)]


def test_inserted_garbage_line(kit: LogKit) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[:12] + [b'{"not":"an entry"}'] + L[12:])
    result = kit.verify()
    assert codes(result) == [("INSERTED", SEG, 13, 12)]


def test_seq_gap_when_an_entry_is_removed_and_the_chain_rebuilt(kit: LogKit) -> None:
    kit.build(20)
    lines = kit.lines()
    kit.write_lines(rechain(lines[:8] + lines[9:], 8))
    result = kit.verify()
    assert codes(result)[0] == ("SEQ_GAP", SEG, 9, 8)


def test_splice_from_another_origin(kit: LogKit, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    other = LogKit(tmp_path / "other", monkeypatch) if (tmp_path / "other").mkdir() is None else None
    assert other is not None
    other.config = AuditConfig(config_dir=kit.config_dir)  # same key: only the chain can tell
    other.build(20)
    kit.build(20)
    foreign = other.lines()
    kit.mutate(lambda L: L[:10] + foreign[10:13] + L[13:])
    result = kit.verify()
    assert result.exit_code == 2
    first = result.findings[0]
    assert (first.code, first.segment, first.line, first.seq, first.seq_end) == ("EDITED", SEG, 11, 10, 12)


def test_unknown_files_in_the_log_directory(kit: LogKit) -> None:
    kit.build(5)
    (kit.log_dir / "seg-extra.jsonl").write_text("{}\n")
    (kit.log_dir / "blobs" / "ab").mkdir(parents=True)
    (kit.log_dir / "blobs" / "ab" / ("ab" * 32)).write_text("unreferenced")
    result = kit.verify()
    assert sorted((f.code, f.segment) for f in result.findings) == [
        ("UNKNOWN_FILE", f"blobs/ab/{'ab' * 32}"), ("UNKNOWN_FILE", "seg-extra.jsonl")]
    assert result.exit_code == 2


# ---------------------------------------------------------------- D: local truncation and checkpoints
def test_truncation_inside_the_unanchored_window_is_not_detectable_and_is_stated(kit: LogKit) -> None:
    kit.build(20)
    # The attacker cuts the last 3 entries and deletes the newest note: with no anchor configured,
    # nothing can tell. The verifier must say so instead of pretending.
    kit.mutate(lambda L: L[:-3])
    (kit.log_dir / "checkpoints" / "000000000023.note").unlink()
    result = kit.verify()
    assert result.exit_code == 0
    assert result.anchored_through is None and result.unanchored_from == 0
    assert result.signed_through == 2 and result.unsigned_from == 2


def test_deleting_local_checkpoint_notes(kit: LogKit) -> None:
    kit.build(20, checkpoint_every=5)
    notes = sorted((kit.log_dir / "checkpoints").glob("*.note"))
    for note in notes[:-1]:
        note.unlink()
    result = kit.verify()
    missing = [(f.code, f.segment, f.line, f.seq) for f in result.findings]
    assert missing[0] == ("MISSING", SEG, 2, 1)
    assert all(code == "MISSING" for code, *_ in missing) and len(missing) == len(notes) - 1


# ---------------------------------------------------------------- E/F: keys and malformed notes
def test_rewrite_everything_with_a_new_key(kit: LogKit) -> None:
    kit.build(10)
    # The attacker re-creates the log with their own key; the verifier pins the original key.
    pinned = kit.config.pinned_keys()
    attacker_dir = kit.root / "attacker"
    attacker = AuditConfig(config_dir=attacker_dir)
    os.environ["DRIFTDECK_CONFIG_DIR"] = str(attacker_dir)
    for path in list(kit.log_dir.rglob("*")):
        if path.is_file():
            path.unlink()
    kit.config = attacker
    kit.build(10)
    from driftdeck.core.audit.verify import verify

    result = verify(kit.log_dir, pinned)
    assert result.exit_code == 2
    assert {f.code for f in result.findings} == {"UNKNOWN_KEY"}
    assert {f.segment for f in result.findings} == {"checkpoints/000000000002.note", "checkpoints/000000000013.note"}


def _note(kit: LogKit, size: int = 23) -> os.PathLike[str]:
    return kit.log_dir / "checkpoints" / f"{size:012d}.note"


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda t: t.replace("driftdeck.audit/", "driftdeck.audit/x", 1), "BAD_SIGNATURE"),  # origin
        (lambda t: t.replace("\n23\n", "\n24\n", 1), "BAD_SIGNATURE"),  # size (signed text changed)
        (lambda t: t.replace("\n23\n", "\n023\n", 1), "BAD_SIGNATURE"),  # size not canonical decimal
        (lambda t: t.split("\n")[0] + "\n23\n!!notbase64!!\n\n" + t.split("\n\n", 1)[1], "BAD_SIGNATURE"),
        (lambda t: t[:-1], "BAD_SIGNATURE"),  # missing final newline
        (lambda t: t.replace("\n\n", "\n", 1), "BAD_SIGNATURE"),  # no blank line
    ],
    ids=["origin", "size", "size-format", "base64", "final-newline", "blank-line"],
)
def test_malformed_checkpoint_notes(kit: LogKit, mangle, code) -> None:  # type: ignore[no-untyped-def]
    kit.build(20)
    path = _note(kit)
    path.write_text(mangle(path.read_text()))
    result = kit.verify()
    assert result.exit_code == 2
    assert (result.findings[0].code, result.findings[0].segment, result.findings[0].seq) == (
        code, "checkpoints/000000000023.note", 22)


def test_note_signed_only_by_an_unknown_key(kit: LogKit) -> None:
    kit.build(20)
    stranger = create_signer(kit.root / "stranger.key", name="driftdeck-audit")
    path = _note(kit)
    body = path.read_text().split("\n\n")[0] + "\n"
    path.write_text(body + "\n" + stranger.signature_line(body))
    result = kit.verify()
    assert [(f.code, f.segment, f.seq) for f in result.findings] == [
        ("UNKNOWN_KEY", "checkpoints/000000000023.note", 22)]


def test_one_bad_signature_among_good_ones(kit: LogKit) -> None:
    kit.build(20)
    path = _note(kit)
    text = path.read_text()
    good = text.split("\n\n")[1]
    # A second line claiming the pinned key with a corrupted signature.
    name, b64 = good[2:].strip().rsplit(" ", 1)
    raw = bytearray(__import__("base64").b64decode(b64))
    raw[10] ^= 1
    bad = f"\u2014 {name} {__import__('base64').b64encode(bytes(raw)).decode()}\n"
    path.write_text(text + bad)
    result = kit.verify()
    assert [(f.code, f.segment, f.seq) for f in result.findings] == [
        ("BAD_SIGNATURE", "checkpoints/000000000023.note", 22)]


def test_no_pinned_key_cannot_verify(kit: LogKit) -> None:
    kit.build(5)
    from driftdeck.core.audit.verify import verify

    result = verify(kit.log_dir, [])
    assert result.exit_code == 3 and result.problems


# ---------------------------------------------------------------- G: rotation and revocation
def test_key_rotation_and_revocation(kit: LogKit) -> None:
    log = kit.open()
    log.append("operator.note", data={"i": 1})
    new = create_signer(kit.root / "new.key")
    kit.config.pin(new.verifier)
    log.rotate_key(new)
    log.append("operator.note", data={"i": 2})
    log.close()
    assert kit.verify().exit_code == 0
    rotated = [e for e in AuditReader(kit.log_dir).iter_entries(kinds={"audit.key.rotated"})]
    assert len(rotated) == 1 and rotated[0].data["new"] == new.verifier.encode()
    # Revoke the old key: notes signed only by it no longer count; the dual-signed one still does.
    old = [k for k in kit.config.pinned_keys() if k.key_id != new.verifier.key_id][0]
    kit.config = AuditConfig(config_dir=kit.config_dir, revoked_keys=(old.encode(),))
    result = kit.verify()
    assert result.exit_code == 2
    assert {f.code for f in result.findings} == {"UNKNOWN_KEY"}
    dual_size = rotated[0].seq + 2
    flagged = {f.segment for f in result.findings}
    assert f"checkpoints/{dual_size:012d}.note" not in flagged
    assert "checkpoints/000000000002.note" in flagged


# ---------------------------------------------------------------- H: canonical form
@pytest.mark.parametrize(
    "value",
    [1.5, -0.0, 2**53, -(2**53), unicodedata.normalize("NFD", "café"), {1: "int key"}, float("nan")],
    ids=["float", "negative-zero", "2^53", "-2^53", "nfd", "int-key", "nan"],
)
def test_non_canonical_values_are_rejected_at_write(kit: LogKit, value) -> None:  # type: ignore[no-untyped-def]
    log = kit.open()
    with pytest.raises(NonCanonicalError):
        log.append("operator.note", data={"v": value})
    with pytest.raises(NonCanonicalError):
        log.append("operator.note", data={}, after={"nested": [value]})
    log.close()
    assert kit.verify().exit_code == 0  # nothing half-written


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda s: s.replace('"i":5', '"i":5.0'),
        lambda s: s.replace('"i":5', '"i":-0.0'),
        lambda s: s.replace('"i":5', f'"i":{2**53 + 1}'),
        lambda s: s.replace('"i":5', '"i":"' + unicodedata.normalize("NFD", "é") + '"'),
        lambda s: s.replace('"i":5', '"i":5,"i":5'),
        lambda s: s.replace('"kind":"operator.note"', '"kind":"\\u006fperator.note"'),
        lambda s: s.replace('"i":5', '"i": 5'),
    ],
    ids=["float", "negative-zero", "2^53+1", "nfd", "duplicate-key", "escape", "whitespace"],
)
def test_non_canonical_lines_are_flagged_at_verify(kit: LogKit, rewrite) -> None:  # type: ignore[no-untyped-def]
    kit.build(20)
    lines = kit.lines()
    assert b'"i":5' in lines[7]
    lines[7] = rewrite(lines[7].decode()).encode()
    kit.write_lines(rechain(lines, 8))  # even a correctly chained non-canonical line is flagged
    result = kit.verify()
    assert result.exit_code == 2
    assert (result.findings[0].code, result.findings[0].segment, result.findings[0].line,
            result.findings[0].seq) == ("NONCANONICAL", SEG, 8, 7)


# ---------------------------------------------------------------- I: parser differential
def test_reader_shows_only_what_the_verifier_accepts(kit: LogKit) -> None:
    kit.build(10)
    lines = kit.lines()
    # Duplicate key: a lenient parser would show kind "remediation.applied"; the strict one refuses.
    lines[5] = lines[5].replace(b'"kind":"operator.note"', b'"kind":"operator.note","kind":"remediation.applied"')
    kit.write_lines(lines)
    reader = AuditReader(kit.log_dir, kit.config.pinned_keys())
    shown = {e.seq: e.kind for e in reader.iter_entries()}
    assert 5 not in shown and "remediation.applied" not in shown.values()
    assert reader.get(5) is None
    result = kit.verify()
    assert (result.findings[0].code, result.findings[0].line) == ("NONCANONICAL", 6)
    state = reader.state()
    assert state.status == "tampered" and state.tampered_at == 5


# ---------------------------------------------------------------- J: time
def test_timestamp_going_backwards(kit: LogKit) -> None:
    kit.build(20)
    lines = kit.lines()
    lines[9] = edit(lines[9], ts="2001-01-01T00:00:00.000Z")
    kit.write_lines(rechain(lines, 10))
    result = kit.verify()
    assert ("REORDERED", SEG, 10, 9) in codes(result)


def test_deleted_heartbeats_leave_a_heartbeat_gap(kit: LogKit, monkeypatch: pytest.MonkeyPatch) -> None:
    import time as real_time

    kit.config = AuditConfig(config_dir=kit.config_dir, heartbeat_seconds=60)
    now = [real_time.time() - 1000]
    monkeypatch.setattr("driftdeck.core.audit.log.time.time", lambda: now[0])
    log = kit.open()
    for _ in range(3):
        log.heartbeat()  # audit.heartbeat + its checkpoint
        now[0] += 50
    log.append("operator.note", data={"after": "beats"})
    log.close()
    lines = kit.lines()
    beats = [i for i, line in enumerate(lines) if b'"kind":"audit.heartbeat"' in line]
    assert len(beats) == 3
    # The attacker removes the middle heartbeat and its checkpoint, renumbers and re-chains.
    cut = beats[1]
    kept = lines[:cut] + lines[cut + 2:]
    renumbered = [edit(line, seq=i) for i, line in enumerate(kept)]
    kit.write_lines(rechain(renumbered, 1))
    result = kit.verify()
    assert result.exit_code == 2
    gap = [f for f in result.findings if f.code == "HEARTBEAT_GAP"]
    assert [(f.segment, f.line, f.seq) for f in gap] == [(SEG, cut + 1, cut)]


def test_missed_heartbeats_are_owned_up_to_not_left_as_a_gap(kit: LogKit, monkeypatch: pytest.MonkeyPatch) -> None:
    import time as real_time

    kit.config = AuditConfig(config_dir=kit.config_dir, heartbeat_seconds=60)
    now = [real_time.time() - 1000]
    monkeypatch.setattr("driftdeck.core.audit.log.time.time", lambda: now[0])
    log = kit.open()
    log.heartbeat()
    now[0] += 600  # the machine slept through ten intervals
    log.append("operator.note", data={"after": "sleep"})
    assert [e.data["reason"] for e in log.recovered] == ["heartbeats missed (suspended or stalled)"]
    log.close()
    assert kit.verify().exit_code == 0


def test_reopening_after_a_dead_heartbeat_session_logs_recovery_not_a_gap(
        kit: LogKit, monkeypatch: pytest.MonkeyPatch) -> None:
    import time as real_time

    kit.config = AuditConfig(config_dir=kit.config_dir, heartbeat_seconds=60)
    now = [real_time.time() - 3600]
    monkeypatch.setattr("driftdeck.core.audit.log.time.time", lambda: now[0])
    log = kit.open()
    log.heartbeat()
    log._closed = True  # the process died: no closing checkpoint
    now[0] += 3600
    log2 = kit.open()
    assert [e.data["reason"] for e in log2.recovered] == ["unclean shutdown"]
    log2.close()
    assert kit.verify().exit_code == 0


def test_canonical_bytes_match_rfc8785_examples() -> None:
    # JCS: sorted keys, no spaces, UTF-8 as is, short escapes for control characters.
    assert canonical_bytes({"b": [1, "\u20ac", True, None], "a": "\n\u001f"}) == (
        b'{"a":"\\n\\u001f","b":[1,"\xe2\x82\xac",true,null]}')
