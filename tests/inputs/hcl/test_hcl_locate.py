"""The one block locator (`core/inputs/hcl/locate.py`): the evaluator, the TUI and the plans name the same block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftdeck.core.inputs.hcl import load_configuration, locate_resource, locate_resources
from driftdeck.core.inputs.hcl.locate import locate_block, parse_address
from driftdeck.core.model import Difference, ResourceResult, SourceRef, Status
from driftdeck.core.remediation import Direction, PlanOptions, build_plans


def _registry_module(root: Path) -> None:
    """A root calling a registry module that `terraform init` installed under .terraform/modules."""
    (root / "main.tf").write_text('module "vpc" {\n  source  = "terraform-aws-modules/vpc/aws"\n  version = "5.0.0"\n}\n')
    (root / "terraform.tfstate").write_text("{}")
    copy = root / ".terraform" / "modules" / "vpc"
    copy.mkdir(parents=True)
    (copy / "main.tf").write_text('# the VPC\nresource "aws_vpc" "this" {\n  cidr_block           = "10.0.0.0/16"\n'
                                  "  enable_dns_hostnames = false\n}\n")
    manifest = {"Modules": [{"Key": "", "Source": "", "Dir": "."},
                            {"Key": "vpc", "Source": "registry.terraform.io/terraform-aws-modules/vpc/aws",
                             "Dir": ".terraform/modules/vpc"}]}
    (root / ".terraform" / "modules" / "modules.json").write_text(json.dumps(manifest))


def test_a_block_in_an_installed_registry_module_is_found(tmp_path: Path) -> None:
    _registry_module(tmp_path)
    located = locate_block(tmp_path, "module.vpc.aws_vpc.this")
    assert located is not None and located.in_installed_module
    assert located.path == (tmp_path / ".terraform/modules/vpc/main.tf").resolve() and located.line == 2
    assert locate_resources(tmp_path)["module.vpc.aws_vpc.this"] == (".terraform/modules/vpc/main.tf", 2)


def test_plans_for_a_registry_module_resource_name_its_block_and_do_not_patch_the_installed_copy(tmp_path: Path) -> None:
    _registry_module(tmp_path)
    source = SourceRef(kind="terraform", module="module.vpc", state=str(tmp_path / "terraform.tfstate"))
    missing = ResourceResult(address="module.vpc.aws_vpc.this", type="aws_vpc", id="vpc-1", status=Status.MISSING,
                             source=source)
    forget = build_plans([missing], PlanOptions(workspace=tmp_path))[0].direction(Direction.FORGET)
    assert forget is not None and forget.patches == []
    assert any(".terraform/modules/vpc/main.tf:2" in n and "terraform init" in n for n in forget.notes), forget.notes
    changed = ResourceResult(
        address="module.vpc.aws_vpc.this", type="aws_vpc", id="vpc-1", status=Status.CHANGED, source=source,
        differences=[Difference("enable_dns_hostnames", False, True)],
        expected={"enable_dns_hostnames": False}, live={"enable_dns_hostnames": True},
    )
    adopt = build_plans([changed], PlanOptions(workspace=tmp_path))[0].direction(Direction.ADOPT)
    assert adopt is not None and adopt.patches == [] and adopt.unanswered == ["enable_dns_hostnames"]
    assert any(".terraform/modules/vpc/main.tf:2" in n for n in adopt.notes), adopt.notes


def test_an_override_file_resolves_to_the_base_block_the_evaluator_names(tmp_path: Path) -> None:
    # `a_override.tf` sorts before `main.tf`; Terraform still merges it into main.tf's block.
    (tmp_path / "a_override.tf").write_text('resource "aws_sqs_queue" "q" {\n  delay_seconds = 5\n}\n')
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  name          = "q"\n  delay_seconds = 0\n}\n')
    located = locate_block(tmp_path, "aws_sqs_queue.q")
    assert located is not None and located.path.name == "main.tf" and located.line == 1
    instance = load_configuration(tmp_path).instances["aws_sqs_queue.q"]
    assert (instance.file, instance.line) == ("main.tf", 1) == locate_resources(tmp_path)["aws_sqs_queue.q"]


def test_local_module_chains_resolve_relative_to_the_calling_module(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "app" {\n  source = "./app"\n}\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.tf").write_text('module "queues" {\n  source = "../shared/queues"\n}\n')
    (tmp_path / "shared" / "queues").mkdir(parents=True)
    (tmp_path / "shared" / "queues" / "q.tf").write_text('\nresource "aws_sqs_queue" "q" {\n}\n')
    located = locate_block(tmp_path, 'module.app.module.queues["a"].aws_sqs_queue.q[0]')
    assert located is not None and located.path.name == "q.tf" and located.line == 2 and not located.in_installed_module
    assert locate_block(tmp_path, "module.nope.aws_sqs_queue.q") is None


@pytest.mark.parametrize(("address", "resource", "index"), [
    ("aws_s3_bucket.b", "aws_s3_bucket.b", None),
    ('module.a["x"].aws_s3_bucket.b[0]', "module.a.aws_s3_bucket.b", "0"),
    ('aws_s3_bucket.b["k"]', "aws_s3_bucket.b", '"k"'),
])
def test_parse_address(address: str, resource: str, index: str | None) -> None:
    parsed = parse_address(address)
    assert (parsed.resource, parsed.index) == (resource, index)


def test_one_address_lookup_agrees_with_the_full_walk(tmp_path: Path) -> None:
    _registry_module(tmp_path)
    (tmp_path / "data.tf").write_text('data "aws_caller_identity" "me" {}\n')
    for address, position in locate_resources(tmp_path).items():
        assert locate_resource(tmp_path, address) == position
    assert locate_resource(tmp_path, 'module.vpc["a"].aws_vpc.this[0]') == (".terraform/modules/vpc/main.tf", 2)
    assert locate_resource(tmp_path, "aws_vpc.nowhere") is None
