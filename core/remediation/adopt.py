"""Adopt: set the drifted attributes in the resource's `.tf` block to their live values, in place.

Edits are splices of the original text (comments and layout elsewhere untouched). Only literals are
overwritten; an attribute set by an expression (`var.x`, `merge(...)`) is left alone and reported as
manual work, because rewriting it would silently change what the code means. The patched file is
re-read with the scan's own HCL parser (`hcl.literals`) and the adopted attributes are compared with live again using the
engine's own comparison.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftdeck.core.compare.engine import is_empty
from driftdeck.core.compare.state_vs_live import compare_attributes
from driftdeck.core.inputs.hcl import literals, text_layout
from driftdeck.core.inputs.hcl.fmt import one_line, realign
from driftdeck.core.inputs.hcl.literals import Expression, has_expression, resource_body
from driftdeck.core.inputs.hcl.locate import LocatedBlock, parse_address
from driftdeck.core.inputs.hcl.render import hcl_attributes, hcl_json_document, hcl_key, hcl_value
from driftdeck.core.inputs.hcl.text_layout import ObjectItem, TextAttribute, TextBlock
from driftdeck.core.model import ChangeKind, Difference, ResourceResult
from driftdeck.core.remediation.plan import FilePatch
from driftdeck.core.remediation.sensitive import MARKER, sensitivity_of
from driftdeck.core.remediation.textdiff import unified_diff
from driftdeck.core.resource_types.projections import computed_when_unset


@dataclass
class AdoptResult:
    patch: FilePatch | None
    answered: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # True only when every drifted attribute was adopted and the patched code re-parses equal to live.
    validated: bool | None = None
    validated_paths: list[str] = field(default_factory=list)  # adopted and checked equal to live


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


# Optional+Computed attributes: when the code does not set them, Terraform follows live and plans
# no change, so there is nothing to adopt (writing them would fight the separate resources that
# usually manage them, e.g. aws_s3_bucket_versioning).
COMPUTED_WHEN_UNSET: dict[str, frozenset[str]] = computed_when_unset()  # `ResourceType.computed_when_unset`


@dataclass
class _Context:
    text: str
    rtype: str
    json_attributes: frozenset[str]
    set_attributes: frozenset[str]
    edits: list[_Edit] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Set elements to check after patching: (attribute, element, must_exist)
    set_checks: list[tuple[str, Any, bool]] = field(default_factory=list)
    # Differences answered without an edit (computed attributes the code leaves to the provider).
    computed: list[str] = field(default_factory=list)
    original_parses: bool = False
    block_span: tuple[int, int] | None = None  # the resource block in the patched text
    opened: set[int] = field(default_factory=set)  # one-line blocks already opened up (their `{` offset)

    def manual(self, paths: list[str], why: str) -> None:
        self.unanswered.extend(paths)
        self.notes.append(why)


def adopt_patch(
    result: ResourceResult,
    located: LocatedBlock,
    *,
    workspace: Path,
    json_attributes: frozenset[str] = frozenset(),
    set_attributes: frozenset[str] = frozenset(),
) -> AdoptResult:
    """A unified diff that makes the code say what live says for every drifted attribute it can."""
    ctx = _Context(located.text, result.type, json_attributes, set_attributes)
    diffs = [d for d in result.differences if d.side == "live"]
    sens = sensitivity_of(result)
    # a difference above a sensitive path (a whole `tags` map) would carry the secret inside it
    sensitive = [d.path for d in diffs
                 if d.sensitive or sens.covers(d.path) or any(p.startswith(d.path + ".") or p.startswith(d.path + "[")
                                                              for p in sens.paths)]
    live = _unredacted(result.live or {}, diffs, sensitive, actual=True)
    expected = _unredacted(result.expected or {}, diffs, sensitive, actual=False)
    if sensitive:
        ctx.manual(sensitive, "sensitive attributes are never written into code by driftdeck: " + ", ".join(sensitive))
    steps = [(_split(d.path), d) for d in diffs if d.path not in sensitive]
    _adopt_body(ctx, located.block, expected, live, steps, top=True)
    if not ctx.edits:
        return AdoptResult(None, ctx.answered, ctx.unanswered, ctx.notes)
    # every edit lies inside the resource block, and so does re-alignment of the groups they touch
    patched = realign(located.text, _apply_edits(located.text, ctx.edits))
    ctx.original_parses = parses(located.text)
    growth = len(patched) - len(located.text)
    ctx.block_span = (located.block.start, located.block.close + 1 + growth)
    try:
        shown = located.path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        shown = located.path.as_posix()
    diff = unified_diff(located.text, patched, f"a/{shown}", f"b/{shown}")
    patch = FilePatch(file=shown, diff=diff, original=located.text, patched=patched)
    out = AdoptResult(patch, ctx.answered, ctx.unanswered, ctx.notes)
    checked, problem = validate_adoption(result, patched, ctx, str(located.path), live=live)
    if problem:
        out.notes.append(f"validation: {problem}")
    if checked:
        out.validated_paths = list(ctx.answered)
    out.validated = checked and not ctx.unanswered
    if checked and ctx.unanswered:
        out.notes.append(
            "validated only in part: the patched code re-parses and equals live for " + ", ".join(ctx.answered)
            + "; not adopted (manual work): " + ", ".join(ctx.unanswered))
    return out


def _unredacted(
    attrs: dict[str, Any], diffs: list[Difference], sensitive: list[str], *, actual: bool
) -> dict[str, Any]:
    """`attrs` with each map a scan redacted as a whole (it holds a sensitive key) rebuilt from the
    non-sensitive differences inside it, so those keys can still be adopted one by one."""
    out = dict(attrs)
    for name, value in attrs.items():
        if value != MARKER:
            continue
        inner = {d.path[len(name) + 1:]: d.actual if actual else d.expected
                 for d in diffs if d.path.startswith(name + ".") and d.path not in sensitive}
        out[name] = {k: v for k, v in inner.items() if v is not None}
    return out


_PARSES: dict[str, bool] = {}


def parses(text: str) -> bool:
    """Whether the HCL parser accepts `text` (memoised: a plan asks once per file, not per resource)."""
    key = text
    if key not in _PARSES:
        _PARSES[key] = literals.parses(text)
        if len(_PARSES) > 256:
            _PARSES.pop(next(iter(_PARSES)))
    return _PARSES[key]


# ---------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------


def _split(path: str) -> list[str]:
    """`versioning_configuration[0].status` -> ["versioning_configuration", "[0]", "status"].

    Map keys may hold dots (`tags.kubernetes.io/role`); callers that know they are in a map join the
    rest back together.
    """
    return [s for s in re.split(r"(\[\d+\])|\.", path) if s]


def _join(steps: list[str]) -> str:
    out = ""
    for s in steps:
        out += s if s.startswith("[") or not out else "." + s
    return out


# ---------------------------------------------------------------------------------------------
# Body-level adoption
# ---------------------------------------------------------------------------------------------


def _adopt_body(
    ctx: _Context,
    block: TextBlock,
    expected: dict[str, Any],
    live: dict[str, Any],
    steps: list[tuple[list[str], Difference]],
    *,
    top: bool,
    prefix: str = "",
    concrete: str = "",
) -> None:
    groups: dict[str, list[tuple[list[str], Difference]]] = {}
    for s, d in steps:
        groups.setdefault(s[0], []).append((s[1:], d))
    for name, items in groups.items():
        paths = [d.path for _, d in items]
        live_value, exp_value = live.get(name), expected.get(name)
        attr = block.attribute(name)
        code_blocks = block.blocks_named(name)
        pattern = f"{prefix}{name}"
        if top and attr is None and not code_blocks and name in COMPUTED_WHEN_UNSET.get(ctx.rtype, frozenset()):
            ctx.answered.extend(paths)
            ctx.computed.extend(paths)
            ctx.notes.append(f"`{name}` is not set in the code: Terraform takes it from live (computed), "
                             "so nothing needs adopting for " + ", ".join(paths))
            continue
        if code_blocks or (attr is None and _is_block_list(live_value, exp_value)):
            _adopt_blocks(ctx, block, name, code_blocks, exp_value or [], live_value or [], items, pattern, f"{concrete}{name}")
        elif top and name in ctx.json_attributes:
            _set_attribute(ctx, block, name, attr, live_value, paths, json_document=True)
        elif isinstance(live_value, dict) or isinstance(exp_value, dict):
            _adopt_map(ctx, block, name, attr, exp_value or {}, live_value or {}, items, f"{concrete}{name}")
        else:
            _set_attribute(ctx, block, name, attr, live_value, paths)


def _is_block_list(*values: Any) -> bool:
    return any(isinstance(v, list) and v and all(isinstance(e, dict) for e in v) for v in values)


def _set_attribute(
    ctx: _Context,
    block: TextBlock,
    name: str,
    attr: TextAttribute | None,
    value: Any,
    paths: list[str],
    *,
    json_document: bool = False,
) -> None:
    replaceable_document = json_document and (_is_jsonencode(attr) or _is_plain_heredoc(attr)) if attr else False
    if attr is not None and not (text_layout.is_literal(attr.value_tokens) or replaceable_document):
        shown = ctx.text[attr.value_start : attr.value_end]
        ctx.manual(paths, f"`{name}` is set by the expression `{_short(shown)}`; change its source to the live value by hand")
        return
    if value is None and attr is None:
        ctx.answered.extend(paths)  # absent in code and absent live: nothing to write
        return
    if attr is not None and value is None:
        _delete_attribute(ctx, attr)
        ctx.answered.extend(paths)
        return
    indent = text_layout.indent_at(ctx.text, attr.start) if attr is not None else _child_indent(ctx, block)
    rendered = _render(value, indent, json_document)
    if attr is not None:
        ctx.edits.append(_Edit(attr.value_start, attr.value_end, rendered))
    else:
        _insert_line(ctx, block, f"{indent}{name} = {rendered}")
    ctx.answered.extend(paths)


def _render(value: Any, indent: str, json_document: bool) -> str:
    if json_document and isinstance(value, str) and value.strip():
        try:
            value = json.loads(value)
        except ValueError:
            return hcl_value(value, indent)
    if json_document and not is_empty(value):
        return hcl_json_document(value, indent)
    return hcl_value(value, indent)


def _is_jsonencode(attr: TextAttribute) -> bool:
    """`jsonencode(...)`: a policy written in HCL; replaced as a whole by the live document."""
    toks = attr.value_tokens
    return len(toks) >= 3 and toks[0].text == "jsonencode" and toks[1].text == "(" and toks[-1].text == ")"


def _is_plain_heredoc(attr: TextAttribute) -> bool:
    """`<<EOF ... EOF` without interpolation: an older policy spelling, replaced by `jsonencode(...)`."""
    toks = attr.value_tokens
    return len(toks) == 1 and toks[0].kind == "heredoc" and not text_layout.has_template(toks[0].text)


def _short(text: str) -> str:
    one = one_line(text)
    return one if len(one) <= 60 else one[:57] + "..."


def _adopt_map(
    ctx: _Context,
    block: TextBlock,
    name: str,
    attr: TextAttribute | None,
    expected: dict[str, Any],
    live: dict[str, Any],
    items: list[tuple[list[str], Difference]],
    concrete: str,
) -> None:
    # Map keys may hold dots (even trailing ones): cut them from the full path, never re-join steps.
    keyed = [(d.path[len(concrete) + 1 :] if d.path.startswith(concrete + ".") else _join(rest), d) for rest, d in items]
    whole = [d.path for key, d in keyed if not key]
    if whole:
        _set_attribute(ctx, block, name, attr, live, [d.path for _, d in keyed])
        return
    if attr is None:
        adds = {key: live[key] for key, d in keyed if key in live and not is_empty(live.get(key))}
        gone = [d.path for key, d in keyed if key not in adds]
        if gone:
            ctx.manual(gone, f"{', '.join(gone)} are not set in this resource block (provider default_tags?); change them where they are set")
        if adds:
            indent = _child_indent(ctx, block)
            _insert_line(ctx, block, f"{indent}{name} = {hcl_value(adds, indent)}")
            ctx.answered.extend(d.path for key, d in keyed if key in adds)
        return
    obj = text_layout.parse_object(ctx.text, attr)
    if obj is None:
        shown = ctx.text[attr.value_start : attr.value_end]
        ctx.manual([d.path for _, d in keyed], f"`{name}` is built by the expression `{_short(shown)}`; add the live keys there by hand")
        return
    by_key = {item.key: item for item in obj.items}
    additions: list[tuple[str, Any]] = []
    for key, d in keyed:
        item = by_key.get(key)
        live_has = key in live and live[key] is not None
        if item is not None and not text_layout.is_literal(text_layout.tokenize(ctx.text[item.value_start : item.value_end])):
            ctx.manual([d.path], f"`{name}.{key}` is set by an expression; change it by hand")
            continue
        if item is not None and live_has:
            indent = text_layout.indent_at(ctx.text, item.start)
            ctx.edits.append(_Edit(item.value_start, item.value_end, hcl_value(live[key], indent)))
        elif item is not None:
            _delete_item(ctx, item)
        elif live_has:
            additions.append((key, live[key]))
        else:
            ctx.manual([d.path], f"`{name}.{key}` is not set in this block (provider default_tags?); remove it where it is set")
            continue
        ctx.answered.append(d.path)
    if additions:
        _insert_items(ctx, obj, additions)


def _adopt_blocks(
    ctx: _Context,
    block: TextBlock,
    name: str,
    code_blocks: list[TextBlock],
    expected: list[Any],
    live: list[Any],
    items: list[tuple[list[str], Difference]],
    pattern: str,
    concrete: str,
) -> None:
    is_set = pattern in ctx.set_attributes
    by_index: dict[int, list[tuple[list[str], Difference]]] = {}
    for rest, d in items:
        if not rest or not rest[0].startswith("["):
            ctx.manual([d.path], f"`{d.path}`: unexpected shape for the nested block `{name}`")
            continue
        by_index.setdefault(int(rest[0][1:-1]), []).append((rest[1:], d))
    used: set[int] = set()
    for index, sub in sorted(by_index.items()):
        whole = [d for rest, d in sub if not rest]
        if whole:
            for d in whole:
                _adopt_whole_element(ctx, block, name, code_blocks, d, used)
            continue
        if is_set or index >= len(code_blocks):
            ctx.manual([d.path for _, d in sub], f"`{name}[{index}]`: cannot tell which `{name}` block in the code this is")
            continue
        exp_el = expected[index] if index < len(expected) and isinstance(expected[index], dict) else {}
        live_el = live[index] if index < len(live) and isinstance(live[index], dict) else {}
        _adopt_body(ctx, code_blocks[index], exp_el, live_el, sub, top=False, prefix=f"{pattern}[].",
                    concrete=f"{concrete}[{index}].")


def _adopt_whole_element(
    ctx: _Context, block: TextBlock, name: str, code_blocks: list[TextBlock], d: Difference, used: set[int]
) -> None:
    if d.change == ChangeKind.UPDATED:
        ctx.manual([d.path], f"`{d.path}` changed as a whole; edit that `{name}` block by hand")
        return
    if d.change == ChangeKind.ADDED:
        if not isinstance(d.actual, dict):
            ctx.manual([d.path], f"`{d.path}`: live element is not an object")
            return
        indent = _child_indent(ctx, block)
        body = hcl_attributes(_writable(d.actual), indent + "  ", blocks=_block_keys(d.actual))
        _insert_line(ctx, block, "\n".join([f"{indent}{name} {{", *body, f"{indent}}}"]))
        ctx.set_checks.append((name, d.actual, True))
        ctx.answered.append(d.path)
        return
    # removed live: delete the code block that declares the expected element
    for i, cb in enumerate(code_blocks):
        if i in used:
            continue
        body = _block_values(ctx.text, cb)
        if body is not None and _element_matches(body, d.expected):
            used.add(i)
            _delete_span(ctx, cb.start, cb.close + 1)
            ctx.set_checks.append((name, d.expected, False))
            ctx.answered.append(d.path)
            return
    ctx.manual([d.path], f"`{d.path}` is gone live but no `{name}` block in the code matches it literally; remove it by hand")


def _writable(element: dict[str, Any]) -> dict[str, Any]:
    """Element attributes worth writing: empty values are the provider's defaults."""
    return {k: v for k, v in element.items() if not is_empty(v) and v is not False}


