"""`?`: every key binding (with its id, for remapping) and the filter syntax."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from driftdeck.tui.widgets.navigation import NAV_BINDINGS, ScrollNavigation

FILTER_HELP = """\
filter syntax (terms are ANDed; prefix any term with ! to negate it)
  web              address, id or ARN contains "web"
  type:s3          resource type contains "s3"            (t: works too)
  tag:Env=prod     tag Env equals prod; tag:Owner = has an Owner tag
  status:changed   in_sync changed missing unmanaged pending unknown, or status:drift
  who:alice        CloudTrail names an actor (or a role in its chain) containing "alice"
  !status:in_sync  everything that is not in sync

remap keys in keymap.toml under the driftdeck config folder:  rescan = "ctrl+r"
"""


class HelpText(ScrollNavigation, VerticalScroll):
    """The scrolling help text: arrows, PgUp/PgDn, Home/End and the list movement keys."""

    BINDINGS: ClassVar[list[BindingType]] = NAV_BINDINGS


class HelpScreen(ModalScreen[None]):
    # The scroll box takes focus so that arrows, PgUp/PgDn, Home/End scroll the text.
    AUTO_FOCUS = "#help-box"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help_close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str, str]], problems: list[str] | None = None) -> None:
        super().__init__()
        self.rows = rows  # (where, id, keys, description), from driftdeck.tui.keys with remaps applied
        self.problems = problems or []

    def compose(self) -> ComposeResult:
        yield HelpText(Static(help_text(self.rows, self.problems)), id="help-box")
        yield Footer()  # this screen's keys (close), not the dashboard's

    def on_mount(self) -> None:
        box = self.query_one("#help-box")
        box.border_title = "driftdeck keys"
        shown = {ident: keys for _, ident, keys, _ in self.rows}  # as remapped
        nav = " ".join(shown.get(i, "") for i in ("nav_down", "nav_up", "nav_top", "nav_bottom"))
        box.border_subtitle = f"↑↓ {nav} PgUp PgDn scroll · esc close"

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


def help_text(rows: list[tuple[str, str, str, str]], problems: list[str] | None = None) -> Text:
    """Any keymap problems first, then per place: keys, description and binding id in aligned columns,
    then the filter syntax."""
    keys_w = max((len(k) for _, _, k, _ in rows), default=0) + 2
    desc_w = max((len(d) for _, _, _, d in rows), default=0) + 2
    text = Text()
    for problem in problems or []:
        text.append(f"keymap.toml: {problem}\n", style="bold red")
    if problems:
        text.append("\n")
    where = None
    for place, ident, keys, description in rows:
        if place != where:
            if where is not None:
                text.append("\n")
            where = place
            text.append(f"  {place:<{keys_w + desc_w - 2}}id (for keymap.toml)\n", style="underline")
        text.append(f"  {keys:<{keys_w}}", style="bold")
        text.append(f"{description:<{desc_w}}")
        text.append(f"{ident}\n", style="dim")
    text.append("\n")
    text.append(FILTER_HELP)
    return text
