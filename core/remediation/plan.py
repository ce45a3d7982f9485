"""What a remediation plan is: per resource, one entry per direction, each with commands, patch and risks."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

from driftdeck.core.model import Difference, ResourceResult
from driftdeck.core.resource_types.facts import Risk
from driftdeck.core.text import shell_quote


class Direction(enum.StrEnum):
    REVERT = "revert"  # bring live back to code
    ADOPT = "adopt"  # bring code to live
    IMPORT = "import"  # put an unmanaged resource under Terraform
    FORGET = "forget"  # stop managing a resource that is gone live
    RECREATE = "recreate"  # create a missing resource again


# Directions the CLI accepts; `forget` also answers with `recreate`, its counterpart.
CLI_DIRECTIONS = (Direction.REVERT, Direction.ADOPT, Direction.IMPORT, Direction.FORGET)

# Stands for the plan's .patch file in commands until the document knows where it is saved.
PATCH_PLACEHOLDER = "<plan>.patch"

# AWS CLI service names that differ from the boto3 client name.
_CLI_SERVICE = {"s3": "s3api"}


@dataclass(frozen=True)
class AwsCall:
    """One AWS API call, held structurally so the AWS CLI text and the boto3 call are the same thing."""

    service: str  # boto3 client name: "s3", "ec2", "sqs", ...
    operation: str  # boto3 method name: "put_bucket_tagging"
    params: dict[str, Any] = field(repr=False)  # may hold secret values (see `shown_params`)
    effect: str  # what it does, in words
    region: str | None = None
    # The params as shown to people (CLI text, JSON, audit) when `params` hold secret values: the
    # same call with a placeholder where each secret goes. Only boto3 ever sees `params` then.
    shown_params: dict[str, Any] | None = None

    @property
    def has_placeholders(self) -> bool:
        """True when the shown command needs the operator to fill in secret values before it runs."""
        return self.shown_params is not None

    @property
    def display_params(self) -> dict[str, Any]:
        return self.shown_params if self.shown_params is not None else self.params

    def argv(self) -> list[str]:
        """The `aws` command's words, unquoted; secrets as placeholders."""
        service = _CLI_SERVICE.get(self.service, self.service)
        parts = ["aws", service, self.operation.replace("_", "-")]
        for name, value in self.display_params.items():
            flag = "--" + _kebab(name)
            if isinstance(value, bool):
                parts.append(flag if value else "--no-" + _kebab(name))
            elif isinstance(value, (dict, list)):
                parts.extend([flag, json.dumps(value, separators=(",", ":"), sort_keys=True)])
            else:
                parts.extend([flag, str(value)])
        if self.region:
            parts.extend(["--region", self.region])
        return parts

    def cli(self) -> str:
        """The `aws` command line (structures passed as JSON, as the AWS CLI accepts them); secrets as placeholders."""
        return " ".join(shell_quote(word) for word in self.argv())

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"service": self.service, "operation": self.operation, "params": self.display_params,
                               "effect": self.effect}
        if self.has_placeholders:
            out["placeholders"] = True
        return out


def _kebab(name: str) -> str:
    """botocore's CLI spelling of a parameter: `IpPermissions` -> `ip-permissions`, `GroupId` -> `group-id`."""
    from botocore import xform_name

    return xform_name(name, "-")


@dataclass(frozen=True)
class Command:
    """A shell command the operator may run, with what it is expected to do."""

    text: str
    effect: str
    kind: str = "shell"  # "terraform" | "aws" | "shell"


@dataclass
class FilePatch:
    """A unified diff against one file, plus the full patched text for validation and application."""

    file: str  # path relative to the workspace, as shown in the diff headers
    diff: str
    original: str
    patched: str


@dataclass
class DirectionPlan:
    """One way to answer the drift of one resource."""

    direction: Direction
    summary: str
    commands: list[Command] = field(default_factory=list)
    aws_calls: list[AwsCall] = field(default_factory=list)
    patches: list[FilePatch] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Differences this direction answers, and those it could not (manual work left).
    answered: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    # True when driftdeck has a tested boto3 path for every call: the only plans `apply` accepts.
    safe_to_apply: bool = False
    validated: bool | None = None  # adopt: True only when every drifted attribute was adopted and checked
    # adopt: the attributes the patch sets that re-parse equal to live (all of `answered` when validated)
    validated_paths: list[str] = field(default_factory=list)

    @property
    def patch_text(self) -> str:
        return "".join(p.diff for p in self.patches)

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction.value,
            "summary": self.summary,
            "commands": [{"text": c.text, "effect": c.effect, "kind": c.kind} for c in self.commands],
            "aws_calls": [c.to_json() for c in self.aws_calls],
            "patch": self.patch_text,
            "risks": [{"kind": r.kind, "text": r.text} for r in self.risks],
            "notes": self.notes,
            "answered": self.answered,
            "unanswered": self.unanswered,
            "safe_to_apply": self.safe_to_apply,
            "validated": self.validated,
            "validated_paths": self.validated_paths,
        }


@dataclass
class ResourcePlan:
    """Every applicable direction for one drifted resource."""

    resource: ResourceResult
    directions: list[DirectionPlan]
    # Secret values of this resource: scrubbed from every text rendered from the plan.
    secrets: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def key(self) -> str:
        return self.resource.key

    @property
    def differences(self) -> list[Difference]:
        return self.resource.differences

    def direction(self, which: Direction | str) -> DirectionPlan | None:
        return next((d for d in self.directions if d.direction == Direction(which)), None)