def _block_keys(element: dict[str, Any]) -> frozenset[str]:
    return frozenset(k for k, v in element.items() if _is_block_list(v))


def _block_values(text: str, cb: TextBlock) -> dict[str, Any] | None:
    try:
        return literals.first_block_values(text[cb.start : cb.close + 1] + "\n")
    except Exception:  # noqa: BLE001 - a block the parser rejects has no literal values to match
        return None


def _element_matches(code: dict[str, Any], element: Any) -> bool:
    """Every attribute the code block sets literally equals the element's (empties are defaults)."""
    if not isinstance(element, dict) or has_expression(code):
        return False
    keys = set(code) | {k for k, v in element.items() if not is_empty(v) and v is not False}
    mine = {k: code.get(k) for k in keys}
    theirs = {k: element.get(k) for k in keys}
    return not compare_attributes({"e": mine}, {"e": theirs}, set_attributes={f"e.{k}" for k in keys})


# ---------------------------------------------------------------------------------------------
# Text edits
# ---------------------------------------------------------------------------------------------


def _child_indent(ctx: _Context, block: TextBlock) -> str:
    for child_start in [a.start for a in block.attributes] + [b.start for b in block.blocks]:
        if text_layout.only_whitespace_before(ctx.text, child_start):
            return text_layout.indent_at(ctx.text, child_start)
    return text_layout.indent_at(ctx.text, block.start) + "  "


