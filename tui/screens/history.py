"""Drift history in the dashboard: a timeline section for the detail pane, the estate view (`h`) and
one resource's full-screen timeline (`t`: bands, its markers in a list, the selected marker's diff).

Both read one `HistorySource` per app: the engine's `HistoryModel` refreshed from a worker thread
(only new, verified entries are read), drawn from memory on the UI thread. A log that does not
verify is named, never drawn from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Sparkline, Static

from driftdeck.core.audit import AuditReader
from driftdeck.core.audit.history import HistoryModel, bucket_series, format_ts, humanize_seconds
from driftdeck.core.errors import DriftdeckError
from driftdeck.core.text import printable
from driftdeck.tui.audit_core import to_event
from driftdeck.tui.audit_feed import AuditEvent
from driftdeck.tui.widgets.audit_panel import event_text
from driftdeck.tui.widgets.navigation import NAV_BINDINGS, TableNavigation

if TYPE_CHECKING:
    from driftdeck.core.audit.history import HistoryModel, HistoryView, ResourceHistory

TIMELINE_WIDTH = 48
SPARK_BUCKETS = 120
# Bands differ by glyph as well as colour (colour is not the only cue).
BAND_GLYPHS = {"in_sync": "▁", "changed": "█", "missing": "█", "pending": "▆", "unmanaged": "█",
               "absent": "░", "untracked": " "}
MARKER_GLYPHS = {"cloud.change.attributed": "▲", "config.changed": "✎", "remediation.planned": "◆",
                 "remediation.applied": "✔", "remediation.failed": "✘"}
MAX_EPISODES_SHOWN = 5
MAX_MARKERS_SHOWN = 5


def _clock() -> float:
    return datetime.now(UTC).timestamp()


class HistorySource:
    """One `HistoryModel` for the app, created and refreshed off the UI thread.

    `problem` is set instead of a model when there is no log yet or the log does not verify.
    """

    def __init__(self, workspace: Path | None, *, model: HistoryModel | None = None,
                 clock: Callable[[], float] = _clock) -> None:
        self.workspace = workspace
        self.model = model
        self.problem: str | None = None if model is not None or workspace is not None else "no audit log"
        self.clock = clock
        self._lock = threading.Lock()
        self._fixed = model is not None  # given a model (snapshots): never re-read

    def refresh(self) -> bool:
        """Fold in newly verified entries (worker threads only); True when anything changed."""
        if self._fixed or self.workspace is None:
            return False

        # A first load of a long log takes a while; periodic refreshes meanwhile return at once
        # instead of queueing a thread each behind it.
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if self.model is None:
                self.model = HistoryModel(AuditReader.for_workspace(self.workspace))
            changed = self.model.refresh()
            self.model.require_verified()
        except DriftdeckError as exc:
            was, self.problem = self.problem, printable(str(exc))
            return was != self.problem
        finally:
            self._lock.release()
        was, self.problem = self.problem, None
        return changed or was is not None

    def event(self, seq: int) -> AuditEvent | None:
        """One verified entry with its before/after, read by seq through the model's `AuditReader`
        (worker threads only; waits for a refresh in progress, which reads through the same reader)."""
        model = self.model
        if model is None or model.chain.verified_through is None or seq > model.chain.verified_through:
            return None
        with self._lock:
            entry = model.reader.get(seq)
        return to_event(entry, with_payload=True) if entry is not None else None

    def view(self, since: float | None = None) -> HistoryView | None:
        if self.model is None or self.problem is not None:
            return None
        try:
            return self.model.view(since, self.clock())
        except DriftdeckError as exc:
            self.problem = printable(str(exc))
            return None


def _styles(widget: Any) -> dict[str, Style]:
    """Status colours from the stylesheet (defined once in app.tcss) via the widget's component classes."""
    out: dict[str, Style] = {}
    for status in ("in_sync", "changed", "missing", "pending", "unmanaged", "unknown"):
        try:
            out[status] = widget.get_component_rich_style(f"status--{status}", partial=True)
        except KeyError:
            out[status] = Style()
    out["absent"] = out["unknown"]
    out["untracked"] = Style(dim=True)
    return out


