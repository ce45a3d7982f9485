"""Forget / recreate for resources gone live, and the patch plumbing shared by code-side directions."""

from __future__ import annotations

from pathlib import Path

from driftdeck.core.inputs.hcl import literals, text_layout
from driftdeck.core.inputs.hcl.locate import locate_block, parse_address
from driftdeck.core.model import ResourceResult
from driftdeck.core.remediation.plan import PATCH_PLACEHOLDER, Command, Direction, DirectionPlan, FilePatch
from driftdeck.core.remediation.textdiff import merge_texts, unified_diff
from driftdeck.core.remediation.workdir import chdir_flag, shown_path
from driftdeck.core.text import shell_quote


def forget_plan(result: ResourceResult, root: Path, workspace: Path) -> DirectionPlan | None:
    """Stop managing a resource that is gone: a `removed {}` block (code) or `terraform state rm`."""
    if not result.address:
        return None
    addr = parse_address(result.address)
    quoted = shell_quote(result.address)
    chdir = chdir_flag(root, workspace)
    commands = [Command(f"terraform {chdir}state rm {quoted}", f"drop {result.address} from state now (no code change)", "terraform")]
    plan = DirectionPlan(Direction.FORGET, f"stop managing {result.address}, which no longer exists", commands=commands,
                         answered=[result.key])
    if addr.index is not None:
        plan.notes.append(
            f"{result.address} is one instance of {addr.resource}: `removed {{}}` takes whole resources only, so drop "
            "the instance with `terraform state rm` and change count/for_each so the code no longer asks for it"
        )
        return plan
    located = locate_block(root, result.address)
    if located is None:
        plan.notes.append(f"no `resource` block for {result.address} under {root}: only `terraform state rm` is offered")
        return plan
    if located.in_installed_module:
        plan.notes.append(f"{result.address} is declared in {shown_path(located.path, workspace)}:{located.line}, a module "
                          "copy `terraform init` installed: a `removed {}` block there would be undone by the next init, "
                          "so only `terraform state rm` is offered")
        return plan
    text = located.text
    block = located.block
    start = text_layout.line_start(text, block.start)
    end = min(text_layout.line_end(text, block.close) + 1, len(text))
    # Comment lines right above the block belong to it.
    while start > 0:
        prev_start = text_layout.line_start(text, start - 1)
        line = text[prev_start:start - 1].strip()
        if not line.startswith(("#", "//")):
            break
        start = prev_start
    removed = (
        f"removed {{\n  from = {addr.type}.{addr.name}\n\n  lifecycle {{\n    destroy = false\n  }}\n}}\n"
    )
    patched = text[:start] + text[end:]
    if not patched.endswith("\n") and patched:
        patched += "\n"
    patched += ("\n" if patched.strip() else "") + removed
    plan.patches.append(file_patch(located.path, text, patched, workspace))
    plan.commands.insert(0, Command(f"git apply {PATCH_PLACEHOLDER}",
                                    "replace the resource block with a `removed {}` block (Terraform >= 1.7)", "shell"))
    plan.commands.insert(1, Command(f"terraform {chdir}apply", "records that the resource is no longer managed; destroys nothing", "terraform"))
    plan.validated = literals.parses(patched, str(located.path))
    return plan


def recreate_plan(result: ResourceResult, root: Path, workspace: Path) -> DirectionPlan | None:
    if not result.address:
        return None
    quoted = shell_quote(result.address)
    chdir = chdir_flag(root, workspace)
    return DirectionPlan(
        Direction.RECREATE,
        f"create {result.address} again from code",
        commands=[
            Command(f"terraform {chdir}plan -target={quoted}", "preview: should show one resource to add", "terraform"),
            Command(f"terraform {chdir}apply -target={quoted}", f"create {result.address} again as the code describes it", "terraform"),
        ],
        answered=[result.key],
    )


def file_patch(path: Path, original: str, patched: str, workspace: Path) -> FilePatch:
    shown = shown_path(path, workspace)
    return FilePatch(shown, _diff(original, patched, f"a/{shown}", f"b/{shown}"), original, patched)


def new_file_patch(path: Path, content: str, workspace: Path) -> FilePatch:
    shown = shown_path(path, workspace)
    return FilePatch(shown, _diff("", content, "/dev/null", f"b/{shown}"), "", content)


def _diff(a: str, b: str, from_name: str, to_name: str) -> str:
    return unified_diff(a, b, from_name, to_name)


def merge_patches(patches: list[FilePatch]) -> str:
    """One unified diff per file; several patches of the same file (each against the same original) merged."""
    by_file: dict[str, list[FilePatch]] = {}
    for p in patches:
        by_file.setdefault(p.file, []).append(p)
    out: list[str] = []
    for name in sorted(by_file):
        group = by_file[name]
        if len(group) == 1:
            out.append(group[0].diff)
            continue
        merged = merge_texts(group[0].original, [p.patched for p in group])
        is_new = group[0].original == "" and group[0].diff.startswith("--- /dev/null")
        out.append(_diff(group[0].original, merged, "/dev/null" if is_new else f"a/{name}", f"b/{name}"))
    return "".join(out)
