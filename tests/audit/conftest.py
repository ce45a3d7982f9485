"""Fixtures for the audit tests; the helpers live in audit_kit (a unique module name)."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_kit import LogKit


@pytest.fixture()
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LogKit:
    return LogKit(tmp_path, monkeypatch)
