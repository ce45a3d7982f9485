"""Remediation plans written by `driftdeck watch` for new drift, so an alert can link to one.

The same plan `driftdeck plan ADDRESS` writes (deterministic Markdown and patch under
`.driftdeck/plans/`); nothing is applied. Unmanaged resources are skipped: their import plan
reads AWS again, which an alert should not wait for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftdeck.core.model import ResourceResult, Status
from driftdeck.core.remediation import (
    PlanOptions,
    build_plans,
    default_output_dir,
    render_document,
    save_document,
)
from driftdeck.core.remediation.audit_events import planned_event

PLANNED_STATUSES = frozenset({Status.CHANGED, Status.MISSING})


@dataclass(frozen=True)
class WrittenPlan:
    path: str  # the Markdown file, relative to the workspace
    data: dict[str, Any]  # the `remediation.planned` event data (name, BLAKE3, files, drift)


PlanWriter = Callable[[ResourceResult], "WrittenPlan | None"]


def plan_writer(workspace: Path) -> PlanWriter:
    """Writes the plan for one drifted resource; None when no direction applies."""

    def write(result: ResourceResult) -> WrittenPlan | None:
        if result.status not in PLANNED_STATUSES:
            return None
        plans = build_plans([result], PlanOptions(workspace=workspace))
        if not plans:
            return None
        doc = save_document(render_document(plans), default_output_dir(workspace))
        data = planned_event(doc, plans, workspace)
        return WrittenPlan(str(data.get("markdown") or doc.markdown_path), data)

    return write
