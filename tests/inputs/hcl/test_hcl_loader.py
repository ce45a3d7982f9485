"""Root modules end to end: variables, locals, modules, count/for_each, positions, backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from hcl_helpers import write_tree

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl import ParseCache, load_configuration, locate_resources
from driftdeck.core.unknown import UNKNOWN

MAIN = """
terraform {
  backend "s3" {
    bucket = "acme-tfstate"
    key    = "prod/${"net"}.tfstate"
    region = "eu-west-1"
  }
}

variable "env" {
  type = string
}

variable "queues" {
  type    = list(string)
  default = ["a", "b"]
}

variable "buckets" {
  type = map(object({
    versioning = optional(bool, true)
    tags       = optional(map(string), {})
  }))
  default = {
    logs   = {}
    assets = { versioning = false, tags = { Tier = "web" } }
  }
}

locals {
  prefix = "acme-${var.env}"
  common = { Env = var.env, Owner = "platform" }
}

resource "aws_sqs_queue" "q" {
  count = length(var.queues)
  name  = "${local.prefix}-${var.queues[count.index]}"
  tags  = local.common
}

resource "aws_s3_bucket" "b" {
  for_each = var.buckets
  bucket   = "${local.prefix}-${each.key}"
  tags     = merge(local.common, each.value.tags)
}

resource "aws_s3_bucket_versioning" "v" {
  for_each = { for k, b in var.buckets : k => b if b.versioning }
  bucket   = aws_s3_bucket.b[each.key].bucket
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_security_group" "web" {
  name = "${local.prefix}-web"
  dynamic "ingress" {
    for_each = [80, 443]
    iterator = port
    content {
      from_port   = port.value
      to_port     = port.value
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_iam_role" "r" {
  name               = "${local.prefix}-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}

resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.r.name
  policy_arn = aws_iam_role.r.arn
}

module "net" {
  source = "./modules/net"
  cidr   = "10.0.0.0/16"
  azs    = { a = 1, b = 2 }
  name   = local.prefix
}

module "regional" {
  source = "./modules/net"
  count  = 2
  cidr   = "10.${count.index + 1}.0.0/16"
  azs    = { x = 1 }
  name   = "r${count.index}"
}

module "remote" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}

output "first_subnet" {
  value = module.net.subnet_cidrs["a"]
}
"""

NET = """
variable "cidr" { type = string }
variable "azs" { type = map(number) }
variable "name" { type = string }

resource "aws_vpc" "this" {
  cidr_block = var.cidr
  tags       = { Name = var.name }
}

resource "aws_subnet" "private" {
  for_each   = var.azs
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr, 8, each.value)
  tags       = { Name = "${var.name}-${each.key}" }
}

output "subnet_cidrs" {
  value = { for k, s in aws_subnet.private : k => s.cidr_block }
}
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return write_tree(tmp_path, {"main.tf": MAIN, "modules/net/main.tf": NET, "terraform.tfvars": 'env = "prod"\n'})


def test_count_and_for_each_addresses_match_terraform(project: Path) -> None:
    config = load_configuration(project, env={})
    addresses = set(config.instances)
    assert {
        "aws_sqs_queue.q[0]",
        "aws_sqs_queue.q[1]",
        'aws_s3_bucket.b["assets"]',
        'aws_s3_bucket.b["logs"]',
        'aws_s3_bucket_versioning.v["logs"]',
        "aws_security_group.web",
        "module.net.aws_vpc.this",
        'module.net.aws_subnet.private["a"]',
        'module.net.aws_subnet.private["b"]',
        "module.regional[0].aws_vpc.this",
        'module.regional[1].aws_subnet.private["x"]',
    } <= addresses
    assert 'aws_s3_bucket_versioning.v["assets"]' not in addresses


