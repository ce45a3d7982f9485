"""Errors the engine raises for input it cannot use. Front ends map them to exit code 2."""

from __future__ import annotations


class DriftdeckError(Exception):
    """Base class: something the operator must fix before driftdeck can run."""

    exit_code = 2


class InputError(DriftdeckError):
    """Bad input: names the file (or bucket/object) and, when known, the line."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.detail = message
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        super().__init__(f"{where}{message}")
