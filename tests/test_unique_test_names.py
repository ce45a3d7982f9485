"""Test folders have no __init__.py, so pytest needs every test module and helper to have a unique
basename (it imports them by basename); a duplicate breaks collection of the whole suite."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def test_test_module_basenames_are_unique() -> None:
    tests = Path(__file__).resolve().parent
    names = Counter(p.name for p in tests.rglob("*.py") if p.name != "conftest.py" and "__snapshots__" not in p.parts)
    assert [n for n, c in names.items() if c > 1] == []
