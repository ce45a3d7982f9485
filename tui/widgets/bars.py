"""One-line bars: the summary of the estate (top) and the polling status (above the key footer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from driftdeck.core.model import Status
from driftdeck.tui.widgets.fit import elide_middle
from driftdeck.tui.widgets.resource_tree import GLYPHS


class SummaryBar(Static):
    """`driftdeck  42 resources  ✓ 35 in sync  ~ 3 changed …  infra` coloured by status.

    The counts come first and stay whole: below the room they need they drop their words
    (`✓ 35  ~ 3`), and the workspace name gets what is left, shortened in the middle.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"status--{s.value}" for s in Status}

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.counts: dict[str, int] | None = None
        self.failed = False  # no scan has succeeded yet and the last one failed

    def on_mount(self) -> None:
        self.show(None)

    def on_resize(self) -> None:
        self._paint()

    def show(self, counts: dict[str, int] | None, *, failed: bool = False) -> None:
        if counts is not None and counts == self.counts and not failed and not self.failed:
            return
        self.counts = counts
        self.failed = failed and counts is None
        self._paint()

    def _paint(self) -> None:
        width = self.size.width or 80
        text = Text()
        text.append(" driftdeck ", style="bold reverse")
        text.append(" ")
        counts = self.counts
        if counts is None:
            if self.failed:
                failed = self.get_component_rich_style("status--missing", partial=True) + Style(bold=True)
                text.append("scan failed", style=failed)
            else:
                text.append("scanning…", style="italic")
        else:
            full, short = self._counts(counts, words=True), self._counts(counts, words=False)
            # Words only while the workspace name still fits beside them (or up to 16 cells of it).
            wanted = text.cell_len + full.cell_len + 4 + min(len(self.title), 16)
            text.append_text(full if wanted <= width else short)
        room = width - text.cell_len - 3
        if room >= 4:
            text.append("  ")
            text.append(elide_middle(self.title, room), style="dim")
        self.update(text, layout=False)  # one fixed line: no layout pass needed

    def _counts(self, counts: dict[str, int], *, words: bool) -> Text:
        text = Text()
        total = sum(counts.values())
        text.append(f"{total} resources" if words else str(total), style="bold")
        for status in Status:
            n = counts.get(status.value, 0)
            if n:
                style = self.get_component_rich_style(f"status--{status.value}", partial=True)
                label = f" {status.value.replace('_', ' ')}" if words else ""
                text.append(f"  {GLYPHS[status]} {n}{label}", style=style)
        return text


@dataclass
class PollInfo:
    interval: float  # seconds; 0 = polling off
    paused: bool = False
    scanning: bool = False
    last: datetime | None = None
    last_seconds: float | None = None
    next: datetime | None = None
    error: str | None = None
    filter_text: str = ""
    drifted_only: bool = False
    read_only: bool = False
    audit_hidden: bool = False  # narrow terminal (or toggled off): say which key brings it back
    zoomed: bool = False  # the detail pane alone: say which key brings the tree back
    # Keys named in the line, as the keymap binds them (binding id -> label).
    keys: dict[str, str] = field(default_factory=lambda: {"audit_panel": "l", "zoom": "z", "rescan": "r"})
    providers: tuple[str, ...] = ()  # Terraform providers reading live state ("hashicorp/aws 5.100.0")
    # The newest notification, shown here on narrow terminals where toasts would cover the detail pane.
    notice: str | None = None
    notice_severity: str = "information"
    events: str | None = None  # the live event feed: source, lag, last full poll (--events)


class PollBar(Static):
    """Polling interval, last and next poll, pause state, and the active view filters."""

    _last = ""

    def show(self, info: PollInfo) -> None:
        text = Text()
        if info.notice:
            style = {"error": "bold red", "warning": "bold yellow"}.get(info.notice_severity, "bold")
            text.append(f" {info.notice} ", style=style + " reverse")
            text.append(" ")
        if info.interval:
            text.append(f" poll every {_interval(info.interval)}", style="bold")
        else:
            text.append(" polling off", style="bold")
        if info.scanning:
            text.append("  · scanning…", style="italic")
        if info.last is not None:
            took = f" ({info.last_seconds:.1f}s)" if info.last_seconds is not None else ""
            text.append(f"  · last {info.last:%H:%M:%S}{took}")
        if info.paused:
            text.append("  · PAUSED", style="bold reverse")
        elif info.next is not None and info.interval:
            text.append(f"  · next {info.next:%H:%M:%S}")
        if info.providers:
            text.append(f"  · via {', '.join(info.providers)}", style="dim")
        if info.events:
            text.append(f"  · {info.events}", style="bold red" if "unreachable" in info.events else "")
        if info.error:
            # The whole message is in the scan-error box above the tree; this line only flags it.
            text.append(f"  · last scan failed (details above the tree; {info.keys['rescan']} retries)", style="bold red")
        if info.filter_text:
            text.append(f"  · filter: {info.filter_text}", style="bold")
            text.append(" (esc clears)", style="dim")
        if info.drifted_only:
            text.append("  · drifted only", style="bold")
        if info.read_only:
            text.append("  · read-only", style="bold")
        if info.zoomed:
            text.append(f"  · zoomed: {info.keys['zoom']} shows the tree", style="bold")
        elif info.audit_hidden:
            text.append(f"  · {info.keys['audit_panel']}: audit log", style="dim")
        if text.plain != self._last:
            self._last = text.plain
            self.update(text, layout=False)  # one fixed line: no layout pass needed


def _interval(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"
