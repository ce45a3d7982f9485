"""Consistency with real Terraform: apply a config with count, for_each and a local module against
the moto server, then check that what driftdeck computes from the code equals the state Terraform
wrote; then edit a .tf file (pending appears) and apply it (pending disappears)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hcl_helpers import write_tree

from driftdeck.core.inputs.hcl import load_configuration, state_lookup_from_tfstate
from driftdeck.core.inputs.tfstate import parse_state
from driftdeck.core.model import DesiredResource, SourceRef
from driftdeck.core.scan.pending import compare_code_to_state
from driftdeck.core.unknown import contains_unknown

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

MAIN = """
terraform {
  required_providers { aws = { source = "hashicorp/aws", version = "5.100.0" } }
}
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  endpoints {
    sqs = "MOTO"
    sns = "MOTO"
    ssm = "MOTO"
    sts = "MOTO"
    iam = "MOTO"
  }
}

variable "queues" {
  type    = list(string)
  default = ["alpha", "beta"]
}

variable "topics" {
  type = map(object({
    display = optional(string, "default display")
  }))
  default = {
    orders  = {}
    billing = { display = "Billing" }
  }
}

locals {
  prefix = "dd-${terraform.workspace}"
  tags   = { Team = "platform" }
}

resource "aws_sqs_queue" "q" {
  count         = length(var.queues)
  name          = "${local.prefix}-${var.queues[count.index]}"
  delay_seconds = count.index * 5
  tags          = merge(local.tags, { Index = tostring(count.index) })
}

resource "aws_sns_topic" "t" {
  for_each     = var.topics
  name         = "${local.prefix}-${each.key}"
  display_name = each.value.display
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com", "ec2.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = ["us-east-1"]
    }
  }
}