def _insert_line(ctx: _Context, block: TextBlock, line: str) -> None:
    """Insert `line` as the last item of `block`'s body."""
    close = block.close
    if text_layout.only_whitespace_before(ctx.text, close):
        ctx.edits.append(_Edit(text_layout.line_start(ctx.text, close), text_layout.line_start(ctx.text, close), line + "\n"))
    else:
        outer = text_layout.indent_at(ctx.text, block.start)
        # one-line block `x { a = 1 }`: open it up so every line stands on its own (HCL rejects an
        # argument on the `{` line of a block that closes on a later line)
        trimmed = close
        while trimmed > 0 and ctx.text[trimmed - 1] in " \t":
            trimmed -= 1
        first = block.open + 1
        while first < close and ctx.text[first] in " \t":
            first += 1
        if first < trimmed and block.open not in ctx.opened:
            ctx.opened.add(block.open)
            ctx.edits.append(_Edit(block.open + 1, first, "\n" + outer + "  "))
        ctx.edits.append(_Edit(trimmed, close, "\n" + line + "\n" + outer))


def _insert_items(ctx: _Context, obj: text_layout.ObjectLiteral, additions: list[tuple[str, Any]]) -> None:
    multiline = "\n" in ctx.text[obj.open : obj.close]
    if multiline and text_layout.only_whitespace_before(ctx.text, obj.close):
        anchor = obj.items[0].start if obj.items else None
        indent = text_layout.indent_at(ctx.text, anchor) if anchor is not None else text_layout.indent_at(ctx.text, obj.close) + "  "
        width = _aligned_key_width(ctx, obj)
        lines = []
        for key, value in additions:
            k = hcl_key(key)
            lines.append(f"{indent}{k.ljust(width) if width >= len(k) else k} = {hcl_value(value, indent)}\n")
        pos = text_layout.line_start(ctx.text, obj.close)
        ctx.edits.append(_Edit(pos, pos, "".join(lines)))
        return
    inner = ", ".join(f"{hcl_key(k)} = {hcl_value(v)}" for k, v in additions)
    before = ctx.text[obj.open + 1 : obj.close].rstrip()
    if not before.strip():
        ctx.edits.append(_Edit(obj.open + 1, obj.close, f" {inner} "))
    else:
        sep = " " if before.endswith(",") else ", "
        end = obj.open + 1 + len(before)
        ctx.edits.append(_Edit(end, end, f"{sep}{inner}"))


