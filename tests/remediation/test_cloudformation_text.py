"""Remediation text: drift-aware change sets for revert, template patches (text edits) for adopt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftdeck.core.compare.cloudformation import NOT_IN_TEMPLATE, compare_cfn
from driftdeck.core.inputs.cfn.template import Template, load_template, parse_template
from driftdeck.core.model import ChangeKind, DesiredResource, Difference, SourceRef
from driftdeck.core.remediation.cloudformation_text import (
    adopt_patch,
    patched_text,
    revert_commands,
    revert_patch,
)

YAML = """\
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
      RedrivePolicy:
        deadLetterTargetArn: arn:aws:sqs:us-east-1:123456789012:dlq
        maxReceiveCount: 5
      Tags:
        - Key: Env
          Value: !Ref Env
        - Key: Team
          Value: core
        - Key: Cost
          Value: "42"
  Plain:
    Type: AWS::SQS::Queue
"""

LIVE = {
    "name": "jobs",
    "visibility_timeout_seconds": 99,
    "delay_seconds": 7,
    "redrive_policy": json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq", "maxReceiveCount": 9}),
    "tags": {"Env": "dev", "Team": "platform", "Owner": "ops"},
}


def _desired(t: Template, logical: str = "Queue") -> DesiredResource:
    r = t.resources[logical]
    return DesiredResource(
        address=f"cfn:s/{logical}", type="aws_sqs_queue", id="u", attributes=r.properties,
        source=SourceRef(kind="cloudformation", file=t.file, line=r.line, stack="s", logical_id=logical),
    )


@pytest.fixture()
def yaml_template(tmp_path: Path) -> Template:
    path = tmp_path / "jobs.yaml"
    path.write_text(YAML)
    return load_template(path)


def test_adopt_patch_makes_the_template_describe_live(yaml_template: Template) -> None:
    diffs = compare_cfn(_desired(yaml_template), LIVE)
    assert {d.path for d in diffs} == {
        "/Properties/VisibilityTimeout", "/Properties/RedrivePolicy", "/Properties/Tags/1/Value",
        "/Properties/Tags/2", "/Properties/Tags/3", "/Properties/DelaySeconds",
    }
    new_text, notes = patched_text(yaml_template, "Queue", diffs)
    assert notes == []
    assert "# Queue for jobs (this comment must survive)" in new_text
    assert "QueueName: jobs   # inline comment" in new_text
    assert "Value: !Ref Env" in new_text  # untouched short-form tag
    adopted = parse_template(new_text, yaml_template.file)
    # The patched template, evaluated, has no drift against the same live values.
    assert compare_cfn(_desired(adopted), LIVE) == []
    assert adopted.resources["Queue"].properties["DelaySeconds"] == 7
    patch = adopt_patch(yaml_template, "Queue", diffs)
    name = yaml_template.file.lstrip("/")
    assert patch.startswith(f"--- a/{name}\n+++ b/{name}\n")
    assert "-      VisibilityTimeout: 45\n+      VisibilityTimeout: 99\n" in patch
    assert "+      DelaySeconds: 7\n" in patch


def test_adopt_patch_on_json_templates(tmp_path: Path) -> None:
    doc = {
        "Resources": {
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": "jobs", "VisibilityTimeout": 45, "Tags": [{"Key": "Team", "Value": "core"}, {"Key": "Gone", "Value": "x"}]},
            },
            "Empty": {"Type": "AWS::SQS::Queue", "Properties": {}},
        }
    }
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(doc, indent=2))
    t = load_template(path)
    live = {"visibility_timeout_seconds": 60, "tags": {"Team": "platform", "New": "1"}, "delay_seconds": 3}
    diffs = compare_cfn(_desired(t), live)
    assert any(d.change == ChangeKind.REMOVED for d in diffs)
    new_text, notes = patched_text(t, "Queue", diffs)
    assert notes == []
    adopted_doc = json.loads(new_text)  # still strict JSON
    props = adopted_doc["Resources"]["Queue"]["Properties"]
    assert props["VisibilityTimeout"] == 60 and props["DelaySeconds"] == 3
    assert {x["Key"]: x["Value"] for x in props["Tags"]} == {"Team": "platform", "New": "1"}
    assert compare_cfn(_desired(parse_template(new_text, str(path))), live) == []
    # A property added to an empty mapping, and into a resource without Properties.
    empty_diffs = compare_cfn(_desired(t, "Empty"), {"delay_seconds": 3})
    json.loads(patched_text(t, "Empty", empty_diffs)[0])


def test_values_from_intrinsics_are_left_for_a_human(yaml_template: Template) -> None:
    diffs = compare_cfn(_desired(yaml_template), {**LIVE, "tags": {"Env": "prod", "Team": "core", "Cost": "42"}})
    assert [d.path for d in diffs if d.path.startswith("/Properties/Tags")] == ["/Properties/Tags/0/Value"]
    text, notes = patched_text(yaml_template, "Queue", [d for d in diffs if "Tags" in d.path])
    assert text == yaml_template.text
    assert notes and "intrinsic" in notes[0]
    patch = adopt_patch(yaml_template, "Queue", [d for d in diffs if "Tags" in d.path])
    assert patch.startswith("# /Properties/Tags/0/Value: ")


def test_resource_without_properties_gets_a_properties_block(yaml_template: Template) -> None:
    diffs = compare_cfn(_desired(yaml_template, "Plain"), {"visibility_timeout_seconds": 10})
    assert [(d.path, d.note) for d in diffs] == [("/Properties/VisibilityTimeout", NOT_IN_TEMPLATE)]
    text, _ = patched_text(yaml_template, "Plain", diffs)
    assert parse_template(text, "x.yaml").resources["Plain"].properties == {"VisibilityTimeout": 10}


def test_sensitive_differences_are_never_written(yaml_template: Template) -> None:
    diff = Difference("/Properties/QueueName", "jobs", "secret", sensitive=True)
    patch = adopt_patch(yaml_template, "Queue", [diff])
    assert "secret" not in patch and "sensitive" in patch


def test_revert_patch_pins_defaults_of_properties_not_in_template(yaml_template: Template) -> None:
    diffs = compare_cfn(_desired(yaml_template), LIVE)
    patch = revert_patch(yaml_template, "Queue", diffs)
    assert "+      DelaySeconds: 0\n" in patch
    assert "VisibilityTimeout" not in patch  # set in the template: the change set reverts it


def test_revert_commands_use_a_drift_aware_change_set() -> None:
    diffs = [
        Difference("/Properties/VisibilityTimeout", 45, 99),
        Difference("/Properties/DelaySeconds", 0, 7, note=NOT_IN_TEMPLATE),
    ]
    text = revert_commands("shop", region="eu-west-1", parameters=["Env"], differences=diffs, template_file="shop.yaml")
    lines = text.splitlines()
    create = next(line for line in lines if "create-change-set" in line)
    for part in ("--stack-name shop", "--deployment-mode REVERT_DRIFT", "--use-previous-template",
                 "ParameterKey=Env,UsePreviousValue=true", "--region eu-west-1", "--change-set-type UPDATE"):
        assert part in create
    assert any(line.startswith("aws cloudformation execute-change-set --stack-name shop") for line in lines)
    assert "/Properties/DelaySeconds" in text and "aws cloudformation deploy --template-file shop.yaml --stack-name shop" in text
    nested = revert_commands("shop-Child-1", root_stack="shop")
    assert "--stack-name shop " in nested and "--include-nested-stacks" in nested
    assert "nested in shop" in nested
    assert "cloudformation deploy" not in revert_commands("x", differences=diffs[:1])


def test_names_are_shell_quoted() -> None:
    text = revert_commands("odd name;rm -rf /")
    assert "'odd name;rm -rf /'" in text




def test_crlf_and_bom_templates_keep_their_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "win.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + YAML.replace("\n", "\r\n").encode())
    t = load_template(path)
    assert t.resources["Queue"].line == 7
    diffs = compare_cfn(_desired(t), LIVE)
    new_text, notes = patched_text(t, "Queue", diffs)
    assert notes == [] and "\n" not in new_text.replace("\r\n", "")
    assert compare_cfn(_desired(parse_template(new_text, str(path))), LIVE) == []
