"""load_cloudformation_state: stacks + workspace templates -> desired resources and sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from cfn_live import REGION, live_attributes

from driftdeck.core.aws import AwsContext
from driftdeck.core.compare.cloudformation import compare_cfn
from driftdeck.core.errors import InputError
from driftdeck.core.inputs.cfn.source import load_cloudformation_state

EXPORTER = """\
Resources:
  Dlq:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: shared-dlq
Outputs:
  DlqArn:
    Value: !GetAtt Dlq.Arn
    Export:
      Name: shared-dlq-arn
"""
IMPORTER = """\
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs
      RedrivePolicy:
        deadLetterTargetArn: !ImportValue shared-dlq-arn
        maxReceiveCount: 3
"""


def _deploy(name: str, body: str) -> None:
    boto3.client("cloudformation", region_name=REGION).create_stack(StackName=name, TemplateBody=body)


def test_workspace_and_account_become_desired_state(aws_env: Any, tmp_path: Path) -> None:
    _deploy("exporter", EXPORTER)
    _deploy("importer", IMPORTER)
    (tmp_path / "exporter.yaml").write_text(EXPORTER)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "jobs.yaml").write_text(IMPORTER)
    (tmp_path / "draft.yaml").write_text(IMPORTER.replace("jobs", "draft"))
    (tmp_path / "notes.yaml").write_text("just: yaml\n")  # not a template: ignored

    state = load_cloudformation_state(tmp_path, AwsContext(), REGION, mapping={"stacks/jobs.yaml": "importer"})
    assert {s.name for s in state.stacks} == {"exporter", "importer"}
    assert {p.name: s.name for p, s in state.matches.items()} == {"exporter.yaml": "exporter", "jobs.yaml": "importer"}
    assert any("draft.yaml" in w and "no deployed stack" in w for w in state.warnings)
    sources = {s.path: s for s in state.sources()}
    assert str(tmp_path / "exporter.yaml") in sources and sources[str(tmp_path / "exporter.yaml")].kind == "cloudformation"

    by_address = {r.address: r for r in state.resources}
    jobs = by_address["cfn:importer/Jobs"]
    assert jobs.source.file == str(tmp_path / "stacks" / "jobs.yaml") and jobs.source.line == 2
    # Fn::ImportValue resolved through the account's exports, so the redrive target is compared.
    assert jobs.attributes["RedrivePolicy"]["deadLetterTargetArn"].endswith(":shared-dlq")
    assert compare_cfn(jobs, live_attributes(jobs) or {}) == []
    assert set(state.claims()) == {("aws_sqs_queue", r.id.split("amazonaws.com/")[-1]) for r in state.resources}


def test_malformed_workspace_template_is_an_input_error(aws_env: Any, tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: [\n")
    with pytest.raises(InputError) as err:
        load_cloudformation_state(tmp_path, AwsContext(), REGION)
    assert err.value.file == str(tmp_path / "broken.yaml") and err.value.line == 5
