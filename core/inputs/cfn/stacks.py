"""Deployed CloudFormation stacks: discovery (nested stacks included) and matching to workspace templates."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftdeck.core.aws import describe_failure
from driftdeck.core.inputs.cfn.template import Template, parse_template

ClientFactory = Callable[[str, str], Any]
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
# Stacks in these states hold no resources worth comparing.
_SKIPPED_STATUSES = frozenset({"DELETE_COMPLETE", "REVIEW_IN_PROGRESS"})


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    physical_id: str | None
    type: str
    status: str


@dataclass
class DeployedStack:
    """A stack as CloudFormation reports it: parameters, resources (logical -> physical) and template."""

    name: str
    stack_id: str
    region: str
    status: str
    parameters: dict[str, str] = field(default_factory=dict)
    # SSM-typed parameters as CloudFormation resolved them at the last deployment.
    resolved_parameters: dict[str, str] = field(default_factory=dict)
    resources: list[StackResource] = field(default_factory=list)
    template_body: str | None = None
    tags: dict[str, str] = field(default_factory=dict)  # stack tags, propagated to its resources
    outputs: dict[str, str] = field(default_factory=dict)
    # GetAtt values known from elsewhere: (logical id, "Outputs.Name") of nested stacks.
    known_attributes: dict[tuple[str, str], Any] = field(default_factory=dict)
    parent: str | None = None  # parent stack name (nested stacks)
    root: str | None = None  # root stack name (nested stacks)
    # Why part of the stack could not be read (resources or template); the stack's resources are unknown.
    error: str | None = None

    @property
    def account_id(self) -> str | None:
        parts = self.stack_id.split(":")
        return parts[4] if len(parts) > 5 and parts[4] else None

    @property
    def physical_ids(self) -> dict[str, str]:
        return {r.logical_id: r.physical_id for r in self.resources if r.physical_id}

    @property
    def is_nested(self) -> bool:
        return self.parent is not None

    def pseudo_parameters(self) -> dict[str, Any]:
        pseudo: dict[str, Any] = {
            "AWS::Region": self.region,
            "AWS::StackName": self.name,
            "AWS::StackId": self.stack_id,
        }
        if self.account_id:
            pseudo["AWS::AccountId"] = self.account_id
        return pseudo

    def template(self, **options: Any) -> Template | None:
        """The deployed template evaluated with the stack's parameters and physical ids."""
        if self.template_body is None:
            return None
        return parse_template(
            self.template_body,
            f"stack:{self.name}",
            parameters=self.parameters,
            pseudo=self.pseudo_parameters(),
            physical_ids=self.physical_ids,
            resolved_parameters=self.resolved_parameters,
            **{"attributes": self.known_attributes, **options},
        )


def _client_for(source: Any, service: str, region: str) -> Any:
    """A client from a boto3 Session, an AwsContext or a `(service, region) -> client` callable."""
    if hasattr(source, "client"):
        return source.client(service, region)
    return source(service, region)


def discover_stacks(
    session_or_client_factory: Any, region: str, *, names: Iterable[str] | None = None, max_workers: int = 8
) -> list[DeployedStack]:
    """Every live stack in `region` (or the named ones), nested stacks included, parents first.

    Stacks are read concurrently, one nesting level at a time. A failure to list stacks
    propagates (the caller decides); a failure to read one stack's resources or template is
    recorded in `DeployedStack.error`.
    """
    client = _client_for(session_or_client_factory, "cloudformation", region)
    if names is None:
        summaries = [
            s
            for page in client.get_paginator("describe_stacks").paginate()
            for s in page.get("Stacks", [])
        ]
    else:
        summaries = [s for name in names for s in client.describe_stacks(StackName=name).get("Stacks", [])]
    stacks: dict[str, DeployedStack] = {}
    by_id: dict[str, str] = {}
    level: list[tuple[dict[str, Any], str | None]] = [(s, None) for s in summaries]
    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        while level:
            fresh: dict[str, tuple[dict[str, Any], str | None]] = {}
            for summary, parent in level:
                name = summary["StackName"]
                if summary.get("StackStatus") in _SKIPPED_STATUSES:
                    continue
                if name in stacks:
                    # Listed on its own before its parent was read: only the parent link is new.
                    stacks[name].parent = stacks[name].parent or parent
                elif name not in fresh or parent is not None:
                    fresh[name] = (summary, parent)
            read = list(pool.map(lambda item: _read_stack(client, item[0], region), fresh.values()))
            for (_, parent), stack in zip(fresh.values(), read, strict=True):
                stacks[stack.name] = stack
                by_id[stack.stack_id] = stack.name
                stack.parent = parent or stack.parent
            level = _nested_level(client, pool, read, stacks, by_id)
    _link_parents(stacks, by_id)
    _nested_outputs(stacks, by_id)
    return _parents_first(list(stacks.values()))


