"""`?`: every key binding (with its id, for remapping) and the filter syntax."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

FILTER_HELP = """\
filter syntax (terms are ANDed; prefix any term with ! to negate it)
  web              address, id or ARN contains "web"
  type:s3          resource type contains "s3"            (t: works too)
  tag:Env=prod     tag Env equals prod; tag:Owner = has an Owner tag
  status:changed   in_sync changed missing unmanaged pending unknown, or status:drift
  !status:in_sync  everything that is not in sync

remap keys in keymap.toml under the driftdeck config folder:  rescan = "ctrl+r"
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help_close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        text = Text("keys\n", style="bold")
        for ident, keys, description in self.rows:
            text.append(f"  {keys:<14}", style="bold")
            text.append(f"{description:<34}")
            text.append(f"{ident}\n", style="dim")
        text.append("\n")
        text.append(FILTER_HELP)
        with VerticalScroll(id="help-box"):
            yield Static(text)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
