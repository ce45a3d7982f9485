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

from driftdeck.core.aws import AwsContext
from driftdeck.core.model import DesiredResource, LiveResource, ResourceResult


@dataclass(frozen=True)
class ReadOutcome:
    """The live side of one desired resource.

    `live` set: found. `error` set: could not be read (-> `unknown`, with the error as reason).
    Neither: AWS answered that the object does not exist (-> `missing`).
    """

    live: LiveResource | None = None
    error: str | None = None

    @classmethod
    def missing(cls) -> ReadOutcome:
        return cls()

    @classmethod
    def failed(cls, reason: str) -> ReadOutcome:
        return cls(error=reason)


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

    def sub_resource_findings(
        self, ctx: AwsContext, region: str, resource: DesiredResource, live: LiveResource
    ) -> list[ResourceResult]:
        """Unmanaged pieces Terraform never sees (an inline policy added to a managed user...)."""
        return []
