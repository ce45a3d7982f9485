"""Remediation plans: revert live to code, adopt live into code, import unmanaged, forget/recreate missing.

Typical use::

    plans = build_plans(report.resources, PlanOptions(workspace=path), ctx=ctx)
    doc = save_document(render_document(plans), default_output_dir(path))
    record_planned(path, doc, plans)           # audit event, optional
    apply_revert(plans[0], ctx, read_only=False, audit_log=log)   # only tested boto3 reverts
"""

from driftdeck.core.remediation.apply import (
    ApplyOutcome,
    ApplyRefused,
    applicable_revert,
    apply_revert,
    preview,
    rescan_resource,
)
from driftdeck.core.remediation.audit_events import record_outcome, record_planned
from driftdeck.core.remediation.document import (
    PlanDocument,
    default_output_dir,
    plan_name,
    render_document,
    save_document,
)
from driftdeck.core.remediation.plan import (
    AwsCall,
    Command,
    Direction,
    DirectionPlan,
    FilePatch,
    ResourcePlan,
)
from driftdeck.core.remediation.planner import PlanOptions, build_plans, combined_patch, plan_resource
from driftdeck.core.remediation.revert import SAFE_KINDS
from driftdeck.core.resource_types.facts import Risk

__all__ = [
    "ApplyOutcome", "ApplyRefused", "AwsCall", "Command", "Direction", "DirectionPlan", "FilePatch", "PlanDocument",
    "PlanOptions", "ResourcePlan", "Risk", "SAFE_KINDS", "applicable_revert", "apply_revert", "build_plans",
    "combined_patch", "default_output_dir", "plan_name", "plan_resource", "preview", "record_outcome",
    "record_planned", "render_document", "rescan_resource", "save_document",
]
