"""Real Terraform against the moto server (one apply for the whole module):

- adopt: the plan's patch, applied to a copy of the config, makes `terraform plan` report no change
  for the adopted resources while live stays drifted;
- import: the generated `import {}` + resource blocks make `terraform plan` show imports with no change;
- revert: the plan's AWS calls (through boto3) bring every resource back to in_sync.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.model import ResourceResult, Status
from driftdeck.core.remediation import (
    Direction,
    PlanOptions,
    apply_revert,
    build_plans,
    combined_patch,
)
from driftdeck.core.scan.run import ScanOptions, run_scan

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

PROVIDER_TF = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  s3_use_path_style           = true
  endpoints {
    s3  = var.endpoint
    sqs = var.endpoint
    sts = var.endpoint
    ec2 = var.endpoint
    iam = var.endpoint
  }
%DEFAULT_TAGS%
}
"""
DEFAULT_TAGS = """  default_tags {
    tags = { ManagedBy = "terraform" }
  }"""

MAIN_TF = """\
# Estate for the remediation round trip.
resource "aws_s3_bucket" "logs" {
  bucket = "rt-logs" # fixed name

  tags = {
    Env  = "prod" # environment
    Team = "platform"
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration { status = "Enabled" }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_sqs_queue" "jobs" {
  name                       = "rt-jobs"
  visibility_timeout_seconds = 30 # consumers need 30 s
  tags                       = { Env = "prod" }
}

resource "aws_iam_role" "app" {
  name = "rt-app"
  # trust policy written in HCL
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
}

resource "aws_sqs_queue" "doomed" {
  name = "rt-doomed"
}

resource "aws_vpc" "main" {
  cidr_block = "10.7.0.0/16"
}

resource "aws_security_group" "web" {
  name        = "rt-web"
  description = "web"
  vpc_id      = aws_vpc.main.id

  # ssh from the office only
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}
"""

ADOPTED = [
    "aws_s3_bucket.logs", "aws_s3_bucket_versioning.logs", "aws_s3_bucket_public_access_block.logs",
    "aws_sqs_queue.jobs", "aws_security_group.web",
]
# Drift kinds with an adopt patch but no tested boto3 revert (terraform apply answers them).
ADOPT_ONLY = ["aws_iam_role.app"]


def _tf(args: list[str], cwd: Path, env: dict[str, str], endpoint: str, timeout: int = 300) -> str:
    cmd = ["terraform", *args]
    if args[0] in ("apply", "plan"):
        cmd += ["-input=false", "-no-color", f"-var=endpoint={endpoint}"]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"terraform {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _plan_json(cwd: Path, env: dict[str, str], endpoint: str) -> dict[str, Any]:
    _tf(["plan", "-out=rt.tfplan"], cwd, env, endpoint)
    return dict(json.loads(_tf(["show", "-json", "rt.tfplan"], cwd, env, endpoint)))


@dataclass
class Estate:
    root: Path
    env: dict[str, str]
    endpoint: str
    results: dict[str, ResourceResult]


