"""Directions for drift in CloudFormation-managed resources, through `driftdeck.core.remediation.cloudformation_text`.

Terraform commands and `.tf` patches mean nothing for a stack's resources: revert goes through a
drift-aware change set, adopt patches the template file (text edits that keep comments and
short-form tags), validated by re-parsing the patched template and comparing it with live again.
"""

from __future__ import annotations

from pathlib import Path

from driftdeck.core.compare.cloudformation import compare_cfn
from driftdeck.core.model import DesiredResource, ResourceResult, Status
from driftdeck.core.remediation.forget import file_patch
from driftdeck.core.remediation.plan import PATCH_PLACEHOLDER, Command, Direction, DirectionPlan
from driftdeck.core.text import shell_quote


def is_cloudformation(result: ResourceResult) -> bool:
    return result.source is not None and result.source.kind == "cloudformation"


def cfn_revert(result: ResourceResult) -> DirectionPlan | None:
    from driftdeck.core.remediation.cloudformation_text import (
        revert_commands,  # deferred: CloudFormation loader, only for stacks (bench/import_time.py)
    )

    source = result.source
    if result.status != Status.CHANGED or source is None or not source.stack:
        return None
    script = revert_commands(source.stack, region=result.region, differences=result.differences,
                             template_file=source.file)
    return DirectionPlan(
        Direction.REVERT,
        f"bring {source.logical_id or result.id} in stack {source.stack} back to its template",
        commands=[Command(script, "revert through CloudFormation with a drift-aware change set "
                                  "(review the change set before executing it)", "aws")],
        answered=[d.path for d in result.differences],
    )


def cfn_adopt(result: ResourceResult, workspace: Path) -> DirectionPlan | None:
    from driftdeck.core.inputs.cfn.template import (  # deferred: CloudFormation loader, only for stacks (bench/import_time.py)
        load_template,
        parse_template,
    )
    from driftdeck.core.remediation.cloudformation_text import (
        patched_text,  # deferred: CloudFormation loader, only for stacks (bench/import_time.py)
    )

    source = result.source
    if result.status != Status.CHANGED or source is None or not source.logical_id:
        return None
    paths = [d.path for d in result.differences]
    summary = f"make the template of {source.logical_id} say what live says"
    if not source.file:
        return DirectionPlan(Direction.ADOPT, summary, unanswered=paths, validated=False,
                             notes=["the stack's template file is not in the workspace: nothing to patch"])
    path = Path(source.file)
    if not path.is_absolute() and not path.exists():
        path = (workspace if workspace.is_dir() else workspace.parent) / path
    template = load_template(path)
    text, notes = patched_text(template, source.logical_id, result.differences)
    unanswered = [p for p in paths if any(n.startswith(f"{p}:") for n in notes)]
    plan = DirectionPlan(Direction.ADOPT, f"{summary} ({path.name})", notes=notes,
                         answered=[p for p in paths if p not in unanswered], unanswered=unanswered)
    if text == template.text:
        plan.validated = False if unanswered else None
        return plan
    plan.patches.append(file_patch(path, template.text, text, workspace))
    try:
        adopted = parse_template(text, str(path))
        resource = adopted.resources[source.logical_id]
        desired = DesiredResource(address=result.address or "", type=result.type, id=result.id,
                                  attributes=resource.properties, source=source)
        left = {d.path for d in compare_cfn(desired, result.live or {})}
        checked = not (left & set(plan.answered))
        # "validated" claims every drifted property; with manual work left, only the adopted ones were checked
        plan.validated = checked and not unanswered
        plan.validated_paths = list(plan.answered) if checked else []
        if left & set(plan.answered):
            plan.notes.append("validation: still differs from live: " + ", ".join(sorted(left & set(plan.answered))))
    except Exception as exc:  # noqa: BLE001 - a patched template that does not re-parse fails validation
        plan.validated = False
        plan.notes.append(f"validation: the patched template does not parse: {exc}")
    stack = shell_quote(source.stack or "STACK")
    plan.commands = [
        Command(f"git apply {PATCH_PLACEHOLDER}", "apply the template patch", "shell"),
        Command(f"aws cloudformation create-change-set --stack-name {stack} --change-set-name driftdeck-adopt "
                f"--template-body file://{shell_quote(plan.patches[0].file)} "
                "--capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND",
                "stage the adopted template (add --parameters ParameterKey=K,UsePreviousValue=true for each "
                "parameter); the change set should show no resource change", "aws"),
        Command(f"aws cloudformation describe-change-set --stack-name {stack} --change-set-name driftdeck-adopt",
                "review it, then execute-change-set", "aws"),
    ]
    return plan
