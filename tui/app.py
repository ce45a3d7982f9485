"""The driftdeck terminal app: resource tree, detail pane, audit panel, background polling and watching.

Blocking work (scans, audit reads and writes, file reads) runs in thread workers; the IaC watcher is
an async worker. Workers hand results to the app only through messages (driftdeck.tui.messages).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer, Input
from textual.worker import get_current_worker

from driftdeck.core.errors import DriftdeckError, InputError
from driftdeck.core.model import ResourceResult, ScanReport
from driftdeck.tui import messages as msg
from driftdeck.tui.audit_feed import AuditFeed, ChainState, MemoryFeed, subject_for
from driftdeck.tui.screens.history import HistorySource
from driftdeck.tui.view_model import Transition, index_report, parse_filter, transitions
from driftdeck.tui.watch import CodeSnapshot, WatchSource, is_watched, watchfiles_source
from driftdeck.tui.widgets.audit_panel import AuditPanel
from driftdeck.tui.widgets.bars import PollBar, PollInfo, SummaryBar
from driftdeck.tui.widgets.detail import DetailPane
from driftdeck.tui.widgets.resource_tree import ResourceTree

Scanner = Callable[[], ScanReport]
Clock = Callable[[], datetime]

PLAN_MODULE = "driftdeck.tui.screens.plan"
NOTIFY_LIMIT = 3
AUDIT_EVENTS_SHOWN = 200
AUDIT_REFRESH_TICKS = 3
AUDIT_DEBOUNCE = 0.15
NARROW_BELOW = 110
AUDIT_MODES = ("-audit-auto", "-audit-on", "-audit-off")


F = TypeVar("F", bound=Callable[..., Any])


def while_mounted(handler: F) -> F:
    """Worker messages can still arrive while the app shuts down; they are dropped then."""

    @functools.wraps(handler)
    def wrapper(self: App[Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return handler(self, *args, **kwargs)
        except NoMatches:
            if self.is_running and not self._exit:
                raise
            return None

    return wrapper  # type: ignore[return-value]


class AuditAbsent(Message):
    """Read-only and no log exists yet: nothing is wrong, there is just nothing to show."""


NO_LOG_YET = "no audit log yet (read-only: none will be written)"


def _utc_now() -> datetime:
    return datetime.now(UTC).astimezone()


class DriftdeckApp(App[int]):
    """`DriftdeckApp(workspace, scanner=...)`; see `driftdeck.tui.commands.tui` for the real wiring."""

    CSS_PATH = "app.tcss"
    AUTO_FOCUS = "#tree"
    TITLE = "driftdeck"
    ENABLE_COMMAND_PALETTE = True
    # Screen gets `-narrow` below this width: the audit panel then hides unless toggled on (app.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]
    NOTIFICATION_TIMEOUT = 3.0  # short-lived: toasts sit over the audit panel

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        Binding("slash", "filter", "Filter", id="filter", key_display="/"),
        Binding("d", "toggle_drifted", "Drifted only", id="drifted_only"),
        Binding("r", "rescan", "Rescan", id="rescan"),
        Binding("s", "toggle_pause", "Pause polling", id="pause"),
        Binding("v", "verify", "Verify chain", id="verify"),
        Binding("y", "toggle_raw", "Raw JSON", id="raw"),
        Binding("a", "toggle_audit_scope", "Audit: all/this", id="audit_scope"),
        Binding("l", "toggle_audit_panel", "Audit panel", id="audit_panel"),
        Binding("p", "plan", "Plan", id="plan"),
        Binding("n", "note", "Note", id="note"),
        Binding("h", "history", "History", id="history", show=False),
        Binding("escape", "leave", "Back", id="back", show=False),
    ]

    def __init__(
        self,
        workspace: Path,
        *,
        scanner: Scanner,
        feed: AuditFeed | None = None,
        poll_interval: float = 60.0,
        read_only: bool = False,
        watch: bool = True,
        watch_source: WatchSource | None = None,
        clock: Clock | None = None,
        keymap: Mapping[str, str] | None = None,
        record_audit: bool = True,
        title: str | None = None,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.scanner = scanner
        self.feed: AuditFeed = feed if feed is not None else MemoryFeed()
        self.read_only = read_only
        self.watch_enabled = watch
        self.watch_source: WatchSource = watch_source or watchfiles_source
        self.clock: Clock = clock or _utc_now
        self.keymap_overrides = dict(keymap or {})
        self.record_audit = record_audit and self.feed.writable
        self.results: dict[str, ResourceResult] = {}
        self.report: ScanReport | None = None
        self.scans_applied = 0
        self.poll = PollInfo(interval=poll_interval, read_only=read_only)
        self.audit_follow = True
        self.chain = ChainState("unverified")
        self.snapshot = CodeSnapshot(workspace)
        self._watch_stop = asyncio.Event()
        self._audit_head = -1
        self._display_title = title or str(workspace)
        self.last_transitions: list[Transition] = []
        self._ticks = 0
        self._audit_timer: Timer | None = None
        self.audit_debounce = AUDIT_DEBOUNCE
        self.audit_absent = False  # read-only with no log on disk (see AuditAbsent)
        self._deferred_toasts: list[tuple[str, dict[str, Any]]] = []
        # Drift history from the real log (an in-memory feed has none to draw from).
        self.history: HistorySource | None = HistorySource(workspace) if hasattr(self.feed, "workspace") else None

    # ----- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield SummaryBar(self._display_title, id="summary")
        yield Input(placeholder="filter: text  type:s3  tag:Env=prod  status:changed  who:alice  !negate", id="filter")
        with Horizontal(id="main", classes="-audit-auto"):
            tree = ResourceTree(self.workspace, id="tree")
            tree.border_title = "resources"
            yield tree
            detail = DetailPane(self.workspace, id="detail")
            detail.border_title = "detail"
            yield detail
            audit = AuditPanel(id="audit")
            audit.border_title = "audit log"
            yield audit
        yield PollBar(id="pollbar")
        yield Footer()

    @functools.cached_property
    def _own_actions(self) -> set[str]:
        return {b.action for b in self.BINDINGS if isinstance(b, Binding)}

    def on_mount(self) -> None:
        if self.keymap_overrides:
            self.set_keymap(self.keymap_overrides)
        self.query_one(ResourceTree).focus()
        self.query_one(DetailPane).loading = True
        self.poll.next = self.clock()
        self._render_poll()
        self.set_interval(1.0, self._tick)
        self.scan_now()
        self.load_audit()
        self.check_chain(explicit=False)
        if self.record_audit or self.watch_enabled:
            self.load_snapshot()
        if self.watch_enabled:
            self.watch_iac()

    def on_unmount(self) -> None:
        self._watch_stop.set()
        if self._audit_timer is not None:
            self._audit_timer.stop()
        try:
            self.feed.close()  # writes the log's session-end checkpoint
        except Exception:  # noqa: BLE001 - never block quitting
            pass

    # ----- polling ----------------------------------------------------------------------------
    @while_mounted
    def _tick(self) -> None:
        now = self.clock()
        if (
            self.poll.interval
            and not self.poll.paused
            and not self.poll.scanning
            and self.poll.next is not None
            and now >= self.poll.next
        ):
            self.scan_now()
        self._ticks += 1
        self._flush_toasts()
        if self._ticks % AUDIT_REFRESH_TICKS == 0:
            self.load_audit(only_if_new=True)  # other processes may have appended (a CLI scan, another TUI)
        self._render_poll()

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def scan_now(self) -> None:
        """Run one scan in a thread; the report is delivered with ScanCompleted."""
        worker = get_current_worker()
        self.post_message(msg.ScanStarted())
        started = time.monotonic()
        try:
            report = self.scanner()
        except DriftdeckError as exc:
            self.post_message(msg.ScanFailed(str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - shown to the operator, polling continues
            self.post_message(msg.ScanFailed(f"{type(exc).__name__}: {exc}"))
            return
        if not worker.is_cancelled:
            self.post_message(msg.ScanCompleted(report, time.monotonic() - started))

    @while_mounted
    def on_scan_started(self, _message: msg.ScanStarted) -> None:
        self.poll.scanning = True
        self._render_poll()

    @while_mounted
    def on_scan_failed(self, message: msg.ScanFailed) -> None:
        self.poll.scanning = False
        self.poll.error = message.error
        self._schedule_next()
        self.query_one(DetailPane).loading = False
        self._toast(message.error, title="scan failed", severity="error", timeout=6)
        self._render_poll()

    @while_mounted
    def on_scan_completed(self, message: msg.ScanCompleted) -> None:
        self.poll.scanning = False
        self.poll.error = None
        self.poll.last = self.clock()
        self.poll.last_seconds = message.elapsed
        self.poll.providers = tuple(p.replace("registry.terraform.io/", "") for p in message.report.providers)
        self._schedule_next()
        self.apply_report(message.report)
        self._render_poll()

    def apply_report(self, report: ScanReport) -> list[Transition]:
        """Show a new poll result in place and react to what changed."""
        new = index_report(report)
        changes = transitions(self.results, new) if self.scans_applied else []
        self.results = new
        self.report = report
        self.scans_applied += 1
        tree = self.query_one(ResourceTree)
        tree.show(new)
        self.query_one(DetailPane).loading = False
        # The tree's counts equal report.counts() when no filter is active; otherwise count the report.
        unfiltered = not tree.filter.active and not tree.drifted_only
        self.query_one(SummaryBar).show(tree.status_counts() if unfiltered else report.counts())
        self._refresh_detail()
        self.last_transitions = changes
        self._notify_drift(changes, first=self.scans_applied == 1, report=report)
        if self.record_audit:
            self.record_scan(report)
        return changes

    def _notify_drift(self, changes: list[Transition], *, first: bool, report: ScanReport) -> None:
        if first:
            drifted = [r for r in report.resources if r.status.is_drift]
            if drifted:
                self._toast(f"{len(drifted)} resource(s) drifted", title="drift", severity="warning")
            return
        new = [t for t in changes if t.is_new_drift]
        if new:
            lines = [f"{t.key}: {t.current.value if t.current else 'gone'}" for t in new[:NOTIFY_LIMIT]]
            if len(new) > NOTIFY_LIMIT:
                lines.append(f"and {len(new) - NOTIFY_LIMIT} more")
            self._toast("\n".join(lines), title="new drift", severity="warning", timeout=5)
        resolved = [t for t in changes if t.is_resolved]
        if resolved:
            names = ", ".join(t.key for t in resolved[:NOTIFY_LIMIT])
            self._toast(f"back in sync: {names}", title="drift resolved")

    @property
    def modal_open(self) -> bool:
        return isinstance(self.screen, ModalScreen)

    def _toast(self, message: str, **kwargs: Any) -> None:
        """A notification from background work: held back while a modal (help, plan, note) is open."""
        if self.modal_open:
            self._deferred_toasts.append((message, kwargs))
        else:
            self.notify(message, **kwargs)

    def _flush_toasts(self) -> None:
        if self.modal_open or not self._deferred_toasts:
            return
        held, self._deferred_toasts = self._deferred_toasts[-NOTIFY_LIMIT:], []
        for message, kwargs in held:
            self.notify(message, **kwargs)

    def _schedule_next(self) -> None:
        if self.poll.interval:
            self.poll.next = self.clock() + timedelta(seconds=self.poll.interval)

    def _render_poll(self) -> None:
        self.poll.audit_hidden = not self.audit_panel_visible  # the breakpoint may have moved (resize)
        self.query_one(PollBar).show(self.poll)

    # ----- selection and detail -----------------------------------------------------------------
    @property
    def selected_key(self) -> str | None:
        return self.query_one(ResourceTree).selected_key

    def _refresh_detail(self) -> None:
        key = self.selected_key
        self.query_one(DetailPane).show(self.results.get(key) if key else None)

    @on(ResourceTree.ResourceHighlighted)
    @while_mounted
    def _resource_highlighted(self, message: ResourceTree.ResourceHighlighted) -> None:
        self.query_one(DetailPane).show(self.results.get(message.key) if message.key else None)
        if self.audit_follow:
            # Holding an arrow key must not start a log read per line: wait until the cursor rests.
            if self._audit_timer is not None:
                self._audit_timer.stop()
                self._audit_timer = None
            if self.audit_debounce:
                self._audit_timer = self.set_timer(self.audit_debounce, self.load_audit)
            else:
                self.load_audit()

    @on(ResourceTree.DrillIn)
    def _drill_in(self, _message: ResourceTree.DrillIn) -> None:
        self.query_one(DetailPane).focus()

    # ----- audit ----------------------------------------------------------------------------------
    @property
    def audit_scope(self) -> str | None:
        """What the audit panel is filtered to: the selection's address (or provider id when unmanaged)."""
        key = self.selected_key if self.audit_follow else None
        result = self.results.get(key) if key else None
        if result is None:
            return None
        return result.address or result.id

    @while_mounted
    def load_audit(self, *, only_if_new: bool = False) -> None:
        """Reload the panel's events (newest first) for the current scope, in a thread.

        `only_if_new`: skip the read when the log's head has not moved (the periodic check for
        appends by other processes costs one tail read then).
        """
        scope = self.audit_scope
        unchanged_scope = scope == self.query_one(AuditPanel).scope
        known = self._audit_head if (only_if_new and unchanged_scope) else None
        self._read_audit(scope, known)

    @work(thread=True, exclusive=True, group="audit-read", exit_on_error=False)
    def _read_audit(self, scope: str | None, known_head: int | None) -> None:
        try:
            head = self.feed.head()
            if known_head is not None and head == known_head:
                return
            events = self.feed.events(resource=scope, limit=AUDIT_EVENTS_SHOWN)
        except InputError as exc:
            # A read-only session never creates the log, so "no log here" is the expected state.
            self.post_message(AuditAbsent() if not self.feed.writable else msg.AuditFailed(f"InputError: {exc}"))
            return
        except Exception as exc:  # noqa: BLE001 - a broken log must not take the dashboard down
            self.post_message(msg.AuditFailed(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(msg.AuditLoaded(events, scope, head))

    @while_mounted
    def on_audit_loaded(self, message: msg.AuditLoaded) -> None:
        if message.scope != self.audit_scope:
            return  # the selection moved on while this was loading
        self.audit_absent = False  # another process created the log meanwhile
        moved = message.head != self._audit_head
        self._audit_head = message.head
        self.query_one(AuditPanel).set_events(message.events, message.scope)
        if moved and self.chain.state != "tampered":
            self.check_chain(explicit=False)  # incremental: only the new entries are checked

    def on_audit_changed(self, _message: msg.AuditChanged) -> None:
        self.load_audit()

    @on(AuditPanel.EventHighlighted)
    def _event_highlighted(self, message: AuditPanel.EventHighlighted) -> None:
        self.load_event(message.seq)

    @work(thread=True, exclusive=True, group="audit-event", exit_on_error=False)
    def load_event(self, seq: int) -> None:
        try:
            event = self.feed.event(seq)
        except Exception as exc:  # noqa: BLE001
            self.post_message(msg.AuditFailed(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(msg.AuditEventLoaded(event))

    @while_mounted
    def on_audit_event_loaded(self, message: msg.AuditEventLoaded) -> None:
        self.query_one(AuditPanel).show_event(message.event)

    @on(AuditAbsent)
    @while_mounted
    def _audit_absent(self, _message: AuditAbsent) -> None:
        self.audit_absent = True
        self.query_one(AuditPanel).set_absent(NO_LOG_YET)

    @while_mounted
    def on_audit_failed(self, message: msg.AuditFailed) -> None:
        self.query_one(AuditPanel).set_chain(ChainState("unavailable", detail=message.error))

    @work(thread=True, exclusive=True, group="audit-verify", exit_on_error=False)
    def check_chain(self, explicit: bool = True) -> None:
        try:
            state = self.feed.verify() if explicit else self.feed.chain_state()
        except Exception as exc:  # noqa: BLE001
            state = ChainState("unverified", detail=f"verification failed: {type(exc).__name__}")
        self.post_message(msg.ChainChecked(state, explicit=explicit))

    @while_mounted
    def on_chain_checked(self, message: msg.ChainChecked) -> None:
        if self.audit_absent and message.state.state != "verified":
            if message.explicit:
                self._toast(NO_LOG_YET, title="audit chain")
            return  # keep the calm "no log yet" badge rather than "verification failed: InputError"
        self.chain = message.state
        self.query_one(AuditPanel).set_chain(message.state)
        if message.explicit:
            if message.state.state == "tampered":
                self._toast(message.state.badge, title="audit chain", severity="error")
            else:
                self._toast(message.state.badge, title="audit chain")

    @work(thread=True, group="audit-write", exit_on_error=False)
    def record_scan(self, report: ScanReport) -> None:
        try:
            self.feed.record_scan(report)
        except Exception as exc:  # noqa: BLE001
            self.post_message(msg.AuditFailed(f"recording the scan failed: {type(exc).__name__}: {exc}"))
            return
        self.post_message(msg.AuditChanged())

    # ----- IaC watching --------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="snapshot", exit_on_error=False)
    def load_snapshot(self) -> None:
        self.snapshot.load()

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def watch_iac(self) -> None:
        """Endless: forward debounced IaC file changes as FilesChanged messages."""
        async for paths in self.watch_source(self.workspace, self._watch_stop):
            relevant = {p for p in paths if is_watched(p)}
            if relevant:
                self.post_message(msg.FilesChanged(relevant))

    def on_files_changed(self, message: msg.FilesChanged) -> None:
        self.record_config_changes(message.paths)

    @work(thread=True, group="config", exit_on_error=False)
    def record_config_changes(self, paths: set[Path]) -> None:
        """Diff the changed code files against the snapshot, log `config.changed`, then rescan."""
        changes = self.snapshot.update(paths)
        recorded: dict[str, tuple[int, int]] = {}
        for change in changes:
            rel = self.snapshot.relative(change.path)
            recorded[rel] = change.counts
            if not self.record_audit:
                continue
            try:
                self.feed.append(
                    "config.changed",
                    subject={"tool": "driftdeck", "workspace": str(self.workspace)},
                    data={"file": rel, "diff": change.diff, "added": change.counts[0], "removed": change.counts[1]},
                    before=change.before,
                    after=change.after,
                    durable=True,
                )
            except Exception as exc:  # noqa: BLE001
                self.post_message(msg.AuditFailed(f"recording config change failed: {type(exc).__name__}"))
        self.post_message(msg.ConfigRecorded(recorded))

    @while_mounted
    def on_config_recorded(self, message: msg.ConfigRecorded) -> None:
        if message.files:
            names = ", ".join(f"{f} (+{a}/-{r})" for f, (a, r) in sorted(message.files.items()))
            self._toast(names, title="code changed")
            self.load_audit()
        if not self.poll.paused:
            self.scan_now()

    # ----- actions ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.modal_open and action in self._own_actions:
            return False  # a modal's footer shows the modal's keys, not the dashboard's
        if action == "note":
            return not self.read_only and self.feed.writable
        if action == "plan":
            return self._plan_module() is not None
        return True

    def action_rescan(self) -> None:
        self.scan_now()

    def action_toggle_pause(self) -> None:
        self.poll.paused = not self.poll.paused
        if not self.poll.paused:
            self._schedule_next()
        self._render_poll()
        self.notify("polling paused" if self.poll.paused else "polling resumed", timeout=2)

    def action_toggle_drifted(self) -> None:
        tree = self.query_one(ResourceTree)
        tree.show(self.results, drifted_only=not tree.drifted_only)
        self.poll.drifted_only = tree.drifted_only
        self._render_poll()
        self._refresh_detail()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.apply_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, _event: Input.Submitted) -> None:
        self.query_one(ResourceTree).focus()

    def apply_filter(self, text: str) -> None:
        tree = self.query_one(ResourceTree)
        tree.show(self.results, filter=parse_filter(text))
        self.poll.filter_text = text.strip()
        self._render_poll()

    def action_leave(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_focus:
            if not box.value:
                box.display = False
            self.query_one(ResourceTree).focus()
            return
        detail = self.query_one(DetailPane)
        if detail.show_raw:
            detail.show_raw = False
            return
        tree = self.query_one(ResourceTree)
        if tree.has_focus and (tree.filter.active or box.value):
            box.value = ""  # Input.Changed re-applies the (now empty) filter
            box.display = False
            self.apply_filter("")
            return
        tree.focus()

    def action_toggle_raw(self) -> None:
        detail = self.query_one(DetailPane)
        detail.show_raw = not detail.show_raw

    def action_toggle_audit_scope(self) -> None:
        self.audit_follow = not self.audit_follow
        self.load_audit()

    @property
    def audit_panel_visible(self) -> bool:
        return bool(self.query_one(AuditPanel).display)

    def action_toggle_audit_panel(self) -> None:
        """Show or hide the audit panel (hidden by default below NARROW_BELOW columns)."""
        panel = self.query_one(AuditPanel)
        hide = self.audit_panel_visible
        main = self.query_one("#main")
        main.remove_class(*AUDIT_MODES)
        main.add_class("-audit-off" if hide else "-audit-on")
        if hide and panel.has_focus_within:
            self.query_one(ResourceTree).focus()
        self.call_after_refresh(self._render_poll)

    def action_verify(self) -> None:
        if self.audit_absent:
            self.notify(NO_LOG_YET, title="audit chain", timeout=3)
            return
        self.query_one(AuditPanel).set_chain(ChainState("unverified", detail="verifying…"))
        self.check_chain(explicit=True)

    def action_history(self) -> None:
        from driftdeck.tui.screens.history import HistoryScreen

        self.clear_notifications()
        self.push_screen(HistoryScreen(self.history or HistorySource(None)))

    def action_help(self) -> None:
        from driftdeck.tui.screens.help import HelpScreen

        self.clear_notifications()  # toasts must not sit over the help text
        self.push_screen(HelpScreen(self._binding_rows()))

    def _binding_rows(self) -> list[tuple[str, str, str]]:
        """(id, keys, description) for driftdeck's own keys, once each, with any keymap remaps applied.

        Only the app's bindings (not the focused widget's generic scrolling/cursor keys), plus the few
        tree/pane keys an operator needs to know.
        """
        own = {b.id for b in self.BINDINGS if isinstance(b, Binding) and b.id}
        keys: dict[str, list[str]] = {}
        described: dict[str, str] = {}
        for bindings in self._bindings.key_to_bindings.values():
            for b in bindings:
                if b.id not in own or not b.description or not self.check_action(b.action, ()):
                    continue
                display = self.get_key_display(b)
                if display not in keys.setdefault(b.id, []):
                    keys[b.id].append(display)
                described[b.id] = b.description
        extra = [
            ("drill_in", "enter", "Open the selection in the detail pane"),
            ("back", "esc", "Back to the tree; clear the filter"),
            ("focus_next", "tab", "Next pane"),
            ("command_palette", "ctrl+p", "Command palette"),
        ]
        fixed = {ident for ident, _, _ in extra}
        rows = [(ident, ", ".join(keys[ident]), described[ident]) for ident in keys if ident not in fixed]
        return sorted(rows + extra)

    def action_note(self) -> None:
        if self.read_only:
            return
        from driftdeck.tui.screens.note import NoteScreen

        key = self.selected_key

        def save(text: str | None) -> None:
            if text:
                self.append_note(key, text)

        self.push_screen(NoteScreen(key), save)

    @work(thread=True, group="audit-write", exit_on_error=False)
    def append_note(self, key: str | None, text: str) -> None:
        result = self.results.get(key) if key else None
        subject = subject_for(key, result.type, result.id) if key and result else {"tool": "driftdeck"}
        self.feed.append("operator.note", subject=subject, data={"note": text}, durable=True)
        self.post_message(msg.AuditChanged())

    def _plan_module(self) -> Any:
        try:
            return importlib.import_module(PLAN_MODULE)
        except ImportError:
            return None

    def action_plan(self) -> None:
        """Open the remediation plan for the selected resource (screen provided by the plans feature)."""
        module = self._plan_module()
        key = self.selected_key
        if module is None or key is None:
            self.notify("select a resource first" if module else "plans are not available", timeout=3)
            return
        factory = getattr(module, "open_plan_screen", None) or getattr(module, "PlanScreen", None)
        if factory is None:
            self.notify("plans are not available", timeout=3)
            return
        result = self.results[key]
        screen = factory(result, workspace=self.workspace, read_only=self.read_only, feed=self.feed)

        def after(outcome: object) -> None:
            if outcome is not None:  # a remediation was applied: show its effect now
                self.scan_now()
                self.post_message(msg.AuditChanged())

        self.push_screen(screen, after)

    # ----- command palette ---------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Rescan now", "Poll AWS immediately", self.action_rescan)
        yield SystemCommand("Pause / resume polling", "Stop or restart the interval poll", self.action_toggle_pause)
        yield SystemCommand("Show only drifted resources", "Toggle the drifted-only view", self.action_toggle_drifted)
        yield SystemCommand("Filter resources", "address, type:, tag:K=V, status:, who:actor, ! to negate", self.action_filter)
        yield SystemCommand("Verify audit chain", "Check the hash chain and checkpoints", self.action_verify)
        yield SystemCommand("Raw state vs live JSON", "Toggle the raw view of the selection", self.action_toggle_raw)
        yield SystemCommand("Audit: this resource / all events", "Scope the audit panel", self.action_toggle_audit_scope)
        if self._plan_module() is not None:
            yield SystemCommand("Remediation plan", "Plan for the selected resource", self.action_plan)
