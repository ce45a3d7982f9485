"""Where the code declares a resource: the one block locator for the evaluator's positions, the TUI's
"source file:line" and every plan direction (adopt, import, forget, revert notes).

It follows Terraform's module rules, without evaluating anything:
- a module call's `source` is either a local path (`./x`, `../x`, relative to the calling module) or,
  for registry and git sources, the copy `terraform init` recorded in `.terraform/modules/modules.json`
  under the call path (`vpc`, `vpc.endpoints`);
- override files (`override.tf`, `*_override.tf`) merge into the block they name, and a position always
  names the base block: files are visited in `config.files_in_merge_order`, the order the evaluator
  (`config.load_module_config`) uses, so both name the same file and line.

Three views of that one walk: `locate_resources` maps every resource address to (file, line);
`locate_resource` answers the same for one address, reading only its module chain (the TUI's detail
pane); `locate_block` returns one block with its byte offsets (`text_layout.TextBlock`) for edits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl.cache import DEFAULT_CACHE, ParseCache
from driftdeck.core.inputs.hcl.declarations import files_in_merge_order, literal_string
from driftdeck.core.inputs.hcl.module import Session
from driftdeck.core.inputs.hcl.results import strip_instance_keys
from driftdeck.core.inputs.hcl.text_layout import TextBlock, parse_structure

_RESOURCE_RE = re.compile(r'^[ \t]*(resource|data)[ \t]+"([^"]+)"[ \t]+"([^"]+)"', re.M)
_MODULE_RE = re.compile(r'^[ \t]*module[ \t]+"([^"]+)"[ \t]*\{', re.M)
_SOURCE_RE = re.compile(r'^[ \t]*source[ \t]*=[ \t]*"([^"]+)"', re.M)
_ADDRESS_STEP = re.compile(r'module\.([A-Za-z0-9_\-]+)(\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?\.')
_MAX_MODULE_DEPTH = 24  # deeper chains are a cycle through installed copies, not real configuration


@dataclass(frozen=True)
class Address:
    """A managed resource address split into its module call chain, type, name and instance key."""

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
    """`module.a["x"].module.b.aws_s3_bucket.logs[0]` split up; ValueError for anything else."""
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
    """A `resource` block found in a file: the file's whole text and the block's offsets in it."""

    path: Path
    text: str
    block: TextBlock

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.block.start) + 1

    @property
    def in_installed_module(self) -> bool:
        """Whether the file is a module copy `terraform init` made (under `.terraform/`): an edit
        there is not in version control and the next `terraform init` undoes it."""
        return ".terraform" in self.path.parts


# ---------------------------------------------------------------------------------------------
# Module directories
# ---------------------------------------------------------------------------------------------


def _module_call_dir(session: Session, directory: Path, key_path: tuple[str, ...], name: str, source: str | None) -> Path | None:
    """Where the module call `name` in `directory` (call path `key_path`) has its files."""
    child = session.call_dir(directory, name, source, key_path)
    return child if child is not None and child.is_dir() else None


def _file_declarations(
    session: Session, path: Path, shown: str
) -> tuple[list[tuple[str, int]], list[tuple[str, str | None]]]:
    """(`[data.]TYPE.NAME`, line) of each resource/data block and (name, source) of each module call
    in one file; a file that does not parse is scanned with patterns, so this never fails."""
    resources: list[tuple[str, int]] = []
    modules: list[tuple[str, str | None]] = []
    try:
        parsed = session.cache.parse_file(path, shown)
    except InputError:
        _scan_text(path, resources, modules)
        return resources, modules
    for block in parsed.body.blocks:
        if block.type in ("resource", "data") and len(block.labels) == 2:
            mode = "data." if block.type == "data" else ""
            resources.append((f"{mode}{block.labels[0]}.{block.labels[1]}", block.line))
        elif block.type == "module" and block.labels:
            src = block.body.attributes.get("source")
            modules.append((block.labels[0], literal_string(src.expr) if src else None))
    return resources, modules


def _scan_text(path: Path, resources: list[tuple[str, int]], modules: list[tuple[str, str | None]]) -> None:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return
    for m in _RESOURCE_RE.finditer(text):
        mode = "data." if m.group(1) == "data" else ""
        resources.append((f"{mode}{m.group(2)}.{m.group(3)}", text.count("\n", 0, m.start()) + 1))
    starts = list(_MODULE_RE.finditer(text))
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        src = _SOURCE_RE.search(text, m.end(), end)
        modules.append((m.group(1), src.group(1) if src else None))


def _module_directory(session: Session, root: Path, modules: tuple[str, ...]) -> Path | None:
    """The directory of a module call chain under `root` (local sources and installed modules)."""
    current = root
    for depth, name in enumerate(modules):
        source: str | None = None
        called = False
        for path in files_in_merge_order(current):  # an override's `source` replaces the base one
            for call, call_source in _file_declarations(session, path, session.display(path))[1]:
                if call == name:
                    called = True
                    source = call_source or source
        if not called:
            return None
        found = _module_call_dir(session, current, modules[:depth], name, source)
        if found is None:
            return None
        current = found
    return current


# ---------------------------------------------------------------------------------------------
# The two views
# ---------------------------------------------------------------------------------------------


def locate_resources(root: Path | str, *, cache: ParseCache | None = None) -> dict[str, tuple[str, int]]:
    """Map `module.net.aws_subnet.private` / `data.aws_x.y` to (file relative to root, line).

    Follows local and installed modules; never fails on bad syntax. Files are relative to `root`.
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
    if directory in chain or len(chain) > _MAX_MODULE_DEPTH:
        return
    chain = chain | {directory}
    for path in files_in_merge_order(directory):  # base blocks first: an override never moves a position
        shown = session.display(path)
        resources, modules = _file_declarations(session, path, shown)
        for key, line in resources:
            out.setdefault(f"{prefix}{key}", (shown, line))
        for name, source in modules:
            child = _module_call_dir(session, directory, key_path, name, source)
            if child is not None:
                _walk(session, child, f"{prefix}module.{name}.", (*key_path, name), out, chain)


