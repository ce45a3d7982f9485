"""Untrusted text made safe to show: every string from AWS, state, code, a provider or the audit
log passes through `printable` before a terminal or widget shows it."""

from __future__ import annotations

import shlex
import unicodedata


def printable(text: str) -> str:
    """`text` with control and format characters (escape sequences, newlines, bidi overrides)
    replaced by visible escapes, so it can neither move the cursor nor hide what follows."""
    if text.isprintable():
        return text
    out: list[str] = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or not ch.isprintable():
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def shell_quote(text: str) -> str:
    """`text` as one shell word that any paste or `source` reads back exactly: `shlex.quote` for
    printable text, bash's `$'…'` (escapes for quotes, backslashes and every control or format
    character) otherwise, so no raw newline or escape byte ever reaches a shell block."""
    if text.isprintable():
        return shlex.quote(text)
    out: list[str] = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "$'" + "".join(out) + "'"


def shell_comment(text: str) -> str:
    """A one-line shell comment: untrusted text can never end it and start a command."""
    return "# " + printable(text)
