"""Provider schemas: what each resource type's attributes are, as the provider itself declares them.

The schema decides everything downstream: how a value is encoded on the wire, which lists are
sets (order-free), which attributes are sensitive (never shown), and which are computed. A
schema is read once per provider binary (`GetSchema` answers 4.8 MiB in seconds for the AWS
provider) and cached on disk under the binary's BLAKE3 hash.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import blake3

from driftdeck.core.cty import CtyType, list_of, map_of, object_of, parse_type, set_of
from driftdeck.core.live.provider import tfplugin5_pb2 as pb

# Block nesting modes (tfplugin5 Schema.NestedBlock.NestingMode).
_SINGLE, _LIST, _SET, _MAP, _GROUP = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class AttributeSchema:
    name: str
    type: CtyType
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    write_only: bool = False
    deprecated: bool = False


@dataclass(frozen=True)
class BlockSchema:
    """A block: its attributes and nested block types (with their nesting mode)."""

    attributes: dict[str, AttributeSchema] = field(default_factory=dict)
    blocks: dict[str, NestedBlockSchema] = field(default_factory=dict)
    deprecated: bool = False

    def implied_type(self) -> CtyType:
        """The object type values of this block have (what msgpack documents follow)."""
        attrs: dict[str, CtyType] = {name: a.type for name, a in self.attributes.items()}
        for name, nested in self.blocks.items():
            inner = nested.block.implied_type()
            if nested.nesting in (_SINGLE, _GROUP):
                attrs[name] = inner
            elif nested.nesting == _SET:
                attrs[name] = set_of(inner)
            elif nested.nesting == _MAP:
                attrs[name] = map_of(inner)
            else:
                attrs[name] = list_of(inner)
        return object_of(attrs)

    def sensitive_paths(self, prefix: str = "") -> Iterator[str]:
        """Attribute paths the schema marks sensitive ("[]" for any element of a nested block)."""
        for name, attr in self.attributes.items():
            if attr.sensitive:
                yield f"{prefix}{name}"
        for name, nested in self.blocks.items():
            step = f"{prefix}{name}." if nested.nesting in (_SINGLE, _GROUP) else f"{prefix}{name}[]."
            yield from nested.block.sensitive_paths(step)


@dataclass(frozen=True)
class NestedBlockSchema:
    nesting: int
    block: BlockSchema
    min_items: int = 0
    max_items: int = 0


@dataclass(frozen=True)
class ResourceSchema:
    version: int
    block: BlockSchema

    @property
    def type(self) -> CtyType:
        return self.block.implied_type()


class ProviderSchema:
    """What GetSchema said, converted per resource type on first use (the AWS provider declares
    1,526 types; a scan needs a few dozen). Thread-safe."""

    def __init__(self, response: pb.GetProviderSchema.Response) -> None:
        self._response = response
        self.provider = _resource(response.provider)
        self.resource_types: frozenset[str] = frozenset(response.resource_schemas.keys())
        self._resources: dict[str, ResourceSchema] = {}
        self._types: dict[str, CtyType] = {}
        self._lock = threading.Lock()

    def resource(self, resource_type: str) -> ResourceSchema:
        """The schema of `resource_type` (KeyError when the provider has no such type)."""
        with self._lock:
            found = self._resources.get(resource_type)
            if found is None:
                if resource_type not in self.resource_types:
                    raise KeyError(resource_type)
                found = _resource(self._response.resource_schemas[resource_type])
                self._resources[resource_type] = found
                self._types[resource_type] = found.type
            return found

    def type_of(self, resource_type: str) -> CtyType:
        """The object type of `resource_type`'s values."""
        self.resource(resource_type)
        return self._types[resource_type]


def schema_from_response(response: pb.GetProviderSchema.Response) -> ProviderSchema:
    return ProviderSchema(response)


def _resource(schema: pb.Schema) -> ResourceSchema:
    return ResourceSchema(version=int(schema.version), block=_block(schema.block))


def _block(block: pb.Schema.Block) -> BlockSchema:
    return BlockSchema(
        attributes={
            a.name: AttributeSchema(
                name=a.name,
                type=parse_type(a.type),
                required=a.required,
                optional=a.optional,
                computed=a.computed,
                sensitive=a.sensitive,
                write_only=a.write_only,
                deprecated=a.deprecated,
            )
            for a in block.attributes
        },
        blocks={
            b.type_name: NestedBlockSchema(
                nesting=int(b.nesting), block=_block(b.block), min_items=int(b.min_items), max_items=int(b.max_items)
            )
            for b in block.block_types
        },
        deprecated=block.deprecated,
    )


# --- disk cache -------------------------------------------------------------------------------

_CACHE_FORMAT = 1
# Never through a planted symlink, and never blocking on a planted FIFO (open() of a FIFO waits
# for a writer unless non-blocking; on a regular file O_NONBLOCK changes nothing).
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK


def binary_digest(path: Path, index_dir: Path) -> str:
    """BLAKE3 of the provider binary. Hashing 700 MB costs most of a second, so the digest is
    remembered per (path, size, mtime, inode) and recomputed whenever any of those change."""
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}"
    index_file = index_dir / "digests.json"
    index = _read_json(index_file)
    digest = index.get(key) if isinstance(index, dict) else None
    if isinstance(digest, str) and len(digest) == 64:
        return digest
    hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
    hasher.update_mmap(str(path))
    digest = hasher.hexdigest()
    index = index if isinstance(index, dict) else {}
    index[key] = digest
    _write_private(index_file, json.dumps(index, sort_keys=True).encode())
    return digest


def load_cached_schema(cache_dir: Path, digest: str) -> pb.GetProviderSchema.Response | None:
    """The cached GetSchema answer for the binary with `digest`, or None (absent or not ours)."""
    path = cache_dir / f"schema-{digest}.pb"
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            data = handle.read()
    finally:
        if fd >= 0:
            os.close(fd)
    header, _, body = data.partition(b"\n")
    try:
        meta = json.loads(header)
    except ValueError:
        return None
    if not isinstance(meta, dict) or meta.get("format") != _CACHE_FORMAT or meta.get("binary") != digest:
        return None
    if meta.get("body") != blake3.blake3(body).hexdigest():
        return None  # torn or edited: ask the provider again
    response = pb.GetProviderSchema.Response()
    try:
        response.ParseFromString(body)
    except Exception:  # noqa: BLE001 - a damaged cache is simply not used
        return None
    return response


def store_schema(cache_dir: Path, digest: str, response: pb.GetProviderSchema.Response) -> None:
    body = response.SerializeToString()
    header = json.dumps({"format": _CACHE_FORMAT, "binary": digest, "body": blake3.blake3(body).hexdigest()}).encode()
    _write_private(cache_dir / f"schema-{digest}.pb", header + b"\n" + body)


def _read_json(path: Path) -> Any:
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            return json.loads(handle.read())
        except (OSError, ValueError):
            return None


def _write_private(path: Path, data: bytes) -> None:
    """Atomically write `data` readable by the owner only; the temporary file is created fresh
    (O_EXCL through mkstemp), so a planted symlink is never followed."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
