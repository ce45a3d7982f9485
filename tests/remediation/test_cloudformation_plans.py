"""Drift in a CloudFormation-managed resource gets CloudFormation directions: a drift-aware change set
for revert, a template patch (comments and short-form tags kept) for adopt — never terraform."""

from __future__ import annotations

import json
from pathlib import Path

from driftdeck.core.compare.cloudformation import compare_cfn
from driftdeck.core.inputs.cfn.template import load_template
from driftdeck.core.model import DesiredResource, ResourceResult, SourceRef, Status
from driftdeck.core.remediation import Direction, PlanOptions, build_plans, render_document

TEMPLATE = """\
# Queue for jobs (this comment must survive)
Parameters:
  Env:
    Type: String
    Default: dev
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs   # inline comment
      VisibilityTimeout: 45
      Tags:
        - Key: Env
          Value: !Ref Env
        - Key: Team
          Value: core
"""
LIVE = {"name": "jobs", "visibility_timeout_seconds": 99, "tags": {"Env": "dev", "Team": "platform"}}


def test_stack_resource_gets_change_set_revert_and_template_adopt(tmp_path: Path) -> None:
    path = tmp_path / "jobs.yaml"
    path.write_text(TEMPLATE)
    template = load_template(path)
    resource = template.resources["Queue"]
    source = SourceRef(kind="cloudformation", file=str(path), line=resource.line, stack="jobs-stack", logical_id="Queue")
    desired = DesiredResource(address="cfn:jobs-stack/Queue", type="aws_sqs_queue", id="https://q", attributes=resource.properties,
                              source=source)
    diffs = compare_cfn(desired, LIVE)
    assert {d.path for d in diffs} == {"/Properties/VisibilityTimeout", "/Properties/Tags/1/Value"}
    result = ResourceResult(address=desired.address, type="aws_sqs_queue", id="https://q", status=Status.CHANGED,
                            source=source, differences=diffs, live=LIVE, region="us-east-1")

    (plan,) = build_plans([result], PlanOptions(workspace=tmp_path))
    revert = plan.direction(Direction.REVERT)
    adopt = plan.direction(Direction.ADOPT)
    assert revert is not None and adopt is not None
    script = "\n".join(c.text for c in revert.commands)
    assert "REVERT_DRIFT" in script and "jobs-stack" in script and "terraform" not in script
    assert not revert.safe_to_apply
    assert adopt.validated is True and adopt.unanswered == []
    patched = adopt.patches[0].patched
    assert "# Queue for jobs (this comment must survive)" in patched and "Value: !Ref Env" in patched
    assert "VisibilityTimeout: 99" in patched and "Value: platform" in patched
    assert adopt.patches[0].file == "jobs.yaml"
    doc = render_document([plan])
    assert "create-change-set" in doc.markdown and "terraform" not in doc.markdown.replace("driftdeck", "")
    json.dumps([d.to_json() for d in plan.directions])  # serialisable for --format json
