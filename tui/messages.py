"""Messages from background workers to the app: the only way results reach widgets."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from driftdeck.core.model import ScanReport
from driftdeck.core.transitions import Transition
from driftdeck.tui.audit_feed import AuditEvent, ChainState


class ScanStarted(Message):
    pass


class Progress(Message):
    """A step of the start-up preparation (the demo's emulator and estate), shown until the first scan."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class Prepared(Message):
    """Start-up preparation finished (`error` set when it failed): the first scan can run."""

    def __init__(self, error: str | None = None) -> None:
        super().__init__()
        self.error = error


class ScanCompleted(Message):
    """The monitor loop polled (and recorded the scan): its report and what changed since the previous poll."""

    def __init__(self, report: ScanReport, elapsed: float, transitions: list[Transition]) -> None:
        super().__init__()
        self.report = report
        self.elapsed = elapsed
        self.transitions = transitions


class ScanFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class FilesChanged(Message):
    """The IaC watcher saw these paths change (debounced)."""

    def __init__(self, paths: set[Path]) -> None:
        super().__init__()
        self.paths = paths


class ConfigRecorded(Message):
    """Code files changed and a `config.changed` event was appended for each (file -> +/- lines)."""

    def __init__(self, files: dict[str, tuple[int, int]]) -> None:
        super().__init__()
        self.files = files


class AuditLoaded(Message):
    def __init__(self, events: list[AuditEvent], scope: str | None, head: int) -> None:
        super().__init__()
        self.events = events
        self.scope = scope
        self.head = head


class AuditEventLoaded(Message):
    def __init__(self, event: AuditEvent | None) -> None:
        super().__init__()
        self.event = event


class ChainChecked(Message):
    def __init__(self, state: ChainState, *, explicit: bool = False) -> None:
        super().__init__()
        self.state = state
        self.explicit = explicit


class AuditFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class AuditChanged(Message):
    """This session appended to the log: reload the panel."""
