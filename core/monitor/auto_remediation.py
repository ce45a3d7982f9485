"""Predefined auto-remediation: when a configured rule fires, run the tested revert and nothing else.

The only actions are the remediation planner's revert calls for drift kinds whose boto3 path the
test suite exercises (`revert.SAFE_KINDS`). A rule whose drift has no such revert, or whose revert
would also reset attributes the rule does not cover, is refused: the watch logs it and alerts as
usual, and AWS is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from driftdeck.core.aws import AwsContext, describe_failure
from driftdeck.core.model import ResourceResult
from driftdeck.core.remediation import ApplyRefused, applicable_revert, apply_revert
from driftdeck.core.remediation.plan import Direction
from driftdeck.core.remediation.planner import PlanOptions, plan_resource
from driftdeck.core.remediation.revert import revert_calls
from driftdeck.core.settings import AutoRemediationRule


@dataclass(frozen=True)
class AutoRemediationOutcome:
    status: str  # "applied" | "failed" | "refused"
    detail: str
    calls: list[dict[str, Any]] = field(default_factory=list)  # the AWS calls that ran
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @property
    def acted(self) -> bool:
        """True when AWS was called (applied or failed): the outcome belongs in the audit log."""
        return self.status != "refused"


Remediator = Callable[[ResourceResult, AutoRemediationRule, list[str]], AutoRemediationOutcome]


def revert_remediator(workspace: Path, ctx_factory: Callable[[], AwsContext] = AwsContext) -> Remediator:
    """A remediator for `MonitorLoop.remediate` that applies only tested reverts of the matched paths."""

    def remediate(result: ResourceResult, rule: AutoRemediationRule, paths: list[str]) -> AutoRemediationOutcome:
        return revert_matched(result, paths, workspace, ctx_factory())

    return remediate


def revert_matched(result: ResourceResult, paths: list[str], workspace: Path, ctx: AwsContext) -> AutoRemediationOutcome:
    """Revert exactly `paths` of `result` through the planner's tested revert, re-read, and report."""
    wanted = set(paths)
    matched = [d for d in result.differences if d.path in wanted]
    others = [d for d in result.differences if d.path not in wanted and d.side == "live"]
    before = {"status": result.status.value, "differences": [d.to_json() for d in matched]}
    narrowed = replace(result, differences=matched)
    plan = plan_resource(narrowed, PlanOptions(workspace=workspace, directions=frozenset({Direction.REVERT})))
    if plan is None:
        return AutoRemediationOutcome("refused", f"no revert applies to {result.status.value} {result.key}", before=before)
    try:
        revert = applicable_revert(plan, read_only=False)
    except ApplyRefused as exc:
        return AutoRemediationOutcome("refused", str(exc), before=before)
    if others:
        # Some reverts restore a whole configuration (a public access block, an S3 tag set): running
        # one for part of it would also reset drift the rule does not cover. Refuse rather than widen.
        theirs = {(c.service, c.operation) for c in revert_calls(replace(result, differences=others)).calls}
        shared = [c.operation for c in revert.aws_calls if (c.service, c.operation) in theirs]
        if shared:
            return AutoRemediationOutcome(
                "refused",
                f"{', '.join(sorted(set(shared)))} would also reset {', '.join(d.path for d in others)}, "
                "which the rule does not cover",
                before=before,
            )
    try:
        outcome = apply_revert(plan, ctx, read_only=False, audit_log=None)
    except Exception as exc:  # noqa: BLE001 - a failed revert is reported, never fatal to the watch
        return AutoRemediationOutcome("failed", describe_failure(exc), before=before)
    ran = [c.to_json() for c in outcome.ran]
    after_diffs = outcome.after.differences if outcome.after is not None else []
    after: dict[str, Any] = {"status": outcome.after_status, "differences": [d.to_json() for d in after_diffs]}
    left = sorted(wanted & {d.path for d in after_diffs})
    if len(outcome.ran) < len(revert.aws_calls) or outcome.after is None:
        return AutoRemediationOutcome("failed", outcome.error or "the revert did not run", ran, before, after)
    if left:
        return AutoRemediationOutcome("failed", f"still drifted after the revert: {', '.join(left)}", ran, before, after)
    return AutoRemediationOutcome("applied", "; ".join(c.effect for c in revert.aws_calls), ran, before, after)