resource "aws_iam_role" "r" {
  name               = "${local.prefix}-role"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

module "params" {
  source    = "./modules/params"
  prefix    = local.prefix
  values    = { a = "1", b = upper("x") }
  queue_url = aws_sqs_queue.q[0].url
}
"""

PARAMS = """
variable "prefix" { type = string }
variable "values" { type = map(string) }
variable "queue_url" { type = string }

resource "aws_ssm_parameter" "p" {
  for_each    = var.values
  name        = "/${var.prefix}/${each.key}"
  type        = "String"
  value       = each.value
  description = "queue ${var.queue_url}"
}
"""


def _terraform(env: dict[str, str], cwd: Path, *args: str) -> str:
    proc = subprocess.run(["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def _state_resources(env: dict[str, str], cwd: Path) -> dict[str, dict[str, Any]]:
    shown = json.loads(_terraform(env, cwd, "show", "-json"))
    out: dict[str, dict[str, Any]] = {}

    def walk(module: dict[str, Any]) -> None:
        for res in module.get("resources", []):
            out[res["address"]] = res["values"]
        for child in module.get("child_modules", []):
            walk(child)

    walk(shown["values"]["root_module"])
    return out


def _desired(resources: dict[str, dict[str, Any]]) -> list[DesiredResource]:
    return [
        DesiredResource(addr, addr.split(".")[-2], str(values.get("id")), values, SourceRef(kind="terraform"))
        for addr, values in resources.items()
    ]


def _assert_known_values_match(code_value: Any, state_value: Any, path: str) -> None:
    if contains_unknown(code_value) and not isinstance(code_value, (dict, list)):
        return
    if isinstance(code_value, str) and code_value.startswith("{"):
        assert json.loads(code_value) == json.loads(state_value), path  # documents: key order aside
        return
    if isinstance(code_value, dict):
        for k, v in code_value.items():
            _assert_known_values_match(v, (state_value or {}).get(k), f"{path}.{k}")
    elif isinstance(code_value, list) and code_value and isinstance(code_value[0], dict):
        for i, (c, s) in enumerate(zip(code_value, state_value, strict=True)):
            _assert_known_values_match(c, s, f"{path}[{i}]")
    elif not contains_unknown(code_value):
        assert code_value == state_value, path


def test_code_matches_terraform_state_then_pending_edit(tf_env: dict[str, str], aws_env: Any, tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": MAIN.replace("MOTO", aws_env.url), "modules/params/main.tf": PARAMS})
    env = {**tf_env, "AWS_ENDPOINT_URL": aws_env.url}
    _terraform(env, tmp_path, "init", "-input=false", "-no-color")
    _terraform(env, tmp_path, "apply", "-auto-approve", "-input=false", "-no-color")
    state = _state_resources(env, tmp_path)

    config = load_configuration(tmp_path, env={})
    assert set(config.instances) == set(state) == {
        "data.aws_iam_policy_document.assume",
        "aws_iam_role.r",
        "aws_sqs_queue.q[0]",
        "aws_sqs_queue.q[1]",
        'aws_sns_topic.t["billing"]',
        'aws_sns_topic.t["orders"]',
        'module.params.aws_ssm_parameter.p["a"]',
        'module.params.aws_ssm_parameter.p["b"]',
    }
    for address, inst in config.instances.items():
        if inst.mode == "managed":
            _assert_known_values_match(inst.attributes, state[address], address)
    # The policy document is computed locally, as the provider does.
    assert json.loads(config.instances["aws_iam_role.r"].attributes["assume_role_policy"]) == json.loads(
        state["data.aws_iam_policy_document.assume"]["json"]
    )
    assert config.instances['aws_sns_topic.t["orders"]'].attributes["display_name"] == "default display"
    assert config.instances["aws_sqs_queue.q[1]"].attributes["delay_seconds"] == 5
    # The queue URL is only known after apply: unknown from code alone, known with state.
    description = config.instances['module.params.aws_ssm_parameter.p["a"]'].attributes["description"]
    assert contains_unknown(description)
    with_state = load_configuration(tmp_path, env={}, state_lookup=state)
    param = with_state.instances['module.params.aws_ssm_parameter.p["a"]'].attributes
    assert param["description"] == f"queue {state['aws_sqs_queue.q[0]']['url']}"
    assert compare_code_to_state(with_state.instances, _desired(state)) == {}

    # The same through the engine's own state reader (managed AWS resources only) and the
    # state-file lookup helper: addresses agree, nothing pending.
    raw = (tmp_path / "terraform.tfstate").read_bytes()
    lookup = state_lookup_from_tfstate(raw)
    assert lookup.keys() == state.keys()
    engine_desired = parse_state(raw, "terraform.tfstate").resources
    assert {d.address for d in engine_desired} == {a for a in state if not a.startswith("data.")}
    via_file = load_configuration(tmp_path, env={}, state_lookup=lookup)
    assert compare_code_to_state(via_file.instances, engine_desired, include_type=lambda t: t.startswith("aws_")) == {}

    # Edits that are not applied yet are pending: a changed argument, a new count instance, a
    # for_each key removed ...
    main = tmp_path / "main.tf"
    edited = (
        main.read_text()
        .replace("delay_seconds = count.index * 5", "delay_seconds = count.index * 7")
        .replace('default = ["alpha", "beta"]', 'default = ["alpha", "beta", "gamma"]')
        .replace('billing = { display = "Billing" }', "")
    )
    main.write_text(edited)
    config = load_configuration(tmp_path, env={}, state_lookup=state)
    pending = compare_code_to_state(config.instances, _desired(state), undecidable=config.is_undecidable)
    assert sorted(pending) == ["aws_sns_topic.t[\"billing\"]", "aws_sqs_queue.q[1]", "aws_sqs_queue.q[2]"]
    (diff,) = pending["aws_sqs_queue.q[1]"]
    assert (diff.path, diff.expected, diff.actual, diff.side) == ("delay_seconds", 7, 5, "code")
    (added,) = pending["aws_sqs_queue.q[2]"]
    assert added.change.value == "added" and added.expected["name"] == "dd-default-gamma"
    (removed,) = pending['aws_sns_topic.t["billing"]']
    assert removed.change.value == "removed"

    # ... and gone once applied.
    _terraform(env, tmp_path, "apply", "-auto-approve", "-input=false", "-no-color", "-refresh=false")
    state = _state_resources(env, tmp_path)
    after = load_configuration(tmp_path, env={}, state_lookup=state)
    assert compare_code_to_state(after.instances, _desired(state)) == {}