def test_attribute_values(project: Path) -> None:
    inst = load_configuration(project, env={}).instances
    assert inst["aws_sqs_queue.q[1]"].attributes == {"name": "acme-prod-b", "tags": {"Env": "prod", "Owner": "platform"}}
    assert inst['aws_s3_bucket.b["assets"]'].attributes["tags"] == {"Env": "prod", "Owner": "platform", "Tier": "web"}
    assert inst['aws_s3_bucket_versioning.v["logs"]'].attributes == {
        "bucket": "acme-prod-logs",
        "versioning_configuration": [{"status": "Enabled"}],
    }
    assert inst['module.net.aws_subnet.private["b"]'].attributes["cidr_block"] == "10.0.2.0/24"
    assert inst["module.regional[1].aws_vpc.this"].attributes["cidr_block"] == "10.2.0.0/16"


def test_dynamic_blocks_and_meta_arguments(project: Path) -> None:
    sg = load_configuration(project, env={}).instances["aws_security_group.web"].attributes
    assert sg["ingress"] == [
        {"from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"]},
        {"from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]},
    ]
    assert "lifecycle" not in sg


def test_computed_attributes_are_unknown_without_state_and_taken_from_state(project: Path) -> None:
    config = load_configuration(project, env={})
    att = config.instances["aws_iam_role_policy_attachment.a"]
    assert att.attributes["role"] == "acme-prod-role"  # set in code: known before apply
    assert att.attributes["policy_arn"] is UNKNOWN
    assert att.knowledge == "partial"
    assert config.instances["module.net.aws_subnet.private[\"a\"]"].attributes["vpc_id"] is UNKNOWN

    state = {"aws_iam_role.r": {"arn": "arn:aws:iam::123456789012:role/acme-prod-role", "name": "acme-prod-role"},
             "module.net.aws_vpc.this": {"id": "vpc-123"}}
    config = load_configuration(project, env={}, state_lookup=state)
    assert config.instances["aws_iam_role_policy_attachment.a"].attributes["policy_arn"].endswith("role/acme-prod-role")
    assert config.instances["module.net.aws_subnet.private[\"a\"]"].attributes["vpc_id"] == "vpc-123"


def test_positions_and_modules(project: Path) -> None:
    config = load_configuration(project, env={})
    q = config.instances["aws_sqs_queue.q[0]"]
    assert (q.file, q.line) == ("main.tf", 34)
    assert (q.module, q.index_key, q.mode, q.type, q.name) == ("", 0, "managed", "aws_sqs_queue", "q")
    sub = config.instances['module.regional[1].aws_subnet.private["x"]']
    assert (sub.file, sub.line, sub.module, sub.index_key) == ("modules/net/main.tf", 10, "module.regional[1]", "x")
    assert sub.resource_address == "module.regional[1].aws_subnet.private"


def test_registry_modules_are_reported_not_evaluated(project: Path) -> None:
    config = load_configuration(project, env={})
    assert config.unevaluated_modules == {"module.remote": "terraform-aws-modules/vpc/aws"}
    assert any(d.kind == "module_not_evaluated" and d.line == 95 for d in config.diagnostics)
    assert config.is_undecidable("module.remote.aws_vpc.this[0]")
    assert not config.is_undecidable("module.net.aws_vpc.this")


def test_backend_settings_are_evaluated(project: Path) -> None:
    backend = load_configuration(project, env={}).backend
    assert backend is not None
    assert (backend.type, backend.file, backend.line) == ("s3", "main.tf", 2)
    assert backend.config == {"bucket": "acme-tfstate", "key": "prod/net.tfstate", "region": "eu-west-1"}


def test_variable_precedence(project: Path) -> None:
    (project / "b.auto.tfvars").write_text('env = "auto-b"\n')
    (project / "a.auto.tfvars").write_text('env = "auto-a"\n')
    (project / "extra.tfvars").write_text('env = "file"\n')
    name = lambda c: c.instances["aws_iam_role.r"].attributes["name"]  # noqa: E731
    assert name(load_configuration(project, env={"TF_VAR_env": "envvar"})) == "acme-auto-b-role"
    assert name(load_configuration(project, env={}, var_files=["extra.tfvars"])) == "acme-file-role"
    assert name(load_configuration(project, env={}, var_files=["extra.tfvars"], variables={"env": "cli"})) == "acme-cli-role"
    for p in ("a.auto.tfvars", "b.auto.tfvars", "terraform.tfvars"):
        (project / p).unlink()
    assert name(load_configuration(project, env={"TF_VAR_env": "envvar"})) == "acme-envvar-role"


