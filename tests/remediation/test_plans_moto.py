"""Plans for real drift on the moto server (over HTTP): adopt patches re-parse and now say what live
says; revert calls, run through boto3, bring the resource back to in_sync on the next scan."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import boto3
import hcl2
import pytest
from remediation_support import bucket_tags, queue_attribute, queue_workspace, scan, write_state

from driftdeck.core.aws import AwsContext
from driftdeck.core.inputs.hcl.literals import resource_body
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.model import Status
from driftdeck.core.remediation import (
    ApplyRefused,
    Direction,
    PlanOptions,
    apply_revert,
    build_plans,
    plan_resource,
)

BUCKET_TF = """\
# Log bucket: owned by the platform team.
resource "aws_s3_bucket" "logs" {
  bucket = "dd-logs" # the name is part of the contract

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
"""


def _bucket_workspace(root: Path) -> Path:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="dd-logs")
    s3.put_bucket_tagging(Bucket="dd-logs", Tagging={"TagSet": [{"Key": "Env", "Value": "prod"}, {"Key": "Team", "Value": "platform"}]})
    s3.put_bucket_versioning(Bucket="dd-logs", VersioningConfiguration={"Status": "Enabled"})
    pab = {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    s3.put_public_access_block(Bucket="dd-logs", PublicAccessBlockConfiguration=pab)
    root.mkdir(parents=True)
    (root / "main.tf").write_text(BUCKET_TF)
    tags = {"Env": "prod", "Team": "platform"}
    write_state(root / "terraform.tfstate", [
        ("aws_s3_bucket", "logs", {"id": "dd-logs", "bucket": "dd-logs", "arn": "arn:aws:s3:::dd-logs",
                                   "tags": tags, "tags_all": tags}),
        ("aws_s3_bucket_versioning", "logs", {"id": "dd-logs", "bucket": "dd-logs",
                                              "versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}]}),
        ("aws_s3_bucket_public_access_block", "logs", {"id": "dd-logs", "bucket": "dd-logs", "block_public_acls": True,
                                                       "block_public_policy": True, "ignore_public_acls": True,
                                                       "restrict_public_buckets": True}),
    ])
    return root


def _adopted_copy(root: Path, tmp: Path, plan_text: str) -> Path:
    """Apply the patch text to a copy of the config the way the operator would (`git apply`)."""
    import subprocess

    copy = tmp / "copy"
    shutil.copytree(root, copy)
    patch = tmp / "p.patch"
    patch.write_text(plan_text)
    proc = subprocess.run(["git", "apply", "--unsafe-paths", "--directory=.", str(patch)], cwd=copy, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return copy


@pytest.mark.usefixtures("aws_env")
def test_bucket_tag_versioning_and_public_access_drift_adopt_and_revert(tmp_path: Path) -> None:
    root = _bucket_workspace(tmp_path / "ws")
    assert {r.status for r in scan(root).values()} == {Status.IN_SYNC}

    s3 = boto3.client("s3")
    s3.put_bucket_tagging(Bucket="dd-logs", Tagging={"TagSet": [{"Key": "Env", "Value": "dev"}, {"Key": "Owner", "Value": "mallory"},
                                                                {"Key": "Team", "Value": "platform"}]})
    s3.put_bucket_versioning(Bucket="dd-logs", VersioningConfiguration={"Status": "Suspended"})
    s3.put_public_access_block(Bucket="dd-logs", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True})

    results = scan(root)
    drifted = [r for r in results.values() if r.status == Status.CHANGED]
    assert {r.address for r in drifted} == {"aws_s3_bucket.logs", "aws_s3_bucket_versioning.logs", "aws_s3_bucket_public_access_block.logs"}
    plans = build_plans(drifted, PlanOptions(workspace=root))
    assert len(plans) == 3

    # adopt: every plan validated, and the combined patch applied to a copy says what live says
    from driftdeck.core.remediation import combined_patch

    for plan in plans:
        adopt = plan.direction(Direction.ADOPT)
        assert adopt is not None and adopt.validated is True and not adopt.unanswered, (plan.key, adopt.notes)
    copy = _adopted_copy(root, tmp_path, combined_patch(plans))
    text = (copy / "main.tf").read_text()
    assert "# Log bucket: owned by the platform team." in text and "# environment" in text
    assert "# the name is part of the contract" in text
    bucket = resource_body(text, "aws_s3_bucket", "logs")
    assert bucket is not None and bucket["tags"] == {"Env": "dev", "Team": "platform", "Owner": "mallory"}
    versioning = resource_body(text, "aws_s3_bucket_versioning", "logs")
    assert versioning is not None and versioning["versioning_configuration"] == [{"status": "Suspended"}]
    pab = resource_body(text, "aws_s3_bucket_public_access_block", "logs")
    assert pab is not None and pab["block_public_acls"] is False and pab["block_public_policy"] is True
    hcl2.loads(text)  # the whole file still parses

    # revert: safe for all three kinds; afterwards live equals state again
    for plan in plans:
        outcome = apply_revert(plan, AwsContext(), read_only=False)
        assert outcome.ok, (plan.key, outcome.error)
        assert outcome.after is not None and outcome.after.status == Status.IN_SYNC
    assert bucket_tags("dd-logs") == {"Env": "prod", "Team": "platform"}
    assert s3.get_bucket_versioning(Bucket="dd-logs")["Status"] == "Enabled"
    assert {r.status for r in scan(root).values()} == {Status.IN_SYNC}


@pytest.mark.usefixtures("aws_env")
def test_sqs_attribute_and_tag_drift(tmp_path: Path) -> None:
    root, url = queue_workspace(tmp_path / "ws")
    sqs = boto3.client("sqs")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "90", "DelaySeconds": "5"})
    sqs.tag_queue(QueueUrl=url, Tags={"Env": "staging", "Incident": "INC-42"})

    result = scan(root)["aws_sqs_queue.jobs"]
    assert result.status == Status.CHANGED
    plan = plan_resource(result, PlanOptions(workspace=root))
    assert plan is not None
    revert = plan.direction(Direction.REVERT)
    adopt = plan.direction(Direction.ADOPT)
    assert revert is not None and adopt is not None
    # the exact CLI lines for exactly the drifted attributes
    cli = "\n".join(c.text for c in revert.commands)
    assert "aws sqs set-queue-attributes --queue-url" in cli
    assert '"DelaySeconds":"0"' in cli and '"VisibilityTimeout":"30"' in cli
    assert "MessageRetentionPeriod" not in cli  # not drifted, not touched
    assert "aws sqs untag-queue" in cli and "Incident" in cli
    assert "terraform apply -target=aws_sqs_queue.jobs" in cli
    assert revert.safe_to_apply

    assert adopt.validated is True
    patched = adopt.patches[0].patched
    body = resource_body(patched, "aws_sqs_queue", "jobs")
    assert body is not None
    assert body["visibility_timeout_seconds"] == 90 and body["delay_seconds"] == 5
    assert body["tags"] == {"Env": "staging", "Incident": "INC-42"}
    assert "# consumers need 30 s to process a message" in patched

    outcome = apply_revert(plan, AwsContext(), read_only=False)
    assert outcome.ok, outcome.error
    assert queue_attribute(url, "VisibilityTimeout") == "30" and queue_attribute(url, "DelaySeconds") == "0"
    assert scan(root)["aws_sqs_queue.jobs"].status == Status.IN_SYNC
    # applying the same plan again finds nothing to do and runs nothing
    again = apply_revert(plan, AwsContext(), read_only=False)
    assert again.ok and again.ran == [] and again.after_status == "in_sync"


def _sg_workspace(root: Path) -> tuple[Path, str]:
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    gid = ec2.create_security_group(GroupName="dd-web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    root.mkdir(parents=True)
    (root / "sg.tf").write_text(
        'resource "aws_security_group" "web" {\n'
        '  name        = "dd-web"\n'
        '  description = "web"\n'
        '  vpc_id      = "' + vpc + '"\n'
        "\n"
        "  # ssh from the corporate network only\n"
        "  ingress {\n"
        "    from_port   = 22\n"
        "    to_port     = 22\n"
        '    protocol    = "tcp"\n'
        '    cidr_blocks = ["10.0.0.0/8"]\n'
        "  }\n"
        "}\n"
    )
    rule = {"cidr_blocks": ["10.0.0.0/8"], "description": "", "from_port": 22, "ipv6_cidr_blocks": [], "prefix_list_ids": [],
            "protocol": "tcp", "security_groups": [], "self": False, "to_port": 22}
    egress = {"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0, "ipv6_cidr_blocks": [], "prefix_list_ids": [],
              "protocol": "-1", "security_groups": [], "self": False, "to_port": 0}
    write_state(root / "terraform.tfstate", [
        ("aws_security_group", "web", {"id": gid, "name": "dd-web", "description": "web", "vpc_id": vpc,
                                       "ingress": [rule], "egress": [egress], "tags": {}, "tags_all": {}}),
    ])
    return root, gid


@pytest.mark.usefixtures("aws_env")
def test_security_group_rule_drift(tmp_path: Path) -> None:
    if collector_for("aws_security_group") is None:
        pytest.skip("the EC2 collectors are not in this checkout yet")
    root, gid = _sg_workspace(tmp_path / "ws")
    assert scan(root)["aws_security_group.web"].status == Status.IN_SYNC
    ec2 = boto3.client("ec2")
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])

    result = scan(root)["aws_security_group.web"]
    assert result.status == Status.CHANGED
    plan = plan_resource(result, PlanOptions(workspace=root))
    assert plan is not None
    revert = plan.direction(Direction.REVERT)
    assert revert is not None and revert.safe_to_apply
    ops = sorted(c.operation for c in revert.aws_calls)
    assert ops == ["authorize_security_group_ingress", "revoke_security_group_ingress"]
    assert any("aws ec2 revoke-security-group-ingress --group-id " + gid in c.text for c in revert.commands)

    adopt = plan.direction(Direction.ADOPT)
    assert adopt is not None and adopt.validated is True, adopt.notes
    body = resource_body(adopt.patches[0].patched, "aws_security_group", "web")
    assert body is not None
    assert [(b["from_port"], b["cidr_blocks"]) for b in body["ingress"]] == [(443, ["0.0.0.0/0"])]

    outcome = apply_revert(plan, AwsContext(), read_only=False)
    assert outcome.ok, outcome.error
    assert scan(root)["aws_security_group.web"].status == Status.IN_SYNC


@pytest.mark.usefixtures("aws_env")
def test_apply_refused_in_read_only_mode_and_for_untested_kinds(tmp_path: Path) -> None:
    root, url = queue_workspace(tmp_path / "ws")
    boto3.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "90"})
    plan = plan_resource(scan(root)["aws_sqs_queue.jobs"], PlanOptions(workspace=root))
    assert plan is not None
    with pytest.raises(ApplyRefused, match="read-only"):
        apply_revert(plan, AwsContext(), read_only=True)
    assert queue_attribute(url, "VisibilityTimeout") == "90"  # nothing ran

    # an S3 bucket policy revert has CLI commands but no tested boto3 path: refused
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="dd-pol")
    pol_root = tmp_path / "pol"
    pol_root.mkdir()
    (pol_root / "main.tf").write_text('resource "aws_s3_bucket_policy" "p" {\n  bucket = "dd-pol"\n  policy = "{}"\n}\n')
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::dd-pol/*"}]}'
    write_state(pol_root / "terraform.tfstate", [("aws_s3_bucket_policy", "p", {"id": "dd-pol", "bucket": "dd-pol", "policy": doc})])
    s3.put_bucket_policy(Bucket="dd-pol", Policy=doc.replace("Deny", "Allow"))
    pol_plan = plan_resource(scan(pol_root)["aws_s3_bucket_policy.p"], PlanOptions(workspace=pol_root))
    assert pol_plan is not None
    revert = pol_plan.direction(Direction.REVERT)
    assert revert is not None and not revert.safe_to_apply
    assert any(c.text.startswith("aws s3api put-bucket-policy --bucket dd-pol --policy ") for c in revert.commands)
    with pytest.raises(ApplyRefused, match="no tested boto3 revert"):
        apply_revert(pol_plan, AwsContext(), read_only=False)


@pytest.mark.usefixtures("aws_env")
def test_missing_resource_forget_and_recreate(tmp_path: Path) -> None:
    root, url = queue_workspace(tmp_path / "ws")
    boto3.client("sqs").delete_queue(QueueUrl=url)
    result = scan(root)["aws_sqs_queue.jobs"]
    assert result.status == Status.MISSING
    plan = plan_resource(result, PlanOptions(workspace=root))
    assert plan is not None
    assert [d.direction for d in plan.directions] == [Direction.FORGET, Direction.RECREATE]
    forget = plan.direction(Direction.FORGET)
    assert forget is not None and forget.validated is True
    patched = forget.patches[0].patched
    doc: dict[str, Any] = hcl2.loads(patched)
    assert "resource" not in doc
    assert doc["removed"][0]["from"] == "${aws_sqs_queue.jobs}"
    assert any(c.text == "terraform state rm aws_sqs_queue.jobs" for c in forget.commands)
    recreate = plan.direction(Direction.RECREATE)
    assert recreate is not None and any(c.text == "terraform apply -target=aws_sqs_queue.jobs" for c in recreate.commands)
    assert any(r.kind == "data-loss" for r in recreate.risks)


@pytest.mark.usefixtures("aws_env")
def test_apply_records_applied_and_failed_with_before_and_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from driftdeck.core.audit import AuditLog, AuditReader

    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("DRIFTDECK_AUDIT_KEY", raising=False)
    root, url = queue_workspace(tmp_path / "ws")
    sqs = boto3.client("sqs")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "90"})
    plan = plan_resource(scan(root)["aws_sqs_queue.jobs"], PlanOptions(workspace=root))
    assert plan is not None
    with AuditLog.open(root) as log:
        outcome = apply_revert(plan, AwsContext(), read_only=False, audit_log=log)
    assert outcome.ok and outcome.audit_seq is not None

    # drift again; a plan made now but overtaken by another live change is refused, nothing runs
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "90"})
    plan = plan_resource(scan(root)["aws_sqs_queue.jobs"], PlanOptions(workspace=root))
    assert plan is not None
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "120"})
    with pytest.raises(ApplyRefused, match="changed since the plan was made"):
        apply_revert(plan, AwsContext(), read_only=False)
    assert queue_attribute(url, "VisibilityTimeout") == "120"

    # a call that AWS rejects (here: aimed at a queue that does not exist) is recorded as a failure
    plan = plan_resource(scan(root)["aws_sqs_queue.jobs"], PlanOptions(workspace=root))
    assert plan is not None
    revert = plan.direction(Direction.REVERT)
    assert revert is not None
    bogus = url.rsplit("/", 1)[0] + "/no-such-queue"
    revert.aws_calls = [dataclasses.replace(c, params={**c.params, "QueueUrl": bogus}) for c in revert.aws_calls]
    with AuditLog.open(root) as log:
        failed = apply_revert(plan, AwsContext(), read_only=False, audit_log=log)
    assert not failed.ok and failed.error is not None and "set_queue_attributes failed" in failed.error
    assert queue_attribute(url, "VisibilityTimeout") == "120"

    reader = AuditReader.for_workspace(root)
    entries = list(reader.iter_entries(kinds={"remediation.applied", "remediation.failed"}))
    assert len(entries) == 2  # newest first
    newest, oldest = (reader.get(e.seq) for e in entries)
    assert oldest is not None and newest is not None
    assert oldest.kind == "remediation.applied" and oldest.data.get("outcome") is None
    assert oldest.before["status"] == "changed" and oldest.after["status"] == "in_sync"
    assert oldest.data["calls"][0]["operation"] == "set_queue_attributes"
    assert oldest.subject["address"] == "aws_sqs_queue.jobs"
    failed_kind = newest.kind == "remediation.failed" or newest.data.get("outcome") == "failed"
    assert failed_kind and newest.data["error"] == failed.error
    assert newest.before["differences"][0]["path"] == "visibility_timeout_seconds"


@pytest.mark.usefixtures("aws_env")
def test_extra_rule_on_a_managed_group_is_revoked(tmp_path: Path) -> None:
    """A rule added out of band to a group whose rules are separate resources: unmanaged, revert revokes it."""
    if collector_for("aws_vpc_security_group_ingress_rule") is None:
        pytest.skip("the EC2 collectors are not in this checkout yet")
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    gid = ec2.create_security_group(GroupName="dd-api", Description="api", VpcId=vpc)["GroupId"]
    managed = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])["SecurityGroupRules"][0]
    root = tmp_path / "ws"
    root.mkdir()
    (root / "sg.tf").write_text(
        f'resource "aws_security_group" "api" {{\n  name = "dd-api"\n  description = "api"\n  vpc_id = "{vpc}"\n}}\n\n'
        f'resource "aws_vpc_security_group_ingress_rule" "https" {{\n  security_group_id = aws_security_group.api.id\n'
        '  ip_protocol = "tcp"\n  from_port = 443\n  to_port = 443\n  cidr_ipv4 = "10.0.0.0/8"\n}\n'
    )
    write_state(root / "terraform.tfstate", [
        ("aws_security_group", "api", {"id": gid, "name": "dd-api", "description": "api", "vpc_id": vpc, "tags": {}, "tags_all": {}}),
        ("aws_vpc_security_group_ingress_rule", "https", {
            "id": managed["SecurityGroupRuleId"], "security_group_id": gid, "ip_protocol": "tcp", "from_port": 443,
            "to_port": 443, "cidr_ipv4": "10.0.0.0/8", "tags": None, "tags_all": {}}),
    ])
    extra = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])["SecurityGroupRules"][0]
    results = scan(root, unmanaged=True)
    finding = results.get(f"aws_vpc_security_group_ingress_rule:{extra['SecurityGroupRuleId']}")
    assert finding is not None and finding.status == Status.UNMANAGED, sorted(results)
    plan = plan_resource(finding, PlanOptions(workspace=root))
    assert plan is not None
    assert [d.direction for d in plan.directions] == [Direction.IMPORT, Direction.REVERT]
    revert = plan.direction(Direction.REVERT)
    assert revert is not None and revert.safe_to_apply
    assert revert.commands[0].text.startswith(f"aws ec2 revoke-security-group-ingress --group-id {gid} --security-group-rule-ids")
    imported = plan.direction(Direction.IMPORT)
    assert imported is not None and "aws_vpc_security_group_ingress_rule" in imported.patch_text

    outcome = apply_revert(plan, AwsContext(), read_only=False)
    assert outcome.ok and outcome.after_status == "removed", outcome.error
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
    assert extra["SecurityGroupRuleId"] not in {r["SecurityGroupRuleId"] for r in rules}
    assert managed["SecurityGroupRuleId"] in {r["SecurityGroupRuleId"] for r in rules}
