"""`n`: append an operator note to the audit log (hidden in --read-only)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class NoteScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="note_cancel")]

    def __init__(self, resource: str | None) -> None:
        super().__init__()
        self.resource = resource

    def compose(self) -> ComposeResult:
        about = f"note about {self.resource}" if self.resource else "note about this workspace"
        with Vertical(id="note-box"):
            yield Static(f"{about} (enter saves it to the audit log, esc cancels)")
            yield Input(id="note-input")

    def on_mount(self) -> None:
        self.query_one("#note-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