def locate_resource(root: Path | str, address: str, *, cache: ParseCache | None = None) -> tuple[str, int] | None:
    """(file relative to root, line) of the block declaring `address` (instance keys ignored, `data.`
    addresses too): what `locate_resources(root)` holds for it, reading only the module chain."""
    root_path = Path(root).resolve()
    session = Session(root_path, cache or DEFAULT_CACHE, None)
    steps = strip_instance_keys(address).split(".")
    modules: list[str] = []
    while len(steps) > 2 and steps[0] == "module":
        modules.append(steps[1])
        steps = steps[2:]
    wanted = ".".join(steps)
    directory = _module_directory(session, root_path, tuple(modules))
    if directory is None:
        return None
    for path in files_in_merge_order(directory):  # base blocks first, as in locate_resources
        shown = session.display(path)
        for key, line in _file_declarations(session, path, shown)[0]:
            if key == wanted:
                return shown, line
    return None


def locate_block(
    root: Path, address: str, hint: Path | None = None, *, cache: ParseCache | None = None
) -> LocatedBlock | None:
    """The `resource` block declaring `address` under the root module `root`, or None.

    `hint` (the file the evaluator named) is read first; then the module's `.tf` files in merge
    order, so with an override file the base block is the one returned, as in the evaluator.
    """
    try:
        addr = parse_address(address)
    except ValueError:
        return None
    root_path = Path(root).resolve()
    session = Session(root_path, cache or DEFAULT_CACHE, None)
    directory = _module_directory(session, root_path, addr.modules) if addr.modules else root_path
    candidates: list[Path] = []
    if hint is not None and hint.suffix == ".tf" and hint.exists():
        candidates.append(hint)
    if directory is not None and directory.is_dir():
        # `.tf.json` files have no HCL text to splice into: edits are made in native syntax only.
        candidates.extend(p for p in files_in_merge_order(directory) if p.suffix == ".tf" and p not in candidates)
    for path in candidates:
        text = path.read_text(encoding="utf-8")
        if addr.name not in text:
            continue
        structure = parse_structure(text, str(path))
        for block in structure.blocks_named("resource"):
            if block.labels == [addr.type, addr.name]:
                return LocatedBlock(path, text, block)
    return None
