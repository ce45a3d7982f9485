"""The loop's structured log kept in memory, for tests that wait on and read its events (a uniquely
named module shared by the watch and events tests)."""

from __future__ import annotations

from typing import Any


class Lines:
    """Callable as the loop's `log`; `events(name)` reads what was logged so far (thread-safe to
    read while the loop appends: it copies the list first)."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def __call__(self, event: str, level: str = "info", **fields: Any) -> None:
        self.lines.append({"event": event, "level": level, **fields})

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in list(self.lines) if line["event"] == name]