def timeline_text(history: ResourceHistory, start: float, end: float, styles: dict[str, Style],
                  width: int = TIMELINE_WIDTH) -> Text:
    """Status bands of one resource over [start, end] as one line of `width` cells, markers below."""
    span = max(end - start, 1e-3)
    cells = ["untracked"] * width
    for band_start, band_end, status in history.bands(start, end):
        first = int((band_start - start) / span * width)
        last = max(first + 1, int((band_end - start) / span * width + 0.999))
        for i in range(max(first, 0), min(last, width)):
            # A short drift must stay visible at this scale: drift wins a shared cell.
            if cells[i] in ("untracked", "in_sync", "absent") or status not in ("untracked", "in_sync", "absent"):
                cells[i] = status
    text = Text()
    for status in cells:
        text.append(BAND_GLYPHS.get(status, "█"), style=styles.get(status, Style()))
    marks = [" "] * width
    for marker in history.markers:
        if start <= marker.at <= end:
            marks[min(int((marker.at - start) / span * width), width - 1)] = MARKER_GLYPHS.get(marker.kind, "•")
    if any(m != " " for m in marks):
        text.append("\n" + "".join(marks), style="bold")
    left, right = format_ts(start)[:16].replace("T", " "), "now"
    text.append(f"\n{left}{right:>{max(width - len(left), len(right) + 1)}}", style="dim")
    return text


def resource_section(source: HistorySource, key: str | None, styles: dict[str, Style]) -> Text:
    """The detail pane's "history" section for one resource."""
    text = Text()
    text.append("history", style="bold underline")
    if source.problem is not None:
        text.append(f"\n  {source.problem}", style="italic")
        return text
    model = source.model
    if model is None:
        text.append("\n  reading the audit log…", style="dim")
        return text
    text.append(f" · chain {model.chain.summary()}", style="dim")
    history = model.resource(key) if key else None
    if history is None or not (history.episodes or history.markers):
        text.append("\n  no drift recorded for this resource", style="dim")
        return text
    now = source.clock()
    first = min([e.start for e in history.episodes] + [m.at for m in history.markers])
    text.append("\n")
    text.append_text(timeline_text(history, first, now, styles))
    resolved = [e.resolution_seconds for e in history.episodes if e.resolution_seconds is not None]
    mean = sum(resolved) / len(resolved) if resolved else None
    n = len(history.episodes)
    text.append(f"\n  {n} drift episode{'s' if n != 1 else ''} · mean time to resolution {humanize_seconds(mean)}")
    for episode in history.episodes[-MAX_EPISODES_SHOWN:]:
        took = humanize_seconds(episode.resolution_seconds) if episode.end is not None else "open"
        who = ", ".join(printable(a) for a in episode.actors) or "no attributed actor"
        status = episode.statuses[-1]
        text.append("\n  ")
        text.append(BAND_GLYPHS.get(status, "█"), style=styles.get(status, Style()))
        text.append(f" {format_ts(episode.start)[:19].replace('T', ' ')}  {'/'.join(episode.statuses)}  {took}  ")
        text.append(who, style="bold")
    for marker in history.markers[-MAX_MARKERS_SHOWN:]:
        # The seq finds the event in the audit panel, which shows its before/after diff.
        text.append(f"\n  {MARKER_GLYPHS.get(marker.kind, '•')} #{marker.seq} {format_ts(marker.at)[:19].replace('T', ' ')}  "
                    f"{printable(marker.label)}  ", style="dim")
        text.append(printable(marker.actor))
    return text


