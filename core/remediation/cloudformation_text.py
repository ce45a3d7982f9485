"""Remediation text for drift in CloudFormation-managed resources (pure functions returning strings).

Two directions:
- revert: put the live resource back to the template. For properties the template sets, a
  drift-aware change set (`--deployment-mode REVERT_DRIFT`) does that through CloudFormation. Properties
  the template leaves unset ("not in template") are not restored by any change set, since the template
  says nothing about them: pin their default in the template (`revert_patch`) and update the stack.
- adopt: accept the live value as the new truth: a patch to the template file (`adopt_patch`), made as
  small text edits so the file's formatting, comments and short-form tags survive.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from typing import Any

import yaml

from driftdeck.core.compare.cloudformation_properties import NOT_IN_TEMPLATE
from driftdeck.core.inputs.cfn.parse import Node, NodeList, looks_like_json, parse_template_text
from driftdeck.core.inputs.cfn.template import Template
from driftdeck.core.model import ChangeKind, Difference
from driftdeck.core.text import shell_quote
from driftdeck.core.unknown import contains_unknown

DEFAULT_CHANGE_SET = "driftdeck-revert-drift"
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")


def _cli(*words: str) -> str:
    return " ".join(shell_quote(w) if not w.startswith("--") else w for w in words)


def revert_commands(
    stack_name: str,
    *,
    region: str | None = None,
    parameters: Sequence[str] = (),
    differences: Sequence[Difference] = (),
    root_stack: str | None = None,
    template_file: str | None = None,
    change_set_name: str = DEFAULT_CHANGE_SET,
) -> str:
    """Shell commands that revert drift in `stack_name` through CloudFormation.

    `parameters`: the stack's parameter keys (kept with UsePreviousValue). `root_stack`: set for a
    nested stack (change sets are created on the root and include nested stacks). `differences`:
    the drift being reverted; those flagged "not in template" get the template-update route.
    """
    target = root_stack or stack_name
    region_args = ["--region", region] if region else []
    lines = [f"# Revert out-of-band changes in stack {stack_name} with a drift-aware change set."]
    if root_stack:
        lines.append(f"# {stack_name} is nested in {root_stack}: the change set is made on the root stack.")
    create = [
        "aws", "cloudformation", "create-change-set",
        "--stack-name", target,
        "--change-set-name", change_set_name,
        "--change-set-type", "UPDATE",
        "--use-previous-template",
        "--deployment-mode", "REVERT_DRIFT",
    ]
    if root_stack:
        create.append("--include-nested-stacks")
    if parameters:
        create += ["--parameters", *[f"ParameterKey={p},UsePreviousValue=true" for p in parameters]]
    create += ["--capabilities", *CAPABILITIES, *region_args]
    lines.append(_cli(*create))
    common = ["--stack-name", target, "--change-set-name", change_set_name, *region_args]
    lines.append(_cli("aws", "cloudformation", "wait", "change-set-create-complete", *common))
    lines.append("# Review: every change should read AfterValueFrom=TEMPLATE for the drifted properties.")
    lines.append(_cli("aws", "cloudformation", "describe-change-set", *common))
    lines.append(_cli("aws", "cloudformation", "execute-change-set", *common))
    unset = [d.path for d in differences if d.note == NOT_IN_TEMPLATE]
    if unset:
        lines.append("")
        lines.append("# Not in the template, so no change set restores them: " + ", ".join(unset) + ".")
        lines.append("# Pin their defaults in the template (driftdeck's revert patch), then update the stack:")
        lines.append(
            _cli(
                "aws", "cloudformation", "deploy",
                "--template-file", template_file or "TEMPLATE_FILE",
                "--stack-name", target,
                "--capabilities", *CAPABILITIES,
                *region_args,
            )
        )
    return "\n".join(lines) + "\n"


def adopt_patch(template: Template, logical_id: str, differences: Sequence[Difference]) -> str:
    """A unified diff of the template file that makes it describe the live values (adopt drift)."""
    return _patch(template, logical_id, differences, use_live=True)


def revert_patch(template: Template, logical_id: str, differences: Sequence[Difference]) -> str:
    """A unified diff that writes the expected values into the template (used to pin defaults of
    properties the template leaves unset, so that a stack update restores them)."""
    chosen = [d for d in differences if d.note == NOT_IN_TEMPLATE]
    return _patch(template, logical_id, chosen, use_live=False)


def patched_text(template: Template, logical_id: str, differences: Sequence[Difference], *, use_live: bool = True) -> tuple[str, list[str]]:
    """The template text with the edits applied, and notes on what could not be edited."""
    text = template.text
    notes: list[str] = []
    for diff in _ordered(differences):
        value = diff.actual if use_live else diff.expected
        if diff.sensitive:
            notes.append(f"{diff.path}: sensitive value, edit by hand")
            continue
        if diff.note and diff.note.startswith("defined by "):
            notes.append(f"{diff.path}: {diff.note}, edit that resource")
            continue
        if diff.note == "stack tag":
            notes.append(f"{diff.path}: a stack tag, change it with the stack's --tags")
            continue
        if contains_unknown(value):
            notes.append(f"{diff.path}: value not known, edit by hand")
            continue
        remove = value is None and (diff.change == (ChangeKind.REMOVED if use_live else ChangeKind.ADDED))
        try:
            text = _edit(text, template.file, logical_id, diff.path, None if remove else value, remove)
        except _CannotEdit as exc:
            notes.append(f"{diff.path}: {exc}")
    return text, notes


def _patch(template: Template, logical_id: str, differences: Sequence[Difference], *, use_live: bool) -> str:
    new_text, notes = patched_text(template, logical_id, differences, use_live=use_live)
    diff = "".join(
        difflib.unified_diff(
            template.text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=f"a/{template.file.lstrip('/')}",
            tofile=f"b/{template.file.lstrip('/')}",
        )
    )
    if notes:
        header = "".join(f"# {n}\n" for n in notes)
        return header + diff
    return diff


class _CannotEdit(Exception):
    pass


def _index_of(path: str) -> int:
    last = path.rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else -1


def _ordered(differences: Sequence[Difference]) -> list[Difference]:
    # Updates and appends first (they use the template's own indices), removals last from the end,
    # so that no edit shifts an index another edit still needs.
    removals = [d for d in differences if d.actual is None and d.change == ChangeKind.REMOVED]
    others = [d for d in differences if d not in removals]
    return others + sorted(removals, key=lambda d: (d.path.rsplit("/", 1)[0], _index_of(d.path)), reverse=True)


# ------------------------------------------------------------------------------------ text edits


def _steps(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] != "Properties":
        raise _CannotEdit("only /Properties paths can be edited")
    return parts


def _edit(text: str, file: str, logical_id: str, path: str, value: Any, remove: bool) -> str:
    data = parse_template_text(text, file)
    resources = data.get("Resources") if isinstance(data, Node) else None
    resource = resources.get(logical_id) if isinstance(resources, Node) else None
    if not isinstance(resource, Node):
        raise _CannotEdit(f"resource {logical_id} is not written literally in the template")
    is_json = looks_like_json(text)
    steps = _steps(path)
    current: Any = resource
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if _is_intrinsic(current) and i > 0:
            raise _CannotEdit("the value comes from an intrinsic function; change its inputs instead")
        if isinstance(current, Node):
            if step in current:
                if last:
                    return _delete_key(text, current, step, is_json) if remove else _replace(
                        text, current.value_spans[step], current[step], value, is_json
                    )
                current = current[step]
                continue
            if remove:
                return text  # already absent
            return _insert_key(text, current, step, _build(steps[i + 1:], value), is_json)
        if isinstance(current, NodeList):
            if not step.isdigit():
                raise _CannotEdit("path does not match the template's structure")
            index = int(step)
            if index < len(current):
                if last:
                    return _delete_item(text, current, index, is_json) if remove else _replace(
                        text, current.item_spans[index], current[index], value, is_json
                    )
                current = current[index]
                continue
            if remove:
                return text
            return _insert_item(text, current, _build(steps[i + 1:], value), is_json)
        raise _CannotEdit("the value comes from an intrinsic function; change its inputs instead")
    return text


def _is_intrinsic(value: Any) -> bool:
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value.keys()
        return key == "Ref" or key.startswith("Fn::") or key == "Condition"
    return False


def _build(rest: list[str], value: Any) -> Any:
    for step in reversed(rest):
        value = [value] if step.isdigit() else {step: value}
    return value


def _render(value: Any, is_json: bool) -> str:
    if is_json:
        return json.dumps(value)
    dumped = yaml.safe_dump(value, default_flow_style=True, width=1 << 30, sort_keys=False).strip()
    if dumped.endswith("\n..."):
        dumped = dumped[: -len("\n...")]
    return dumped


def _trim(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    return start, start + len(text[start:end].rstrip())


def _column(text: str, offset: int) -> int:
    return offset - (text.rfind("\n", 0, offset) + 1)


def _line_end(text: str, offset: int) -> int:
    """Offset just after the newline ending the line that holds `offset` (or the end of the text)."""
    nl = text.find("\n", offset)
    return len(text) if nl < 0 else nl + 1


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _replace(text: str, span: tuple[int, int], old: Any, value: Any, is_json: bool) -> str:
    if _is_intrinsic(old):
        raise _CannotEdit("the value comes from an intrinsic function; change its inputs instead")
    start, end = _trim(text, span)
    return text[:start] + _render(value, is_json) + text[end:]


def _flow(text: str, node: Node | NodeList) -> bool:
    return text[node.span[0]: node.span[0] + 1] in ("{", "[")


def _insert_key(text: str, node: Node, key: str, value: Any, is_json: bool) -> str:
    rendered_key = json.dumps(key) if is_json else key
    entry = f"{rendered_key}: {_render(value, is_json)}"
    if _flow(text, node):
        if not node:
            at = node.span[0] + 1
            return text[:at] + entry + text[at:]
        last = list(node)[-1]
        _, end = _trim(text, node.value_spans[last])
        first_key_at = node.key_spans[list(node)[0]][0]
        multiline = "\n" in text[node.span[0]:first_key_at]
        sep = ",\n" + " " * _column(text, node.key_spans[last][0]) if multiline else ", "
        return text[:end] + sep + entry + text[end:]
    keys = list(node)
    if not keys:
        raise _CannotEdit("cannot place a key in an empty block")
    column = _column(text, node.key_spans[keys[0]][0])
    _, end = _trim(text, node.value_spans[keys[-1]])
    at = _line_end(text, end - 1 if end > 0 else 0)
    nl = _newline(text)
    prefix = "" if text[:at].endswith("\n") else nl
    return text[:at] + prefix + " " * column + entry + nl + text[at:]


def _insert_item(text: str, node: NodeList, value: Any, is_json: bool) -> str:
    rendered = _render(value, is_json)
    if _flow(text, node):
        if not node:
            at = node.span[0] + 1
            return text[:at] + rendered + text[at:]
        _, end = _trim(text, node.item_spans[-1])
        multiline = "\n" in text[node.span[0]: node.item_spans[0][0]]
        sep = ",\n" + " " * _column(text, node.item_spans[-1][0]) if multiline else ", "
        return text[:end] + sep + rendered + text[end:]
    first = node.item_spans[0][0]
    dash = text.rfind("-", _line_start(text, first), first)
    if dash < 0:
        raise _CannotEdit("unrecognised list layout")
    _, end = _trim(text, node.item_spans[-1])
    at = _line_end(text, end - 1)
    nl = _newline(text)
    prefix = "" if text[:at].endswith("\n") else nl
    return text[:at] + prefix + " " * _column(text, dash) + "- " + rendered + nl + text[at:]


_COMMA_AFTER = re.compile(r"\s*,\s*")


def _cut_flow(text: str, start: int, end: int) -> str:
    after = _COMMA_AFTER.match(text, end)
    if after:
        return text[:start] + text[after.end():]
    before = text.rfind(",", 0, start)
    if before >= 0 and not text[before + 1:start].strip():
        return text[:before] + text[end:]
    return text[:start] + text[end:]


def _delete_key(text: str, node: Node, key: str, is_json: bool) -> str:
    start = node.key_spans[key][0]
    _, end = _trim(text, node.value_spans[key])
    if is_json or _flow(text, node):
        if is_json:
            start = text.rfind('"', 0, start + 1)
        return _cut_flow(text, start, end)
    return text[:_line_start(text, start)] + text[_line_end(text, end - 1):]


def _delete_item(text: str, node: NodeList, index: int, is_json: bool) -> str:
    start, end = _trim(text, node.item_spans[index])
    if is_json or _flow(text, node):
        return _cut_flow(text, start, end)
    dash = text.rfind("-", _line_start(text, start), start + 1)
    return text[:_line_start(text, dash if dash >= 0 else start)] + text[_line_end(text, end - 1):]
