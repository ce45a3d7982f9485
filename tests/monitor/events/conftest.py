"""Fixtures for the event tests (helpers in event_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from event_support import Estate, make_estate


@pytest.fixture()
def estate(moto_server: Any, tmp_path: Path) -> Iterator[Estate]:
    moto_server.reset()
    yield from make_estate(moto_server.url, tmp_path, 3)


@pytest.fixture()
def wide_estate(moto_server: Any, tmp_path: Path) -> Iterator[Estate]:
    moto_server.reset()
    yield from make_estate(moto_server.url, tmp_path, 20)