class TimelineSection(Static):
    """Detail-pane section: the selected resource's timeline, refreshed from a worker."""

    REFRESH_SECONDS = 2.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.key: str | None = None

    @property
    def source(self) -> HistorySource | None:
        return getattr(self.app, "history", None)

    def on_mount(self) -> None:
        self.display = False
        self.styles.margin = (1, 0, 0, 0)  # apart from the differences table above
        self.set_interval(self.REFRESH_SECONDS, self.reload)

    def show(self, key: str | None) -> None:
        self.key = key
        self.display = key is not None and self.source is not None
        self._render_now()
        if self.display:
            self.reload()

    def reload(self) -> None:
        if self.display and self.source is not None:
            self._refresh_source()

    @work(thread=True, exclusive=True, group="history-timeline", exit_on_error=False)
    def _refresh_source(self) -> None:
        source = self.source
        if source is not None and (source.refresh() or not self.renderable_ready):
            self.app.call_from_thread(self._render_now)

    @property
    def renderable_ready(self) -> bool:
        return getattr(self, "_drawn_with_model", False)

    def _render_now(self) -> None:
        source = self.source
        if source is None or not self.is_mounted:
            return
        self._drawn_with_model = source.model is not None or source.problem is not None
        pane = self.parent if self.parent is not None else self
        self.update(resource_section(source, self.key, _styles(pane)))


class HistoryScreen(Screen[None]):
    """The estate over time: drifted / unknown / unmanaged counts, top actors, most drifting, MTTR."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,h", "app.pop_screen", "Back", id="history_close"),
        Binding("w", "window", "Window: all/7d/24h", id="history_window"),
    ]
    WINDOWS: ClassVar[tuple[tuple[str, float | None], ...]] = (("whole log", None), ("7 days", 7 * 86400.0),
                                                               ("24 hours", 86400.0))
    DEFAULT_CSS = """
    HistoryScreen #history-chain { height: 1; background: $panel; }
    HistoryScreen .spark-row { height: 3; }
    HistoryScreen .spark-label { width: 24; }
    HistoryScreen Sparkline { width: 1fr; height: 3; }
    HistoryScreen #history-title { height: 1; padding: 0 1; text-style: bold; }
    HistoryScreen #history-series { height: auto; margin: 1 0; }
    HistoryScreen #history-tables { height: 1fr; }
    HistoryScreen #history-tables Static { width: 1fr; padding: 0 1; }
    """

    def __init__(self, source: HistorySource) -> None:
        super().__init__()
        self.source = source
        self.window = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="history-chain")
        yield Static("estate drift over time (each column: the last scan in its slot)", id="history-title")
        with Vertical(id="history-series"):
            for name in ("drifted", "unknown", "unmanaged"):
                with Horizontal(classes="spark-row"):
                    yield Static(name, id=f"label-{name}", classes="spark-label")
                    yield Sparkline([], id=f"spark-{name}")
        with VerticalScroll(id="history-tables"):
            with Horizontal():
                yield Static("", id="history-figures")
                yield Static("", id="history-actors")
                yield Static("", id="history-drifting")
        yield Footer()

    def on_mount(self) -> None:
        self._drawn = False
        self._draw()
        self._load()
        self.set_interval(TimelineSection.REFRESH_SECONDS, self._load)

    def action_window(self) -> None:
        self.window = (self.window + 1) % len(self.WINDOWS)
        self._draw()

    @work(thread=True, exclusive=True, group="history-estate", exit_on_error=False)
    def _load(self) -> None:
        if self.source.refresh() or not self._drawn:
            self.app.call_from_thread(self._draw)

    def _draw(self) -> None:
        chain = self.query_one("#history-chain", Static)
        label, seconds = self.WINDOWS[self.window]
        now = self.source.clock()
        since = now - seconds if seconds is not None else None
        view = self.source.view(since)
        if view is None:
            chain.update(Text(f" audit chain: {self.source.problem or 'reading the audit log…'} — nothing drawn",
                              style="bold"))
            for name in ("drifted", "unknown", "unmanaged"):
                self.query_one(f"#spark-{name}", Sparkline).data = []
            self._drawn = False
            return
        self._drawn = True
        chain.update(Text(f" audit chain: {view.chain.summary()}  ·  window: {label}  ·  "
                          f"{len(view.series)} scans", style="bold"))
        start = since if since is not None else (view.series[0].at if view.series else now)
        last = view.series[-1] if view.series else None
        for name in ("drifted", "unknown", "unmanaged"):
            values = bucket_series(view.series, start, now, SPARK_BUCKETS, name) if view.series else []
            self.query_one(f"#spark-{name}", Sparkline).data = values
            current = getattr(last, name) if last is not None else 0
            peak = int(max(values)) if values else 0
            self.query_one(f"#label-{name}", Static).update(f"{name:<10} now {current:>4}\n{'':<10} peak {peak:>3}")
        figures = Text()
        figures.append("estate\n", style="bold underline")
        figures.append(f"mean time to resolution  {humanize_seconds(view.mean_time_to_resolution)}\n")
        figures.append(f"resolved episodes        {view.resolved_episodes}\n")
        figures.append(f"still open               {view.open_episodes}\n")
        figures.append(f"IaC edits                {len(view.iac_edits)}\n")
        if view.series:
            figures.append(f"since {format_ts(start)[:16].replace('T', ' ')}", style="dim")
        self.query_one("#history-figures", Static).update(figures)
        actors = Text()
        actors.append("top actors (out-of-band changes)\n", style="bold underline")
        for actor, n in view.top_actors:
            actors.append(f"{n:>5}  {printable(actor)}\n")
        if not view.top_actors:
            actors.append("none attributed\n", style="dim")
        self.query_one("#history-actors", Static).update(actors)
        drifting = Text()
        drifting.append("most drifting resources\n", style="bold underline")
        for key, n, secs in view.most_drifting:
            drifting.append(f"{n:>3} × {printable(key)}", style="bold")
            drifting.append(f"  {humanize_seconds(secs)}\n", style="dim")
        if not view.most_drifting:
            drifting.append("no drift in this window\n", style="dim")
        self.query_one("#history-drifting", Static).update(drifting)


class MarkerList(TableNavigation, DataTable[Text]):
    """A resource's markers, oldest first, with the list movement keys."""

    BINDINGS: ClassVar[list[BindingType]] = NAV_BINDINGS


