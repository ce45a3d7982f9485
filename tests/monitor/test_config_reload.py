"""Configuration reload by a running watch (a bad file keeps the previous config and says file:line),
validation errors located in the right table, and the IaC content cache behind `config.changed`."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from log_lines import Lines

from driftdeck.core.errors import InputError
from driftdeck.core.model import ScanReport
from driftdeck.core.monitor.alerts import Dispatcher, Sink
from driftdeck.core.monitor.loop import MonitorLoop
from driftdeck.core.settings import load_config, parse_config

GOOD = """\
[watch]
interval_seconds = 60

[[alert]]
kind = "webhook"
url = "http://127.0.0.1:9/hook"
"""
BAD = """\
[watch]
interval_seconds = 60
stop_grace_seconds = "soon"
"""
BETTER = GOOD + """
[[alert]]
kind = "command"
argv = ["true"]

[alerting]
rate_limit_seconds = 5
"""


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], Any, Any]] = []
        self.closed = False

    def scan(self, report: ScanReport) -> None:
        pass

    def event(self, kind: str, subject: dict[str, Any], data: dict[str, Any], before: Any = None, after: Any = None) -> None:
        self.events.append((kind, data, before, after))

    def integrity(self) -> str | None:
        return None

    def close(self) -> None:
        self.closed = True




def _workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "user-config"))  # never the real user's file
    workspace = tmp_path / "iac"
    (workspace / ".driftdeck").mkdir(parents=True)
    config = workspace / ".driftdeck" / "config.toml"
    config.write_text(GOOD)
    return workspace, config


def _loop(workspace: Path, config_file: Path, recorder: Recorder, log: Lines) -> MonitorLoop:
    config = load_config(workspace)
    report = ScanReport(generated_at="2026-01-01T00:00:00Z", duration_ms=1, sources=[], resources=[])
    return MonitorLoop(scan=lambda: report, config=config,
                     dispatcher=Dispatcher([Sink(s) for s in config.sinks], rate_limit_seconds=config.rate_limit_seconds),
                     recorder=recorder, log=log, workspace=str(workspace), watch_paths=(workspace,),
                     config_loader=lambda: load_config(workspace), config_files=(config_file,))


def test_bad_config_keeps_the_previous_one_and_names_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace, config_file = _workspace(tmp_path, monkeypatch)
    recorder, log = Recorder(), Lines()
    loop = _loop(workspace, config_file, recorder, log)
    assert loop.cache is not None
    loop.cache.load()
    loop.cache.track(config_file)
    running = loop.config

    config_file.write_text(BAD)
    loop.file_changed(config_file)
    assert loop.config is running and len(loop.dispatcher.sinks) == 1
    invalid = log.events("config.invalid")
    assert len(invalid) == 1
    assert invalid[0]["file"] == str(config_file) and invalid[0]["line"] == 3
    assert "stop_grace_seconds must be a number" in invalid[0]["error"]
    # The edit itself is evidence, valid or not: recorded with the text before and after, webhook
    # URLs cut to their host (a Slack incoming-webhook URL is a credential).
    kind, data, before, after = recorder.events[-1]
    assert kind == "config.changed" and after == BAD and data["change"] == "modified"
    assert before == GOOD.replace("http://127.0.0.1:9/hook", "http://127.0.0.1:9/(redacted)")
    assert "/hook" not in data["diff"] and "/(redacted)" in data["diff"]

    config_file.write_text(BETTER)
    loop.file_changed(config_file)
    assert loop.config is not running and loop.reloads == 1
    assert [s.config.kind for s in loop.dispatcher.sinks] == ["webhook", "command"]
    assert loop.dispatcher.rate_limit_seconds == 5
    assert log.events("config.reloaded")[0]["sinks"] == 2


def test_running_watch_reloads_on_a_config_edit_inside_dot_driftdeck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace, config_file = _workspace(tmp_path, monkeypatch)
    recorder, log = Recorder(), Lines()
    loop = _loop(workspace, config_file, recorder, log)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()

    def until(condition: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + 30  # a bound on waiting, not a timing assertion
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)
        return condition()

    try:
        assert until(lambda: loop.polls >= 1)
        assert until(loop.watching.is_set)  # the file watcher runs: the edit below cannot be missed
        config_file.write_text(BAD)
        assert until(lambda: bool(log.events("config.invalid")))
        assert log.events("config.invalid")[0]["line"] == 3 and len(loop.dispatcher.sinks) == 1
        config_file.write_text(BETTER)
        assert until(lambda: loop.reloads == 1)
        assert len(loop.dispatcher.sinks) == 2
    finally:
        loop.stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive() and recorder.closed


def test_watch_refuses_to_start_on_a_bad_config_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace, config_file = _workspace(tmp_path, monkeypatch)
    config_file.write_text(BAD)
    proc = subprocess.run([sys.executable, "-m", "driftdeck.tui.cli", "watch", str(workspace), "--once", "--no-audit"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"{config_file}:3:" in proc.stderr


def test_errors_in_the_second_table_point_at_the_second_table(tmp_path: Path) -> None:
    text = GOOD + '\n[[alert]]\nkind = "slack"\nurl = "ftp://example.com"\n\n[[auto_remediation]]\ntype = "aws_s3_bucket"\n'
    with pytest.raises(InputError) as info:
        parse_config(text, tmp_path / "c.toml")
    assert info.value.line == 10 and "slack needs an http(s) url" in str(info.value)
    fixed = text.replace("ftp://", "https://")
    with pytest.raises(InputError) as info:
        parse_config(fixed, tmp_path / "c.toml")
    assert info.value.line == 12 and "a rule needs a name" in str(info.value)
    with pytest.raises(InputError) as info:
        parse_config("[watch]\ninterval_seconds = 60\npoll = 3\n", tmp_path / "c.toml")
    assert info.value.line == 3 and "unknown key 'poll'" in str(info.value)


def test_secret_bearing_files_are_recorded_by_digest_only_and_rewrites_are_not_changes(tmp_path: Path,
                                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    workspace, config_file = _workspace(tmp_path, monkeypatch)
    tfvars = workspace / "prod.tfvars"
    tfvars.write_text('db_password = "hunter2"\n')
    main_tf = workspace / "main.tf"
    main_tf.write_text('resource "aws_sqs_queue" "q" {}\n')
    recorder, log = Recorder(), Lines()
    loop = _loop(workspace, config_file, recorder, log)
    assert loop.cache is not None
    loop.cache.load()

    tfvars.write_text('db_password = "correct horse"\n')
    loop.file_changed(tfvars)
    kind, data, before, after = recorder.events[-1]
    assert kind == "config.changed" and data["file"] == "prod.tfvars" and before is None and after is None
    assert "hunter2" not in repr(data) and "correct horse" not in repr(data)
    assert data["before_blake3"] != data["after_blake3"]

    count = len(recorder.events)
    main_tf.write_text(main_tf.read_text())  # an editor saving unchanged text
    loop.file_changed(main_tf)
    assert len(recorder.events) == count
