"""Fitting text into narrow columns without losing the part that tells things apart."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "…"


def elide_middle(text: str, width: int, *, tail_share: float = 0.6) -> str:
    """`text` cut to `width` cells by replacing its middle with `…`.

    Resource addresses differ at the end (`aws_s3_bucket.backups` vs `aws_s3_bucket.backend`), so the
    tail keeps the larger share by default.
    """
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    room = width - 1
    tail = max(1, round(room * tail_share))
    head = room - tail
    end = _tail_cells(text, tail)
    return set_cell_size(text, head) + ELLIPSIS + end if head else ELLIPSIS + end


def _tail_cells(text: str, cells: int) -> str:
    out = ""
    for ch in reversed(text):
        if cell_len(ch + out) > cells:
            break
        out = ch + out
    return out
