"""A plan as evidence: deterministic Markdown, the raw patch, a BLAKE3 hash, files under `.driftdeck/plans/`.

The Markdown holds no timestamp, so the same drift gives the same document, the same hash and the
same file name; when the plan was made is recorded by the audit event instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import blake3

from driftdeck.core.model import ResourceResult
from driftdeck.core.remediation.plan import (
    PATCH_PLACEHOLDER,
    Command,
    Direction,
    DirectionPlan,
    ResourcePlan,
)
from driftdeck.core.remediation.planner import combined_patch
from driftdeck.core.remediation.sensitive import scrub, scrub_text, sensitivity_of
from driftdeck.core.text import shell_comment, shell_quote

PLANS_DIR = Path(".driftdeck") / "plans"


@dataclass
class PlanDocument:
    name: str  # file stem, stable for the same set of resources
    markdown: str
    patch: str
    blake3: str  # hex digest of the Markdown bytes
    markdown_path: Path | None = None
    patch_path: Path | None = None


def plan_name(plans: list[ResourcePlan]) -> str:
    """`plan-aws_s3_bucket.logs` for one resource; `plan-3-resources-<digest>` for a set."""
    keys = sorted(p.key for p in plans)
    if len(keys) == 1:
        slug = re.sub(r"[^A-Za-z0-9_.\-]+", "_", keys[0]).strip("_.")[:100]
        return f"plan-{slug}"
    digest = hashlib.blake2s("\n".join(keys).encode(), digest_size=5).hexdigest()
    return f"plan-{len(keys)}-resources-{digest}"


def shell_lines(command: Command, patch_ref: str) -> list[str]:
    """A command and its comment for a ```sh block. Every word is quoted where it is built
    (`core.text.shell_quote`); a command line that still holds a raw control character (text
    interpolated without quoting) is withheld with a note rather than written where a paste runs it."""
    text = command.text.replace(PATCH_PLACEHOLDER, shell_quote(patch_ref))
    if not text.isprintable():
        return [shell_comment(f"{command.effect} (withheld: the command holds control characters): {text}")]
    return [shell_comment(command.effect), text]


def render_document(
    plans: list[ResourcePlan], *, directions: frozenset[Direction] | None = None, plans_dir: str = PLANS_DIR.as_posix()
) -> PlanDocument:
    """The plan document; `plans_dir` is where it will be saved, as seen from the workspace root."""
    name = plan_name(plans)
    secrets = _secrets(plans)
    patch = scrub_text(combined_patch(plans, directions), secrets)
    markdown = scrub_text(render_markdown(plans, name=name, has_patch=bool(patch), patch_ref=f"{plans_dir}/{name}.patch"),
                          secrets)
    digest = blake3.blake3(markdown.encode("utf-8")).hexdigest()
    return PlanDocument(name=name, markdown=markdown, patch=patch, blake3=digest)


def _secrets(plans: list[ResourcePlan]) -> frozenset[str]:
    return frozenset(v for p in plans for v in p.secrets)


def save_document(doc: PlanDocument, out_dir: Path) -> PlanDocument:
    """Write `<name>.md` (and `<name>.patch` when there is code to change) into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    doc.markdown_path = out_dir / f"{doc.name}.md"
    _write(doc.markdown_path, doc.markdown)
    if doc.patch:
        doc.patch_path = out_dir / f"{doc.name}.patch"
        _write(doc.patch_path, doc.patch)
    return doc


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def default_output_dir(workspace: Path) -> Path:
    base = workspace if workspace.is_dir() else workspace.parent
    return base / PLANS_DIR


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------


def render_markdown(plans: list[ResourcePlan], *, name: str, has_patch: bool, patch_ref: str | None = None) -> str:
    patch_ref = patch_ref or f"{name}.patch"
    lines = [f"# Remediation plan `{name}`", ""]
    lines += [
        "A plan never applies itself. Commands run from the workspace root. "
        + (f"All code changes together: `git apply {patch_ref}`." if has_patch else ""),
        "",
        "## Summary",
        "",
        "| resource | status | drift | directions |",
        "|---|---|---|---|",
    ]
    for plan in plans:
        r = plan.resource
        paths = ", ".join(f"`{d.path}`" for d in r.differences) or "-"
        dirs = ", ".join(d.direction.value for d in plan.directions)
        lines.append(f"| `{_cell(r.key)}` | {r.status.value} | {_cell(paths)} | {dirs} |")
    for plan in plans:
        lines += ["", *_resource_section(plan, patch_ref)]
    return "\n".join(lines).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_COMMAND_GROUPS = (
    ("terraform", "With Terraform:"),
    ("shell", "Code change:"),
    ("aws", "Or exactly the drifted attributes, with the AWS CLI:"),
)


def _resource_section(plan: ResourcePlan, patch_ref: str) -> list[str]:
    r = plan.resource
    title = r.address or f"{r.type} {r.id}"
    lines = [f"## `{title}`", "", f"- type: `{r.type}`", f"- id: `{r.id}`", f"- status: **{r.status.value}**"]
    if r.source is not None and r.source.file:
        lines.append(f"- declared in: `{r.source.file}`" + (f" line {r.source.line}" if r.source.line else ""))
    if r.reason:
        lines.append(f"- reason: {r.reason}")
    for a in r.attribution:
        lines.append(f"- changed by `{a.actor}` via {a.via} ({a.event_name} at {a.event_time}, confidence {a.confidence})")
    if r.differences:
        lines += ["", "| attribute | in code/state | live | change |", "|---|---|---|---|"]
        for d in r.differences:
            exp = "(sensitive)" if d.sensitive else _value(d.expected)
            act = "(sensitive)" if d.sensitive else _value(d.actual)
            lines.append(f"| `{_cell(d.path)}` | {_cell(exp)} | {_cell(act)} | {d.change.value} |")
    for dp in plan.directions:
        lines += ["", f"### {dp.direction.value}: {dp.summary}", ""]
        groups = [(title, [c for c in dp.commands if c.kind == kind]) for kind, title in _COMMAND_GROUPS]
        groups = [(title, cmds) for title, cmds in groups if cmds]
        for title, cmds in groups:
            if len(groups) > 1:
                lines += [title, ""]
            lines.append("```sh")
            for c in cmds:
                lines.extend(shell_lines(c, patch_ref))
            lines += ["```", ""]
        if dp.aws_calls:
            lines.append("Expected effect of each AWS call:")
            lines.extend(f"{i}. `{c.operation}` — {c.effect}" for i, c in enumerate(dp.aws_calls, 1))
            lines.append("")
            lines.append("Safe apply from driftdeck: " + ("available (tested boto3 revert)" if dp.safe_to_apply
                                                            else "not available for this drift; run the commands above"))
            lines.append("")
        for p in dp.patches:
            lines += [f"Patch for `{p.file}`:", "", "```diff", p.diff.rstrip("\n"), "```", ""]
        if dp.validated is not None:
            lines.append(validation_line(dp))
            lines.append("")
        if dp.unanswered:
            lines.append("Left for manual work: " + ", ".join(f"`{u}`" for u in dp.unanswered))
            lines.append("")
        for note in dp.notes:
            lines.append(f"> {note}")
        if dp.notes:
            lines.append("")
        if dp.risks:
            lines.append("Risks:")
            lines.extend(f"- **{risk.kind}**: {risk.text}" for risk in dp.risks)
    return lines


