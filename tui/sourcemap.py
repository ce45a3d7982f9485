"""Find the `resource "TYPE" "NAME"` block of an address in the workspace's .tf files.

Used only when the engine did not fill SourceRef.file/line; a plain text scan, cached per file
modification time, so the detail pane can always point at code.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

_SKIP = frozenset({".terraform", ".git", ".driftdeck", "node_modules", ".venv", "__pycache__"})
_BLOCK = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"', re.MULTILINE)


def tf_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root] if root.suffix == ".tf" else []
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP)
        out.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".tf"))
    return out


@lru_cache(maxsize=512)
def _blocks(path: str, mtime_ns: int) -> dict[tuple[str, str], int]:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    found: dict[tuple[str, str], int] = {}
    for m in _BLOCK.finditer(text):
        found.setdefault((m[1], m[2]), text.count("\n", 0, m.start()) + 1)
    return found


def locate(root: Path, address: str, rtype: str) -> tuple[Path, int] | None:
    """(file, line) of the block declaring `address`, preferring a module folder named like the module."""
    parts = address.split(".")
    # Strip module prefixes (module.a.module.b.TYPE.NAME[key]) down to TYPE.NAME.
    modules: list[str] = []
    while len(parts) > 2 and parts[0] == "module":
        modules.append(parts[1].split("[")[0])
        parts = parts[2:]
    if len(parts) < 2:
        return None
    name = parts[1].split("[")[0]
    candidates: list[tuple[Path, int]] = []
    for path in tf_files(root):
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            continue
        line = _blocks(str(path), mtime).get((rtype, name))
        if line is not None:
            candidates.append((path, line))
    if not candidates:
        return None
    if modules:
        for path, line in candidates:
            if modules[-1] in path.parts:
                return path, line
    for path, line in candidates:
        if "modules" not in path.parts:
            return path, line
    return candidates[0]