def test_complex_env_variables_are_parsed_as_hcl(project: Path) -> None:
    config = load_configuration(project, env={"TF_VAR_queues": '["x", "y", "z"]'})
    assert config.instances["aws_sqs_queue.q[2]"].attributes["name"] == "acme-prod-z"


def test_missing_required_variable_is_unknown_and_reported(project: Path) -> None:
    (project / "terraform.tfvars").unlink()
    config = load_configuration(project, env={})
    assert config.instances["aws_iam_role.r"].attributes["name"] is UNKNOWN
    assert any(d.kind == "missing_variable" and "'env'" in d.message for d in config.diagnostics)


def test_optional_attribute_defaults(project: Path) -> None:
    config = load_configuration(project, env={})
    assert config.instances['aws_s3_bucket.b["logs"]'].attributes["tags"] == {"Env": "prod", "Owner": "platform"}


def test_unknown_count_is_reported_as_unexpanded(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": """
        data "aws_availability_zones" "az" {}
        resource "aws_subnet" "s" {
          count      = length(data.aws_availability_zones.az.names)
          cidr_block = "10.0.${count.index}.0/24"
        }
    """})
    config = load_configuration(tmp_path, env={})
    assert "data.aws_availability_zones.az" in config.instances
    assert config.unexpanded == {"aws_subnet.s": ("main.tf", 2)}
    assert config.is_undecidable("aws_subnet.s[3]")
    # with the data source in state, the count is known
    config = load_configuration(tmp_path, env={}, state_lookup={"data.aws_availability_zones.az": {"names": ["a", "b"]}})
    assert sorted(config.instances) == ["aws_subnet.s[0]", "aws_subnet.s[1]", "data.aws_availability_zones.az"]


def test_malformed_hcl_names_file_and_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"ok.tf": 'locals { a = 1 }\n', "bad.tf": 'resource "x" "y" {\n  a = 1\n  b = = 2\n}\n'})
    with pytest.raises(InputError) as err:
        load_configuration(tmp_path, env={})
    assert err.value.file == "bad.tf" and err.value.line == 3
    assert "bad.tf:3" in str(err.value)


def test_malformed_tfvars_and_missing_var_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'variable "a" {}\n', "terraform.tfvars": "a = [1,\n"})
    with pytest.raises(InputError) as err:
        load_configuration(tmp_path, env={})
    assert err.value.file == "terraform.tfvars"
    (tmp_path / "terraform.tfvars").unlink()
    with pytest.raises(InputError):
        load_configuration(tmp_path, env={}, var_files=["nope.tfvars"])


def test_tf_json_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf.json": """
        {
          "variable": {"n": {"default": 2, "type": "number"}},
          "locals": {"p": "acme"},
          "resource": {"aws_sqs_queue": {"q": {"count": "${var.n}", "name": "${local.p}-${count.index}"}}}
        }
    """})
    config = load_configuration(tmp_path, env={})
    assert config.instances["aws_sqs_queue.q[1]"].attributes == {"name": "acme-1"}
    assert config.instances["aws_sqs_queue.q[1]"].line == 4


def test_locals_cycle_becomes_unknown_not_a_crash(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": """
        locals {
          a = local.b
          b = local.a
        }
        resource "aws_sqs_queue" "q" { name = local.a }
    """})
    config = load_configuration(tmp_path, env={})
    assert config.instances["aws_sqs_queue.q"].attributes["name"] is UNKNOWN
    assert any(d.kind == "cycle" for d in config.diagnostics)


def test_locate_resources_without_evaluating(project: Path) -> None:
    (project / "broken.tf").write_text('resource "aws_sns_topic" "t" {\n  name = = 1\n}\n')
    found = locate_resources(project)
    assert found["aws_sqs_queue.q"] == ("main.tf", 34)
    assert found["module.net.aws_subnet.private"] == ("modules/net/main.tf", 10)
    assert found["module.regional.aws_vpc.this"] == ("modules/net/main.tf", 5)
    assert found["aws_sns_topic.t"] == ("broken.tf", 1)  # pattern fallback for a file that does not parse


def test_reload_after_one_edit_parses_one_file(project: Path) -> None:
    import os
    import time

    past = time.time() - 60
    for path in project.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))  # settled files: their stat is trusted
    cache = ParseCache()
    load_configuration(project, env={}, cache=cache)
    first_misses = cache.stats.misses
    assert first_misses == 3  # main.tf, modules/net/main.tf, terraform.tfvars
    net = project / "modules/net/main.tf"
    net.write_text(net.read_text().replace("cidrsubnet(var.cidr, 8, each.value)", "cidrsubnet(var.cidr, 4, each.value)"))
    config = load_configuration(project, env={}, cache=cache)
    assert cache.stats.misses == first_misses + 1
    assert cache.stats.reads == 4  # 3 first, then only the edited file: unchanged files are not read
    assert config.instances['module.net.aws_subnet.private["b"]'].attributes["cidr_block"] == "10.0.32.0/20"


def test_sensitive_inputs_are_tracked_through_locals_and_modules(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": """
            variable "db_password" {
              type      = string
              sensitive = true
              default   = "hunter2"
            }
            locals { conn = "user:${var.db_password}" }
            resource "aws_ssm_parameter" "p" {
              name  = "/db/conn"
              value = local.conn
              tags  = { Name = "conn" }
            }
            resource "aws_ssm_parameter" "token" {
              name  = "/db/token"
              value = sensitive("t0ken")
            }
            module "db" {
              source   = "./db"
              password = var.db_password
            }
        """,
        "db/main.tf": """
            variable "password" {}
            resource "aws_db_instance" "this" {
              identifier = "db"
              password   = var.password
            }
        """,
    })
    inst = load_configuration(tmp_path, env={}).instances
    assert inst["aws_ssm_parameter.p"].sensitive_paths == {"value"}
    assert inst["aws_ssm_parameter.p"].attributes["value"] == "user:hunter2"  # value kept, flagged
    assert inst["aws_ssm_parameter.token"].sensitive_paths == {"value"}
    assert inst["module.db.aws_db_instance.this"].sensitive_paths == {"password"}


def test_override_files_merge_into_their_blocks(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": """
            resource "aws_sqs_queue" "q" {
              name          = "orders"
              delay_seconds = 0
            }
        """,
        "main_override.tf": """
            resource "aws_sqs_queue" "q" {
              delay_seconds = 30
            }
        """,
    })
    q = load_configuration(tmp_path, env={}).instances["aws_sqs_queue.q"]
    assert q.attributes == {"name": "orders", "delay_seconds": 30}
    assert (q.file, q.line) == ("main.tf", 1)


def test_workspace_comes_from_tf_workspace(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'resource "aws_sqs_queue" "q" { name = "q-${terraform.workspace}" }\n'})
    assert load_configuration(tmp_path, env={}).instances["aws_sqs_queue.q"].attributes["name"] == "q-default"
    config = load_configuration(tmp_path, env={"TF_WORKSPACE": "staging"})
    assert config.instances["aws_sqs_queue.q"].attributes["name"] == "q-staging"


STALE = """
resource "aws_sqs_queue" "q" {
  name = "orders-v2"
}
resource "aws_sns_topic" "t" {
  name = "t"
}
resource "aws_ssm_parameter" "p" {
  name  = "/q"
  type  = "String"
  value = "${aws_sqs_queue.q.url} ${aws_sqs_queue.q.arn} ${aws_sns_topic.t.arn}"
}
"""


def test_state_values_of_an_edited_resource_are_not_trusted(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": STALE})
    state = {
        "aws_sqs_queue.q": {"name": "orders", "url": "https://q/orders", "arn": "arn:q"},
        "aws_sns_topic.t": {"name": "t", "arn": "arn:t"},
    }
    value = load_configuration(tmp_path, env={}, state_lookup=state).instances["aws_ssm_parameter.p"].attributes["value"]
    assert value is UNKNOWN  # the queue was edited (renamed): its url may change
    state["aws_sqs_queue.q"]["name"] = "orders-v2"
    value = load_configuration(tmp_path, env={}, state_lookup=state).instances["aws_ssm_parameter.p"].attributes["value"]
    assert value == "https://q/orders arn:q arn:t"


def test_iam_policy_documents_are_computed_locally(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": """
        data "aws_iam_policy_document" "assume" {
          statement {
            actions = ["sts:AssumeRole"]
            principals {
              type        = "Service"
              identifiers = ["lambda.amazonaws.com"]
            }
          }
        }
        data "aws_iam_policy_document" "read" {
          source_policy_documents = [data.aws_iam_policy_document.assume.json]
          statement {
            sid       = "Read"
            actions   = ["s3:GetObject", "s3:ListBucket"]
            resources = ["*"]
            condition {
              test     = "StringEquals"
              variable = "aws:RequestedRegion"
              values   = ["eu-west-1"]
            }
          }
        }
        resource "aws_iam_role" "r" {
          name               = "r"
          assume_role_policy = data.aws_iam_policy_document.assume.json
        }
        resource "aws_iam_role_policy" "p" {
          role   = aws_iam_role.r.name
          policy = data.aws_iam_policy_document.read.minified_json
        }
    """})
    import json

    inst = load_configuration(tmp_path, env={}).instances
    assert json.loads(inst["aws_iam_role.r"].attributes["assume_role_policy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}],
    }
    policy = json.loads(inst["aws_iam_role_policy.p"].attributes["policy"])
    assert [s.get("Sid") for s in policy["Statement"]] == [None, "Read"]
    assert policy["Statement"][1]["Condition"] == {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    assert policy["Statement"][1]["Action"] == ["s3:ListBucket", "s3:GetObject"]  # provider order: reverse-sorted


def test_natural_names_for_code_to_live_matching(project: Path) -> None:
    inst = load_configuration(project, env={}).instances
    assert inst['aws_s3_bucket.b["logs"]'].natural_name == ("bucket", "acme-prod-logs")
    assert inst["aws_sqs_queue.q[0]"].natural_name == ("name", "acme-prod-a")
    assert inst["aws_iam_role_policy_attachment.a"].natural_name is None


def test_malformed_template_names_file_and_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'locals {\n  ok = 1\n  bad = "%{ if true }x"\n}\n'})
    with pytest.raises(InputError) as err:
        load_configuration(tmp_path, env={})
    assert (err.value.file, err.value.line) == ("main.tf", 3)
    assert "endif" in str(err.value)


def test_providers_aliases_and_module_provider_mapping(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": """
            variable "region" { default = "eu-west-1" }
            provider "aws" { region = var.region }
            provider "aws" {
              alias  = "us"
              region = "us-east-1"
            }
            resource "aws_s3_bucket" "home" { bucket = "home" }
            resource "aws_s3_bucket" "away" {
              provider = aws.us
              bucket   = "away"
            }
            module "replica" {
              source    = "./replica"
              providers = { aws = aws.us }
            }
            module "local" {
              source = "./replica"
            }
        """,
        "replica/main.tf": 'resource "aws_sqs_queue" "q" { name = "q" }\n',
    })
    config = load_configuration(tmp_path, env={})
    assert config.providers == {"aws": {"region": "eu-west-1"}, "aws.us": {"region": "us-east-1"}}
    inst = config.instances
    assert inst["aws_s3_bucket.home"].provider == "aws"
    assert inst["aws_s3_bucket.away"].provider == "aws.us"
    assert inst["module.replica.aws_sqs_queue.q"].provider == "aws.us"
    assert inst["module.local.aws_sqs_queue.q"].provider == "aws"


def test_ignore_changes_hides_pending_differences(tmp_path: Path) -> None:
    from driftdeck.core.model import DesiredResource, SourceRef
    from driftdeck.core.scan.pending import compare_code_to_state

    write_tree(tmp_path, {"main.tf": """
        resource "aws_sqs_queue" "q" {
          name          = "q"
          delay_seconds = 10
          tags          = { Owner = "me", Env = "dev" }
          lifecycle {
            ignore_changes = [tags["Owner"], delay_seconds]
          }
        }
        resource "aws_sqs_queue" "all" {
          name = "new"
          lifecycle { ignore_changes = all }
        }
    """})
    config = load_configuration(tmp_path, env={})
    assert config.instances["aws_sqs_queue.q"].ignore_changes == {"tags.Owner", "delay_seconds"}
    state = [
        DesiredResource("aws_sqs_queue.q", "aws_sqs_queue", "u", {"name": "q", "delay_seconds": 0,
                        "tags": {"Owner": "you", "Env": "prod"}}, SourceRef(kind="terraform")),
        DesiredResource("aws_sqs_queue.all", "aws_sqs_queue", "u2", {"name": "old"}, SourceRef(kind="terraform")),
    ]
    pending = compare_code_to_state(config.instances, state)
    assert [d.path for d in pending["aws_sqs_queue.q"]] == ["tags.Env"]
    assert "aws_sqs_queue.all" not in pending


def test_moved_blocks_match_old_state_addresses(tmp_path: Path) -> None:
    from driftdeck.core.model import DesiredResource, SourceRef
    from driftdeck.core.scan.pending import compare_code_to_state

    write_tree(tmp_path, {
        "main.tf": """
            resource "aws_sqs_queue" "renamed" {
              count = 1
              name  = "q"
            }
            moved {
              from = aws_sqs_queue.old
              to   = aws_sqs_queue.renamed
            }
            module "new" { source = "./m" }
            moved {
              from = module.old
              to   = module.new
            }
        """,
        "m/main.tf": 'resource "aws_sns_topic" "t" { name = "t" }\n',
    })
    config = load_configuration(tmp_path, env={})
    assert config.moved == {"aws_sqs_queue.old": "aws_sqs_queue.renamed", "module.old": "module.new"}
    state = [
        DesiredResource("aws_sqs_queue.old[0]", "aws_sqs_queue", "u", {"name": "q"}, SourceRef(kind="terraform")),
        DesiredResource("module.old.aws_sns_topic.t", "aws_sns_topic", "arn", {"name": "t"}, SourceRef(kind="terraform")),
    ]
    assert compare_code_to_state(config.instances, state, moved=config.moved) == {}
    assert set(compare_code_to_state(config.instances, state)) == {
        "aws_sqs_queue.old[0]", "aws_sqs_queue.renamed[0]", "module.old.aws_sns_topic.t", "module.new.aws_sns_topic.t",
    }


def test_region_and_partition_data_sources_follow_the_provider(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": """
        provider "aws" { region = "eu-central-1" }
        provider "aws" {
          alias = "cn"
          region = "cn-north-1"
        }
        data "aws_region" "current" {}
        data "aws_partition" "cn" { provider = aws.cn }
        resource "aws_sqs_queue" "q" {
          name = "q-${data.aws_region.current.name}-${data.aws_partition.cn.partition}"
        }
    """})
    config = load_configuration(tmp_path, env={})
    assert config.instances["aws_sqs_queue.q"].attributes["name"] == "q-eu-central-1-aws-cn"
    (tmp_path / "main.tf").write_text('data "aws_region" "current" {}\nresource "aws_sqs_queue" "q" { name = data.aws_region.current.name }\n')
    config = load_configuration(tmp_path, env={})
    assert config.instances["aws_sqs_queue.q"].attributes["name"] is UNKNOWN  # no region in code


def test_an_evaluator_bug_costs_one_value_not_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from driftdeck.core.inputs.hcl import evaluator

    write_tree(tmp_path, {"main.tf": """
        locals { m = { a = 1 } }
        resource "aws_sqs_queue" "q" {
          name  = "q"
          delay = local.m.a
        }
    """})
    real = evaluator.get_attribute

    def broken(obj: object, name: str) -> object:
        if name == "a":
            raise AttributeError("simulated bug")
        return real(obj, name)

    monkeypatch.setattr(evaluator, "get_attribute", broken)
    config = load_configuration(tmp_path, env={})
    assert config.instances["aws_sqs_queue.q"].attributes == {"name": "q", "delay": UNKNOWN}
    (diag,) = [d for d in config.diagnostics if d.kind == "internal_error"]
    assert (diag.file, diag.line) == ("main.tf", 4) and "simulated bug" in diag.message


def test_registry_modules_installed_by_terraform_init_are_evaluated(tmp_path: Path) -> None:
    import json

    write_tree(tmp_path, {
        "main.tf": """
            module "vpc" {
              source  = "terraform-aws-modules/vpc/aws"
              version = "5.0.0"
              name    = "prod"
            }
            module "absent" { source = "git::https://example.com/x.git" }
        """,
        ".terraform/modules/vpc/main.tf": """
            variable "name" {}
            resource "aws_vpc" "this" { tags = { Name = var.name } }
            module "flow" { source = "terraform-aws-modules/flow-log/aws" }
        """,
        ".terraform/modules/vpc.flow/main.tf": 'resource "aws_flow_log" "this" { log_destination_type = "s3" }\n',
    })
    manifest = {"Modules": [
        {"Key": "", "Source": "", "Dir": "."},
        {"Key": "vpc", "Source": "registry.terraform.io/terraform-aws-modules/vpc/aws", "Dir": ".terraform/modules/vpc"},
        {"Key": "vpc.flow", "Source": "registry.terraform.io/x/flow-log/aws", "Dir": ".terraform/modules/vpc.flow"},
    ]}
    (tmp_path / ".terraform/modules/modules.json").write_text(json.dumps(manifest))
    config = load_configuration(tmp_path, env={})
    assert config.instances["module.vpc.aws_vpc.this"].attributes == {"tags": {"Name": "prod"}}
    vpc = config.instances["module.vpc.aws_vpc.this"]
    assert (vpc.file, vpc.line) == (".terraform/modules/vpc/main.tf", 2)
    assert "module.vpc.module.flow.aws_flow_log.this" in config.instances
    assert config.unevaluated_modules == {"module.absent": "git::https://example.com/x.git"}
    located = locate_resources(tmp_path)
    assert located["module.vpc.module.flow.aws_flow_log.this"] == (".terraform/modules/vpc.flow/main.tf", 1)


def test_references_see_code_maps_whole_and_state_inside_blocks(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": """
        resource "aws_s3_bucket" "b" {
          bucket = "b"
          tags   = { Env = "prod" }
          versioning { enabled = true }
        }
        resource "aws_ssm_parameter" "p" {
          name  = "p"
          value = jsonencode([aws_s3_bucket.b.tags, aws_s3_bucket.b.versioning[0].mfa_delete])
        }
    """})
    state = {"aws_s3_bucket.b": {"bucket": "b", "tags": {"Env": "prod"},
                                 "versioning": [{"enabled": True, "mfa_delete": False}]}}
    value = load_configuration(tmp_path, env={}, state_lookup=state).instances["aws_ssm_parameter.p"].attributes["value"]
    assert value == '[{"Env":"prod"},false]'


def test_a_module_calling_itself_is_reported_not_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": 'module "a" { source = "./a" }\n',
        "a/main.tf": 'resource "aws_sqs_queue" "q" { name = "q" }\nmodule "again" {\n  source = "../a"\n  count  = 2\n}\n',
    })
    config = load_configuration(tmp_path, env={})
    assert list(config.instances) == ["module.a.aws_sqs_queue.q"]
    assert any(d.kind == "module_not_evaluated" and "calls itself" in d.message for d in config.diagnostics)
    assert locate_resources(tmp_path) == {"module.a.aws_sqs_queue.q": ("a/main.tf", 1)}


def test_absurd_count_is_not_expanded(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'resource "aws_sqs_queue" "q" {\n  count = 1000000000\n  name = "q${count.index}"\n}\n'})
    config = load_configuration(tmp_path, env={})
    assert config.instances == {} and "aws_sqs_queue.q" in config.unexpanded
