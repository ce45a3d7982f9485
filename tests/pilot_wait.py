"""Waiting in Pilot tests: on a state the app reaches, never on a sleep (a shared module for every test folder)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], rounds: int = 200) -> None:
    """Let the app run until `predicate()` holds (a state to reach, not a time limit to assert)."""
    for _ in range(rounds):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")