def _nested_outputs(stacks: dict[str, DeployedStack], by_id: dict[str, str]) -> None:
    """Let parents resolve `!GetAtt Child.Outputs.Name` from what the nested stack reports."""
    for stack in stacks.values():
        for res in stack.resources:
            if res.type != NESTED_STACK_TYPE or not res.physical_id:
                continue
            child = stacks.get(by_id.get(res.physical_id, res.physical_id))
            if child is not None:
                for key, value in child.outputs.items():
                    stack.known_attributes[(res.logical_id, f"Outputs.{key}")] = value


def _nested_level(
    client: Any,
    pool: ThreadPoolExecutor,
    parents: list[DeployedStack],
    stacks: dict[str, DeployedStack],
    by_id: dict[str, str],
) -> list[tuple[dict[str, Any], str | None]]:
    """Summaries of nested stacks not read yet (CloudFormation's own drift detection skips them)."""
    wanted: list[tuple[DeployedStack, StackResource]] = []
    for stack in parents:
        for res in stack.resources:
            if res.type != NESTED_STACK_TYPE or not res.physical_id:
                continue
            known = by_id.get(res.physical_id) or (res.physical_id if res.physical_id in stacks else None)
            if known is not None:
                stacks[known].parent = stacks[known].parent or stack.name
            else:
                wanted.append((stack, res))

    def describe(item: tuple[DeployedStack, StackResource]) -> list[tuple[dict[str, Any], str | None]]:
        parent, res = item
        try:
            found = client.describe_stacks(StackName=res.physical_id).get("Stacks", [])
        except Exception as exc:  # noqa: BLE001 - recorded, the parent is still usable
            parent.error = f"nested stack {res.logical_id}: {describe_failure(exc)}"
            return []
        return [(summary, parent.name) for summary in found]

    return [entry for entries in pool.map(describe, wanted) for entry in entries]


def list_exports(session_or_client_factory: Any, region: str) -> dict[str, str]:
    """Export name -> value in `region`, for `Fn::ImportValue`."""
    client = _client_for(session_or_client_factory, "cloudformation", region)
    return {
        e["Name"]: e["Value"]
        for page in client.get_paginator("list_exports").paginate()
        for e in page.get("Exports", [])
    }


def _read_stack(client: Any, summary: dict[str, Any], region: str) -> DeployedStack:
    stack = DeployedStack(
        name=summary["StackName"],
        stack_id=summary.get("StackId", summary["StackName"]),
        region=region,
        status=summary.get("StackStatus", ""),
    )
    for param in summary.get("Parameters") or []:
        stack.parameters[param["ParameterKey"]] = param.get("ParameterValue", "")
        if "ResolvedValue" in param:
            stack.resolved_parameters[param["ParameterKey"]] = param["ResolvedValue"]
    stack.tags = {t["Key"]: t["Value"] for t in summary.get("Tags") or []}
    stack.outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in summary.get("Outputs") or []}
    stack.parent = summary.get("ParentId")
    stack.root = summary.get("RootId")
    try:
        stack.resources = [
            StackResource(
                r["LogicalResourceId"], r.get("PhysicalResourceId"), r["ResourceType"], r.get("ResourceStatus", "")
            )
            for page in client.get_paginator("list_stack_resources").paginate(StackName=stack.stack_id)
            for r in page.get("StackResourceSummaries", [])
            if not str(r.get("ResourceStatus", "")).startswith("DELETE_COMPLETE")
        ]
        stack.template_body = _template_body(client, stack.stack_id)
    except Exception as exc:  # noqa: BLE001 - recorded: this stack's resources become unknown
        stack.error = describe_failure(exc)
    return stack


