"""Hostile files in the log directory: symlinks at temp names, a symlinked lock, segments that are
symlinks to devices, FIFOs or /dev/null, files of another user. Refused with a clear message and an
UNKNOWN_FILE finding; nothing outside the log is ever written; verify never hangs or blows up."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from audit_kit import LogKit

from driftdeck.core.audit.canonical import canonical_bytes
from driftdeck.core.audit.hashing import blob_address
from driftdeck.core.errors import InputError


def _victim(kit: LogKit) -> Path:
    victim = kit.root / "victim.txt"
    victim.write_text("precious\n")
    return victim


def test_symlinks_at_the_old_predictable_temp_names_are_never_followed(kit: LogKit) -> None:
    kit.build(2)
    victim = _victim(kit)
    big = {"rules": ["x" * 40] * 100}
    address = blob_address(canonical_bytes(big))
    (kit.log_dir / "blobs" / address[:2]).mkdir(parents=True)
    planted = [kit.log_dir / "blobs" / address[:2] / f".tmp-{address}",
               kit.log_dir / "index" / ".tmp-writer-state.json",
               *(kit.log_dir / "checkpoints" / f".tmp-{size}" for size in range(40))]
    for path in planted:
        path.symlink_to(victim)
    log = kit.open()
    log.append("config.changed", data={"file": "ignore.yaml"}, before=big, after={"rules": []})
    log.checkpoint("test")
    log.close()
    assert victim.read_text() == "precious\n"
    assert all(path.is_symlink() for path in planted)  # left alone, not replaced or reused
    for note in (kit.log_dir / "checkpoints").glob("*.note"):
        assert not note.is_symlink() and note.is_file()
    assert not (kit.log_dir / "index" / "writer-state.json").is_symlink()
    assert not (kit.log_dir / "blobs" / address[:2] / address).is_symlink()


def test_a_symlink_in_place_of_a_note_or_the_state_cache_is_replaced_not_written_through(kit: LogKit) -> None:
    kit.build(2)
    victim = _victim(kit)
    state = kit.log_dir / "index" / "writer-state.json"
    state.unlink()
    state.symlink_to(victim)
    log = kit.open()  # the cache is not read through the link
    assert not log.resumed_from_cache
    log.close()
    assert victim.read_text() == "precious\n" and not state.is_symlink()


def test_a_symlinked_lock_is_refused_with_a_clear_error(kit: LogKit) -> None:
    kit.build(1)
    victim = _victim(kit)
    lock = kit.log_dir / "audit.lock"
    lock.unlink()
    lock.symlink_to(victim)
    with pytest.raises(InputError) as caught:
        kit.open()
    assert "symbolic link" in str(caught.value) and "audit.lock" in str(caught.value)
    assert victim.read_text() == "precious\n"


def _verify_in_child(kit: LogKit) -> subprocess.CompletedProcess[str]:
    """`driftdeck audit verify` in a child bounded in memory (1 GiB) and time (so this test cannot hang)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    env = {**os.environ, "DRIFTDECK_CONFIG_DIR": str(kit.config_dir)}
    return subprocess.run([sys.executable, "-m", "driftdeck.tui.cli", "audit", "verify", str(kit.workspace)],
                          capture_output=True, text=True, env=env, preexec_fn=limit, timeout=300, check=False)


@pytest.mark.parametrize("special", ["dev_zero", "fifo", "dev_null"])
def test_special_segments_are_refused_by_verify_and_writer(kit: LogKit, special: str) -> None:
    kit.build(2)
    n = len(kit.lines())
    extra = kit.log_dir / f"seg-{n:012d}.jsonl"
    if special == "fifo":
        os.mkfifo(extra)
    else:
        extra.symlink_to("/dev/zero" if special == "dev_zero" else "/dev/null")
    done = _verify_in_child(kit)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "UNKNOWN_FILE" in done.stdout and extra.name in done.stdout
    assert "Traceback" not in done.stderr
    result = kit.verify()
    assert [(f.code, f.segment) for f in result.findings] == [("UNKNOWN_FILE", extra.name)]
    with pytest.raises(InputError) as caught:
        kit.open()
    assert extra.name in str(caught.value)


def test_first_segment_replaced_by_a_fifo_does_not_hang(kit: LogKit) -> None:
    kit.build(2)
    kit.segment().unlink()
    os.mkfifo(kit.log_dir / "seg-000000000000.jsonl")
    done = _verify_in_child(kit)
    assert done.returncode == 2 and "UNKNOWN_FILE" in done.stdout, done.stdout + done.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_file_owned_by_another_user_is_refused(kit: LogKit) -> None:
    kit.build(2)
    note = sorted((kit.log_dir / "checkpoints").glob("*.note"))[-1]
    os.chown(note, 65534, 65534)
    result = kit.verify()
    assert ("UNKNOWN_FILE", f"checkpoints/{note.name}") in [(f.code, f.segment) for f in result.findings]
    with pytest.raises(InputError) as caught:
        kit.open()
    assert "another user" in str(caught.value)


def test_export_skips_special_files_and_never_follows_links_out(kit: LogKit) -> None:
    from driftdeck.core.audit.bundle import export_bundle

    kit.build(2)
    secret = kit.root / "secret.txt"
    secret.write_text("not part of the log\n")
    (kit.log_dir / "blobs").mkdir(exist_ok=True)
    (kit.log_dir / "blobs" / "leak").symlink_to(secret)
    os.mkfifo(kit.log_dir / "seg-000000000099.jsonl")
    warnings = export_bundle(kit.log_dir, kit.root / "bundle.tar.gz", trusted=kit.config.pinned_keys(), anchor=None)
    assert any("blobs/leak is a symbolic link" in w for w in warnings)
    assert any("seg-000000000099.jsonl is a FIFO" in w for w in warnings)
    import tarfile

    with tarfile.open(kit.root / "bundle.tar.gz") as tar:
        names = tar.getnames()
    assert "log/blobs/leak" not in names and "log/seg-000000000000.jsonl" in names
