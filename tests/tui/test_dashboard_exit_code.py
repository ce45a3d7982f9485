"""The dashboard's exit code: a crash inside the Textual app is exit 2 with one line, never the
drift code 1 (Textual's own return code for an unhandled error) and never a silent 0."""

from __future__ import annotations

import pytest
from textual.app import App

from driftdeck.tui.commands.tui import exit_code_of


class _Crashes(App[None]):
    def on_mount(self) -> None:
        raise RuntimeError("boom inside a handler")


class _Quits(App[None]):
    def on_mount(self) -> None:
        self.exit()


def test_a_crash_in_the_app_is_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    app = _Crashes()
    app.run(headless=True)
    assert app.return_code == 1  # what Textual reports; the command must not pass it on
    assert exit_code_of(app) == 2
    assert "the dashboard stopped on an unexpected error" in capsys.readouterr().err


def test_a_normal_quit_is_exit_0() -> None:
    app = _Quits()
    app.run(headless=True)
    assert exit_code_of(app) == 0
