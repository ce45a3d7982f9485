"""Who owns a live resource: a stack claims its resources; a resource claimed twice is a finding."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from driftdeck.core.inputs.cfn.desired import SOURCE_KIND
from driftdeck.core.inputs.cfn.stacks import DeployedStack
from driftdeck.core.model import DesiredResource
from driftdeck.core.resource_types.cloudformation import terraform_type
from driftdeck.core.resource_types.projections import physical_id_rules

Claim = tuple[str, str]  # (terraform type, normalised id)
_PHYSICAL_ID_RULES = physical_id_rules()  # `Identity.physical_id`: how each type's ids are normalised


def identity(tf_type: str, resource_id: str) -> Claim:
    """A comparable identity: ids that name the same object in different spellings compare equal.

    SQS queue URLs differ by endpoint host (legacy `queue.amazonaws.com`, regional, emulators) but the
    account and queue name in the path identify the queue.
    """
    rule = _PHYSICAL_ID_RULES.get(tf_type)
    if rule == "queue-url-path" and "://" in resource_id:
        return tf_type, urlparse(resource_id).path.strip("/")
    if rule == "lowercase":
        return tf_type, resource_id.lower()
    return tf_type, resource_id


@dataclass(frozen=True)
class StackClaim:
    type: str
    id: str
    stack: str
    logical_id: str


def stack_claims(stacks: Iterable[DeployedStack]) -> dict[Claim, StackClaim]:
    """Every (terraform type, id) a stack (nested stacks included) manages, for the supported types."""
    out: dict[Claim, StackClaim] = {}
    for stack in stacks:
        for res in stack.resources:
            tf_type = terraform_type(res.type)
            if tf_type and res.physical_id:
                out[identity(tf_type, res.physical_id)] = StackClaim(tf_type, res.physical_id, stack.name, res.logical_id)
    return out


# CloudFormation namespaces whose ARN service is spelt differently (the rest: the namespace lowercased).
_ARN_SERVICE = {"elasticloadbalancingv2": "elasticloadbalancing", "apigatewayv2": "apigateway",
                "stepfunctions": "states", "efs": "elasticfilesystem", "certificatemanager": "acm"}


def service_claim(arn_service: str, physical_id: str) -> Claim:
    """A claim for a stack resource of any type, by ARN service and physical id (a name, an id or an
    ARN, as CloudFormation reports it): what lets discovery of types without a Terraform mapping
    here leave stack-owned objects alone."""
    return f"cfn-service:{arn_service}", physical_id


def stack_service_claims(stacks: Iterable[DeployedStack]) -> set[Claim]:
    """`service_claim` of every resource of every stack (nested stacks included)."""
    out: set[Claim] = set()
    for stack in stacks:
        for res in stack.resources:
            parts = res.type.split("::")
            if len(parts) == 3 and parts[0] == "AWS" and res.physical_id:
                namespace = parts[1].lower()
                out.add(service_claim(_ARN_SERVICE.get(namespace, namespace), res.physical_id))
    return out


def claimed_ids(resources: Iterable[DesiredResource]) -> set[Claim]:
    """Identities of desired resources (any source), for marking live resources managed."""
    return {identity(r.type, r.id) for r in resources}


def is_claimed(claims: set[Claim] | dict[Claim, Any], tf_type: str, resource_id: str) -> bool:
    return identity(tf_type, resource_id) in claims


@dataclass(frozen=True)
class DoubleOwnership:
    """A live resource that a Terraform state and a CloudFormation stack both manage."""

    type: str
    id: str
    terraform_address: str
    terraform_state: str | None
    stack: str
    logical_id: str

    @property
    def message(self) -> str:
        where = f" (state {self.terraform_state})" if self.terraform_state else ""
        return (
            f"{self.type} {self.id} is managed twice: by Terraform as {self.terraform_address}{where} "
            f"and by CloudFormation stack {self.stack} as {self.logical_id}; each tool will undo the other's changes"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "terraform_address": self.terraform_address,
            "terraform_state": self.terraform_state,
            "stack": self.stack,
            "logical_id": self.logical_id,
            "message": self.message,
        }


def find_double_ownership(
    resources: Iterable[DesiredResource], stacks: Iterable[DeployedStack] | None = None
) -> list[DoubleOwnership]:
    """Resources claimed by both a Terraform state and a stack.

    `resources` may mix Terraform and CloudFormation desired resources (by `source.kind`); `stacks`
    adds claims for stacks whose resources were not turned into desired resources.
    """
    items = list(resources)
    cfn: dict[Claim, StackClaim] = stack_claims(stacks or [])
    for r in items:
        if r.source.kind == SOURCE_KIND and r.source.stack:
            cfn.setdefault(identity(r.type, r.id), StackClaim(r.type, r.id, r.source.stack, r.source.logical_id or ""))
    out: list[DoubleOwnership] = []
    for r in items:
        if r.source.kind == SOURCE_KIND:
            continue
        claim = cfn.get(identity(r.type, r.id))
        if claim is not None:
            out.append(DoubleOwnership(r.type, r.id, r.address, r.source.state, claim.stack, claim.logical_id))
    return sorted(out, key=lambda d: (d.type, d.id, d.terraform_address))
