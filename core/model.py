"""Plain data shared by every part of the engine and by its front ends.

Nothing here talks to AWS or the disk; these are the values that flow from the IaC readers and the
live collectors through the comparison to the scan report, the audit log, the TUI and the plans.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    """Verdict for one resource, exactly as named in the `driftdeck.scan/v1` contract."""

    IN_SYNC = "in_sync"
    CHANGED = "changed"
    MISSING = "missing"
    UNMANAGED = "unmanaged"
    PENDING = "pending"
    UNKNOWN = "unknown"

    @property
    def is_drift(self) -> bool:
        return self in DRIFT_STATUSES


DRIFT_STATUSES = frozenset({Status.CHANGED, Status.MISSING, Status.UNMANAGED, Status.PENDING})


class UnknownCause(enum.Enum):
    """Why a verdict is `unknown`, where the kind of failure decides what the scan as a whole means.

    The scan checks these (never the reason text) to tell "this resource could not be read" from
    "the scan could not run": when every resource it tried to read failed the same way, the scan
    exits 2 instead of reporting a page of unknowns."""

    AWS_UNREACHABLE = "aws_unreachable"  # no connection to the AWS endpoint at all
    PROVIDER_UNUSABLE = "provider_unusable"  # the provider rejected its configuration
    NOT_CHECKED = "not_checked"  # no reader for the type: nothing was attempted


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    UPDATED = "updated"


@dataclass(frozen=True)
class Difference:
    """One attribute that differs. `path` uses Terraform's spelling: `tags.Env`, `ingress[1].cidr_blocks[0]`."""

    path: str
    expected: Any
    actual: Any
    change: ChangeKind = ChangeKind.UPDATED
    # Which side disagrees with state: "live" for drift, "code" for pending edits.
    side: str = "live"
    # True when a sensitive attribute: values are never shown, only the fact of a difference.
    sensitive: bool = False
    # Optional qualifier, e.g. "not in template": a CloudFormation property the template leaves
    # unset whose live value differs from the service default.
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "expected": "(sensitive)" if self.sensitive else self.expected,
            "actual": "(sensitive)" if self.sensitive else self.actual,
            "change": self.change.value,
        }
        if self.side != "live":
            out["side"] = self.side
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class SourceRef:
    """Where a resource's desired state comes from."""

    kind: str  # "terraform" | "cloudformation"
    file: str | None = None  # .tf / template file, when known
    line: int | None = None
    module: str = ""  # Terraform module path ("module.net"), "" for the root module
    state: str | None = None  # state file path or s3:// URL
    stack: str | None = None  # CloudFormation stack name
    logical_id: str | None = None  # CloudFormation logical id

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "file": self.file, "line": self.line, "module": self.module}
        if self.stack is not None:
            out["stack"] = self.stack
            out["logical_id"] = self.logical_id
        return out


@dataclass
class DesiredResource:
    """A resource instance as recorded in state (or a stack), keyed to its live identity."""

    address: str  # "module.net.aws_subnet.private[\"a\"]"
    type: str  # Terraform type, e.g. "aws_s3_bucket"
    id: str  # provider id, what the live collector looks up
    attributes: dict[str, Any]
    source: SourceRef
    # Attribute paths (Terraform spelling) that state marks sensitive; never printed.
    sensitive_paths: frozenset[str] = frozenset()
    # Attributes the code sets, evaluated (None when no code was read).
    code_attributes: dict[str, Any] | None = None
    # Set when the desired side could not be evaluated (e.g. a CloudFormation macro the engine does
    # not run): the resource is `unknown` with this reason, never compared.
    reason: str | None = None
    # Terraform state only: the provider configuration that manages the instance, as state writes
    # it (`provider["registry.terraform.io/hashicorp/aws"].west`), the instance's schema version
    # and its provider-private bytes (base64, as in state). A provider read needs all three.
    provider: str | None = None
    schema_version: int = 0
    private: str | None = None


