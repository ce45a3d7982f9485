"""One call for the engine: the CloudFormation desired state of a workspace and an account region."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftdeck.core.aws import describe_failure
from driftdeck.core.inputs.cfn.desired import desired_resources
from driftdeck.core.inputs.cfn.ownership import Claim, StackClaim, stack_claims
from driftdeck.core.inputs.cfn.stacks import (
    DeployedStack,
    discover_stacks,
    find_templates,
    list_exports,
    match_templates,
)
from driftdeck.core.inputs.cfn.template import load_template
from driftdeck.core.model import DesiredResource, SourceInfo


@dataclass
class CloudFormationState:
    """Stacks, the workspace templates matched to them, and the desired resources they produce."""

    stacks: list[DeployedStack]
    templates: list[Path]
    matches: dict[Path, DeployedStack]
    resources: list[DesiredResource]
    warnings: list[str] = field(default_factory=list)

    def sources(self) -> list[SourceInfo]:
        """One source per stack, named by its template file when one matched (for the TUI tree)."""
        files = {stack.name: path for path, stack in self.matches.items()}
        return [
            SourceInfo(kind="cloudformation", path=str(files.get(s.name, f"stack:{s.name}")), state=s.stack_id)
            for s in self.stacks
        ]

    def claims(self) -> dict[Claim, StackClaim]:
        return stack_claims(self.stacks)


def load_cloudformation_state(
    root: str | Path | None,
    session_or_client_factory: Any,
    region: str,
    *,
    mapping: Mapping[str, str] | None = None,
    stack_names: Iterable[str] | None = None,
) -> CloudFormationState:
    """Discover the region's stacks (or `stack_names`), match templates under `root` to them (by
    file stem or `mapping`), and build desired resources. Templates under `root` are parsed even when
    no stack matches them, so malformed ones still fail with file:line (InputError)."""
    stacks = discover_stacks(session_or_client_factory, region, names=stack_names)
    templates = find_templates(root) if root is not None else []
    matches = match_templates(templates, stacks, mapping, root=root)
    warnings: list[str] = []
    try:
        exports: dict[str, str] | None = list_exports(session_or_client_factory, region)
    except Exception as exc:  # noqa: BLE001 - imports stay unknown, never drift
        exports = None
        warnings.append(f"CloudFormation exports could not be listed: {describe_failure(exc)}")
    for path in templates:
        if path not in matches:
            load_template(path)  # validates; undeployed templates have nothing live to compare
            warnings.append(f"{path}: no deployed stack matches this template (name it after the stack or map it)")
    by_stack = {stack.name: path for path, stack in matches.items()}
    resources: list[DesiredResource] = []
    for stack in stacks:
        if stack.error:
            warnings.append(f"stack {stack.name}: {stack.error}")
        resources.extend(desired_resources(stack, workspace_template=by_stack.get(stack.name), exports=exports))
    return CloudFormationState(stacks, templates, matches, resources, warnings)
