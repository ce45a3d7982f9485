"""Paths shared by the tests (a uniquely named module: every test folder may have its own conftest)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPORA = SHARED / "corpora"
TESTS = REPO / "tests"
FIXTURES = TESTS / "fixtures"