class ResourceTimelineScreen(Screen[None]):
    """One resource over time: its status bands, its markers (attributed changes with their actor,
    plans, remediations) in a list, and the selected marker's audit event with its before/after diff.

    The event is read by seq in a worker (`HistorySource.event`), never on the UI thread.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,t", "app.pop_screen", "Back", id="timeline_close"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"status--{s}" for s in ("in_sync", "changed", "missing", "pending", "unmanaged", "unknown")),
        "audit--diff-add", "audit--diff-del", "audit--diff-hunk",
    }
    DEFAULT_CSS = """
    ResourceTimelineScreen #timeline-chain { height: 1; background: $panel; }
    ResourceTimelineScreen #timeline-bands { height: auto; padding: 0 1; margin: 0 0 1 0; }
    /* The list as tall as its markers (up to 40%): the rest shows the selected event and its diff. */
    ResourceTimelineScreen #timeline-markers { height: auto; max-height: 40%; }
    ResourceTimelineScreen #timeline-event-scroll { height: 1fr; overflow-x: auto; border-top: hkey $panel-lighten-2; }
    ResourceTimelineScreen #timeline-event { padding: 0 1; }
    ResourceTimelineScreen #timeline-event-diff { width: auto; padding: 0 1; }
    """

    def __init__(self, source: HistorySource, key: str) -> None:
        super().__init__()
        self.source = source
        self.key = key
        self.markers: list[int] | None = None  # the seqs listed, in row order (None: not drawn yet)
        self.shown_seq: int | None = None  # the event whose diff is drawn

    def compose(self) -> ComposeResult:
        yield Static("", id="timeline-chain")
        yield Static("", id="timeline-bands")
        yield MarkerList(id="timeline-markers", cursor_type="row", zebra_stripes=False)
        with VerticalScroll(id="timeline-event-scroll"):
            yield Static("", id="timeline-event")
            # Diffs are never wrapped (a wrapped line loses its indentation); they scroll sideways.
            yield Static("", id="timeline-event-diff")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(MarkerList).add_columns("#", "time", "kind", "actor", "what")
        self._draw()
        self._load()
        self.set_interval(TimelineSection.REFRESH_SECONDS, self._load)
        self.query_one(MarkerList).focus()

    def on_resize(self) -> None:
        self._draw_bands()

    @work(thread=True, exclusive=True, group="timeline-history", exit_on_error=False)
    def _load(self) -> None:
        if self.source.refresh() or self.markers is None:
            self.app.call_from_thread(self._draw)

    def _history(self) -> ResourceHistory | None:
        model = self.source.model
        if model is None or self.source.problem is not None:
            return None
        return model.resource(self.key)

    def _draw_bands(self) -> None:
        history = self._history()
        bands = self.query_one("#timeline-bands", Static)
        if history is None or not (history.episodes or history.markers):
            bands.update(Text("no drift recorded for this resource", style="dim") if history is not None or
                         self.source.model is not None else "")
            return
        now = self.source.clock()
        first = min([e.start for e in history.episodes] + [m.at for m in history.markers])
        width = max(self.size.width - 2, 20)
        bands.update(timeline_text(history, first, now, _styles(self), width=width))

    def _draw(self) -> None:
        chain = self.query_one("#timeline-chain", Static)
        model = self.source.model
        if self.source.problem is not None or model is None:
            state = self.source.problem or "reading the audit log…"
            chain.update(Text(f" {printable(self.key)} · audit chain: {state} — nothing drawn", style="bold"))
            self._draw_bands()
            return
        history = self._history()
        episodes = history.episodes if history is not None else []
        resolved = [e.resolution_seconds for e in episodes if e.resolution_seconds is not None]
        mean = sum(resolved) / len(resolved) if resolved else None
        chain.update(Text(f" {printable(self.key)} · {len(episodes)} drift episode{'s' if len(episodes) != 1 else ''}"
                          f" · mean time to resolution {humanize_seconds(mean)} · chain {model.chain.summary()}",
                          style="bold"))
        self._draw_bands()
        markers = history.markers if history is not None else []
        seqs = [m.seq for m in markers]
        if seqs == self.markers:
            return
        table = self.query_one(MarkerList)
        keep = table.cursor_row if self.markers else 0  # the marker being read stays selected
        table.clear()
        for m in markers:
            table.add_row(Text(str(m.seq)), Text(format_ts(m.at)[:19].replace("T", " ")),
                          Text(f"{MARKER_GLYPHS.get(m.kind, '•')} {printable(m.kind)}"),
                          Text(printable(m.actor), style="bold"), Text(printable(m.label)), key=str(m.seq))
        self.markers = seqs
        if markers:
            table.move_cursor(row=min(keep, len(markers) - 1), animate=False)
        else:
            self.query_one("#timeline-event", Static).update(Text("no markers for this resource", style="dim"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "timeline-markers" or event.row_key.value is None:
            return
        event.stop()
        seq = int(event.row_key.value)
        self.query_one("#timeline-event", Static).update(Text(f"#{seq} reading…", style="dim"))
        self.query_one("#timeline-event-diff", Static).update("")
        self._read_event(seq)

    @work(thread=True, exclusive=True, group="timeline-event", exit_on_error=False)
    def _read_event(self, seq: int) -> None:
        try:
            event = self.source.event(seq)
        except Exception as exc:  # noqa: BLE001 - a broken log must not take the screen down
            self.app.call_from_thread(self._show_problem, seq, f"{type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self._show_event, seq, event)

    def _show_problem(self, seq: int, problem: str) -> None:
        self.query_one("#timeline-event", Static).update(Text(f"#{seq}: {printable(problem)}", style="italic"))

    def _show_event(self, seq: int, event: AuditEvent | None) -> None:
        table = self.query_one(MarkerList)
        if not self.markers or self.markers[max(0, min(table.cursor_row, len(self.markers) - 1))] != seq:
            return  # the cursor moved on while this was read
        if event is None:
            self._show_problem(seq, "not in the verified log")
            return
        fields, changes = event_text(event, self._diff_style)
        self.query_one("#timeline-event", Static).update(fields)
        self.query_one("#timeline-event-diff", Static).update(changes)
        self.shown_seq = seq

    def _diff_style(self, name: str | None) -> Style | str:
        if name is None:
            return ""
        return self.get_component_rich_style(f"audit--{name}", partial=True)
