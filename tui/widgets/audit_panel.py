"""The audit side panel: chain badge, events newest first (optionally only the selected resource's),
and the selected event's actor, time, hashes and before/after diff."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from driftdeck.tui.audit_feed import AuditEvent, ChainState, changed_keys, diff_lines, format_ts
from driftdeck.tui.widgets.navigation import NAV_BINDINGS, TableNavigation


class EventList(TableNavigation, DataTable[str]):
    """The events table, with the list movement keys."""

    BINDINGS: ClassVar[list[BindingType]] = NAV_BINDINGS


class AuditPanel(Vertical):
    """Renders what the app gives it; never reads the log itself (the app does that in threads)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"audit--diff-add", "audit--diff-del", "audit--diff-hunk"}

    class EventHighlighted(Message):
        def __init__(self, seq: int) -> None:
            super().__init__()
            self.seq = seq

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.events: list[AuditEvent] = []
        self.scope: str | None = None  # resource key the list is filtered to, None: all
        self.follow_selection = True
        self.selected: AuditEvent | None = None

    def compose(self) -> ComposeResult:
        yield Static("chain not verified", id="chain-badge", classes="unverified")
        yield Static("", id="audit-scope")
        yield EventList(id="audit-events", cursor_type="row", zebra_stripes=False)
        with VerticalScroll(id="audit-event-scroll"):
            yield Static("", id="audit-event")

    def on_mount(self) -> None:
        self.query_one("#audit-events", DataTable).add_columns("#", "time", "kind", "subject")
        self._render_scope()

    def set_chain(self, state: ChainState) -> None:
        badge = self.query_one("#chain-badge", Static)
        badge.update(state.badge)
        badge.set_classes(state.state)

    def set_absent(self, message: str) -> None:
        """No log to show (read-only session before any log exists): say so calmly."""
        badge = self.query_one("#chain-badge", Static)
        badge.update(message)
        badge.set_classes("unavailable")
        if self.events:
            self.set_events([], self.scope)
        else:
            self.query_one("#audit-event", Static).update(Text("no events", style="dim"))

    @property
    def following_newest(self) -> bool:
        """True unless the operator moved the cursor off the newest event (row 0)."""
        table = self.query_one("#audit-events", DataTable)
        return not self.events or table.cursor_row <= 0

    def set_events(self, events: list[AuditEvent], scope: str | None) -> None:
        """Replace the list (newest first).

        When the cursor was on the newest event it moves to the new newest one, so the panel never looks
        stale; otherwise the event the operator is reading stays highlighted.
        """
        table = self.query_one("#audit-events", DataTable)
        keep = self.selected.seq if self.selected and not self.following_newest else None
        same = [e.seq for e in events] == [e.seq for e in self.events] and scope == self.scope
        self.events = events
        self.scope = scope
        self._render_scope()
        if same:
            return
        table.clear()
        for e in events:
            table.add_row(str(e.seq), format_ts(e.ts), e.kind, e.summary, key=str(e.seq))
        if not events:
            self.selected = None
            self.query_one("#audit-event", Static).update(Text("no events", style="dim"))
            return
        row = next((i for i, e in enumerate(events) if e.seq == keep), 0)
        table.move_cursor(row=row, animate=False)
        if row == 0:
            table.scroll_home(animate=False, immediate=True)
        self.selected = events[row]
        self.post_message(self.EventHighlighted(events[row].seq))

    def _render_scope(self) -> None:
        text = Text()
        if self.scope:
            text.append("events for ", style="dim")
            text.append(self.scope, style="bold")
        else:
            text.append("all events", style="dim")
        text.append(f"  ({len(self.events)})", style="dim")
        self.query_one("#audit-scope", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "audit-events" or event.row_key.value is None:
            return
        event.stop()
        seq = int(event.row_key.value)
        self.selected = next((e for e in self.events if e.seq == seq), None)
        self.post_message(self.EventHighlighted(seq))

    def show_event(self, event: AuditEvent | None) -> None:
        """Render one event with before/after loaded."""
        target = self.query_one("#audit-event", Static)
        if event is None:
            target.update("")
            return
        text = Text()
        text.append(f"#{event.seq} {event.kind}\n", style="bold")
        for label, value in (
            ("actor", event.actor),
            ("time", event.ts),
            ("hash", _short_hash(event.hash)),
            ("prev", _short_hash(event.prev)),
        ):
            text.append(f"{label:>7} ", style="dim")
            text.append(f"{value}\n")
        diffs = event.after.get("differences") if isinstance(event.after, dict) and event.before is None else None
        if isinstance(diffs, list) and diffs:
            # A drift verdict carries its own before/after per attribute: show those, not a wall of "+".
            status = event.after.get("status", "")
            text.append("verdict ", style="dim")
            text.append(f"{status}\n", style="bold")
            for d in diffs:
                if not isinstance(d, dict):
                    continue
                old, new = d.get("expected"), d.get("actual")
                if d.get("side") == "code":
                    # A pending edit: `expected` is what the code says, `actual` what state holds.
                    old, new = new, old
                    text.append(f"{d.get('path')} (code edit, not applied)\n", style="bold")
                else:
                    text.append(f"{d.get('path')} ({d.get('change', 'updated')})\n", style="bold")
                text.append(f"- {_compact(old)}\n", style=self._diff_style("diff-del"))
                text.append(f"+ {_compact(new)}\n", style=self._diff_style("diff-add"))
        elif event.before is not None or event.after is not None:
            keys = changed_keys(event.before, event.after)
            if keys:
                text.append("changed ", style="dim")
                text.append(", ".join(keys) + "\n", style="bold")
            for kind, line in diff_lines(event.before, event.after):
                style = {"+": "diff-add", "-": "diff-del", "@": "diff-hunk"}.get(kind)
                text.append(line + "\n", style=self._diff_style(style))
        text.append("subject ", style="dim")
        text.append(json.dumps(event.subject, sort_keys=True) + "\n")
        # A config diff is already rendered above from before/after; the copy in data is left out.
        data = {k: v for k, v in event.data.items() if k != "diff"}
        if data:
            text.append("   data ", style="dim")
            text.append(json.dumps(data, sort_keys=True, default=str)[:600] + "\n")
        target.update(text)

    def _diff_style(self, name: str | None) -> Style | str:
        if name is None:
            return ""
        return self.get_component_rich_style(f"audit--{name}", partial=True)


def _short_hash(value: str) -> str:
    return value if len(value) <= 20 else f"{value[:16]}…{value[-4:]}"


def _compact(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
