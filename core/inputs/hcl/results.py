"""What `load_configuration` returns: resource instances from code, diagnostics, backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from driftdeck.core.resource_types.projections import natural_names
from driftdeck.core.unknown import UNKNOWN, contains_unknown


@dataclass(frozen=True)
class Diagnostic:
    """A non-fatal finding: something in the code could not be evaluated."""

    # module_not_evaluated | unknown_function | eval_error | missing_variable | unexpanded | cycle
    # | internal_error (a gap in driftdeck's evaluator: the value became unknown)
    kind: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        return f"{where}{self.message}"


# The argument that names a resource in AWS, for matching code to live when there is no state
# ("identifying resources by their natural names"). Live collectors expose the same attribute.
NATURAL_NAME_ATTRIBUTE: dict[str, str] = natural_names()  # `ResourceType.identity.natural_name`


@dataclass
class CodeInstance:
    """One resource instance as the code declares it, with evaluated arguments.

    `attributes` holds the arguments the code sets (nested blocks as lists of objects, nulls
    dropped), with `UNKNOWN` wherever a value cannot be computed from code and known state.
    `file` is relative to the root module directory; `line` is the resource block's header line.
    """

    address: str  # module.net.aws_subnet.private["a"]
    mode: str  # "managed" | "data"
    type: str
    name: str
    module: str  # module instance path ("module.net[0]"), "" for the root module
    index_key: int | str | None
    attributes: dict[str, Any]
    file: str
    line: int
    # Argument names / nested block types whose values come from sensitive inputs: never print.
    sensitive_paths: frozenset[str] = frozenset()
    # lifecycle.ignore_changes as paths ("tags", "tags.Owner"); {"*"} for `all`.
    ignore_changes: frozenset[str] = frozenset()
    # Root-module provider configuration this instance uses: "aws", "aws.west".
    provider: str = ""

    @property
    def resource_address(self) -> str:
        """The address without the instance key (`module.net.aws_subnet.private`)."""
        prefix = f"{self.module}." if self.module else ""
        mode = "data." if self.mode == "data" else ""
        return f"{prefix}{mode}{self.type}.{self.name}"

    @property
    def natural_name(self) -> tuple[str, str] | None:
        """(attribute, value) naming this resource in AWS when the code fixes it, e.g.
        ("bucket", "acme-logs"); None when the type is not in the table or the value is unknown."""
        attr = NATURAL_NAME_ATTRIBUTE.get(self.type)
        value = self.attributes.get(attr) if attr and self.mode == "managed" else None
        return (attr, value) if attr and isinstance(value, str) else None

    @property
    def knowledge(self) -> str:
        """"known" (nothing unknown), "partial", or "unknown" (no argument known at all)."""
        if not contains_unknown(self.attributes):
            return "known"
        if self.attributes and all(v is UNKNOWN for v in self.attributes.values()):
            return "unknown"
        return "partial"


@dataclass(frozen=True)
class Backend:
    type: str  # "s3", "local", "cloud", ...
    config: dict[str, Any]
    file: str
    line: int


@dataclass
class Configuration:
    root: str
    instances: dict[str, CodeInstance] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    backend: Backend | None = None
    # Resources/modules whose count or for_each is unknown: address without key -> (file, line).
    unexpanded: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Module calls with registry/git sources, not evaluated: module path -> source.
    unevaluated_modules: dict[str, str] = field(default_factory=dict)
    # Root-module provider configurations, evaluated: "aws" / "aws.west" -> {"region": ...}.
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # `moved` blocks, full addresses (old -> new), for matching state written before a rename.
    moved: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def is_undecidable(self, state_address: str) -> bool:
        """True when a state address falls under an unexpanded resource or an unevaluated module:
        code can say nothing about it (neither pending nor removed)."""
        bare = strip_instance_keys(state_address)
        for prefix in (*self.unexpanded, *self.unevaluated_modules):
            p = strip_instance_keys(prefix)
            if bare == p or bare.startswith(p + "."):
                return True
        return False


def apply_moves(address: str, moved: dict[str, str]) -> str:
    """The address a state instance has after the configuration's `moved` blocks."""
    for _ in range(len(moved) + 1):  # moves may chain
        for old, new in moved.items():
            if address == old:
                address = new
                break
            if address.startswith((old + "[", old + ".")):
                address = new + address[len(old):]
                break
        else:
            return address
    return address


def strip_instance_keys(address: str) -> str:
    """`module.a["x"].aws_b.c[0]` -> `module.a.aws_b.c`."""
    out, depth, in_str = [], 0, False
    i = 0
    while i < len(address):
        ch = address[i]
        if in_str:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_str = False
        elif ch == '"' and depth:
            in_str = True
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
        i += 1
    return "".join(out)
