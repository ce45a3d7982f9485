"""The detail pane: status, identity, source file:line, differences table, raw state vs live JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from rich import box
from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from driftdeck.core.inputs.hcl import locate_resource
from driftdeck.core.model import Difference, ResourceResult, Status
from driftdeck.core.outputs.report import desired_side
from driftdeck.core.text import printable
from driftdeck.tui.keys import BY_ID
from driftdeck.tui.screens.history import TimelineSection
from driftdeck.tui.widgets.navigation import NAV_BINDINGS, ScrollNavigation
from driftdeck.tui.widgets.resource_tree import GLYPHS

MAX_LINES = 14
LOCATING = "locating…"  # the source row while a worker finds the resource's block in the code


def _cell(value: Any) -> str:
    """A difference's value for the table: scalars as they are, documents as compact indented JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    compact = {k: json.dumps(v, default=str) for k, v in value.items()} if isinstance(value, dict) else {}
    if compact and all(len(v) <= 40 for v in compact.values()):
        # A block (a security group rule...): one short line per set field.
        lines = [f"{k}: {v}" for k, v in sorted(compact.items()) if v not in ("[]", '""', "null")]
    else:
        lines = json.dumps(value, indent=1, sort_keys=True, default=str).splitlines()
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], f"… {len(lines) - MAX_LINES + 1} more lines (y for raw JSON)"]
    return "\n".join(lines)


