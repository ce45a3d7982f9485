"""Disk full and I/O errors: one clear error (exit 2, never a traceback or exit 1), nothing
committed lost, the next run works once the fault is gone. Faults come from a wrapper around the
segment write, from the kernel (RLIMIT_FSIZE in a child running `driftdeck scan`) and, where the
machine allows mounting, from a small full tmpfs."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from audit_kit import LogKit

from driftdeck.core.audit import AuditConfig, AuditLog, AuditReader, layout
from driftdeck.core.audit import log as log_module
from driftdeck.core.audit.log import AuditWriteError
from driftdeck.core.errors import DriftdeckError


def _disk_full_after(budget: int) -> Any:
    """An os.write that writes `budget` more bytes (a partial write), then fails with ENOSPC."""
    left = [budget]

    def write(fd: int, data: Any) -> int:
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        count = os.write(fd, bytes(data[: left[0]]))
        left[0] -= count
        return count

    return write


def test_disk_full_while_appending(kit: LogKit, monkeypatch: pytest.MonkeyPatch) -> None:
    log = kit.open()
    for i in range(5):
        log.append("operator.note", data={"i": i})
    committed = log.flush()
    monkeypatch.setattr(log_module, "_write_fd", _disk_full_after(100))
    with pytest.raises(AuditWriteError) as caught:
        with log.batch():
            for i in range(300):  # more than one buffer: the first write is cut short
                log.append("operator.note", data={"i": 100 + i})
    error = caught.value
    assert isinstance(error, DriftdeckError) and error.exit_code == 2
    assert "No space left on device" in str(error) and f"through seq {committed}" in str(error)
    with pytest.raises(AuditWriteError):
        log.append("operator.note", data={"after": "failure"})  # refused, not half-written
    log.close()  # no second error, files released
    assert kit.segment().read_bytes().endswith(b"\n")  # the partial line was cut back
    monkeypatch.undo()

    again = kit.open()  # space is back: the next run continues
    assert not again.recovered
    again.append("operator.note", data={"back": True})
    again.close()
    result = kit.verify()
    assert result.exit_code == 0, [str(f) for f in result.findings]
    seen = [e.data.get("i") for e in AuditReader(kit.log_dir).iter_entries() if e.kind == "operator.note"]
    assert {0, 1, 2, 3, 4} <= set(seen)


def test_disk_full_while_writing_a_checkpoint_note(kit: LogKit, monkeypatch: pytest.MonkeyPatch) -> None:
    log = kit.open()
    log.append("operator.note", data={"i": 1})

    def full(path: Path, data: bytes, *, durable: bool = True) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(layout, "replace_file", full)
    with pytest.raises(AuditWriteError, match="writing a checkpoint"):
        log.checkpoint("test")
    log.close()
    monkeypatch.undo()
    kit.open().close()  # signs the checkpoint whose note was never written
    assert kit.verify().exit_code == 0


def test_io_error_on_fsync(kit: LogKit, monkeypatch: pytest.MonkeyPatch) -> None:
    log = kit.open()
    log.append("operator.note", data={"i": 1})

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(log_module.os, "fsync", broken)
    with pytest.raises(AuditWriteError, match="Input/output error"):
        log.flush()
    monkeypatch.undo()
    log.close()
    kit.open().close()
    assert kit.verify().exit_code == 0


def _sqs_workspace(tmp_path: Path) -> Path:
    url = boto3.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    state = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": [
        {"mode": "managed", "type": "aws_sqs_queue", "name": "jobs",
         "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"id": url, "name": "jobs", "visibility_timeout_seconds": 30}}]}]}
    workspace = tmp_path / "scanned"
    workspace.mkdir()
    (workspace / "terraform.tfstate").write_text(json.dumps(state))
    return workspace


def _scan(workspace: Path, file_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if file_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run([sys.executable, "-m", "driftdeck.tui.cli", "scan", str(workspace), "--cloudformation", "off",
                           "--format", "json"], capture_output=True, text=True, preexec_fn=limit, timeout=600,
                          check=False)


def test_scan_whose_audit_write_fails_prints_its_report_and_exits_2(aws_env: Any, tmp_path: Path) -> None:
    workspace = _sqs_workspace(tmp_path)
    first = _scan(workspace)
    assert first.returncode == 0, first.stderr
    segment = sorted((workspace / ".driftdeck" / "audit").glob("seg-*.jsonl"))[-1]
    before = segment.read_bytes()
    failed = _scan(workspace, file_limit=len(before) + 64)  # the kernel refuses to grow the segment
    assert failed.returncode == 2, failed.stderr
    assert json.loads(failed.stdout)["summary"]  # the report was printed
    assert "cannot write the audit log" in failed.stderr and "Traceback" not in failed.stderr
    assert failed.stderr.count("\n") == 1  # one line
    assert segment.read_bytes().startswith(before) and segment.read_bytes().endswith(b"\n")
    again = _scan(workspace)
    assert again.returncode == 0, again.stderr
    from driftdeck.core.audit import verify_workspace

    assert verify_workspace(workspace).exit_code == 0


@pytest.fixture()
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_full_tmpfs(kit: LogKit, small_tmpfs: Path) -> None:
    config = AuditConfig(config_dir=kit.config_dir, log_dir=small_tmpfs / "audit")
    log = AuditLog.open(kit.workspace, config=config)
    log.append("operator.note", data={"i": 0})
    committed = log.flush()
    filler = small_tmpfs / "filler"
    with pytest.raises(OSError), filler.open("wb") as f:
        while True:
            f.write(b"\0" * 4096)
            f.flush()
    with pytest.raises(AuditWriteError, match="No space left"):
        for i in range(2000):
            log.append("operator.note", data={"i": i, "pad": "x" * 200})
        log.flush()
    log.close()
    filler.unlink()
    again = AuditLog.open(kit.workspace, config=config)
    again.append("operator.note", data={"back": True})
    again.close()
    seqs = [e.seq for e in AuditReader(config.log_dir_for(kit.workspace)).iter_entries()]
    assert committed in seqs
    from driftdeck.core.audit.verify import verify

    assert verify(config.log_dir_for(kit.workspace), config.pinned_keys()).exit_code == 0
