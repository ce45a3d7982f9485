"""Module directories: the declarations in one directory's files (`ModuleConfig`), with
Terraform's override-file merging, and small helpers on traversal expressions."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl.cache import ParseCache
from driftdeck.core.inputs.hcl.syntax import (
    Attribute,
    Block,
    Body,
    Expr,
    GetAttr,
    Index,
    Literal,
    TupleExpr,
    Variable,
)


@dataclass
class ResourceDecl:
    mode: str
    type: str
    name: str
    block: Block
    file: str

    @property
    def local_address(self) -> str:
        return f"{'data.' if self.mode == 'data' else ''}{self.type}.{self.name}"


@dataclass
class ModuleCallDecl:
    name: str
    block: Block
    file: str
    source: str | None

    @property
    def is_local(self) -> bool:
        return is_local_source(self.source)


def is_local_source(source: str | None) -> bool:
    """A module `source` that is a path (`./x`, `../x`), read in place rather than installed."""
    return source is not None and source.replace("\\", "/").startswith(("./", "../"))


@dataclass
class ModuleConfig:
    """Every declaration in one module directory."""

    dir: Path
    files: list[str] = field(default_factory=list)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, tuple[Attribute, str]] = field(default_factory=dict)
    outputs: dict[str, tuple[Block, str]] = field(default_factory=dict)
    resources: dict[tuple[str, str, str], ResourceDecl] = field(default_factory=dict)
    managed_types: set[str] = field(default_factory=set)
    module_calls: dict[str, ModuleCallDecl] = field(default_factory=dict)
    backend: tuple[Block, str] | None = None
    variable_files: dict[str, str] = field(default_factory=dict)
    providers: dict[str, tuple[Block, str]] = field(default_factory=dict)  # "aws", "aws.west"
    moved: list[tuple[str, str]] = field(default_factory=list)  # (from, to), module-relative
    sensitive_variables: set[str] = field(default_factory=set)
    sensitive_outputs: set[str] = field(default_factory=set)


def module_files(directory: Path) -> list[Path]:
    """The files Terraform reads for a module: *.tf and *.tf.json, in lexical order."""
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return []
    return [
        directory / name
        for name in entries
        if (name.endswith(".tf") or name.endswith(".tf.json")) and not name.startswith(".")
        and (directory / name).is_file()
    ]


def literal_string(expr: Expr) -> str | None:
    if isinstance(expr, Literal) and isinstance(expr.value, str):
        return expr.value
    return None


def _is_override(path: Path) -> bool:
    stem = path.name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def files_in_merge_order(directory: Path) -> list[Path]:
    """`module_files` as Terraform applies them: every base file (lexical order), then the override
    files (`override.tf`, `*_override.tf`, and their .tf.json forms), which merge into base blocks."""
    files = module_files(directory)
    return [f for f in files if not _is_override(f)] + [f for f in files if _is_override(f)]


def load_module_config(directory: Path, display: Callable[[Path], str], cache: ParseCache) -> ModuleConfig:
    config = ModuleConfig(dir=directory)
    # Override files are applied last and merge into the blocks they name (Terraform semantics).
    for path in files_in_merge_order(directory):
        shown = display(path)
        parsed = cache.parse_file(path, shown)
        config.files.append(shown)
        for block in parsed.body.blocks:
            origin = shown
            if _is_override(path):
                block, origin = _merged_with_original(config, block, shown)
            else:
                _refuse_duplicate(config, block, shown)
            _add_block(config, block, origin)
    return config


def _merged_with_original(config: ModuleConfig, block: Block, file: str) -> tuple[Block, str]:
    """The block merged into the one it overrides; positions stay those of the original."""
    original: Block | None = None
    if block.type in ("resource", "data") and len(block.labels) == 2:
        mode = "managed" if block.type == "resource" else "data"
        decl = config.resources.get((mode, block.labels[0], block.labels[1]))
        original = decl.block if decl else None
        file = decl.file if decl else file
    elif block.type == "variable" and block.labels:
        original = config.variables.get(block.labels[0])
    elif block.type == "module" and block.labels:
        call = config.module_calls.get(block.labels[0])
        original = call.block if call else None
        file = call.file if call else file
    elif block.type == "output" and block.labels:
        out = config.outputs.get(block.labels[0])
        original, file = (out[0], out[1]) if out else (None, file)
    if original is None:
        return block, file
    replaced = {b.type for b in block.body.blocks}
    body = Body(
        attributes={**original.body.attributes, **block.body.attributes},
        blocks=tuple(b for b in original.body.blocks if b.type not in replaced) + block.body.blocks,
    )
    return Block(block.type, block.labels, body, original.line), file


def _refuse_duplicate(config: ModuleConfig, block: Block, file: str) -> None:
    """Terraform rejects a second block with the same address in one module (outside override
    files): so does driftdeck, naming both places, rather than silently keeping one of them."""
    first: tuple[str, int] | None = None
    what = ""
    if block.type in ("resource", "data") and len(block.labels) == 2:
        mode = "managed" if block.type == "resource" else "data"
        decl = config.resources.get((mode, block.labels[0], block.labels[1]))
        first = (decl.file, decl.block.line) if decl else None
        what = f"{block.type} block {'data.' if mode == 'data' else ''}{block.labels[0]}.{block.labels[1]}"
    elif block.type == "module" and block.labels:
        call = config.module_calls.get(block.labels[0])
        first = (call.file, call.block.line) if call else None
        what = f"module block {block.labels[0]}"
    if first is not None:
        raise InputError(f"duplicate {what}: already declared at {first[0]}:{first[1]}", file=file, line=block.line)


def _add_block(config: ModuleConfig, block: Block, file: str) -> None:
    kind, labels = block.type, block.labels
    if kind in ("resource", "data") and len(labels) == 2:
        mode = "managed" if kind == "resource" else "data"
        config.resources[(mode, labels[0], labels[1])] = ResourceDecl(mode, labels[0], labels[1], block, file)
        if mode == "managed":
            config.managed_types.add(labels[0])
    elif kind == "variable" and labels:
        config.variables[labels[0]] = block
        config.variable_files[labels[0]] = file
        if _is_true(block.body.attributes.get("sensitive")):
            config.sensitive_variables.add(labels[0])
    elif kind == "locals":
        for name, attr in block.body.attributes.items():
            config.locals[name] = (attr, file)
    elif kind == "output" and labels:
        config.outputs[labels[0]] = (block, file)
        if _is_true(block.body.attributes.get("sensitive")):
            config.sensitive_outputs.add(labels[0])
    elif kind == "module" and labels:
        src_attr = block.body.attributes.get("source")
        source = literal_string(src_attr.expr) if src_attr else None
        config.module_calls[labels[0]] = ModuleCallDecl(labels[0], block, file, source)
    elif kind == "moved":
        attrs = block.body.attributes
        if "from" in attrs and "to" in attrs:
            config.moved.append((_address_text(attrs["from"].expr), _address_text(attrs["to"].expr)))
    elif kind == "provider" and labels:
        alias_attr = block.body.attributes.get("alias")
        alias = literal_string(alias_attr.expr) if alias_attr else None
        config.providers[f"{labels[0]}.{alias}" if alias else labels[0]] = (block, file)
    elif kind == "terraform":
        for inner in block.body.blocks:
            if inner.type in ("backend", "cloud"):
                config.backend = (inner, file)


def traversal_path(expr: Expr) -> str | None:
    """`tags["Owner"]` / `aws.west` / `x[0].y` as a dotted path; None for anything else."""
    if isinstance(expr, Variable):
        return expr.name
    if isinstance(expr, Literal) and isinstance(expr.value, str):
        return expr.value  # legacy quoted form: ignore_changes = ["tags"]
    if isinstance(expr, GetAttr):
        base = traversal_path(expr.obj)
        return f"{base}.{expr.name}" if base is not None else None
    if isinstance(expr, Index) and isinstance(expr.key, Literal):
        base = traversal_path(expr.obj)
        if base is None:
            return None
        key = expr.key.value
        return f"{base}[{key}]" if isinstance(key, int) else f"{base}.{key}"
    return None


def _address_text(expr: Expr) -> str:
    """A `moved` endpoint as Terraform spells addresses: `aws_x.a[0]`, `module.m["k"]`."""
    if isinstance(expr, Variable):
        return expr.name
    if isinstance(expr, GetAttr):
        return f"{_address_text(expr.obj)}.{expr.name}"
    if isinstance(expr, Index) and isinstance(expr.key, Literal):
        return f"{_address_text(expr.obj)}{format_key(expr.key.value)}"
    return ""


def ignored_changes(body: Body) -> frozenset[str]:
    """`lifecycle { ignore_changes = [...] }` as attribute paths; {"*"} for `all`."""
    for block in body.blocks:
        if block.type != "lifecycle" or "ignore_changes" not in block.body.attributes:
            continue
        expr = block.body.attributes["ignore_changes"].expr
        if isinstance(expr, Variable) and expr.name == "all":
            return frozenset({"*"})
        if isinstance(expr, TupleExpr):
            return frozenset(p for p in (traversal_path(e) for e in expr.items) if p is not None)
    return frozenset()


def _is_true(attr: Attribute | None) -> bool:
    return attr is not None and isinstance(attr.expr, Literal) and attr.expr.value is True


def format_key(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return "[" + json.dumps(key, ensure_ascii=False) + "]"