def _aligned_key_width(ctx: _Context, obj: text_layout.ObjectLiteral) -> int:
    """The padded key width when existing items align their `=` (terraform fmt style), else 0."""
    widths = {item.value_start - item.start for item in obj.items if text_layout.only_whitespace_before(ctx.text, item.start)}
    if len(widths) == 1 and obj.items:
        eq_col = widths.pop()  # key + padding + "= "
        return max(eq_col - 3, 0)
    return 0


def _delete_item(ctx: _Context, item: ObjectItem) -> None:
    _delete_span(ctx, item.start, item.end)


def _delete_attribute(ctx: _Context, attr: TextAttribute) -> None:
    _delete_span(ctx, attr.start, attr.value_end)


def _delete_span(ctx: _Context, start: int, end: int) -> None:
    """Delete [start, end); whole lines when the span is alone on its lines (a trailing comment goes too)."""
    text = ctx.text
    rest_of_line = text[end : text_layout.line_end(text, end)]
    alone_after = rest_of_line.strip() == "" or rest_of_line.strip().startswith(("#", "//"))
    if text_layout.only_whitespace_before(text, start) and alone_after:
        s = text_layout.line_start(text, start)
        e = min(text_layout.line_end(text, end) + 1, len(text))
        ctx.edits.append(_Edit(s, e, ""))
        return
    while end < len(text) and text[end] in " \t":
        end += 1
    ctx.edits.append(_Edit(start, end, ""))


