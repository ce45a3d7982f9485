"""The audit side panel: chain badge, events newest first (optionally only the selected resource's),
and the selected event as fields (actor, resource, verdict, attribute before → after) with its
before/after diff. Routine entries (checkpoints, heartbeats) are hidden unless asked for."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from driftdeck.core.text import printable
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
        self.events: list[AuditEvent] = []  # the rows shown
        self.received: list[AuditEvent] = []  # everything the app gave, routine entries included
        self.show_routine = False
        self.scope: str | None = None  # resource key the list is filtered to, None: all
        self.follow_selection = True
        self.selected: AuditEvent | None = None

    def compose(self) -> ComposeResult:
        yield Static("chain not verified", id="chain-badge", classes="unverified")
        yield Static("", id="audit-scope")
        yield EventList(id="audit-events", cursor_type="row", zebra_stripes=False)
        with VerticalScroll(id="audit-event-scroll"):
            yield Static("", id="audit-event")
            # Diffs are never wrapped (a wrapped line loses its indentation); they scroll sideways.
            yield Static("", id="audit-event-diff")

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
        self.received = events
        events = events if self.show_routine else [e for e in events if e.kind not in ROUTINE_KINDS]
        same = [e.seq for e in events] == [e.seq for e in self.events] and scope == self.scope
        self.events = events
        self.scope = scope
        self._render_scope()
        if same:
            return
        table.clear()
        for e in events:
            table.add_row(str(e.seq), Text(printable(format_ts(e.ts))), Text(printable(e.kind)), Text(printable(e.summary)),
                          key=str(e.seq))
        if not events:
            self.selected = None
            self.query_one("#audit-event", Static).update(Text("no events", style="dim"))
            self.query_one("#audit-event-diff", Static).update("")
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
            text.append(printable(self.scope), style="bold")
        else:
            text.append("all events", style="dim")
        text.append(f"  ({len(self.events)})", style="dim")
        hidden = len(self.received) - len(self.events)
        if hidden:
            text.append(f"  {hidden} checkpoint/heartbeat hidden", style="dim")
        self.query_one("#audit-scope", Static).update(text)

    def toggle_routine(self) -> bool:
        """Show or hide checkpoints and heartbeats; returns whether they are now shown."""
        self.show_routine = not self.show_routine
        self.set_events(self.received, self.scope)
        return self.show_routine

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "audit-events" or event.row_key.value is None:
            return
        event.stop()
        seq = int(event.row_key.value)
        self.selected = next((e for e in self.events if e.seq == seq), None)
        self.post_message(self.EventHighlighted(seq))

    def show_event(self, event: AuditEvent | None) -> None:
        """Render one event (before/after loaded): its fields, then its diff."""
        fields, changes = event_text(event, self._diff_style)
        self.query_one("#audit-event", Static).update(fields)
        self.query_one("#audit-event-diff", Static).update(changes)

    def _diff_style(self, name: str | None) -> Style | str:
        if name is None:
            return ""
        return self.get_component_rich_style(f"audit--{name}", partial=True)


def event_text(event: AuditEvent | None, diff_style: Callable[[str | None], Style | str]) -> tuple[Text, Text]:
    """One event (before/after loaded) as (its fields, its before/after diff), every string made printable.

    `diff_style` maps "diff-add" / "diff-del" / "diff-hunk" (or None) to a style; the audit panel and the
    resource timeline screen both render events with it, each with its own stylesheet's colours.
    """
    if event is None:
        return Text(""), Text("")
    text = Text()
    text.append(f"#{event.seq} {printable(event.kind)}\n", style="bold")
    rows = [("actor", event.actor), ("time", _when(event.ts)), *_subject_fields(event.subject)]
    rows += _data_fields({k: v for k, v in event.data.items() if k != "diff"})  # a config diff is below
    for label, value in rows:
        text.append(f"{printable(str(label)):>{LABEL_WIDTH}} ", style="dim")
        text.append(f"{printable(str(value))}\n")
    changes = Text(no_wrap=True, overflow="ignore")
    diffs = event.after.get("differences") if isinstance(event.after, dict) and event.before is None else None
    if isinstance(diffs, list) and diffs:
        # A drift verdict carries its own before/after per attribute: show those, not a wall of "+".
        status = event.after.get("status", "")
        if "to" not in event.data:  # else the from → to row above says it
            text.append(f"{'verdict':>{LABEL_WIDTH}} ", style="dim")
            text.append(f"{printable(str(status))}\n", style="bold")
        for d in diffs:
            if not isinstance(d, dict):
                continue
            old, new = d.get("expected"), d.get("actual")
            if d.get("side") == "code":
                # A pending edit: `expected` is what the code says, `actual` what state holds.
                old, new = new, old
                changes.append(printable(f"{d.get('path')} (code edit, not applied)") + "\n", style="bold")
            else:
                changes.append(printable(f"{d.get('path')} ({d.get('change', 'updated')})") + "\n", style="bold")
            changes.append(f"- {_compact(old)}\n", style=diff_style("diff-del"))
            changes.append(f"+ {_compact(new)}\n", style=diff_style("diff-add"))
    elif event.before is not None or event.after is not None:
        keys = changed_keys(event.before, event.after)
        if keys:
            text.append(f"{'changed':>{LABEL_WIDTH}} ", style="dim")
            text.append(printable(", ".join(keys)) + "\n", style="bold")
        for kind, line in diff_lines(event.before, event.after):
            style = {"+": "diff-add", "-": "diff-del", "@": "diff-hunk"}.get(kind)
            changes.append(printable(line) + "\n", style=diff_style(style))
    if event.hash:
        text.append(f"{'hash':>{LABEL_WIDTH}} {_short_hash(event.hash)}  prev {_short_hash(event.prev)}\n", style="dim")
    return text, changes


ROUTINE_KINDS = frozenset({"audit.checkpoint", "audit.heartbeat"})
LABEL_WIDTH = 9
# Subject keys in the order an operator reads them, with their labels.
SUBJECT_LABELS = (("address", "resource"), ("provider_id", "resource"), ("type", "type"), ("id", "id"),
                  ("tool", "tool"), ("workspace", "workspace"))


def _when(ts: str) -> str:
    """`2026-01-01T11:05:00.123Z` -> `2026-01-01 11:05:00 UTC`."""
    if "T" not in ts:
        return ts
    date, _, time = ts.partition("T")
    return f"{date} {time[:8]}" + (" UTC" if ts.endswith(("Z", "+00:00")) else "")


def _subject_fields(subject: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    seen = set()
    for key, label in SUBJECT_LABELS:
        value = subject.get(key)
        if value in (None, "") or label in seen:
            continue
        seen.add(label)
        rows.append((label, _compact(value)))
    rows += [(k, _compact(v)) for k, v in sorted(subject.items()) if k not in dict(SUBJECT_LABELS)]
    return rows


def _data_fields(data: dict[str, Any]) -> list[tuple[str, str]]:
    """One row per field; a transition's from/to as one `verdict` row, a scan summary as `k n · k n`."""
    rows: list[tuple[str, str]] = []
    if "from" in data or "to" in data:
        rows.append(("verdict", f"{data.get('from') or '—'} → {data.get('to') or '—'}"))
    for key, value in sorted(data.items()):
        if key in ("from", "to"):
            continue
        if isinstance(value, dict) and value and all(not isinstance(v, (dict, list)) for v in value.values()):
            rows.append((key, " · ".join(f"{k} {v}" for k, v in value.items())))
        else:
            rows.append((key, _compact(value)))
    return rows


def _short_hash(value: str) -> str:
    return value if len(value) <= 20 else f"{value[:16]}…{value[-4:]}"


def _compact(value: object) -> str:
    return printable(value) if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
