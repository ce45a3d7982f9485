"""`locate_resources`: resource address (no instance key) -> (file, line), without evaluating."""

from __future__ import annotations

import re
from pathlib import Path

from driftdeck.core.errors import InputError
from driftdeck.core.hcl.cache import DEFAULT_CACHE, ParseCache
from driftdeck.core.hcl.config import files_in_merge_order, literal_string
from driftdeck.core.hcl.module import Session

_RESOURCE_RE = re.compile(r'^[ \t]*(resource|data)[ \t]+"([^"]+)"[ \t]+"([^"]+)"', re.M)
_MODULE_RE = re.compile(r'^[ \t]*module[ \t]+"([^"]+)"[ \t]*\{', re.M)
_SOURCE_RE = re.compile(r'^[ \t]*source[ \t]*=[ \t]*"([^"]+)"', re.M)


def locate_resources(root: Path | str, *, cache: ParseCache | None = None) -> dict[str, tuple[str, int]]:
    """Map `module.net.aws_subnet.private` / `data.aws_x.y` to (file relative to root, line).

    Follows local module sources; a file that does not parse is scanned with a pattern instead,
    so this never fails on bad syntax. Files are relative to `root`.
    """
    root_path = Path(root).resolve()
    session = Session(root_path, cache or DEFAULT_CACHE, None)
    out: dict[str, tuple[str, int]] = {}
    _walk(session, root_path, "", (), out, set())
    return out


def _walk(
    session: Session,
    directory: Path,
    prefix: str,
    key_path: tuple[str, ...],
    out: dict[str, tuple[str, int]],
    chain: set[Path],
) -> None:
    if directory in chain or len(chain) > 24:
        return
    chain = chain | {directory}
    for path in files_in_merge_order(directory):  # base blocks first: an override never moves a position
        shown = session.display(path)
        modules: list[tuple[str, str | None]] = []
        try:
            parsed = session.cache.parse_file(path, shown)
        except InputError:
            _scan_text(path, shown, prefix, out, modules)
        else:
            for block in parsed.body.blocks:
                if block.type in ("resource", "data") and len(block.labels) == 2:
                    mode = "data." if block.type == "data" else ""
                    out.setdefault(f"{prefix}{mode}{block.labels[0]}.{block.labels[1]}", (shown, block.line))
                elif block.type == "module" and block.labels:
                    src = block.body.attributes.get("source")
                    modules.append((block.labels[0], literal_string(src.expr) if src else None))
        for name, source in modules:
            if source and source.replace("\\", "/").startswith(("./", "../")):
                child: Path | None = (directory / source).resolve()
            else:
                child = session.installed_modules().get(".".join((*key_path, name)))
            if child is not None and child.is_dir():
                _walk(session, child, f"{prefix}module.{name}.", (*key_path, name), out, chain)


def _scan_text(path: Path, shown: str, prefix: str, out: dict[str, tuple[str, int]], modules: list[tuple[str, str | None]]) -> None:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return
    for m in _RESOURCE_RE.finditer(text):
        mode = "data." if m.group(1) == "data" else ""
        line = text.count("\n", 0, m.start()) + 1
        out.setdefault(f"{prefix}{mode}{m.group(2)}.{m.group(3)}", (shown, line))
    starts = list(_MODULE_RE.finditer(text))
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        src = _SOURCE_RE.search(text, m.end(), end)
        modules.append((m.group(1), src.group(1) if src else None))
