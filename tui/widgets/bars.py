"""One-line bars: the summary of the estate (top) and the polling status (above the key footer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.widgets import Static

from driftdeck.core.model import Status
from driftdeck.tui.widgets.resource_tree import GLYPHS


class SummaryBar(Static):
    """`driftdeck · PATH · 42 resources  35 ✓  3 ~  1 ✗ …` coloured by status."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"status--{s.value}" for s in Status}

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.counts: dict[str, int] | None = None

    def on_mount(self) -> None:
        self.show(None)

    def show(self, counts: dict[str, int] | None) -> None:
        if counts is not None and counts == self.counts:
            return
        self.counts = counts
        text = Text()
        text.append(" driftdeck ", style="bold reverse")
        text.append(f" {self.title}  ")
        if counts is None:
            text.append("scanning…", style="italic")
        else:
            total = sum(counts.values())
            text.append(f"{total} resources ", style="bold")
            for status in Status:
                n = counts.get(status.value, 0)
                if n:
                    style = self.get_component_rich_style(f"status--{status.value}", partial=True)
                    text.append(f" {GLYPHS[status]} {n} {status.value.replace('_', ' ')} ", style=style)
        self.update(text, layout=False)  # one fixed line: no layout pass needed


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
    providers: tuple[str, ...] = ()  # Terraform providers reading live state ("hashicorp/aws 5.100.0")
    events: str | None = None  # the live event feed: source, lag, last full poll (--events)


class PollBar(Static):
    """Polling interval, last and next poll, pause state, and the active view filters."""

    _last = ""

    def show(self, info: PollInfo) -> None:
        text = Text()
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
            text.append(f"  · last scan failed: {info.error}", style="bold red")
        if info.filter_text:
            text.append(f"  · filter: {info.filter_text}", style="bold")
            text.append(" (esc clears)", style="dim")
        if info.drifted_only:
            text.append("  · drifted only", style="bold")
        if info.read_only:
            text.append("  · read-only", style="bold")
        if info.audit_hidden:
            text.append("  · l: audit log", style="dim")
        if text.plain != self._last:
            self._last = text.plain
            self.update(text, layout=False)  # one fixed line: no layout pass needed


def _interval(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"
