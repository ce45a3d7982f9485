"""The code base stays ruff- and mypy-clean (the project's standard, checked with the suite)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "ruff"), "check", "core", "tui", "tests", "bench"],
        [str(BIN / "mypy"), "core", "tui"],
    ],
    ids=["ruff", "mypy"],
)
def test_static_check_passes(command: list[str]) -> None:
    if not Path(command[0]).exists():
        pytest.skip(f"{Path(command[0]).name} is not installed in this environment")
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