def validation_line(dp: DirectionPlan) -> str:
    """What validation checked, and no more: full only when every drifted attribute was adopted."""
    def names(paths: list[str]) -> str:
        return ", ".join(f"`{p}`" for p in paths)

    if dp.direction == Direction.FORGET:
        return "Validated: " + ("yes (the patched code re-parses)" if dp.validated else "NO (the patched code does not re-parse)")
    if dp.direction == Direction.IMPORT and dp.validated:
        return "Validated: yes (the generated block re-parses to the live values)"
    if dp.validated:
        return "Validated: yes (the patched code re-parses and every drifted attribute equals live)"
    if dp.validated_paths:
        return (f"Validated: partly (the patched code re-parses and equals live for {names(dp.validated_paths)}; "
                f"not adopted, left for manual work: {names(dp.unanswered)})")
    if dp.direction == Direction.IMPORT:
        return "Validated: NO (the generated block does not re-parse to the live values; see notes)"
    return "Validated: NO (the patched code was not checked equal to live; see notes)"


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    else:
        text = json.dumps(value) if isinstance(value, str) else str(value)
    return f"`{text}`" if len(text) <= 120 else f"`{text[:117]}...`"


def document_json(doc: PlanDocument, plans: list[ResourcePlan]) -> dict[str, Any]:
    """The plan for machines (`driftdeck plan --format json`), schema `driftdeck.plan/v1`; no secret values."""
    return scrub({
        "schema": "driftdeck.plan/v1",
        "name": doc.name,
        "blake3": doc.blake3,
        "markdown_path": str(doc.markdown_path) if doc.markdown_path else None,
        "patch_path": str(doc.patch_path) if doc.patch_path else None,
        "resources": [
            {**drift_summary(p.resource), "address": p.resource.address, "directions": [d.to_json() for d in p.directions]}
            for p in plans
        ],
    }, _secrets(plans))


def drift_summary(result: ResourceResult) -> dict[str, Any]:
    """The drift a plan answers, as recorded in the audit event (values only when not sensitive)."""
    secrets = sensitivity_of(result).values
    return scrub({
        "key": result.key,
        "type": result.type,
        "id": result.id,
        "status": result.status.value,
        "differences": [d.to_json() for d in result.differences],
    }, secrets)
