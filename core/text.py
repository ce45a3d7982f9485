"""Untrusted text made safe to show: every string from AWS, state, code, a provider or the audit
log passes through `printable` before a terminal or widget shows it."""

from __future__ import annotations

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
