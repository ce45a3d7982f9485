"""The attribution window comes from the state's own history, not from a file time a copy resets:
`--since` when given, else the audit log's record of the previous serial, else the write time,
and the report says which was used."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from driftdeck.core.audit import AuditLog
from driftdeck.core.audit.scan_events import record_scan
from driftdeck.core.inputs.tfstate import read_state_file
from driftdeck.core.model import ScanReport
from driftdeck.core.scan.run import attribution_window
from driftdeck.tui.commands.scan import parse_since


def _state(path: Path, serial: int) -> Path:
    path.write_text(json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": serial, "lineage": "lin-1",
                                "resources": []}))
    return path


def _scan_recorded(workspace: Path, state: Path, at: str) -> None:
    log = AuditLog.open(workspace)
    try:
        report = ScanReport(generated_at=at, duration_ms=1, sources=[read_state_file(state).source_info()], resources=[])
        record_scan(log, report, workspace=workspace)
    finally:
        log.close()


def test_a_fresh_checkout_uses_the_audit_log_not_the_file_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))
    workspace = tmp_path / "ws"
    workspace.mkdir()
    state = _state(workspace / "terraform.tfstate", serial=3)
    _scan_recorded(workspace, state, "2026-03-01T10:00:00Z")  # serial 3 seen then
    _state(state, serial=4)  # an apply after that scan; then the checkout resets the file time to now
    now = datetime.now(UTC).timestamp()
    os.utime(state, (now, now))
    start, how = attribution_window([read_state_file(state)], workspace=workspace)
    assert start == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)  # not "now": drift since the apply stays attributable
    assert "audit log" in how and "serial 4" in how


def test_since_wins_and_is_named(tmp_path: Path) -> None:
    state = read_state_file(_state(tmp_path / "terraform.tfstate", serial=1))
    start, how = attribution_window([state], since=parse_since("2026-02-01"), workspace=tmp_path)
    assert start == datetime(2026, 2, 1, tzinfo=UTC) and how == "--since"


def test_without_history_the_file_time_is_used_and_said_to_be_fragile(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))
    path = _state(tmp_path / "terraform.tfstate", serial=1)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    start, how = attribution_window([read_state_file(path)], workspace=tmp_path)
    assert start == datetime.fromtimestamp(1_700_000_000, UTC)
    assert "modification time" in how and "--since" in how


def test_a_bad_since_is_an_input_error() -> None:
    from driftdeck.core.errors import InputError

    with pytest.raises(InputError, match="--since"):
        parse_since("last tuesday")
