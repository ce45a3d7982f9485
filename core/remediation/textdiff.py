"""Unified diffs and merges that stay linear when the change is small and the file is large.

difflib's matcher is quadratic on files full of identical lines (`  }`, blank lines), which
Terraform files are. A patch here changes one block, so the common prefix and suffix are cut off
first and only the changed window (with its context) goes through difflib; hunk headers are then
shifted back to file line numbers.
"""

from __future__ import annotations

import difflib
import re

_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")
CONTEXT = 3


def changed_window(a: list[str], b: list[str]) -> tuple[int, int, int]:
    """(prefix, a_end, b_end): lines [prefix, a_end) of `a` became [prefix, b_end) of `b`."""
    prefix = 0
    limit = min(len(a), len(b))
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and a[len(a) - 1 - suffix] == b[len(b) - 1 - suffix]:
        suffix += 1
    return prefix, len(a) - suffix, len(b) - suffix


def unified_diff(a_text: str, b_text: str, from_name: str, to_name: str) -> str:
    a = a_text.splitlines(keepends=True)
    b = b_text.splitlines(keepends=True)
    if a == b:
        return ""
    prefix, a_end, b_end = changed_window(a, b)
    start = max(prefix - CONTEXT, 0)
    a_win = a[start : min(a_end + CONTEXT, len(a))]
    b_win = b[start : min(b_end + CONTEXT, len(b))]
    out: list[str] = []
    for line in difflib.unified_diff(a_win, b_win, fromfile=from_name, tofile=to_name, n=CONTEXT):
        m = _HUNK.match(line)
        if m and start:
            line = (f"@@ -{int(m.group(1)) + start}{m.group(2) or ''} +{int(m.group(3)) + start}{m.group(4) or ''} @@"
                    + line[m.end():])
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def merge_texts(original: str, versions: list[str]) -> str:
    """Combine several edits of `original` that touch different lines (later overlapping ones are dropped)."""
    base = original.splitlines(keepends=True)
    ops: list[tuple[int, int, list[str]]] = []
    for version in versions:
        new = version.splitlines(keepends=True)
        prefix, a_end, b_end = changed_window(base, new)
        if new != base:
            ops.append((prefix, a_end, new[prefix:b_end]))
    ops.sort(key=lambda o: (o[0], o[1]))
    result: list[str] = []
    pos = 0
    for i1, i2, lines in ops:
        if i1 < pos:
            continue  # overlaps an earlier edit
        result.extend(base[pos:i1])
        result.extend(lines)
        pos = i2
    result.extend(base[pos:])
    return "".join(result)
