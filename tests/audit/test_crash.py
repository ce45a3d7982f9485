"""Row N: kill -9 during append and during checkpoint, in a real subprocess.

After the kill the log never reads as tampered (exit 0, or 3 with only TORN_TAIL), every entry the
child reported as returned from `append` is there, and reopening recovers to a clean verify.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from audit_kit import LogKit

from driftdeck.core.audit.reader import AuditReader

CHILD = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from driftdeck.core.audit import AuditConfig, AuditLog
    import driftdeck.core.audit.log as logmod

    point, workspace, config_dir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    config = AuditConfig(config_dir=config_dir, checkpoint_entries=7)
    log = AuditLog.open(workspace, config=config)
    for i in range(5):
        e = log.append("operator.note", data={"i": i})
        print("committed", e.seq, e.hash, flush=True)

    def die():
        os.kill(os.getpid(), 9)

    if point == "mid-line":
        real_write = os.write
        def half_write(fd, data):
            real_write(fd, bytes(data)[: len(data) // 2])
            die()
        logmod._write_fd = half_write
        log.append("operator.note", data={"i": "torn"})
    elif point == "before-note":
        logmod.AuditLog._write_note = lambda self, size, root: die()
        log.checkpoint("test")
    elif point == "before-rename":
        real_replace = os.replace
        def crash_replace(src, dst):
            if "checkpoints" in str(dst):
                die()
            real_replace(src, dst)
        logmod.os.replace = crash_replace
        log.checkpoint("test")
    elif point == "loop":
        i = 0
        while True:
            e = log.append("operator.note", data={"i": i, "pad": "x" * (i % 300)})
            print("committed", e.seq, e.hash, flush=True)
            i += 1
    """
)


def _run_child(kit: LogKit, point: str, kill_after: int | None = None) -> list[tuple[int, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, point, str(kit.workspace), str(kit.config_dir)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    committed: list[tuple[int, str]] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        _, seq, digest = line.split()
        committed.append((int(seq), digest))
        if kill_after is not None and len(committed) >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    return committed


def _assert_committed_present(kit: LogKit, committed: list[tuple[int, str]]) -> None:
    reader = AuditReader(kit.log_dir)
    for seq, digest in committed:
        entry = reader.get(seq)
        assert entry is not None and entry.hash == digest, seq


def _assert_not_tampered(kit: LogKit) -> None:
    result = kit.verify()
    assert result.exit_code in (0, 3), [str(f) for f in result.findings]
    assert {f.code for f in result.findings} <= {"TORN_TAIL"}


def _reopen_is_clean(kit: LogKit) -> list[str]:
    log = kit.open()
    reasons = [e.data["reason"] for e in log.recovered]
    log.close()
    result = kit.verify()
    assert result.exit_code == 0, [str(f) for f in result.findings]
    assert result.signed_through == result.entries
    return reasons


def test_kill_during_a_line_write_leaves_a_recoverable_torn_tail(kit: LogKit) -> None:
    committed = _run_child(kit, "mid-line")
    result = kit.verify()
    assert result.exit_code == 3
    assert [(f.code, f.segment, f.seq) for f in result.findings] == [
        ("TORN_TAIL", "seg-000000000000.jsonl", committed[-1][0] + 1)]
    _assert_committed_present(kit, committed)
    assert _reopen_is_clean(kit) == ["torn tail"]
    recovered = next(AuditReader(kit.log_dir).iter_entries(kinds={"audit.recovered"}))
    assert recovered.data["discarded_bytes"] > 0


def test_kill_between_checkpoint_entry_and_its_note(kit: LogKit) -> None:
    committed = _run_child(kit, "before-note")
    _assert_not_tampered(kit)
    assert kit.verify().exit_code == 0
    _assert_committed_present(kit, committed)
    _reopen_is_clean(kit)


def test_kill_while_the_note_is_being_renamed_into_place(kit: LogKit) -> None:
    committed = _run_child(kit, "before-rename")
    result = kit.verify()
    assert result.exit_code == 0 and any("temporary" in n for n in result.notes)
    _assert_committed_present(kit, committed)
    _reopen_is_clean(kit)


@pytest.mark.parametrize("kill_after", [9, 23, 40])
def test_kill_at_an_arbitrary_moment_during_appends(kit: LogKit, kill_after: int) -> None:
    committed = _run_child(kit, "loop", kill_after=kill_after)
    _assert_not_tampered(kit)
    _assert_committed_present(kit, committed)
    _reopen_is_clean(kit)


def test_two_processes_appending_at_once_do_not_fork_the_chain(kit: LogKit) -> None:
    kit.build(1)
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from driftdeck.core.audit import AuditConfig, AuditLog
        config = AuditConfig(config_dir=Path(sys.argv[2]), segment_entries=40, checkpoint_entries=25)
        log = AuditLog.open(Path(sys.argv[1]), config=config)
        for i in range(150):
            log.append("operator.note", data={"who": sys.argv[3], "i": i})
        log.close()
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(kit.workspace), str(kit.config_dir), name])
             for name in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    result = kit.verify()
    assert result.exit_code == 0, [str(f) for f in result.findings]
    assert len(list(kit.log_dir.glob("seg-*.jsonl"))) > 5  # rotation raced too
    notes = [e for e in AuditReader(kit.log_dir).iter_entries(kinds={"operator.note"})]
    assert sorted((e.data["who"], e.data["i"]) for e in notes if "who" in e.data) == sorted(
        (w, i) for w in "ab" for i in range(150))


def test_recover_command_on_a_clean_log_changes_nothing(kit: LogKit) -> None:
    kit.build(3)
    before = Path(kit.segment()).read_bytes()
    log = kit.open()
    assert log.recovered == []
    log._closed = True  # leave without the closing checkpoint to compare bytes
    assert Path(kit.segment()).read_bytes() == before
