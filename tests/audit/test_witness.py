"""Without an anchor: the local witness beside the key catches truncation, rollback and re-chained
rewrites of signed history; an old unsigned tail is a finding; verify says what stays undetectable."""

from __future__ import annotations

import json
import shutil

import pytest
from audit_kit import LogKit, edit, rechain

from driftdeck.core.audit import AuditConfig
from driftdeck.core.audit.witness import Witness

SEG = "seg-000000000000.jsonl"


def _findings(result):  # type: ignore[no-untyped-def]
    return [(f.code, f.segment, f.line, f.seq, f.seq_end) for f in result.findings]


def test_every_checkpoint_updates_the_witness_beside_the_key(kit: LogKit) -> None:
    kit.build(5, checkpoint_every=2)
    witness = Witness(kit.config.witness_path())
    assert witness.path.parent == kit.config.key_path().parent
    origin = json.loads(kit.lines()[0])["data"]["origin"]
    seen = witness.get(origin)
    assert seen is not None and seen.size == len(kit.lines())
    result = kit.verify_here()
    assert result.exit_code == 0 and result.witnessed_through == seen.size


def test_keyless_rewrite_after_deleting_checkpoints_is_truncated(kit: LogKit) -> None:
    """The attack of issue 14 item 2: edit an entry, drop the checkpoint lines and notes after it,
    renumber, re-chain. Consistent with the remaining notes; the witness still knows better."""
    kit.build(10, checkpoint_every=4)  # notes at 2, 7, 12, 15
    lines = kit.lines()
    n_before = len(lines)
    edited = 3
    kept = lines[:edited] + [edit(lines[edited], data_i=999)] + [
        line for line in lines[edited + 1:] if b'"kind":"audit.checkpoint"' not in line]
    kit.write_lines(rechain([edit(line, seq=i) if i >= edited else line for i, line in enumerate(kept)], edited))
    for note in (kit.log_dir / "checkpoints").glob("*.note"):
        if int(note.stem) > edited:
            note.unlink()
    assert kit.verify().exit_code == 0  # a public-key-only verifier elsewhere cannot tell
    result = kit.verify_here()
    assert result.exit_code == 2
    n = len(kit.lines())
    assert ("TRUNCATED", SEG, n, n, n_before - 1) in _findings(result)
    assert ("INSERTED", SEG, edited + 1, edited, n - 1) in _findings(result)  # the MACs of the rewritten tail


def test_rewrite_padded_to_the_witnessed_size_is_forked(kit: LogKit) -> None:
    kit.build(6)  # notes at 2 and 9
    lines = kit.lines()
    rewritten = lines[:4] + [edit(line, data_i=100 + i) if b"operator.note" in line else line
                             for i, line in enumerate(lines[4:])]
    kit.write_lines(rechain(rewritten, 4))
    (kit.log_dir / "checkpoints" / "000000000009.note").unlink()
    result = kit.verify_here()
    assert ("FORKED", SEG, 9, 8, None) in _findings(result)


def test_restoring_an_older_copy_is_rolled_back(kit: LogKit) -> None:
    kit.build(3)
    saved = kit.root / "saved"
    shutil.copytree(kit.log_dir, saved)
    old_size = len(kit.lines())
    kit.build(3)
    new_size = len(kit.lines())
    shutil.rmtree(kit.log_dir)
    shutil.copytree(saved, kit.log_dir)
    assert kit.verify().exit_code == 0
    result = kit.verify_here()
    assert _findings(result) == [("ROLLED_BACK", SEG, old_size, old_size, new_size - 1)]


def test_truncation_that_the_public_verifier_cannot_see_is_caught_here(kit: LogKit) -> None:
    kit.build(20)
    kit.mutate(lambda L: L[:-3])
    (kit.log_dir / "checkpoints" / "000000000023.note").unlink()
    assert kit.verify().exit_code == 0
    assert _findings(kit.verify_here()) == [("TRUNCATED", SEG, 20, 20, 22)]


def test_an_old_unsigned_tail_with_no_live_writer_is_a_heartbeat_gap(kit: LogKit,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import time as real_time

    kit.config = AuditConfig(config_dir=kit.config_dir, heartbeat_seconds=60)
    past = real_time.time() - 1000
    monkeypatch.setattr("driftdeck.core.audit.log.time.time", lambda: past)
    log = kit.open()
    signed = log.size
    for i in range(3):
        log.append("operator.note", data={"i": i})
    log.flush()
    log._closed = True  # noqa: SLF001  (the writer died: no closing checkpoint)
    monkeypatch.undo()
    result = kit.verify_here()
    assert _findings(result) == [("HEARTBEAT_GAP", SEG, signed + 3, signed, signed + 2)]


def test_verify_says_what_stays_undetectable_without_an_anchor(kit: LogKit, capsys: pytest.CaptureFixture[str]
                                                               ) -> None:
    import argparse

    from driftdeck.tui.commands import audit as audit_command

    kit.build(2)
    parser = argparse.ArgumentParser(prog="driftdeck")
    audit_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["audit", "verify", str(kit.workspace)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert str(kit.config.witness_path()) in out
    assert "holding both the signing key and the witness" in out
