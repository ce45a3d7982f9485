"""`?`: every key binding (with its id, for remapping) and the filter syntax."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

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
    # The scroll box takes focus so that arrows, PgUp/PgDn, Home/End scroll the text.
    AUTO_FOCUS = "#help-box"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help_close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield VerticalScroll(Static(help_text(self.rows)), id="help-box")
        yield Footer()  # this screen's keys (close), not the dashboard's

    def on_mount(self) -> None:
        box = self.query_one("#help-box")
        box.border_title = "driftdeck keys"
        box.border_subtitle = "↑↓ PgUp PgDn Home End scroll · esc close"

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


def help_text(rows: list[tuple[str, str, str]]) -> Text:
    """Keys, description and binding id in three aligned columns, then the filter syntax."""
    keys_w = max((len(k) for _, k, _ in rows), default=0) + 2
    desc_w = max((len(d) for _, _, d in rows), default=0) + 2
    text = Text()
    text.append(f"  {'key':<{keys_w}}{'action':<{desc_w}}id (for keymap.toml)\n", style="underline")
    for ident, keys, description in rows:
        text.append(f"  {keys:<{keys_w}}", style="bold")
        text.append(f"{description:<{desc_w}}")
        text.append(f"{ident}\n", style="dim")
    text.append("\n")
    text.append(FILTER_HELP)
    return text
