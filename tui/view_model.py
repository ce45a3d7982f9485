"""What the resource tree shows, computed without any widget: grouping, counts, filters.

Kept free of Textual so it can be tested and benchmarked on its own; the tree widget only renders it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from driftdeck.core.model import ResourceResult, ScanReport, Status
from driftdeck.core.text import printable

UNMANAGED_GROUP = "unmanaged"
ROOT_MODULE = "(root module)"
STACK_RESOURCES = "(stack resources)"  # the middle level of a CloudFormation stack's group (stacks have no modules)

# A group is identified by its path from the top: (source,), (source, module), (source, module, type).
GroupPath = tuple[str, ...]


def display_source(result: ResourceResult, workspace: Path | None) -> str:
    """The state file (or stack) a managed resource comes from, relative to the workspace when possible."""
    src = result.source
    if src is None:
        return "(no source)"
    if src.stack:
        return f"stack {src.stack}"
    origin = src.state or src.file or src.kind
    if workspace is not None and origin and not origin.startswith("s3://"):
        return _relative(origin, str(workspace))
    return origin


@lru_cache(maxsize=4096)
def _relative(origin: str, workspace: str) -> str:
    # Cached: every resource of a state shares its origin, and resolving touches the disk.
    try:
        return str(Path(origin).resolve().relative_to(Path(workspace).resolve()))
    except ValueError:
        return origin


def is_stack_resource(result: ResourceResult) -> bool:
    return result.source is not None and result.source.kind == "cloudformation"


def group_path(result: ResourceResult, workspace: Path | None) -> GroupPath:
    """source -> module -> type for managed resources (a stack's resources sit under STACK_RESOURCES);
    unmanaged -> type for the rest."""
    if result.address is None:
        return (UNMANAGED_GROUP, printable(result.type))
    if is_stack_resource(result):
        return (printable(display_source(result, workspace)), STACK_RESOURCES, printable(result.type))
    module = result.source.module if result.source and result.source.module else ROOT_MODULE
    return (printable(display_source(result, workspace)), printable(module), printable(result.type))


def resource_label(result: ResourceResult) -> str:
    """The leaf label, made printable: the address without the module prefix (a stack resource's
    logical id), or the name of an unmanaged object (its id when it has none)."""
    return printable(_label(result))


def _label(result: ResourceResult) -> str:
    if result.address is None:
        return result.name or result.id
    if is_stack_resource(result):
        assert result.source is not None
        if result.source.logical_id:
            return result.source.logical_id
        return result.address.rsplit("/", 1)[-1]  # cfn:<stack>/<LogicalId>
    module = result.source.module if result.source else ""
    if module and result.address.startswith(module + "."):
        return result.address[len(module) + 1 :]
    return result.address


def tags_of(result: ResourceResult) -> Mapping[str, object]:
    for attrs in (result.live, result.expected):
        if attrs and isinstance(attrs.get("tags"), dict):
            return attrs["tags"]  # type: ignore[no-any-return]
    return {}


@dataclass(frozen=True)
class Term:
    """One filter term: `field` is address|type|tag|status|who, `negated` when written with a leading `!`."""

    field: str
    value: str
    negated: bool = False

    def matches(self, result: ResourceResult) -> bool:
        hit = self._hit(result)
        return not hit if self.negated else hit

    def _hit(self, r: ResourceResult) -> bool:
        v = self.value.lower()
        if self.field == "type":
            return v in r.type.lower()
        if self.field == "status":
            if v == "drift":
                return r.status.is_drift
            return r.status.value.startswith(v.replace("-", "_"))
        if self.field == "who":
            # Part of an actor's name (or of a hop in its role chain), as attributed by CloudTrail.
            return any(v in a.actor.lower() or any(v in hop.lower() for hop in a.chain) for a in r.attribution)
        if self.field == "tag":
            key, _, want = self.value.partition("=")
            tags = {str(k).lower(): str(val).lower() for k, val in tags_of(r).items()}
            if key.lower() not in tags:
                return False
            return not want or tags[key.lower()] == want.lower()
        text = " ".join(x for x in (r.address, r.name, r.id, r.arn) if x).lower()
        return v in text


@dataclass(frozen=True)
class Filter:
    """AND of terms parsed from the filter box, e.g. `type:s3 !status:in_sync tag:Env=prod who:alice web`."""

    terms: tuple[Term, ...] = ()
    text: str = ""

    def matches(self, result: ResourceResult) -> bool:
        return all(t.matches(result) for t in self.terms)

    @property
    def active(self) -> bool:
        return bool(self.terms)


FIELDS = {
    "type": "type", "t": "type", "tag": "tag", "status": "status", "s": "status", "addr": "address", "a": "address",
    "who": "who", "w": "who", "actor": "who",
}


def parse_filter(text: str) -> Filter:
    """Parse the filter syntax; unknown `field:` prefixes are treated as plain address text."""
    terms: list[Term] = []
    for raw in text.split():
        negated = raw.startswith("!")
        body = raw[1:] if negated else raw
        if not body:
            continue
        name, sep, value = body.partition(":")
        if sep and name.lower() in FIELDS and value:
            terms.append(Term(FIELDS[name.lower()], value, negated))
        else:
            terms.append(Term("address", body, negated))
    return Filter(tuple(terms), text)


@dataclass
class GroupCounts:
    total: int = 0
    by_status: Counter[Status] = field(default_factory=Counter)

    @property
    def drifted(self) -> int:
        return sum(n for s, n in self.by_status.items() if s.is_drift)

    @property
    def worst(self) -> Status:
        """The status that colours the group label: the most urgent one present."""
        for status in SEVERITY:
            if self.by_status.get(status):
                return status
        return Status.IN_SYNC


# Most urgent first: what an operator in an incident should see first.
SEVERITY: tuple[Status, ...] = (
    Status.MISSING,
    Status.CHANGED,
    Status.UNMANAGED,
    Status.PENDING,
    Status.UNKNOWN,
    Status.IN_SYNC,
)


def group_counts(results: Iterable[ResourceResult], workspace: Path | None) -> dict[GroupPath, GroupCounts]:
    """Counts for every group prefix (source, source+module, source+module+type)."""
    counts: dict[GroupPath, GroupCounts] = {}
    for r in results:
        path = group_path(r, workspace)
        for depth in range(1, len(path) + 1):
            c = counts.get(path[:depth])
            if c is None:
                c = counts[path[:depth]] = GroupCounts()
            c.total += 1
            c.by_status[r.status] += 1
    return counts


def index_report(report: ScanReport) -> dict[str, ResourceResult]:
    return {r.key: r for r in report.resources}
