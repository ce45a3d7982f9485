"""The driftdeck terminal app: resource tree, detail pane, audit panel, background polling and watching.

Polls and IaC file changes go through the same monitor loop `driftdeck watch` runs
(`core.monitor.loop.MonitorLoop`: transitions, recording with attribution evidence, the IaC change
recorder); the app drives it from thread workers with its own interval, pause and scan-now key.
Blocking work (scans, audit reads and writes, file reads) runs in thread workers; the IaC watcher is
an async worker. Workers hand results to the app only through messages (driftdeck.tui.messages).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from driftdeck.core.audit.subject import subject_of
from driftdeck.core.errors import DriftdeckError, InputError
from driftdeck.core.model import ResourceResult, ScanReport
from driftdeck.core.monitor.alerts import Dispatcher
from driftdeck.core.monitor.iac_files import IacContentCache, is_iac
from driftdeck.core.monitor.loop import MonitorLoop, PollResult
from driftdeck.core.settings import Config
from driftdeck.core.text import printable
from driftdeck.core.transitions import Transition
from driftdeck.tui import keys
from driftdeck.tui import messages as msg
from driftdeck.tui.audit_core import CoreFeed
from driftdeck.tui.audit_feed import AuditFeed, ChainState, FeedRecorder, MemoryFeed
from driftdeck.tui.file_watch import WatchSource, watchfiles_source
from driftdeck.tui.screens.help import HelpScreen
from driftdeck.tui.screens.history import HistoryScreen, HistorySource, ResourceTimelineScreen
from driftdeck.tui.screens.note import NoteScreen
from driftdeck.tui.screens.plan import open_plan_screen
from driftdeck.tui.view_model import index_report, parse_filter
from driftdeck.tui.widgets.audit_panel import AuditPanel
from driftdeck.tui.widgets.bars import PollBar, PollInfo, SummaryBar
from driftdeck.tui.widgets.detail import DetailPane
from driftdeck.tui.widgets.resource_tree import ResourceTree

Scanner = Callable[[], ScanReport]
Clock = Callable[[], datetime]
# Work to do before the first scan (the demo starts its emulator and builds its estate); it reports
# each step through the callback it is given.
Prepare = Callable[[Callable[[str], None]], None]

NOTIFY_LIMIT = 3
AUDIT_EVENTS_SHOWN = 200
AUDIT_REFRESH_TICKS = 3
AUDIT_DEBOUNCE = 0.15
NARROW_BELOW = 140  # below this the tree and detail need the audit panel's columns more than it does
XWIDE_FROM = 180  # from here the audit panel widens (app.tcss)
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
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide"), (XWIDE_FROM, "-xwide")]
    NOTIFICATION_TIMEOUT = 3.0  # short-lived: toasts sit over the audit panel

    # From the one key table (driftdeck.tui.keys), which the help and the README's "Keys" also read.
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings(where=keys.DASHBOARD)

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
        providers: Any = None,
        prepare: Prepare | None = None,
        on_first_scan: Callable[[], None] | None = None,
        events_status: Callable[[], str] | None = None,  # a live event feed's status line (--events)
    ) -> None:
        super().__init__()
        self.prepare = prepare
        self.preparing = prepare is not None
        self.on_first_scan = on_first_scan
        self.events_status = events_status
        self.workspace = workspace
        self.scanner = scanner
        self.providers = providers  # the session's ProviderSession: plans write import blocks with it
        self.feed: AuditFeed = feed if feed is not None else MemoryFeed()
        self.read_only = read_only
        self.watch_enabled = watch
        self.watch_source: WatchSource = watch_source or watchfiles_source
        self.clock: Clock = clock or _utc_now
        self.keymap_overrides = dict(keymap or {})
        self.keymap_problems = keys.keymap_problems(self.keymap_overrides)
        self.record_audit = record_audit and self.feed.writable
        self.results: dict[str, ResourceResult] = {}
        self.report: ScanReport | None = None
        self.scans_applied = 0
        self.poll = PollInfo(interval=poll_interval, read_only=read_only)
        self.audit_follow = True
        self.chain = ChainState("unverified")
        # The loop `driftdeck watch` runs, without alert sinks or rules: the app polls it from its scan
        # worker (its own interval and pause) and hands it the IaC files its watcher reports.
        self.monitor = MonitorLoop(
            scan=lambda: self.scanner(),
            config=Config(interval_seconds=poll_interval),
            dispatcher=Dispatcher([]),
            recorder=FeedRecorder(self.feed, workspace) if self.record_audit else None,
            log=self._monitor_log,
            workspace=str(workspace),
            cache=IacContentCache(workspace),
            on_scan=self._polled,
        )
        self._watch_stop = asyncio.Event()
        self.iac_watching = False
        self._audit_head = -1
        self._display_title = title or workspace.name or str(workspace)
        self.last_transitions: list[Transition] = []
        self._ticks = 0
        self._audit_timer: Timer | None = None
        self.audit_debounce = AUDIT_DEBOUNCE
        self.audit_absent = False  # read-only with no log on disk (see AuditAbsent)
        self._deferred_toasts: list[tuple[str, dict[str, Any]]] = []
        # Drift history from the real log (an in-memory feed has none to draw from).
        self.history: HistorySource | None = HistorySource(workspace) if isinstance(self.feed, CoreFeed) else None

    # ----- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield SummaryBar(self._display_title, id="summary")
        yield Input(placeholder="filter: text  type:s3  tag:Env=prod  status:changed  who:alice  !negate", id="filter")
        with Horizontal(id="main", classes="-audit-auto"):
            with Vertical(id="tree-area"):
                # A failed scan is explained here in full (the status line has room for one flag only).
                with VerticalScroll(id="scan-error"):
                    yield Static("", id="scan-error-text")
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
        for problem in self.keymap_problems:
            # Textual would silently skip an unknown id or drop the key a remap collides with.
            self.notify(problem, title="keymap.toml", severity="warning", timeout=12)
        self.query_one(ResourceTree).focus()
        self.query_one(DetailPane).loading = True
        self.poll.next = self.clock()
        self._render_poll()
        self.set_interval(1.0, self._tick)
        if self.prepare is not None:
            self._run_prepare(self.prepare)
        else:
            self.scan_now()
        self.load_audit()
        self.check_chain(explicit=False)
        if self.prepare is None:
            self._start_watching()

    def _start_watching(self) -> None:
        """Snapshot the IaC files and watch them (after any preparation wrote them: not a code change)."""
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

    # ----- start-up preparation -------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def _run_prepare(self, prepare: Prepare) -> None:
        def progress(text: str) -> None:
            self.post_message(msg.Progress(text))

        try:
            prepare(progress)
        except Exception as exc:  # noqa: BLE001 - shown in full where the tree would be
            self.post_message(msg.Prepared(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(msg.Prepared())

    @while_mounted
    def on_progress(self, message: msg.Progress) -> None:
        if not self.scans_applied:
            self.query_one(ResourceTree).set_placeholder(message.text)

    @while_mounted
    def on_prepared(self, message: msg.Prepared) -> None:
        if message.error is not None:  # stays `preparing`: there is nothing to poll
            self.query_one(DetailPane).loading = False
            self.query_one(SummaryBar).show(None, failed=True)
            self._show_scan_error(message.error, retrying=False)
            self.query_one("#scan-error").border_title = "could not start"
            self.query_one(ResourceTree).set_placeholder("could not start (see above)")
            return
        self.preparing = False
        self._start_watching()
        self.scan_now()

    # ----- polling ----------------------------------------------------------------------------
    @while_mounted
    def _tick(self) -> None:
        now = self.clock()
        if (
            not self.preparing
            and self.poll.interval
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
        if self.events_status is not None:
            self.poll.events = self.events_status()
        self._render_poll()

    def events_ready(self) -> None:
        """A live event feed has re-checks waiting: scan now unless a scan runs or polling is paused
        (the feed signals again until its batch is taken)."""
        if not self.poll.scanning and not self.poll.paused:
            self.scan_now()

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def scan_now(self) -> None:
        """One poll of the monitor loop in a thread; its report arrives with ScanCompleted (`_polled`)."""
        self.post_message(msg.ScanStarted())
        try:
            self.monitor.poll_once()
        except DriftdeckError as exc:
            self.post_message(msg.ScanFailed(str(exc)))
        except Exception as exc:  # noqa: BLE001 - shown to the operator, polling continues
            self.post_message(msg.ScanFailed(f"{type(exc).__name__}: {exc}"))

    def _polled(self, poll: PollResult) -> None:
        """The loop's `on_scan`, on the scan worker's thread: the poll (already recorded) as a message.
        A scan superseded by a newer one (scan-now while it ran) is not shown."""
        if not get_current_worker().is_cancelled:
            self.post_message(msg.ScanCompleted(poll.report, poll.scan_seconds, poll.transitions))
        if self.record_audit:
            self.post_message(msg.AuditChanged())

    def _monitor_log(self, event: str, level: str = "info", **fields: Any) -> None:
        """The loop's structured log: the dashboard has no stderr to write it to; a failed audit write is shown."""
        if event == "audit.failed":
            self.post_message(msg.AuditFailed(f"recording failed: {fields.get('error')}"))

    @while_mounted
    def on_scan_started(self, _message: msg.ScanStarted) -> None:
        self.poll.scanning = True
        self._render_poll()

    @while_mounted
    def on_scan_failed(self, message: msg.ScanFailed) -> None:
        self.poll.scanning = False
        self.poll.error = message.error
        self._schedule_next()  # keeps retrying on the poll interval
        self.query_one(DetailPane).loading = False
        self._show_scan_error(message.error)
        if self.scans_applied:
            self._toast(message.error, title="scan failed", severity="error", timeout=6)
        else:
            self.query_one(SummaryBar).show(None, failed=True)
            self.query_one(ResourceTree).set_placeholder("no results yet: the scan failed (see above)")
        self._render_poll()

    def _show_scan_error(self, error: str | None, *, retrying: bool = True) -> None:
        box = self.query_one("#scan-error")
        box.display = error is not None
        if error is None:
            return
        box.border_title = "scan failed" if not self.scans_applied else "last scan failed: showing the previous results"
        text = Text(printable(error) + "\n\n", style="bold")
        if not retrying:
            text.append("Nothing will be scanned in this session; quit and start again once the cause is fixed.")
        elif self.poll.interval and self.poll.next is not None:
            text.append(f"Retrying every {self.poll.interval:g}s (next at {self.poll.next:%H:%M:%S}); ")
            text.append("fix the cause above, or press ")
        else:
            text.append("Polling is off: fix the cause above, then press ")
        if retrying:
            text.append(keys.key_label(self._key_of("rescan")), style="bold")
            text.append(" to retry now.")
        self.query_one("#scan-error-text", Static).update(text)

    def _key_of(self, ident: str) -> str:
        return keys.effective_keys(self.keymap_overrides)[ident]

    @while_mounted
    def on_scan_completed(self, message: msg.ScanCompleted) -> None:
        self.poll.scanning = False
        self.poll.error = None
        self._show_scan_error(None)
        self.poll.last = self.clock()
        self.poll.last_seconds = message.elapsed
        self.poll.providers = tuple(p.replace("registry.terraform.io/", "") for p in message.report.providers)
        self._schedule_next()
        self.apply_report(message.report, message.transitions)
        self._render_poll()

    def apply_report(self, report: ScanReport, transitions: list[Transition] | None = None) -> list[Transition]:
        """Show a new poll result in place and react to what changed (the monitor loop's transitions;
        the first scan is summarised instead)."""
        new = index_report(report)
        changes = list(transitions or []) if self.scans_applied else []
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
        if self.scans_applied == 1 and self.on_first_scan is not None:
            self.on_first_scan()
        return changes

    def _notify_drift(self, changes: list[Transition], *, first: bool, report: ScanReport) -> None:
        if first:
            drifted = [r for r in report.resources if r.status.is_drift]
            if drifted:
                self._toast(f"{len(drifted)} resource(s) drifted", title="drift", severity="warning")
            return
        new = [t for t in changes if t.is_new_drift]
        if new:
            lines = [f"{t.key}: {t.after.value if t.after else 'gone'}" for t in new[:NOTIFY_LIMIT]]
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
        """A notification from background work: held back while a modal (help, plan, note) is open.
        The message carries untrusted text (addresses, errors): printable, and never markup."""
        message = printable(message)
        kwargs.setdefault("markup", False)
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
        self.poll.zoomed = self.zoomed
        self.poll.keys = {ident: keys.key_label(self._key_of(ident)) for ident in ("audit_panel", "zoom", "rescan")}
        self._latest_notice()
        self.query_one(PollBar).show(self.poll)

    @property
    def narrow(self) -> bool:
        return self.size.width < NARROW_BELOW

    def _refresh_notifications(self) -> None:
        # Every toast added or expired passes here: keep the status line's copy current.
        super()._refresh_notifications()
        if self.is_running and not self._exit:
            try:
                self._render_poll()
            except NoMatches:
                pass

    def _latest_notice(self) -> None:
        """On a narrow screen toasts are hidden (app.tcss: they would cover the detail pane's table); the
        newest live one is shown in the status line instead."""
        live = list(self._notifications) if self.narrow and not self.modal_open else []
        if not live:
            self.poll.notice = None
            return
        newest = live[-1]
        body = " · ".join(line for line in newest.message.splitlines() if line.strip())
        more = f" (+{len(live) - 1})" if len(live) > 1 else ""
        self.poll.notice = f"{newest.title}: {body}{more}" if newest.title else f"{body}{more}"
        self.poll.notice_severity = newest.severity

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

    # ----- IaC watching --------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="snapshot", exit_on_error=False)
    def load_snapshot(self) -> None:
        if self.monitor.cache is not None:
            self.monitor.cache.load()

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def watch_iac(self) -> None:
        """Endless: forward debounced IaC file changes as FilesChanged messages."""
        async for paths in self.watch_source(self.workspace, self._watch_stop):
            self.iac_watching = True  # the source yielded (changes or an idle tick): edits from now on are seen
            relevant = {p for p in paths if is_iac(p)}
            if relevant:
                self.post_message(msg.FilesChanged(relevant))

    def on_files_changed(self, message: msg.FilesChanged) -> None:
        self.record_config_changes(message.paths)

    @work(thread=True, group="config", exit_on_error=False)
    def record_config_changes(self, paths: set[Path]) -> None:
        """Record what changed in the IaC files as `config.changed` through the monitor loop (watch's
        policy: code with its diff, variable and state files as BLAKE3 digests only), then rescan."""
        recorded: dict[str, tuple[int, int]] = {}
        for path in sorted(paths):
            change = self.monitor.file_changed(path)
            if change is not None:  # None: same bytes as before (an editor's rewrite, a touch)
                recorded[change.file] = change.counts
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
        return True

    def action_rescan(self) -> None:
        if not self.preparing:
            self.scan_now()

    def action_toggle_pause(self) -> None:
        self.poll.paused = not self.poll.paused
        if not self.poll.paused:
            self._schedule_next()
        self._render_poll()
        self._relabel("pause", on=self.poll.paused)
        self.notify("polling paused" if self.poll.paused else "polling resumed", timeout=2)

    def _relabel(self, binding_id: str, *, on: bool) -> None:
        """Give a binding its footer label for the state (keys.STATE_LABELS), whatever key the keymap
        gave it: Textual's labels are fixed, so the app's binding is replaced by a relabelled copy."""
        label = keys.STATE_LABELS[binding_id] if on else keys.BY_ID[binding_id].description
        table = self._bindings.key_to_bindings
        for key, bound in table.items():
            table[key] = [dataclasses.replace(b, description=label) if b.id == binding_id else b for b in bound]
        self.refresh_bindings()

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
        if self.zoomed:
            self.action_toggle_zoom()  # back to the tree: it must be on screen
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

    @property
    def zoomed(self) -> bool:
        return self.query_one("#main").has_class("-zoomed")

    def action_toggle_zoom(self) -> None:
        """Give the detail pane the whole width (tree and audit panel folded away), or bring them back."""
        main = self.query_one("#main")
        main.toggle_class("-zoomed")
        if self.zoomed:
            self.query_one(DetailPane).focus()
        else:
            self.query_one(ResourceTree).focus()
        self.call_after_refresh(self._render_poll)

    def action_toggle_audit_checkpoints(self) -> None:
        shown = self.query_one(AuditPanel).toggle_routine()
        self.notify("checkpoints and heartbeats shown" if shown else "checkpoints and heartbeats hidden", timeout=2)

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
        self.clear_notifications()
        self.push_screen(HistoryScreen(self.history or HistorySource(None)))

    def action_timeline(self) -> None:
        if len(self.screen_stack) > 1:
            return  # from the dashboard only: another screen (estate view, plan, help) has no selection
        key = self.selected_key
        if key is None:
            self.notify("select a resource first", title="timeline", timeout=3)
            return
        self.clear_notifications()
        self.push_screen(ResourceTimelineScreen(self.history or HistorySource(None), key))

    def action_help(self) -> None:
        self.clear_notifications()  # toasts must not sit over the help text
        self.push_screen(HelpScreen(self._binding_rows(), self.keymap_problems))

    def _binding_rows(self) -> list[tuple[str, str, str, str]]:
        """(where, id, keys, description) from the key table with the keymap's remaps applied, leaving
        out the dashboard actions this session does not offer (a note when read-only...)."""
        return [
            row for row in keys.rows(self.keymap_overrides)
            if (row[0] != keys.DASHBOARD or self.check_action(keys.BY_ID[row[1]].action, ()) is not False)
            and not (self.read_only and row[1] == "plan_apply")
        ]

    def get_key_display(self, binding: Binding) -> str:
        # The same labels as the help and the README; no fixed key_display, which a remap would not update.
        return binding.key_display or keys.key_label(binding.key)

    def action_note(self) -> None:
        if self.read_only:
            return
        key = self.selected_key

        def save(text: str | None) -> None:
            if text:
                self.append_note(key, text)

        self.push_screen(NoteScreen(key), save)

    @work(thread=True, group="audit-write", exit_on_error=False)
    def append_note(self, key: str | None, text: str) -> None:
        result = self.results.get(key) if key else None
        subject = subject_of(key, result) if key and result else {}
        self.feed.append("operator.note", subject=subject, data={"note": text}, durable=True)
        self.post_message(msg.AuditChanged())

    def action_plan(self) -> None:
        """Open the remediation plan for the selected resource, or the drifted resources of a group."""
        result = self._plan_subject()
        if result is None:
            return
        extra = {"providers": self.providers} if self.providers is not None else {}
        screen = open_plan_screen(result, workspace=self.workspace, read_only=self.read_only, feed=self.feed, **extra)

        def after(outcome: object) -> None:
            if outcome is not None:  # a remediation was applied: show its effect now
                self.scan_now()
                self.post_message(msg.AuditChanged())

        self.push_screen(screen, after)

    def _plan_subject(self) -> ResourceResult | list[ResourceResult] | None:
        """What `p` plans: the selected resource, or on a group node the group's drifted resources
        (as the tree shows them). None, with a toast saying why, when there is nothing to plan."""
        tree = self.query_one(ResourceTree)
        key = tree.selected_key
        if key is not None:
            return self.results[key]
        group = tree.selected_group
        if group is None:
            self.notify("select a resource to plan", timeout=3)
            return None
        drifted = [self.results[k] for k in tree.keys_under(group) if self.results[k].status.is_drift]
        if not drifted:
            self.notify(printable(f"no drifted resource in {'/'.join(group)}: select a resource to plan"), timeout=4)
            return None
        return drifted

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
        yield SystemCommand("Zoom the detail pane", "Fold the tree and audit panel away, or bring them back",
                            self.action_toggle_zoom)
        yield SystemCommand("Audit: show / hide checkpoints", "Routine checkpoint and heartbeat entries",
                            self.action_toggle_audit_checkpoints)
        yield SystemCommand("Remediation plan", "Plan for the selected resource, or the drifted resources of a group", self.action_plan)
