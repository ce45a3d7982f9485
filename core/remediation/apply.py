"""Safe apply: run a revert plan's AWS calls through boto3, then re-read the resource and record the outcome.

Refused unless every call belongs to a drift kind with a tested boto3 revert (`revert.SAFE_KINDS`)
and the session is not read-only. The re-scan uses a fresh `AwsContext`, because a scan's context
memoises listings and would answer with the pre-apply state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from driftdeck.core.aws import AwsContext, describe_failure
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.model import DesiredResource, ResourceResult, SourceRef, Status
from driftdeck.core.remediation.audit_events import record_outcome
from driftdeck.core.remediation.plan import AwsCall, Direction, DirectionPlan, ResourcePlan
from driftdeck.core.remediation.sensitive import scrub_text, sensitivity_of
from driftdeck.core.scan.run import compare_resource


class ApplyRefused(Exception):
    """The plan may not be applied from driftdeck (read-only mode, or no tested boto3 revert)."""


@dataclass
class ApplyOutcome:
    ok: bool
    key: str
    ran: list[AwsCall] = field(default_factory=list)
    error: str | None = None
    before: ResourceResult | None = None
    after: ResourceResult | None = None
    audit_seq: int | None = None

    @property
    def after_status(self) -> str:
        if self.after is None:
            return "removed" if self.ok and self.before is not None and self.before.status == Status.UNMANAGED else "unknown"
        return self.after.status.value


def applicable_revert(plan: ResourcePlan, *, read_only: bool) -> DirectionPlan:
    """The revert direction to run; raises ApplyRefused saying why when there is none."""
    if read_only:
        raise ApplyRefused("read-only mode: applying remediation is disabled")
    revert = plan.direction(Direction.REVERT)
    if revert is None or not revert.aws_calls:
        raise ApplyRefused(f"{plan.key}: no revert with AWS calls in this plan")
    if not revert.safe_to_apply:
        raise ApplyRefused(
            f"{plan.key}: driftdeck has no tested boto3 revert for this drift; run the plan's commands yourself"
        )
    return revert


def preview(plan: ResourcePlan) -> list[str]:
    """Exactly what `apply_revert` will run, as AWS CLI lines (the same calls boto3 makes)."""
    revert = plan.direction(Direction.REVERT)
    return [c.cli() for c in revert.aws_calls] if revert else []


def apply_revert(
    plan: ResourcePlan,
    ctx: AwsContext,
    *,
    read_only: bool,
    audit_log: Any = None,
    desired: Sequence[DesiredResource] = (),
) -> ApplyOutcome:
    """Run the revert's calls in order, stop at the first failure, re-scan, and record the outcome."""
    revert = applicable_revert(plan, read_only=read_only)
    before = plan.resource
    current = _check_not_stale(plan, ctx, desired)
    if current is not None and current.status == Status.IN_SYNC and before.status != Status.UNMANAGED:
        # Another revert (a sibling resource's) already fixed it: nothing to run, nothing to record.
        return ApplyOutcome(ok=True, key=plan.key, before=before, after=current)
    outcome = ApplyOutcome(ok=False, key=plan.key, before=before)
    for call in revert.aws_calls:
        try:
            client = ctx.client(call.service, call.region or before.region)
            getattr(client, call.operation)(**call.params)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded as remediation.failed
            outcome.error = f"{call.operation} failed: {describe_failure(exc)}"
            break
        outcome.ran.append(call)
    try:
        outcome.after = rescan_resource(before, ctx, desired=desired)
    except Exception as exc:  # noqa: BLE001
        outcome.error = outcome.error or f"re-scan failed: {describe_failure(exc)}"
    if outcome.error is None:
        outcome.ok = _resolved(before, outcome.after)
        if not outcome.ok:
            outcome.error = f"still {outcome.after_status} after the calls"
    if outcome.error is not None and plan.secrets:
        outcome.error = scrub_text(outcome.error, plan.secrets)  # an AWS error may echo a parameter
    if audit_log is not None:
        outcome.audit_seq = _record(audit_log, plan, revert, outcome)
    return outcome


def _check_not_stale(
    plan: ResourcePlan, ctx: AwsContext, desired: Sequence[DesiredResource]
) -> ResourceResult | None:
    """Live as it is now; refuse when it shows another drift than the one the plan's calls were made for."""
    before = plan.resource
    current = rescan_resource(before, ctx, desired=desired)
    if before.status == Status.UNMANAGED:
        if current is None:
            raise ApplyRefused(f"{plan.key} no longer exists live: nothing to revert; re-scan")
        return current
    if current is not None and current.status == Status.IN_SYNC:
        return current
    if current is None or current.status != before.status or _drift(current) != _drift(before):
        now = "gone" if current is None else current.status.value
        raise ApplyRefused(f"{plan.key} changed since the plan was made (now {now}); re-scan and re-plan before applying")
    return current


def _drift(result: ResourceResult) -> set[tuple[str, str]]:
    return {(d.path, repr(d.actual)) for d in result.differences if d.side == "live"}


def _resolved(before: ResourceResult, after: ResourceResult | None) -> bool:
    if before.status == Status.UNMANAGED:
        return after is None or after.status == Status.MISSING
    return after is not None and after.status == Status.IN_SYNC


def rescan_resource(
    result: ResourceResult, ctx: AwsContext, *, desired: Sequence[DesiredResource] = ()
) -> ResourceResult | None:
    """Read one resource again and compare it with its state; None when an unmanaged object is gone."""
    collector = collector_for(result.type)
    if collector is None:
        raise ApplyRefused(f"no collector for {result.type}")
    fresh = AwsContext(session=ctx.session)
    region = result.region or fresh.default_region
    if result.status == Status.UNMANAGED:
        resource = DesiredResource(address="", type=result.type, id=result.id, attributes={**(result.live or {}), "id": result.id},
                                   source=SourceRef(kind="terraform"))
        fresh.desired = tuple(desired) or (resource,)
        read = collector.read(fresh, region, [resource])[0]
        if read.error is not None:
            raise RuntimeError(read.error)
        if read.live is None:
            return None
        return ResourceResult(address=None, type=result.type, id=result.id, status=Status.UNMANAGED, source=None,
                              live=read.live.attributes, region=region)
    match = next((d for d in desired if d.address == result.address), None)
    if match is None:
        # `expected` has sensitive attributes redacted; the state file, when at hand, has them whole
        sens = sensitivity_of(result)
        match = DesiredResource(
            address=result.address or "", type=result.type, id=result.id,
            attributes=dict(sens.state_attributes or result.expected or {}),
            source=result.source or SourceRef(kind="terraform"), sensitive_paths=sens.paths,
        )
    resource = match
    fresh.desired = tuple(desired) or (resource,)
    read = collector.read(fresh, region, [resource])[0]
    return compare_resource(collector, resource, read)


def _record(log: Any, plan: ResourcePlan, revert: DirectionPlan, outcome: ApplyOutcome) -> int | None:
    before = {"status": plan.resource.status.value, "differences": [d.to_json() for d in plan.resource.differences]}
    after: dict[str, Any] = {"status": outcome.after_status}
    if outcome.after is not None:
        after["differences"] = [d.to_json() for d in outcome.after.differences]
    data = {
        "calls": [c.to_json() for c in outcome.ran],
        "planned_calls": len(revert.aws_calls),
        "error": outcome.error,
    }
    kind = "remediation.applied" if outcome.ok else "remediation.failed"
    return record_outcome(log, kind, [plan], data, before, after)