def _template_body(client: Any, stack_id: str) -> str:
    # "Processed" is the template after transforms (SAM, macros) ran: what was really deployed.
    try:
        body = client.get_template(StackName=stack_id, TemplateStage="Processed")["TemplateBody"]
    except Exception:  # noqa: BLE001 - older stacks or emulators only keep the original
        body = client.get_template(StackName=stack_id)["TemplateBody"]
    # boto3 hands JSON template bodies back already parsed.
    return body if isinstance(body, str) else json.dumps(body, indent=2)


def _link_parents(stacks: dict[str, DeployedStack], by_id: dict[str, str]) -> None:
    for stack in stacks.values():
        for attr in ("parent", "root"):
            value = getattr(stack, attr)
            if value and value in by_id:
                setattr(stack, attr, by_id[value])
    for stack in stacks.values():
        if stack.parent and not stack.root:
            root = stack
            while root.parent and root.parent in stacks and root.parent != root.name:
                root = stacks[root.parent]
            stack.root = root.name


def _parents_first(stacks: list[DeployedStack]) -> list[DeployedStack]:
    def depth(stack: DeployedStack) -> int:
        level, names = 0, {s.name: s for s in stacks}
        current = stack
        while current.parent and current.parent in names and level < 50:
            current = names[current.parent]
            level += 1
        return level

    return sorted(stacks, key=lambda s: (depth(s), s.name))


# ---------------------------------------------------------------------------------- workspace templates

_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
_SKIPPED_DIRS = {".git", ".terraform", "node_modules", ".aws-sam", "cdk.out", "__pycache__", ".venv"}
_CFN_MARKER = re.compile(r"AWSTemplateFormatVersion|[\"']?Type[\"']?\s*:\s*[\"']?AWS::[A-Za-z0-9]+::")


def find_templates(root: str | Path) -> list[Path]:
    """CloudFormation template files below `root` (by content: a template version or an AWS:: type)."""
    base = Path(root)
    if base.is_file():
        return [base] if _looks_like_template(base) else []
    found: list[Path] = []
    for path in sorted(base.rglob("*")):
        if path.suffix.lower() not in _TEMPLATE_SUFFIXES or not path.is_file():
            continue
        if any(part in _SKIPPED_DIRS for part in path.relative_to(base).parts):
            continue
        if _looks_like_template(path):
            found.append(path)
    return found


# Top-level keys every Terraform state has and no template does.
_STATE_MARKER = re.compile(r'^\s*\{.*?"(lineage|terraform_version)"\s*:', re.S)


def _looks_like_template(path: Path) -> bool:
    """By content: a template version or an AWS:: type and a Resources section, and not a
    Terraform state (which can carry a whole template as an attribute)."""
    if path.suffix.lower() == ".tfstate" or path.name.endswith(".tfstate.backup"):
        return False
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return False
    if _STATE_MARKER.match(head[:4096]):
        return False
    return bool(_CFN_MARKER.search(head)) and "Resources" in head


def match_templates(
    templates: Iterable[str | Path],
    stacks: Iterable[DeployedStack],
    mapping: Mapping[str, str] | None = None,
    *,
    root: str | Path | None = None,
) -> dict[Path, DeployedStack]:
    """Which workspace template describes which stack.

    `mapping` (file -> stack name; the file as given, relative to `root`, or its bare name) wins;
    otherwise a template whose file stem equals a stack name (case-insensitive) matches it.
    """
    by_name = {s.name: s for s in stacks}
    by_lower = {name.lower(): s for name, s in by_name.items()}
    explicit: dict[str, str] = {}
    for key, stack_name in (mapping or {}).items():
        explicit[_norm(key, root)] = stack_name
        explicit.setdefault(Path(key).name, stack_name)
    out: dict[Path, DeployedStack] = {}
    for item in templates:
        path = Path(item)
        name = explicit.get(_norm(str(path), root)) or explicit.get(path.name)
        if name is not None:
            if name in by_name:
                out[path] = by_name[name]
            continue
        stack = by_name.get(path.stem) or by_lower.get(path.stem.lower())
        if stack is not None and not stack.is_nested:
            out[path] = stack
    return out


def _norm(path: str, root: str | Path | None) -> str:
    p = Path(path)
    if root is not None and not p.is_absolute():
        p = Path(root) / p
    try:
        return str(p.resolve())
    except OSError:
        return str(p)