def _apply_edits(text: str, edits: list[_Edit]) -> str:
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.start < a.end:
            raise ValueError("overlapping edits")
    out = text
    for e in reversed(ordered):
        out = out[: e.start] + e.text + out[e.end :]
    return out


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def validate_adoption(
    result: ResourceResult, patched: str, ctx: _Context, path: str, *, live: dict[str, Any] | None = None
) -> tuple[bool, str | None]:
    """Re-parse the patched file; every adopted attribute must now compare equal to live."""
    if not result.address:
        return False, "no address"
    addr = parse_address(result.address)
    try:
        body = resource_body(_patched_block(patched, ctx), addr.type, addr.name)
    except Exception as exc:  # noqa: BLE001 - a patch that does not re-parse is exactly what we must catch
        return False, f"patched {path} does not parse: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    if body is None:
        return False, f"resource {addr.type}.{addr.name} no longer found in the patched file"
    # The parser reads string literals in NFC, as Terraform does; so must the live side be read.
    live = literals.as_terraform_holds(live if live is not None else result.live or {})
    answered = set(ctx.answered) - set(ctx.computed)
    set_checked = {name for name, _, _ in ctx.set_checks}
    tops = {_split(p)[0] for p in answered} - set_checked
    code_view = {k: body.get(k) for k in tops}
    live_view = {k: live.get(k) for k in tops}
    for k in list(tops):
        if k in ("tags",) and isinstance(live_view.get(k), dict) and isinstance(code_view.get(k), dict):
            # code need not repeat provider default_tags: compare only the keys that were adopted
            keys = {literals.as_terraform_holds(p.split(".", 1)[1]) for p in answered if p.startswith(f"{k}.")}
            code_view[k] = {x: code_view[k].get(x) for x in keys}  # type: ignore[union-attr]
            live_view[k] = {x: live_view[k].get(x) for x in keys}  # type: ignore[union-attr]
    remaining = [
        d for d in compare_attributes(
            code_view, live_view, json_attributes=ctx.json_attributes, set_attributes=ctx.set_attributes
        )
        if _relevant(d, answered) and not isinstance(d.expected, Expression)
    ]
    if remaining:
        return False, "still differs from live: " + ", ".join(d.path for d in remaining)
    for name, element, must_exist in ctx.set_checks:
        blocks = body.get(name) or []
        present = any(isinstance(b, dict) and _element_matches(b, literals.as_terraform_holds(element)) for b in blocks)
        if present != must_exist:
            return False, f"`{name}` element {'missing' if must_exist else 'still present'} after the patch"
    return True, None


def _patched_block(patched: str, ctx: _Context) -> str:
    """The text the parser must re-read to know the patched file parses.

    Edits stay inside the resource block and HCL's top level is a plain sequence of blocks, so when
    the original file parsed, the patched file parses exactly when the patched block does; that keeps
    a plan over many resources of one big file linear instead of re-parsing the file per resource.
    """
    if not ctx.original_parses or ctx.block_span is None:
        return patched
    start, end = ctx.block_span
    return patched[start:end] + "\n"


def _relevant(d: Difference, answered: set[str]) -> bool:
    return any(d.path == p or d.path.startswith(p + ".") or d.path.startswith(p + "[") or p.startswith(d.path) for p in answered)
