"""What can go wrong, per resource type and direction: replacement, data loss, downtime, exposure.

Whether a revert replaces the object is the provider's answer when the scan planned it
(`ResourceResult.revert_plan`, from PlanResourceChange's requires_replace). `FORCE_NEW` is only the
fallback for resources the provider could not plan (no provider binary, `--reader native`): the
attributes hashicorp/aws 5.x marks ForceNew for the types driftdeck reads natively
(`ResourceType.force_new`).
"""

from __future__ import annotations

from driftdeck.core.model import ChangeKind, Difference, ResourceResult
from driftdeck.core.remediation.plan import Direction
from driftdeck.core.resource_types.facts import Risk
from driftdeck.core.resource_types.projections import force_new, replacement_cost

# The rows live with their type in `driftdeck.core.resource_types`; these are projections of it.
FORCE_NEW: dict[str, frozenset[str]] = force_new()

# What losing and recreating the object costs.
REPLACEMENT_COST: dict[str, list[Risk]] = {rtype: list(costs) for rtype, costs in replacement_cost().items()}

_RULE_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")

_GENERAL_REVERT = Risk(
    "note", "the live value may have been an emergency fix: check who changed it (attribution) before reverting"
)


def force_new_paths(result: ResourceResult) -> list[str]:
    names = FORCE_NEW.get(result.type, frozenset())
    return [d.path for d in result.differences if d.path.split(".", 1)[0].split("[", 1)[0] in names]


def replacement_decision(result: ResourceResult) -> tuple[list[str], str]:
    """The paths whose revert forces a replacement, and who decided it: the provider's plan of the
    code against the live object when the scan made one, else driftdeck's ForceNew table."""
    plan = result.revert_plan
    if plan is not None:
        return (list(plan.requires_replace) if plan.replaces else []), f"the provider ({plan.decided_by})"
    return force_new_paths(result), "driftdeck's ForceNew table (the provider did not plan this resource)"


def revert_risks(result: ResourceResult) -> list[Risk]:
    risks = [_GENERAL_REVERT]
    replaced, _ = replacement_decision(result)
    if replaced:
        risks.append(Risk("replacement", f"{', '.join(replaced)} cannot change in place: Terraform will destroy and re-create "
                                         f"{result.address}"))
        risks.extend(REPLACEMENT_COST.get(result.type, []))
    for d in result.differences:
        risks.extend(_attribute_risks(result.type, d))
    return _unique(risks)


def _attribute_risks(rtype: str, d: Difference) -> list[Risk]:
    p = d.path
    if rtype == "aws_security_group" and p.startswith(("ingress[", "egress[")):
        if d.change == ChangeKind.ADDED:
            return [Risk("downtime", f"revoking the rule added out of band ({p}) cuts the connections that rely on it")]
        return [Risk("access", f"re-authorising the removed rule ({p}) opens that traffic again")]
    if rtype in _RULE_TYPES:
        return [Risk("downtime", "rewriting the rule may cut connections allowed by its live definition")]
    if rtype == "aws_s3_bucket_versioning" and "status" in p:
        if str(d.expected) in ("Suspended", "Disabled"):
            return [Risk("data-loss", "with versioning suspended, overwritten and deleted objects are no longer kept as versions")]
        return [Risk("note", "enabling versioning keeps every object version (storage cost); it can later only be suspended")]
    if rtype == "aws_s3_bucket_public_access_block":
        if d.expected is False:
            return [Risk("access", f"turning {p} off again may expose the bucket publicly (the live setting is stricter)")]
        return [Risk("downtime", f"turning {p} on blocks public access that clients may now rely on")]
    if rtype == "aws_sqs_queue":
        if p == "message_retention_seconds" and _num(d.expected) < _num(d.actual):
            return [Risk("data-loss", "a shorter retention period deletes messages older than it at once")]
        if p == "visibility_timeout_seconds":
            return [Risk("downtime", "a different visibility timeout changes redelivery for consumers already processing")]
        if p in ("policy", "redrive_policy"):
            return [Risk("access", f"restoring {p} changes who may send/receive or where failed messages go")]
    if p in ("policy", "assume_role_policy"):
        return [Risk("access", f"restoring {p} removes any permission granted out of band (and restores any removed)")]
    if p.startswith("tags."):
        return [Risk("note", "tags can drive IAM conditions (ABAC), cost allocation and automation; check nothing depends on the live tag")]
    if rtype == "aws_instance" and p == "instance_type":
        return [Risk("downtime", "changing the instance type stops and starts the instance")]
    return []


def direction_risks(result: ResourceResult, direction: Direction) -> list[Risk]:
    if direction == Direction.REVERT:
        return revert_risks(result)
    if direction == Direction.ADOPT:
        return [Risk("note", "adopting makes the out-of-band change permanent in code; review it like any code change")]
    if direction == Direction.IMPORT:
        return [Risk("note", "import changes nothing live; check `terraform plan` shows the import with no other change "
                             "before applying")]
    if direction == Direction.FORGET:
        return [Risk("note", "Terraform stops tracking the resource; nothing is created or destroyed")]
    if direction == Direction.RECREATE:
        return _unique([
            Risk("data-loss", "the re-created resource is new and empty: data of the deleted one is not restored"),
            Risk("note", "the new resource has a new id/ARN; references outside Terraform must be updated"),
        ])
    return []


def _num(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _unique(risks: list[Risk]) -> list[Risk]:
    seen: set[tuple[str, str]] = set()
    out: list[Risk] = []
    for r in risks:
        if (r.kind, r.text) not in seen:
            seen.add((r.kind, r.text))
            out.append(r)
    return out