@pytest.fixture(scope="module")
def estate(moto_server: Any, tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    moto_server.reset()
    saved = dict(os.environ)
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto_server.url, "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    try:
        root = tmp_path_factory.mktemp("rt") / "infra"
        root.mkdir()
        (root / "provider.tf").write_text(PROVIDER_TF.replace("%DEFAULT_TAGS%", DEFAULT_TAGS))
        (root / "main.tf").write_text(MAIN_TF)
        env = dict(tf_env)
        _tf(["init", "-input=false", "-no-color"], root, env, moto_server.url)
        _tf(["apply", "-auto-approve"], root, env, moto_server.url)
        _tf(["apply", "-refresh-only", "-auto-approve"], root, env, moto_server.url)

        clean = run_scan(ScanOptions(path=root, detect_unmanaged=False), ctx=AwsContext())
        not_in_sync = [(r.key, r.status.value, [d.path for d in r.differences], r.reason) for r in clean.resources
                       if r.status != Status.IN_SYNC and collector_for(r.type) is not None]
        assert not not_in_sync, not_in_sync

        _drift_out_of_band(root)
        report = run_scan(ScanOptions(path=root, detect_unmanaged=False), ctx=AwsContext())
        yield Estate(root, env, moto_server.url, {r.key: r for r in report.resources})
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _drift_out_of_band(root: Path) -> None:
    s3 = boto3.client("s3")
    s3.put_bucket_tagging(Bucket="rt-logs", Tagging={"TagSet": [
        {"Key": "Env", "Value": "dev"}, {"Key": "Team", "Value": "platform"}, {"Key": "Owner", "Value": "mallory"},
        {"Key": "ManagedBy", "Value": "terraform"}]})
    s3.put_bucket_versioning(Bucket="rt-logs", VersioningConfiguration={"Status": "Suspended"})
    s3.put_public_access_block(Bucket="rt-logs", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True})
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="rt-jobs")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "90"})
    ec2 = boto3.client("ec2")
    gid = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["rt-web"]}])["SecurityGroups"][0]["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}}]}
    boto3.client("iam").update_assume_role_policy(RoleName="rt-app", PolicyDocument=json.dumps(trust))


def _drifted(estate: Estate, addresses: list[str] = ADOPTED) -> list[ResourceResult]:
    out = [estate.results[a] for a in addresses if a in estate.results and collector_for(estate.results[a].type) is not None]
    assert all(r.status == Status.CHANGED for r in out), [(r.key, r.status.value, r.reason) for r in out]
    return out


def test_adopt_patch_makes_terraform_plan_report_no_change(estate: Estate, tmp_path: Path) -> None:
    drifted = _drifted(estate, ADOPTED + ADOPT_ONLY)
    plans = build_plans(drifted, PlanOptions(workspace=estate.root, directions=frozenset({Direction.ADOPT})))
    for plan in plans:
        adopt = plan.direction(Direction.ADOPT)
        assert adopt is not None and adopt.validated is True and not adopt.unanswered, (plan.key, adopt.notes)
    copy = tmp_path / "adopted"
    shutil.copytree(estate.root, copy, symlinks=True)
    patch_file = tmp_path / "adopt.patch"
    patch_file.write_text(combined_patch(plans))
    proc = subprocess.run(["git", "apply", str(patch_file)], cwd=copy, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = (copy / "main.tf").read_text()
    for comment in ("# environment", "# fixed name", "# consumers need 30 s", "# ssh from the office only",
                    "# trust policy written in HCL"):
        assert comment in text

    plan = _plan_json(copy, estate.env, estate.endpoint)
    actions = {rc["address"]: rc["change"]["actions"] for rc in plan.get("resource_changes", [])}
    for plan_ in plans:
        assert actions.get(plan_.key) == ["no-op"], (plan_.key, actions.get(plan_.key))


def test_import_blocks_plan_as_imports_without_changes(estate: Estate, tmp_path: Path) -> None:
    sqs = boto3.client("sqs")
    # 262144: the largest size hashicorp/aws 5.x accepts (moto defaults to the newer 1 MiB)
    sqs.create_queue(QueueName="rt-hand-made", tags={"Owner": "ops"},
                     Attributes={"VisibilityTimeout": "45", "DelaySeconds": "3", "MaximumMessageSize": "262144"})
    boto3.client("s3").create_bucket(Bucket="rt-hand-bucket")
    report = run_scan(ScanOptions(path=estate.root, unmanaged_types=("aws_sqs_queue", "aws_s3_bucket")), ctx=AwsContext())
    unmanaged = [r for r in report.resources if r.status == Status.UNMANAGED and r.type in ("aws_sqs_queue", "aws_s3_bucket")]
    assert sorted(r.id.rsplit("/", 1)[-1] for r in unmanaged) == ["rt-hand-bucket", "rt-hand-made"]
    plans = build_plans(unmanaged, PlanOptions(workspace=estate.root, directions=frozenset({Direction.IMPORT})), ctx=AwsContext())
    assert all(p.direction(Direction.IMPORT) is not None and p.direction(Direction.IMPORT).validated for p in plans)  # type: ignore[union-attr]

    copy = tmp_path / "imported"
    shutil.copytree(estate.root, copy, symlinks=True)
    # These objects were made without the provider's default_tags; compare them without it.
    (copy / "provider.tf").write_text(PROVIDER_TF.replace("%DEFAULT_TAGS%", ""))
    patch_file = tmp_path / "import.patch"
    patch_file.write_text(combined_patch(plans))
    proc = subprocess.run(["git", "apply", str(patch_file)], cwd=copy, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr

    plan = _plan_json(copy, estate.env, estate.endpoint)
    changes = {rc["address"]: rc["change"] for rc in plan.get("resource_changes", [])}
    for address in ("aws_sqs_queue.rt_hand_made", "aws_s3_bucket.rt_hand_bucket"):
        assert address in changes, sorted(changes)
        assert changes[address].get("importing"), changes[address]
        assert changes[address]["actions"] == ["no-op"], (address, changes[address])


def test_forget_plan_makes_terraform_forget_without_destroying(estate: Estate, tmp_path: Path) -> None:
    sqs = boto3.client("sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="rt-doomed")["QueueUrl"])
    report = run_scan(ScanOptions(path=estate.root, detect_unmanaged=False), ctx=AwsContext())
    gone = next(r for r in report.resources if r.key == "aws_sqs_queue.doomed")
    assert gone.status == Status.MISSING
    plans = build_plans([gone], PlanOptions(workspace=estate.root, directions=frozenset({Direction.FORGET})))
    forget = plans[0].direction(Direction.FORGET)
    assert forget is not None and forget.validated is True
    recreate = plans[0].direction(Direction.RECREATE)
    assert recreate is not None and any("apply -target=aws_sqs_queue.doomed" in c.text for c in recreate.commands)

    copy = tmp_path / "forgotten"
    shutil.copytree(estate.root, copy, symlinks=True)
    patch_file = tmp_path / "forget.patch"
    patch_file.write_text(combined_patch(plans))
    proc = subprocess.run(["git", "apply", str(patch_file)], cwd=copy, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    plan = _plan_json(copy, estate.env, estate.endpoint)
    actions = {rc["address"]: rc["change"]["actions"] for rc in plan.get("resource_changes", [])}
    assert actions.get("aws_sqs_queue.doomed") == ["forget"], actions


def test_revert_calls_bring_every_resource_back_in_sync(estate: Estate) -> None:
    drifted = _drifted(estate)
    plans = build_plans(drifted, PlanOptions(workspace=estate.root, directions=frozenset({Direction.REVERT})))
    for plan in plans:
        outcome = apply_revert(plan, AwsContext(), read_only=False)
        assert outcome.ok, (plan.key, outcome.error)
    report = run_scan(ScanOptions(path=estate.root, detect_unmanaged=False), ctx=AwsContext())
    statuses = {r.key: r.status for r in report.resources if r.key in ADOPTED}
    assert all(s == Status.IN_SYNC for s in statuses.values()), statuses
