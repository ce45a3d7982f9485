"""Find the `resource "TYPE" "NAME" { ... }` block that declares a resource address.

Terraform modules are directories; local module sources (`source = "./modules/net"`) are followed.
When the scan already knows the file (SourceRef.file from HCL evaluation) that file is tried first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from driftdeck.core.remediation.hcltext import TextBlock, parse_structure, unescape

_ADDRESS_STEP = re.compile(r'module\.([A-Za-z0-9_\-]+)(\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?\.')


@dataclass(frozen=True)
class Address:
    modules: tuple[str, ...]
    type: str
    name: str
    index: str | None  # `0` or `"key"` as written, without brackets

    @property
    def resource(self) -> str:
        """The address without instance keys, as `removed {}` and `-target` of a whole resource take it."""
        prefix = "".join(f"module.{m}." for m in self.modules)
        return f"{prefix}{self.type}.{self.name}"


def parse_address(address: str) -> Address:
    modules: list[str] = []
    pos = 0
    while (m := _ADDRESS_STEP.match(address, pos)) is not None:
        modules.append(m.group(1))
        pos = m.end()
    rest = address[pos:]
    m2 = re.fullmatch(r'([A-Za-z0-9_\-]+)\.([A-Za-z0-9_\-]+)(?:\[(.+)\])?', rest)
    if m2 is None:
        raise ValueError(f"not a resource address: {address!r}")
    return Address(tuple(modules), m2.group(1), m2.group(2), m2.group(3))


@dataclass
class LocatedBlock:
    path: Path
    text: str
    block: TextBlock

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.block.start) + 1


def module_dir(root: Path, modules: tuple[str, ...]) -> Path | None:
    """The directory of a nested module call chain, when every source is a local path."""
    current = root
    for name in modules:
        found: Path | None = None
        for tf in sorted(current.glob("*.tf")):
            try:
                structure = parse_structure(tf.read_text(encoding="utf-8"), str(tf))
            except Exception:  # noqa: BLE001 - a file we cannot read simply does not declare the module
                continue
            for block in structure.blocks_named("module"):
                if block.labels == [name] and (src := block.attribute("source")) is not None:
                    toks = src.value_tokens
                    if len(toks) == 1 and toks[0].kind == "string":
                        source = unescape(toks[0].text[1:-1])
                        if source.startswith(("./", "../")):
                            found = (current / source).resolve()
        if found is None:
            return None
        current = found
    return current


def locate_block(root: Path, address: str, hint: Path | None = None) -> LocatedBlock | None:
    """The resource block for `address` under the configuration root `root`, or None."""
    try:
        addr = parse_address(address)
    except ValueError:
        return None
    directory = module_dir(root, addr.modules) if addr.modules else root
    candidates: list[Path] = []
    if hint is not None and hint.suffix == ".tf" and hint.exists():
        candidates.append(hint)
    if directory is not None and directory.is_dir():
        candidates.extend(p for p in sorted(directory.glob("*.tf")) if p not in candidates)
    for path in candidates:
        text = path.read_text(encoding="utf-8")
        if addr.name not in text:
            continue
        structure = parse_structure(text, str(path))
        for block in structure.blocks_named("resource"):
            if block.labels == [addr.type, addr.name]:
                return LocatedBlock(path, text, block)
    return None
