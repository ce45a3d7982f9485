"""What a live collector is: one small class per Terraform resource type.

A collector reads live AWS objects and returns their attributes in Terraform's own attribute names,
restricted to `checked_attributes` — the attributes it really reads. Only those are compared; any
other attribute in state is "not checked", never drift.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from driftdeck.core.aws import AwsContext, describe_failure, failure_cause
from driftdeck.core.compare.state_vs_live import compare_attributes
from driftdeck.core.cty import CtyType
from driftdeck.core.model import DesiredResource, Difference, LiveResource, ResourceResult, UnknownCause


@dataclass(frozen=True)
class ReadOutcome:
    """The live side of one desired resource.

    `live` set: found. `error` set: could not be read (-> `unknown`, with the error as reason).
    Neither: AWS answered that the object does not exist (-> `missing`).
    """

    live: LiveResource | None = None
    error: str | None = None
    # Provider reads: the state object as the provider understands it (upgraded to its current
    # schema), the schema's object type, and the paths the schema marks sensitive.
    prior: dict[str, Any] | None = None
    object_type: CtyType | None = None
    sensitive_paths: frozenset[str] = frozenset()
    # Which reader answered ("native", "provider") and, for provider reads, which provider.
    reader: str | None = None
    provider: str | None = None
    # What kind of failure `error` is, when that matters to the scan as a whole (AWS unreachable,
    # a provider that rejected its configuration) rather than to this resource alone.
    cause: UnknownCause | None = None

    @classmethod
    def missing(cls) -> ReadOutcome:
        return cls()

    @classmethod
    def failed(cls, reason: str, *, reader: str | None = None, provider: str | None = None,
               cause: UnknownCause | None = None) -> ReadOutcome:
        return cls(error=reason, reader=reader, provider=provider, cause=cause)

    @classmethod
    def failed_on(cls, exc: BaseException) -> ReadOutcome:
        """An AWS call raised `exc`: `unknown` with its secret-free description and typed cause."""
        return cls(error=describe_failure(exc), cause=failure_cause(exc))


class Collector(ABC):
    """Reads one resource type. Subclasses are registered with `@register`."""

    resource_type: ClassVar[str]
    # Top-level Terraform attributes read live and compared.
    checked_attributes: ClassVar[tuple[str, ...]]
    # Attributes holding JSON documents (policies): compared semantically.
    json_attributes: ClassVar[frozenset[str]] = frozenset()
    # Attribute paths whose lists are Terraform sets (order is meaningless), e.g. "ingress",
    # "ingress[].cidr_blocks" ("[]" stands for any element index).
    set_attributes: ClassVar[frozenset[str]] = frozenset()
    # True when `discover` lists every live object of this type (for unmanaged detection).
    discoverable: ClassVar[bool] = False
    # Who this collector is in reports: "native" (driftdeck's own code) or "provider".
    reader_name: ClassVar[str] = "native"

    @abstractmethod
    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        """Read the live side of `resources`; one outcome per resource, in the same order."""

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        """Every live object of this type in `region` (only when `discoverable`)."""
        raise NotImplementedError

    def live_id(self, resource: DesiredResource) -> str:
        """The id under which `discover` reports the object this desired resource manages."""
        return resource.id

    def is_aws_default(self, live: LiveResource) -> bool:
        """Objects AWS creates by itself (default VPC, service-linked roles...) are never unmanaged."""
        return False

    def expected_attributes(self, resource: DesiredResource) -> dict[str, Any]:
        """State attributes in the shape the live side uses, restricted to `checked_attributes`.

        The default compares live tags against `tags_all` (tags plus provider default_tags), which
        is what AWS really holds, while reporting paths as `tags.KEY`.
        """
        attrs = resource.attributes
        out: dict[str, Any] = {}
        for name in self.checked_attributes:
            if name == "tags" and "tags_all" in attrs:
                out[name] = attrs.get("tags_all") or {}
            elif name in attrs:
                out[name] = attrs[name]
        return out

    def compare(self, resource: DesiredResource, outcome: ReadOutcome, sensitive_paths: frozenset[str]) -> list[Difference]:
        """The differences between what state expects and what was read live."""
        assert outcome.live is not None
        return compare_attributes(
            self.expected_attributes(resource),
            outcome.live.attributes,
            json_attributes=self.json_attributes,
            set_attributes=self.set_attributes,
            sensitive_paths=sensitive_paths,
        )

    def sub_resource_findings(
        self, ctx: AwsContext, region: str, resource: DesiredResource, live: LiveResource
    ) -> list[ResourceResult]:
        """Unmanaged pieces Terraform never sees (an inline policy added to a managed user...)."""
        return []
