"""`terraform fmt` layout for the lines a patch touches: aligned `=` in attribute groups, and one-line
renderings of multi-line expressions that keep their separators.

terraform fmt (hclwrite) aligns the `=` of consecutive lines that each hold a whole `name = value`
assignment; a blank line, a comment line, a nested block or a line opening a multi-line value ends
the group, and such an opening line gets exactly one space before its `=`. Only groups that hold a
changed line are re-aligned, so a patch stays as small as the change.
"""

from __future__ import annotations

import bisect
import difflib
from dataclasses import dataclass

from driftdeck.core.inputs.hcl.text_layout import Token, tokenize

_OPEN = "{[("
_CLOSE = "}])"


@dataclass(frozen=True)
class _Line:
    number: int
    start: int  # offset of the line in the text
    end: int  # offset of its newline (or the end of the text)
    equals: int | None  # offset of the assignment `=` when the line starts with `name =`
    whole: bool  # the assignment's value ends on this line
    code_end: int  # offset past the line's last token: a trailing comment starts after it


def realign(original: str, patched: str) -> str:
    """`patched` with the `=` of every attribute group that a change touched aligned as terraform fmt does."""
    changed = changed_lines(original, patched)
    if not changed:
        return patched
    try:
        lines = _lines(patched)
    except Exception:  # noqa: BLE001 - text the lexer rejects is left exactly as the edit made it
        return patched
    replacements: dict[int, str] = {}
    group: list[_Line] = []

    def close() -> None:
        if group and any(line.number in changed for line in group):
            width = max(len(patched[line.start:line.equals].rstrip()) for line in group if line.equals is not None)
            aligned = {line.number: _aligned(patched, line, width) for line in group}
            replacements.update(_comments_aligned(patched, group, aligned))
        group.clear()

    for line in lines:
        if line.equals is not None and line.whole:
            group.append(line)
            continue
        close()
        if line.equals is not None and line.number in changed:
            # opens a multi-line value: not part of any group, one space before `=`
            replacements[line.number] = _aligned(patched, line, len(patched[line.start:line.equals].rstrip()))
    close()
    if not replacements:
        return patched
    out = []
    for line in lines:
        out.append(replacements.get(line.number, patched[line.start:line.end]))
    return "\n".join(out)


def _comments_aligned(text: str, group: list[_Line], aligned: dict[int, str]) -> dict[int, str]:
    """Trailing comments of consecutive lines start in one column, one space past the longest code."""
    out = dict(aligned)
    run: list[tuple[int, str, str]] = []

    def flush() -> None:
        if run:
            width = max(len(code) for _, code, _ in run)
            for number, code, comment in run:
                out[number] = f"{code.ljust(width)} {comment}"
        run.clear()

    for line in group:
        comment = text[line.code_end:line.end].strip()
        if comment.startswith(("#", "//", "/*")):
            code = aligned[line.number]
            cut = code.rfind(comment)
            run.append((line.number, code[:cut].rstrip() if cut >= 0 else code, comment))
        else:
            flush()
    flush()
    return out


def changed_lines(original: str, patched: str) -> set[int]:
    """Line numbers (0-based) of `patched` that a change inserted or replaced, or that border a deletion."""
    before, after = original.split("\n"), patched.split("\n")
    changed: set[int] = set()
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            changed.update(range(j1, j2))
        elif tag == "delete":
            changed.update({j1 - 1, j1})
    return {n for n in changed if 0 <= n < len(after)}


def _aligned(text: str, line: _Line, width: int) -> str:
    assert line.equals is not None
    lead = text[line.start:line.equals].rstrip()
    rest = text[line.equals + 1:line.end].lstrip(" \t")
    return f"{lead.ljust(width)} = {rest}" if rest else f"{lead.ljust(width)} ="


def _lines(text: str) -> list[_Line]:
    tokens = tokenize(text)
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    by_line: dict[int, list[Token]] = {}
    opaque: set[int] = set()  # lines inside a token that spans lines (heredocs, templates)
    for tok in tokens:
        if tok.kind == "nl":
            continue
        first = bisect.bisect_right(starts, tok.start) - 1
        last = bisect.bisect_right(starts, max(tok.end - 1, tok.start)) - 1
        by_line.setdefault(first, []).append(tok)
        opaque.update(range(first + 1, last + 1))
        if last > first:
            by_line.setdefault(first, []).append(Token("span", tok.end, tok.end, ""))
    out: list[_Line] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] - 1 if n + 1 < len(starts) else len(text)
        toks = by_line.get(n, [])
        equals: int | None = None
        whole = False
        if n not in opaque and len(toks) >= 2 and toks[0].kind in ("ident", "string") and toks[1].text == "=" \
                and toks[1].kind == "punct":
            equals = toks[1].start
            whole = _balanced(toks[2:])
        code_end = max((t.end for t in toks if t.kind != "span"), default=start)
        out.append(_Line(n, start, end, equals, whole, min(code_end, end)))
    return out


def _balanced(tokens: list[Token]) -> bool:
    depth = 0
    for tok in tokens:
        if tok.kind == "span":
            return False
        if tok.kind == "punct" and tok.text in _OPEN:
            depth += 1
        elif tok.kind == "punct" and tok.text in _CLOSE:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and bool(tokens)


def _squeezed(text: str, tokens: list[Token]) -> str:
    """The tokens' text with each run of blanks between them cut to one space (alignment padding)."""
    out = tokens[0].text
    for prev, tok in zip(tokens, tokens[1:], strict=False):
        out += (" " if tok.start > prev.end else "") + tok.text
    return out


def one_line(text: str) -> str:
    """A multi-line expression on one line, comments dropped, items still separated by commas."""
    try:
        tokens = [t for t in tokenize(text) if t.kind != "nl"]
    except Exception:  # noqa: BLE001 - not lexable: plain whitespace squeeze
        return " ".join(text.split())
    pieces: list[str] = []
    line_starts = {0} | {i + 1 for i, ch in enumerate(text) if ch == "\n"}
    starts_sorted = sorted(line_starts)
    current: list[Token] = []
    current_line = -1
    for tok in tokens:
        n = bisect.bisect_right(starts_sorted, tok.start) - 1
        if n != current_line and current:
            pieces.append(_squeezed(text, current))
            current = []
        current_line = n
        current.append(tok)
    if current:
        pieces.append(_squeezed(text, current))
    out = ""
    for piece in pieces:
        if not out:
            out = piece
            continue
        if out.endswith(",") and piece[0] in _CLOSE:
            out = out[:-1]  # a trailing comma before the closing bracket
        if out[-1] in "([" or piece[0] in ")]":
            out += piece
        elif out[-1] in "{," or piece[0] == "}":
            out += " " + piece
        else:
            out += ", " + piece
    return out
