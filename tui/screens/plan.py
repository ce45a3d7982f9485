"""`p`: the remediation plan of the selected resource(s), in a modal with one tab per direction.

Public API (used by the app's `p` binding):

    open_plan_screen(result_or_results, *, workspace, read_only, feed=None) -> PlanScreen
        The screen for one ResourceResult, or a marked list of them, returned at once: it builds
        their plans (code read from `workspace`) in a worker and says "planning…" meanwhile.
    PlanScreen(plans, *, workspace, read_only, on_apply=None, feed=None, to_plan=())
        plans:    list[ResourcePlan] from driftdeck.core.remediation.build_plans, or None to build
                  the plans of `to_plan` in a worker
        on_apply: callable(ResourcePlan) -> ApplyOutcome, run in a worker thread after confirmation;
                  default: apply_revert with a fresh AwsContext, recording to `feed` when given.
        Dismisses with the last ApplyOutcome (or None).

Keys inside the screen: left/right (or tab) switch direction, `c` copies the tab's commands and patch, `s` saves
the plan under `.driftdeck/plans/` (and records `remediation.planned`; both in a worker), `a` asks to apply the
revert, `escape` closes. A plan never applies itself: `a` opens a confirmation that lists exactly
the AWS calls; only `y` there runs them (pressing `a` again does not). In read-only mode, in a plan
with no revert (an in-sync resource...) and after a successful apply, `a` is not bound at all and the
footer does not offer it; the status line says why. When the revert exists but driftdeck has no tested
boto3 call for it, `a` explains why it is unavailable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from driftdeck.core.aws import AwsContext
from driftdeck.core.model import ResourceResult, Status
from driftdeck.core.remediation import (
    ApplyOutcome,
    ApplyRefused,
    Direction,
    DirectionPlan,
    PlanOptions,
    ResourcePlan,
    applicable_revert,
    apply_revert,
    build_plans,
    default_output_dir,
    preview,
    render_document,
    save_document,
)
from driftdeck.core.remediation.audit_events import planned_event, subject_of
from driftdeck.core.remediation.document import PLANS_DIR, PlanDocument, plan_name, shell_lines
from driftdeck.core.remediation.plan import PATCH_PLACEHOLDER
from driftdeck.core.text import printable
from driftdeck.tui.keys import PLAN, bindings

ApplyFn = Callable[[ResourcePlan], ApplyOutcome]
PLANNING = "planning…"  # shown while the plan build worker runs


def open_plan_screen(
    result: ResourceResult | Sequence[ResourceResult], *, workspace: Path, read_only: bool, feed: Any = None,
    providers: Any = None,
) -> PlanScreen:
    """The plan screen for one resource (the app's `p` key) or a marked set of resources; it builds
    the plans in a worker (reading the code can take seconds). `providers`: the session's
    ProviderSession, which writes import blocks for any type."""
    results = [result] if isinstance(result, ResourceResult) else list(result)
    single = results[0] if len(results) == 1 else None
    return PlanScreen(None, to_plan=results, workspace=workspace, read_only=read_only, feed=feed, subject=single,
                      read_live=single is not None and single.status == Status.UNMANAGED, providers=providers)


def default_apply(feed: Any, *, read_only: bool) -> ApplyFn:
    def run(plan: ResourcePlan) -> ApplyOutcome:
        return apply_revert(plan, AwsContext(), read_only=read_only, audit_log=feed)

    return run


class ConfirmApplyScreen(ModalScreen[bool]):
    """Lists exactly what will run; `y` confirms, anything bound here other than `y` cancels."""

    CONFIRM_KEY = "y"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(CONFIRM_KEY, "confirm", "Run these calls", id="plan_apply_confirm"),
        Binding("escape,n", "cancel", "Cancel", id="plan_apply_cancel"),
    ]

    def __init__(self, plan: ResourcePlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        lines = preview(self.plan)
        body = Text(f"apply the revert of {printable(self.plan.key)}? these AWS calls will run, in order:\n\n", style="bold")
        with Vertical(id="plan-confirm-box"):
            yield Static(body)
            yield Static(Syntax("\n".join(printable(line) for line in lines), "bash", word_wrap=True), id="plan-confirm-calls")
            yield Static(Text(f"\n{self.CONFIRM_KEY} runs them · esc cancels", style="reverse"))
        yield Footer()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class PlanScreen(ModalScreen[ApplyOutcome | None]):
    # The active direction's text takes focus: up/down scroll it, left/right change direction.
    AUTO_FOCUS = "#plan-tabs TabPane VerticalScroll"
    BINDINGS: ClassVar[list[BindingType]] = bindings(where=PLAN)  # driftdeck.tui.keys: remappable, in the help
    DEFAULT_CSS = """
    PlanScreen { align: center middle; }
    #plan-box { width: 90%; height: 90%; border: thick $accent; background: $surface; }
    #plan-planning { height: 1fr; padding: 1; }
    #plan-tabs { height: 1fr; }
    #plan-outcome { height: auto; padding: 0 1; display: none; }
    #plan-status { height: auto; padding: 0 1; }
    ConfirmApplyScreen { align: center middle; }
    #plan-confirm-box { width: 80%; height: auto; max-height: 80%; border: thick $error; background: $surface; padding: 1; }
    """

    def __init__(
        self,
        plans: list[ResourcePlan] | None,
        *,
        workspace: Path,
        read_only: bool,
        on_apply: ApplyFn | None = None,
        feed: Any = None,
        subject: ResourceResult | None = None,
        read_live: bool = False,
        providers: Any = None,
        to_plan: Sequence[ResourceResult] = (),
    ) -> None:
        super().__init__()
        # None: the plans of `to_plan` are built in a worker once the screen is up ("planning…").
        self.planning = plans is None
        self.plans_shown = not self.planning  # the plans are on screen (tabs composed)
        self.to_plan = list(to_plan)
        self.providers = providers  # the app's ProviderSession (thread-safe), None: import tables only
        # Unmanaged objects come from discovery with few attributes: read them fully in the
        # background and rebuild the import block, so the UI never waits on AWS.
        self.read_live = read_live and subject is not None
        self.plans: list[ResourcePlan] = plans or []
        self.workspace = workspace
        self.read_only = read_only
        self.feed = feed
        self.on_apply = on_apply or default_apply(feed, read_only=read_only)
        self.subject = subject
        self.outcome: ApplyOutcome | None = None
        self.saved_path: Path | None = None
        self.saving = False

    # ----- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="plan-box"):
            yield Static(self._title(), id="plan-title")
            if self.planning:
                yield Static(Text(PLANNING, style="bold"), id="plan-planning")
            elif not self.plans:
                yield Static("nothing to plan: the resource is in sync, unknown or pending", id="plan-empty")
            else:
                with TabbedContent(id="plan-tabs"):
                    for direction in self._directions():
                        with TabPane(direction.value, id=f"tab-{direction.value}"):
                            with VerticalScroll():
                                yield Static(self._direction_body(direction), id=f"plan-body-{direction.value}")
            yield Static("", id="plan-outcome")
            yield Static(self._footer(), id="plan-status")
        yield Footer()  # this screen's keys, not the dashboard's underneath

    def _title(self) -> Text:
        if len(self.plans) == 1:
            r = self.plans[0].resource
            n = len(r.differences)
            detail = f", {n} difference{'' if n == 1 else 's'}" if n else ""
            return Text(printable(f"plan for {r.key} ({r.status.value}{detail})"), style="bold")
        if self.subject is not None and not self.plans:
            return Text(printable(f"plan for {self.subject.key}"), style="bold")
        count = len(self.plans)
        return Text(f"plan for {count} resource{'' if count == 1 else 's'}", style="bold")

    def _footer(self) -> Text:
        if self.planning:
            return Text(f"{PLANNING} · esc close", style="dim")
        if self.read_only:
            apply_hint = " · apply unavailable (read-only)"
        elif self.applied:
            apply_hint = " · revert applied"
        elif self.apply_target() is None:
            apply_hint = " · no revert to apply"
        else:
            apply_hint = " · a apply revert"
        return Text(f"←/→ direction · c copy · s save{apply_hint} · esc close", style="dim")

    @property
    def applied(self) -> bool:
        """A revert ran successfully in this window: it is not offered again."""
        return self.outcome is not None and self.outcome.ok

    def _directions(self) -> list[Direction]:
        seen: list[Direction] = []
        for plan in self.plans:
            for dp in plan.directions:
                if dp.direction not in seen:
                    seen.append(dp.direction)
        return seen

    def _sections(self, direction: Direction) -> list[tuple[ResourcePlan, DirectionPlan]]:
        return [(p, dp) for p in self.plans for dp in p.directions if dp.direction == direction]

    def _direction_body(self, direction: Direction) -> Group:
        parts: list[Any] = []
        for plan, dp in self._sections(direction):
            parts.append(Text(printable(f"{plan.key}: {dp.summary}"), style="bold"))
            if dp.commands:
                patch_ref = f"{PLANS_DIR.as_posix()}/{plan_name(self.plans)}.patch"
                parts.append(Syntax("\n".join(line for c in dp.commands for line in shell_lines(c, patch_ref)), "bash",
                                    word_wrap=True))
            for patch in dp.patches:
                parts.append(Text(printable(f"patch for {patch.file}"), style="bold"))
                parts.append(Syntax("\n".join(printable(line) for line in patch.diff.split("\n")), "diff", word_wrap=True))
            if dp.validated is not None:
                parts.append(Text("validated: patched code re-parses and equals live" if dp.validated
                                  else "NOT validated: see notes", style="green" if dp.validated else "red"))
            for note in dp.notes:
                parts.append(Text(printable(f"note: {note}"), style="yellow"))
            if dp.unanswered:
                parts.append(Text(printable("left for manual work: " + ", ".join(dp.unanswered)), style="yellow"))
            for risk in dp.risks:
                parts.append(Text(printable(f"risk ({risk.kind}): {risk.text}"), style="red" if risk.kind != "note" else "dim"))
            if direction == Direction.REVERT:
                parts.append(self._apply_line(plan, dp))
            parts.append(Text(""))
        return Group(*parts)

    def _apply_line(self, plan: ResourcePlan, dp: DirectionPlan) -> Text:
        outcome = self.outcome
        if outcome is not None and outcome.key == plan.key:
            return outcome_text(outcome)
        if not dp.safe_to_apply:
            return Text("safe apply: not available for this drift", style="bold")
        if self.read_only:
            return Text("safe apply: disabled in read-only mode", style="bold")
        if self.applied:
            return Text("safe apply: another revert was applied in this window", style="bold")
        return Text("safe apply available: press a", style="bold")

    def _command(self, text: str) -> str:
        """Commands name the .patch where `s` saves it."""
        return text.replace(PATCH_PLACEHOLDER, f"{PLANS_DIR.as_posix()}/{plan_name(self.plans)}.patch")

    def on_mount(self) -> None:
        if self.planning:
            self._build_plans()
        elif self.read_live:
            self._start_read_live()

    @work(thread=True, exclusive=True, group="plan-build", exit_on_error=False)
    def _build_plans(self) -> list[ResourcePlan]:
        """Reading and evaluating the code can take seconds: never on the UI thread."""
        return build_plans(self.to_plan, PlanOptions(workspace=self.workspace))

    async def _show_plans(self, plans: list[ResourcePlan]) -> None:
        """The build worker's plans replace "planning…"; an unmanaged object's live read follows."""
        self.planning = False
        self.plans = plans
        await self.recompose()
        self.plans_shown = True
        self.refresh_bindings()
        self.call_after_refresh(self._focus_plan_text)
        if self.read_live:
            self._start_read_live()

    def _focus_plan_text(self) -> None:
        """What AUTO_FOCUS does for plans given up front: the active direction's text takes focus."""
        for scroll in self.query(self.AUTO_FOCUS).results(VerticalScroll):
            if scroll.focusable:  # the active tab's (the others are hidden)
                scroll.focus()
                return

    def _start_read_live(self) -> None:
        self.run_worker(self._read_live, thread=True, name="plan-read-live", group="plan-read-live")

    def _read_live(self) -> list[ResourcePlan]:
        assert self.subject is not None
        ctx = AwsContext(max_attempts=2, connect_timeout=2.0, read_timeout=5.0)
        ctx.providers = self.providers  # the import block comes from the provider when there is one
        return build_plans([self.subject], PlanOptions(workspace=self.workspace), ctx=ctx)

    def _refresh_bodies(self) -> None:
        for direction in self._directions():
            try:
                self.query_one(f"#plan-body-{direction.value}", Static).update(self._direction_body(direction))
            except Exception:  # noqa: BLE001 - a direction that appeared only now has no tab; keep the old view
                continue

    # ----- actions ---------------------------------------------------------------------------------
    def current_direction(self) -> Direction | None:
        try:
            tabs = self.query_one("#plan-tabs", TabbedContent)
        except Exception:  # noqa: BLE001 - no tabs when there is nothing to plan
            return None
        active = tabs.active or ""
        return Direction(active.removeprefix("tab-")) if active.startswith("tab-") else None

    def action_close(self) -> None:
        self.dismiss(self.outcome)

    def action_switch_direction(self, step: int) -> None:
        """Left/right: the previous/next direction tab, wrapping, with focus on its text."""
        directions = self._directions()
        current = self.current_direction()
        if not directions or current is None:
            return
        target = directions[(directions.index(current) + step) % len(directions)]
        self.query_one("#plan-tabs", TabbedContent).active = f"tab-{target.value}"
        self.query_one(f"#tab-{target.value} VerticalScroll").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.planning and action in ("apply", "copy", "save", "switch_direction"):
            return False  # nothing to act on until the plans are built
        if action == "apply" and (self.read_only or self.applied or self.apply_target() is None):
            # Hidden, not dimmed: read-only never applies, a plan without a revert has nothing to
            # run, and a done revert is not offered twice. The status line says which.
            return False
        if action == "switch_direction" and len(self._directions()) < 2:
            return False
        return True

    def clipboard_text(self) -> str:
        direction = self.current_direction()
        if direction is None:
            return ""
        chunks: list[str] = []
        for _plan, dp in self._sections(direction):
            chunks.extend(self._command(c.text) for c in dp.commands)
            chunks.extend(p.diff for p in dp.patches)
        return "\n".join(chunks)

    def action_copy(self) -> None:
        text = self.clipboard_text()
        if not text:
            self.notify("nothing to copy", timeout=3)
            return
        self.app.copy_to_clipboard(text)
        self.notify("copied commands and patch of this tab", timeout=3)

    def action_save(self) -> None:
        if not self.plans:
            return
        if self.saving:
            self.notify("saving the plan…", timeout=3)
            return
        self.saving = True
        self.query_one("#plan-status", Static).update(Text("saving the plan…", style="bold"))
        self._save_plans(list(self.plans))

    @work(thread=True, exclusive=True, group="plan-save", exit_on_error=False)
    def _save_plans(self, plans: list[ResourcePlan]) -> tuple[PlanDocument, str]:
        """Writing the files and the durable audit event (an fsync) is disk work: never on the UI thread."""
        doc = save_document(render_document(plans), default_output_dir(self.workspace))
        message = f"saved {doc.markdown_path} (blake3 {doc.blake3[:12]}…)"
        if self.feed is not None and getattr(self.feed, "writable", True) and not self.read_only:
            try:
                self.feed.append("remediation.planned", subject=subject_of(plans),
                                 data=planned_event(doc, plans, self.workspace), durable=True)
            except Exception as exc:  # noqa: BLE001 - the file is saved; say the event is missing
                message += f"; audit event NOT recorded: {exc}"
        return doc, message

    def apply_target(self) -> ResourcePlan | None:
        """The one plan `a` would apply: the only plan with a revert, or the first with a safe one."""
        with_revert = [p for p in self.plans if p.direction(Direction.REVERT) is not None]
        safe = [p for p in with_revert if p.direction(Direction.REVERT).safe_to_apply]  # type: ignore[union-attr]
        return (safe or with_revert or [None])[0]

    def action_apply(self) -> None:
        plan = self.apply_target()
        if plan is None:
            self.notify("no revert in this plan", severity="warning", timeout=4)
            return
        try:
            applicable_revert(plan, read_only=self.read_only)
        except ApplyRefused as exc:
            self.notify(f"apply refused: {exc}", severity="warning", timeout=5)
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._run_apply(plan)

        self.app.push_screen(ConfirmApplyScreen(plan), confirmed)

    def _run_apply(self, plan: ResourcePlan) -> None:
        self.query_one("#plan-status", Static).update(Text(f"applying the revert of {plan.key}…", style="bold"))

        def work() -> ApplyOutcome:
            return self.on_apply(plan)

        self.run_worker(work, thread=True, name="plan-apply", group="plan-apply", exclusive=True)

    async def on_worker_state_changed(self, event: Any) -> None:
        worker = event.worker
        if worker.group == "plan-build" and worker.is_finished:
            if worker.error is not None:
                self.planning = False
                self.query_one("#plan-planning", Static).update(Text("no plan", style="dim"))
                self._show_error(f"planning failed: {worker.error}")
            elif worker.result is not None:
                await self._show_plans(worker.result)
            return
        if worker.group == "plan-save" and worker.is_finished:
            self.saving = False
            self.query_one("#plan-status", Static).update(self._footer())
            if worker.error is not None:
                self.notify(f"plan NOT saved: {worker.error}", severity="error", timeout=8)
            elif worker.result is not None:
                doc, message = worker.result
                self.saved_path = doc.markdown_path
                self.notify(message, timeout=5)
            return
        if worker.name == "plan-read-live" and worker.is_finished:
            if worker.error is None and worker.result:
                self.plans = worker.result
                self._refresh_bodies()
            return
        if worker.name != "plan-apply" or not worker.is_finished:
            return
        if worker.error is not None:
            self._show_error(f"apply failed: {worker.error}")
            return
        self.outcome = worker.result
        assert self.outcome is not None
        self._refresh_bodies()
        self._show_outcome(outcome_text(self.outcome))

    def _show_error(self, message: str) -> None:
        self._show_outcome(Text(message, style="bold red"))

    def _show_outcome(self, text: Text) -> None:
        """The outcome box under the plan (an apply's result, or a worker's error), and the status line."""
        shown = self.query_one("#plan-outcome", Static)
        shown.update(text)
        shown.display = True
        self.query_one("#plan-status", Static).update(self._footer())
        self.refresh_bindings()


def outcome_text(o: ApplyOutcome) -> Text:
    """What an apply did, in one line: calls run and the state the re-scan found (or the error)."""
    calls = f"{len(o.ran)} call{'s' if len(o.ran) != 1 else ''} ran"
    if o.ok:
        return Text(f"applied: {calls}; re-scan: {o.after_status}", style="bold green")
    return Text(f"apply failed: {o.error}; {calls}; re-scan: {o.after_status}", style="bold red")