class DetailPane(ScrollNavigation, VerticalScroll, can_focus=True):
    """Shows one ResourceResult; `show_raw` switches the differences for the raw JSON views."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"status--{s.value}" for s in Status}

    # Shown in the footer while the pane has focus: arrows scroll it here, not the tree.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(BY_ID["back"].keys, "app.leave", "Back to tree", id="back"),
        *NAV_BINDINGS,
    ]

    show_raw: reactive[bool] = reactive(False)

    def __init__(self, workspace: Path | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.workspace = workspace
        self.result: ResourceResult | None = None
        # (address, "file:line" or None) last found by the locate worker: the source row of a
        # resource whose position the scan did not give.
        self.located: tuple[str, str | None] | None = None

    def compose(self) -> ComposeResult:
        yield Static("Select a resource in the tree.", id="detail-head")
        yield Static("", id="detail-identity")
        yield Static("", id="detail-attribution")
        yield Static("", id="detail-diffs")
        yield TimelineSection(id="detail-history")
        yield Static("", id="detail-raw")

    def on_mount(self) -> None:
        self.query_one("#detail-raw").display = False
        self.query_one("#detail-diffs").display = False

    def on_focus(self) -> None:
        self.border_subtitle = "↑↓ scroll · esc back to tree"

    def on_blur(self) -> None:
        self.border_subtitle = ""

    def show(self, result: ResourceResult | None, *, force: bool = False) -> None:
        """Render `result` (None: nothing selected); a poll that leaves it unchanged costs nothing."""
        if not force and _same(result, self.result):
            self.result = result
            return
        self.result = result
        head = self.query_one("#detail-head", Static)
        identity = self.query_one("#detail-identity", Static)
        attribution = self.query_one("#detail-attribution", Static)
        table = self.query_one("#detail-diffs", Static)
        self.query_one(TimelineSection).show(result.key if result is not None else None)
        if result is None:
            head.update("Select a resource in the tree.")
            identity.update("")
            attribution.update("")
            attribution.display = False
            table.display = False
            self.query_one("#detail-raw").display = False
            return
        head.update(self._headline(result))
        identity.update(self._identity(result))
        if self._needs_locating(result):
            self._locate(result.address)
        attribution.update(self._attribution(result))
        attribution.display = bool(result.attribution)  # no blank gap when nobody is named
        table.update(self._differences(result))
        table.display = bool(result.differences) and not self.show_raw
        self._render_raw()

    def watch_show_raw(self, _value: bool) -> None:
        if self.result is not None:
            self.show(self.result, force=True)

    def _differences(self, r: ResourceResult) -> Group:
        """One section per side, each with its own headers, values wrapped and documents pretty-printed.

        Drift (side "live") compares state with live; a pending code edit (side "code") compares the code
        with state. An attribute can appear in both sections: each row says which comparison it belongs to.
        """
        drift = [d for d in r.differences if d.side != "code"]
        code = [d for d in r.differences if d.side == "code"]
        added = self.get_component_rich_style("status--in_sync", partial=True)
        removed = self.get_component_rich_style("status--missing", partial=True)
        pending = self.get_component_rich_style("status--pending", partial=True)
        parts: list[Any] = []
        if drift:
            side = desired_side(r)  # a stack's template, or Terraform state
            table = _section_table(f"drift: {side} vs live", (f"{side} (expected)", "live (actual)"))
            for d in drift:
                change = Text(d.change.value + (f"\n{printable(d.note)}" if d.note else ""))
                table.add_row(Text(printable(d.path)), Text(_shown(d, d.expected), style=removed),
                              Text(_shown(d, d.actual), style=added), change)
            parts.append(table)
        if code:
            if parts:
                parts.append(Text(""))
            table = _section_table("code edit (not applied): code vs state", ("code", "state"))
            for d in code:
                # A pending edit: `expected` is what the code says, `actual` what state holds.
                table.add_row(Text(printable(d.path)), Text(_shown(d, d.expected), style=pending), Text(_shown(d, d.actual)),
                              Text("code edit", style=pending))
            parts.append(table)
        return Group(*parts)

    def _headline(self, r: ResourceResult) -> Text:
        status = r.status
        text = Text()
        badge = self.get_component_rich_style(f"status--{status.value}", partial=True) + Style(reverse=True, bold=True)
        text.append(f" {GLYPHS[status]} {status.value.replace('_', ' ').upper()} ", style=badge)
        text.append("  ")
        text.append(printable(r.address or f"{r.type} {r.name or r.id}"), style="bold")
        if r.reason and status is not Status.IN_SYNC:
            text.append(f"\n{printable(r.reason)}", style="italic")
        if r.differences:
            n = len(r.differences)
            text.append(f"\n{n} attribute{'s' if n != 1 else ''} differ{'s' if n == 1 else ''}")
        return text

    def _identity(self, r: ResourceResult) -> Text:
        rows: list[tuple[str, str]] = [("type", r.type), ("id", r.id or "—")]
        if r.name:
            rows.insert(0, ("name", printable(r.name)))
        if r.address:
            rows.insert(0, ("address", r.address))
        if r.arn:
            rows.append(("arn", r.arn))
        if r.region:
            rows.append(("region", r.region))
        where = self._source_location(r)
        if where:
            rows.append(("source", where))
        if r.source and r.source.kind == "cloudformation":
            if r.source.stack:
                rows.append(("stack", r.source.stack))
            if r.source.logical_id:
                rows.append(("logical", r.source.logical_id))
            if r.source.state:
                rows.append(("stack id", r.source.state))  # the stack's ARN
        elif r.source and r.source.state:
            rows.append(("state", self._relative(r.source.state)))
        if r.source and r.source.module:
            rows.append(("module", r.source.module))
        if r.parent:
            rows.append(("parent", r.parent))
        if r.ignored_paths:
            rows.append(("ignored", ", ".join(r.ignored_paths)))
        if r.reader:
            rows.append(("read by", reader_label(r)))
        text = Text()
        for label, value in rows:
            text.append(f"{label:>8}  ", style="dim")
            text.append(f"{printable(value)}\n")
        return text

    def _attribution(self, r: ResourceResult) -> Text:
        """Who changed it, from CloudTrail: per event (per changed attribute), best evidence first.

        Laid out as short lines rather than a wide table: the pane is narrow beside the tree and audit panel.
        """
        if not r.attribution:
            return Text("")
        text = Text()
        text.append("who changed it", style="bold underline")
        text.append("\n")
        for a in r.attribution:
            text.append(printable(f"  {a.actor}"), style="bold")
            text.append(printable(f"  {a.actor_type} · via {a.via} · "))
            text.append(printable(a.confidence), style="bold" if a.confidence == "exact" else "dim")
            text.append("\n")
            if len(a.chain) > 1:
                # An assumed role: the session the call was made with, behind the person or workload.
                text.append(f"    as {printable(_short_arn(a.chain[-1]))}\n", style="dim")
            text.append(printable(f"    {a.event_name}"))
            if a.attribute:
                text.append(printable(f" → {a.attribute}"), style="dim")
            when = printable(f"{a.event_time.replace('T', ' ').rstrip('Z')} UTC from {a.source_ip or '—'}")
            text.append(f"\n    {when}\n", style="dim")
        return text

    def _source_location(self, r: ResourceResult) -> str | None:
        src = r.source
        if src is None:
            return None
        if src.file:
            return f"{self._relative(src.file)}:{src.line}" if src.line else self._relative(src.file)
        if r.address and self.workspace is not None:
            # The engine gives positions when it evaluated the code; otherwise the locate worker
            # finds the block, which `show` starts.
            if self.located is not None and self.located[0] == r.address:
                return self.located[1]
            return LOCATING
        return None

    def _needs_locating(self, r: ResourceResult) -> bool:
        return r.source is not None and not r.source.file and bool(r.address) and self.workspace is not None

    @work(thread=True, exclusive=True, group="detail-locate", exit_on_error=False)
    def _locate(self, address: str) -> None:
        """Parsing the code can take seconds on a large workspace: never on the UI thread."""
        assert self.workspace is not None
        where = locate_source(self.workspace, address)
        self.app.call_from_thread(self._show_location, address, where)

    def _show_location(self, address: str, where: str | None) -> None:
        """The locate worker's answer, shown if that resource is still the one on display."""
        self.located = (address, where)
        if self.result is not None and self.result.address == address and self.is_mounted:
            self.query_one("#detail-identity", Static).update(self._identity(self.result))

    def _relative(self, path: str) -> str:
        if self.workspace is None or path.startswith("s3://"):
            return path
        try:
            return str(Path(path).resolve().relative_to(self.workspace.resolve()))
        except ValueError:
            return path

    def _render_raw(self) -> None:
        raw = self.query_one("#detail-raw", Static)
        raw.display = self.show_raw
        if not self.show_raw or self.result is None:
            return
        raw.update(self._raw_table(self.result))

    def _raw_table(self, r: ResourceResult) -> Table:
        """Both raw documents aligned key by key: one row per top-level key, absent sides and differing
        values marked, so rows never drift apart when one side has keys the other lacks."""
        expected, live = r.expected or {}, r.live or {}
        secret = {d.path.split(".")[0].split("[")[0] for d in r.differences if d.sensitive}
        changed = self.get_component_rich_style("status--changed", partial=True)
        side = desired_side(r)
        title = f"raw: {side} vs live, key by key (≠ differs · − {side} only · + live only)"
        table = Table(title=title, title_justify="left", title_style="bold underline", expand=True,
                      box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        table.add_column("", width=1)
        table.add_column("key", style="bold", ratio=2, overflow="fold")
        table.add_column(f"{side} (expected)" if r.expected is not None else f"{side} (none)", ratio=4, overflow="fold")
        table.add_column("live (actual)" if r.live is not None else "live (none)", ratio=4, overflow="fold")
        for key in sorted(set(expected) | set(live)):
            in_state, in_live = key in expected, key in live
            same = in_state and in_live and expected[key] == live[key]
            mark = "" if same else "≠" if in_state and in_live else "−" if in_state else "+"
            cells = [
                _raw_value(side[key], sensitive=key in secret) if key in side else Text("(absent)", style="dim")
                for side in (expected, live)
            ]
            table.add_row(Text(mark, style=changed), Text(printable(key), style=changed if mark else ""), *cells)
        return table


def locate_source(workspace: Path, address: str) -> str | None:
    """`file:line` of the block declaring `address` in the code under `workspace` (cached parse), or None."""
    found = locate_resource(workspace, address)
    return f"{found[0]}:{found[1]}" if found is not None else None


def _raw_value(value: Any, *, sensitive: bool) -> Text:
    """One side's value: JSON (strings quoted, so "" and null differ), documents indented; secrets never."""
    if sensitive:
        return Text("(sensitive)", style="dim")
    return Text(json.dumps(value, indent=2, sort_keys=True, default=str))


def _shown(d: Difference, value: Any) -> str:
    """A value for the table; a sensitive attribute's value is never rendered."""
    return "(sensitive)" if d.sensitive else "\n".join(printable(line) for line in _cell(value).split("\n"))


def _section_table(title: str, headers: tuple[str, str]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold underline", expand=True,
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("attribute", style="bold", ratio=3, overflow="fold")
    table.add_column(headers[0], ratio=3, overflow="fold")
    table.add_column(headers[1], ratio=3, overflow="fold")
    table.add_column("", width=9, overflow="fold")
    return table


def _short_arn(arn: str) -> str:
    """`arn:aws:sts::123:assumed-role/ci-deployer/AWSCodeBuild-…` -> `assumed-role/ci-deployer/AWSCodeBuild-…`."""
    return arn.split(":", 5)[-1] if arn.startswith("arn:") else arn


def _same(a: ResourceResult | None, b: ResourceResult | None) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    return (
        a.to_json() == b.to_json() and a.expected == b.expected and a.live == b.live and a.attribution == b.attribution
    )


def reader_label(r: ResourceResult) -> str:
    """Who decided the verdict: `driftdeck`, `driftdeck (CloudFormation view)` or the provider."""
    if r.reader == "provider":
        return f"provider {(r.provider or '').replace('registry.terraform.io/', '')}".strip()
    if r.reader == "cloudformation":
        return "driftdeck (CloudFormation view)"
    return "driftdeck (native collector)"