def region_of(resource: DesiredResource, default: str) -> str:
    """The region a resource lives in: from its ARN (or its stack's ARN) when that carries one."""
    arn = resource.attributes.get("arn")
    if resource.source.kind == "cloudformation":
        arn = resource.source.state
    if isinstance(arn, str) and arn.startswith("arn:"):
        parts = arn.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
    return default


def partition_for(region: str) -> str:
    """The ARN partition of a region ("aws", "aws-cn", "aws-us-gov"...)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


@dataclass(frozen=True)
class LiveResource:
    """What AWS says now, in Terraform attribute names."""

    type: str
    id: str
    attributes: dict[str, Any]
    region: str | None = None
    arn: str | None = None


@dataclass(frozen=True)
class Attribution:
    """A cloud event linked to a drifted attribute (filled by the attribution engine)."""

    actor: str
    actor_type: str
    via: str
    event_name: str
    event_time: str
    source_ip: str | None
    user_agent: str | None
    confidence: str
    event_id: str
    attribute: str | None = None
    # Optional detail from the attribution engine (added; omitted from JSON when empty).
    actor_arn: str | None = None
    chain: tuple[str, ...] = ()  # origin principal first, the identity that made the call last
    source_identity: str | None = None
    region: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "actor": self.actor,
            "actor_type": self.actor_type,
            "via": self.via,
            "event_name": self.event_name,
            "event_time": self.event_time,
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "confidence": self.confidence,
            "event_id": self.event_id,
            "attribute": self.attribute,
        }
        if self.actor_arn:
            out["actor_arn"] = self.actor_arn
        if self.chain:
            out["chain"] = list(self.chain)
        if self.source_identity:
            out["source_identity"] = self.source_identity
        if self.region:
            out["region"] = self.region
        return out


@dataclass(frozen=True)
class PlannedChange:
    """What applying the configuration would do to one resource, as the provider planned it.

    `action` is Terraform's: "no-op", "update", "replace" or "create". `differences` are planned
    vs prior (`expected` the planned value, `actual` the prior one; "(known after apply)" where
    only the apply can tell). `requires_replace` names the changed paths that force the
    replacement. `decided_by` names the provider and version that planned it."""

    action: str
    differences: tuple[Difference, ...] = ()
    requires_replace: tuple[str, ...] = ()
    decided_by: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # The object other resources' references see after this apply (Terraform's planned new value:
    # unknowns where only the apply can tell; for a replacement, the new object's create plan).
    # None for a no-op, where the state itself is what references see.
    referenced: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def replaces(self) -> bool:
        return self.action == "replace"

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "requires_replace": list(self.requires_replace), "decided_by": self.decided_by}


@dataclass
class ResourceResult:
    """The verdict for one resource, with everything needed to explain it."""

    address: str | None  # None for unmanaged
    type: str
    id: str
    status: Status
    source: SourceRef | None
    differences: list[Difference] = field(default_factory=list)
    reason: str | None = None
    expected: dict[str, Any] | None = None  # state attributes (sensitive values redacted)
    live: dict[str, Any] | None = None  # live attributes as collected
    arn: str | None = None
    region: str | None = None
    attribution: list[Attribution] = field(default_factory=list)
    # Ignore rules that matched fields of this resource (the differences they hid are gone).
    ignored_paths: list[str] = field(default_factory=list)
    # Sub-resource findings, e.g. an inline policy added to a managed user ("parent" of an unmanaged).
    parent: str | None = None
    # Which reader decided the verdict: "native" (driftdeck's collector), "provider" (the
    # workspace's Terraform provider; `provider` names it and its version) or "cloudformation".
    reader: str | None = None
    provider: str | None = None
    # What `terraform apply` of the code would do: to the state (pending edits) and to the live
    # object (a revert of the drift). Set when the provider planned it; None otherwise.
    code_plan: PlannedChange | None = None
    revert_plan: PlannedChange | None = None
    # For `unknown` verdicts whose kind of failure matters to the scan as a whole (not serialised).
    cause: UnknownCause | None = field(default=None, compare=False)
    # What a person calls the object (queue name, group name, function name...): set on every
    # unmanaged finding, whose id alone can be a URL or an opaque id.
    name: str | None = None
    # A finding that stands for many objects (the unmanaged objects of a managed bucket, counted):
    # listed so the operator sees them, never planned as if it were one object.
    aggregate: bool = False

    @property
    def key(self) -> str:
        """Stable identity across scans: the address when managed, otherwise type + id."""
        return self.address if self.address is not None else f"{self.type}:{self.id}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "address": self.address,
            "type": self.type,
            "id": self.id,
            "status": self.status.value,
            "source": self.source.to_json() if self.source else None,
            "differences": [d.to_json() for d in self.differences],
            "reason": self.reason,
        }
        if self.name:
            out["name"] = self.name
        if self.arn:
            out["arn"] = self.arn
        if self.region:
            out["region"] = self.region
        if self.attribution:
            out["attribution"] = [a.to_json() for a in self.attribution]
        if self.parent:
            out["parent"] = self.parent
        if self.aggregate:
            out["aggregate"] = True
        if self.reader:
            out["reader"] = self.reader
        if self.provider:
            out["provider"] = self.provider
        if self.code_plan is not None:
            out["code_plan"] = self.code_plan.to_json()
        if self.revert_plan is not None:
            out["revert_plan"] = self.revert_plan.to_json()
        return out


@dataclass(frozen=True)
class SourceInfo:
    """One desired-state source that was read (a state file, an S3 backend, a stack)."""

    kind: str
    path: str
    state: str | None = None
    serial: int | None = None
    lineage: str | None = None
    # When the state was last written (RFC 3339), for attribution windows.
    written_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "path": self.path, "state": self.state}
        if self.serial is not None:
            out["serial"] = self.serial
        if self.lineage is not None:
            out["lineage"] = self.lineage
        return out


@dataclass
class ScanReport:
    """A complete scan: what was read, and one verdict per resource."""

    generated_at: str
    duration_ms: int
    sources: list[SourceInfo]
    resources: list[ResourceResult]
    regions: list[str] = field(default_factory=list)
    # Ignore rules whose expiry date has passed (they no longer apply).
    expired_ignore_rules: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # attribution.AttributionMatch objects (resource, attribution, raw event), for the audit log.
    attribution_matches: list[Any] = field(default_factory=list, repr=False)
    # Terraform providers that read live state ("registry.terraform.io/hashicorp/aws 5.100.0").
    providers: list[str] = field(default_factory=list)
    # Resources excluded by .driftignore: listed (JSON `"ignored": true`), never counted as
    # checked, never drift; kept out of `resources` so no consumer mistakes them for verdicts.
    ignored: list[ResourceResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for r in self.resources:
            counts[r.status.value] += 1
        return counts

    def summary(self) -> dict[str, int]:
        """Counts per status (ignored resources apart) and coverage: managed resources in scope
        that were checked (not `unknown`, not ignored) / managed resources in scope, rounded down.
        Unmanaged findings neither raise nor lower it."""
        counts = self.counts()
        managed = [r for r in self.resources if r.address is not None]
        in_scope = len(managed) + sum(1 for r in self.ignored if r.address is not None)
        checked = sum(1 for r in managed if r.status is not Status.UNKNOWN)
        coverage = (checked * 100 // in_scope) if in_scope else 100
        return {"total": len(self.resources), **counts, "ignored": len(self.ignored), "coverage_pct": coverage}

    def exit_code(self, fail_on: frozenset[Status] = DRIFT_STATUSES) -> int:
        """0 clean, 1 drift, 3 nothing drifted but something could not be decided."""
        statuses = {r.status for r in self.resources}
        if statuses & fail_on:
            return 1
        if Status.UNKNOWN in statuses:
            return 3
        return 0
