"""The command line as an operator types it (issue 16 items 10 and 11): --version, mistyped commands,
the dashboard in the top-level help, and one-line usage errors (exit 2) for nonsense numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from driftdeck.tui.cli import main, version


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own exits (--version, --help, usage errors)
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"driftdeck {version()}"
    assert version() != "unknown"  # the test environment has the package installed


def test_a_mistyped_command_is_named_with_a_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["scanx"], capsys)
    assert code == 2 and out == ""
    assert err == "driftdeck: error: unknown command 'scanx' (did you mean scan?)\n"
    code, _, err = run(["blorp"], capsys)
    assert code == 2 and "unknown command 'blorp'" in err and "scan" in err and "path does not exist" not in err


def test_an_existing_folder_named_like_a_command_is_a_path(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "scann").mkdir()
    monkeypatch.chdir(tmp_path)
    # A bad option stops the dashboard before it opens: the error names `tui`, so the folder was taken as PATH.
    code, _, err = run(["scann", "--interval", "-1"], capsys)
    assert code == 2 and err.startswith("driftdeck tui: error: argument --interval")
    assert "unknown command" not in err
    # A path-like word that does not exist is still reported as a missing path.
    code, _, err = run(["./scanx"], capsys)
    assert code == 2 and "path does not exist" in err


def test_top_level_help_shows_that_a_path_opens_the_dashboard(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    assert out.startswith("usage: driftdeck [PATH]")
    assert "opens the live dashboard" in out and "--version" in out


@pytest.mark.parametrize(("argv", "expected"), [
    (["scan", "--workers", "0"], "driftdeck scan: error: argument --workers: must be at least 1, not 0"),
    (["scan", "--workers", "-3"], "driftdeck scan: error: argument --workers: must be at least 1, not -3"),
    (["watch", "--interval", "0"], "driftdeck watch: error: argument --interval: must be at least 1 second, not 0"),
    (["watch", "--interval", "-5"], "driftdeck watch: error: argument --interval: must be at least 1 second, not -5"),
    (["tui", "--interval", "-5"], "driftdeck tui: error: argument --interval: must be 0 (manual polling)"),
    (["demo", "--interval", "inf"], "driftdeck demo: error: argument --interval: 'inf' is not a number"),
])
def test_nonsense_numbers_are_one_line_usage_errors(argv: list[str], expected: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith(expected)
    assert err.count("\n") == 1  # one line, no usage block


def test_interval_help_states_each_commands_default_and_what_0_means() -> None:
    def help_of(command: str) -> str:
        done = subprocess.run([sys.executable, "-m", "driftdeck.tui.cli", command, "--help"],
                              capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "200"})
        return " ".join(done.stdout.split())

    from driftdeck.tui.commands.demo import DEMO_INTERVAL

    assert f"0 = manual polling, only r rescans (default {DEMO_INTERVAL:g})" in help_of("demo")
    assert "0 = manual polling, only r rescans (default 60;" in help_of("tui")
    watch = help_of("watch")
    assert "at least 1" in watch and "manual polling" in watch and "--once" in watch


def test_watch_loader_uses_the_interval_as_given(tmp_path: Path) -> None:
    """Nothing is silently rounded up any more: the parser refuses what the loop could not honour."""
    from driftdeck.tui.cli import build_parser
    from driftdeck.tui.commands.watch import _loader

    args = build_parser("watch").parse_args(["watch", str(tmp_path), "--interval", "2.5"])
    assert _loader(tmp_path, None, args).interval_seconds == 2.5
