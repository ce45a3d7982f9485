"""EC2/IAM collectors against real Terraform state (terraform 1.11 + hashicorp/aws 5.100.0 on moto).

One terraform apply for the whole module (it is slow): the fixture applies, scans clean, makes
out-of-band changes with boto3, scans again and asks terraform's own refresh-only plan what
drifted. The tests then read the results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ec2iam_support import apply_fixture, session_for, state_ids, terraform_drift

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.model import ResourceResult, ScanReport, Status
from driftdeck.core.scan.run import ScanOptions, run_scan

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

MY_TYPES = {
    "aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_vpc", "aws_subnet", "aws_instance",
    "aws_iam_role", "aws_iam_policy", "aws_iam_role_policy_attachment", "aws_iam_user",
}
SUB_TYPES = {"aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_access_key", "aws_iam_user_policy_attachment"}


@dataclass
class Estate:
    ids: dict[str, str]
    clean_raw: ScanReport  # state straight after `terraform apply`
    clean: ScanReport  # state after the settling `apply -refresh-only`
    clean_code: ScanReport  # the terraform directory itself: code (HCL) and its state
    drifted: ScanReport
    tf_drift: list[dict[str, Any]]
    created: dict[str, str]  # what the test created out of band: name -> id


def scan(path: Path, ctx: AwsContext) -> ScanReport:
    return run_scan(ScanOptions(path=path), ctx=ctx)


def change_out_of_band(session: Any, ids: dict[str, str]) -> dict[str, str]:
    """One change per type (plus deletions and unmanaged objects), made the way a person would."""
    ec2, iam = session.client("ec2"), session.client("iam")
    sg_inline, sg_separate = ids["aws_security_group.inline"], ids["aws_security_group.separate"]
    # Security groups: port 22 opened on the inline group; an extra rule and a tag on the other.
    ec2.authorize_security_group_ingress(
        GroupId=sg_inline, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    extra = ec2.authorize_security_group_ingress(
        GroupId=sg_separate,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )
    ec2.create_tags(Resources=[sg_separate], Tags=[{"Key": "Name", "Value": "renamed-by-hand"}])
    ec2.delete_security_group(GroupId=ids["aws_security_group.spare"])
    # Rule resources: a description edited, another rule revoked.
    https = ids["aws_vpc_security_group_ingress_rule.https"]
    ec2.modify_security_group_rules(
        GroupId=sg_separate,
        SecurityGroupRules=[{
            "SecurityGroupRuleId": https,
            "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": "0.0.0.0/0", "Description": "edited by hand"},
        }],
    )
    ec2.revoke_security_group_ingress(GroupId=sg_separate, SecurityGroupRuleIds=[ids["aws_vpc_security_group_ingress_rule.from_inline"]])
    ec2.modify_security_group_rules(
        GroupId=sg_separate,
        SecurityGroupRules=[{
            "SecurityGroupRuleId": ids["aws_vpc_security_group_egress_rule.to_vpc"],
            "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": "10.20.0.0/16", "Description": "egress edited"},
        }],
    )
    extra_egress = ec2.authorize_security_group_egress(
        GroupId=sg_separate, IpPermissions=[{"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    # VPCs, subnets, instances.
    ec2.create_tags(Resources=[ids["aws_vpc.main"]], Tags=[{"Key": "Env", "Value": "prod"}])
    ec2.modify_vpc_attribute(VpcId=ids["aws_vpc.main"], EnableDnsHostnames={"Value": False})
    ec2.delete_vpc(VpcId=ids["aws_vpc.spare"])
    ec2.modify_subnet_attribute(SubnetId=ids["aws_subnet.a"], MapPublicIpOnLaunch={"Value": True})
    ec2.create_tags(Resources=[ids["aws_instance.web"]], Tags=[{"Key": "Role", "Value": "db"}])
    ec2.terminate_instances(InstanceIds=[ids["aws_instance.worker"]])
    ec2.delete_subnet(SubnetId=ids["aws_subnet.b"])
    # IAM.
    iam.update_assume_role_policy(
        RoleName="dd-app",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}),
    )
    iam.put_role_policy(RoleName="dd-app", PolicyName="sneaky", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    iam.delete_role(RoleName="dd-spare")
    iam.create_policy_version(
        PolicyArn=ids["aws_iam_policy.app"],
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        SetAsDefault=True,
    )
    iam.delete_policy(PolicyArn=ids["aws_iam_policy.spare"])
    iam.detach_role_policy(RoleName="dd-app", PolicyArn=ids["aws_iam_policy.app"])
    iam.tag_user(UserName="dd-ci", Tags=[{"Key": "Team", "Value": "security"}])
    iam.put_user_policy(UserName="dd-ci", PolicyName="backdoor", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="dd-ci")["AccessKey"]
    iam.delete_user(UserName="dd-spare")
    # Unmanaged objects of every type.
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.99.1.0/24")["Subnet"]["SubnetId"]
    rogue_sg = ec2.create_security_group(GroupName="rogue", Description="made by hand", VpcId=vpc)["GroupId"]
    rogue_rule = ec2.authorize_security_group_ingress(
        GroupId=rogue_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    instance = ec2.run_instances(ImageId="ami-1e749f67", InstanceType="t3.nano", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]
    iam.create_role(RoleName="rogue", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.attach_role_policy(RoleName="rogue", PolicyArn=ids["aws_iam_policy.app"])
    rogue_policy = iam.create_policy(PolicyName="rogue", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.create_user(UserName="rogue")
    return {
        "extra_rule": extra["SecurityGroupRules"][0]["SecurityGroupRuleId"], "extra_egress": extra_egress,
        "access_key": key["AccessKeyId"],
        "vpc": vpc, "subnet": subnet, "sg": rogue_sg, "rule": rogue_rule, "instance": instance,
        "role": "rogue", "attachment": f"rogue/{ids['aws_iam_policy.app']}", "policy": rogue_policy, "user": "rogue",
    }


@pytest.fixture(scope="module")
def estate(moto_server: Any, tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Estate:
    moto_server.reset()
    work = tmp_path_factory.mktemp("ec2iam-tf") / "tf"
    work.mkdir()
    raw_state, settled_state = apply_fixture(work, tf_env, moto_server.url)
    session = session_for(moto_server.url, work.parent)
    clean_raw = scan(raw_state.parent, AwsContext(session))
    clean = scan(settled_state.parent, AwsContext(session))
    clean_code = scan(work, AwsContext(session))
    ids = state_ids(settled_state)
    created = change_out_of_band(session, ids)
    drifted = scan(settled_state.parent, AwsContext(session))
    tf_drift = terraform_drift(work, tf_env, moto_server.url)
    return Estate(ids, clean_raw, clean, clean_code, drifted, tf_drift, created)


def by_address(report: ScanReport) -> dict[str, ResourceResult]:
    return {r.address: r for r in report.resources if r.address is not None}


def describe(results: list[ResourceResult]) -> list[tuple[Any, ...]]:
    return [(r.status.value, r.address, r.type, r.id, r.reason, [d.to_json() for d in r.differences]) for r in results]


# --- clean scans: no false drift --------------------------------------------------------------------


@pytest.mark.parametrize("which", ["clean", "clean_raw", "clean_code"])
def test_clean_scan_is_all_in_sync_with_nothing_unmanaged(estate: Estate, which: str) -> None:
    report: ScanReport = getattr(estate, which)
    mine = [r for r in report.resources if r.type in MY_TYPES | SUB_TYPES]
    managed = [r for r in mine if r.address is not None]
    assert {r.type for r in managed} == MY_TYPES
    assert len(managed) == 19
    not_in_sync = [r for r in mine if r.status is not Status.IN_SYNC]
    assert not_in_sync == [], describe(not_in_sync)


def test_separate_rules_group_state_differs_between_raw_and_settled(estate: Estate) -> None:
    """The false positive this guards against is real: after apply the group's ingress is [] in
    state, after the refresh it holds the rule resources' rules; both scan clean (test above)."""
    raw = by_address(estate.clean_raw)["aws_security_group.separate"].expected or {}
    settled = by_address(estate.clean)["aws_security_group.separate"].expected or {}
    assert raw.get("ingress") == []
    assert len(settled.get("ingress") or []) == 2


# --- out-of-band changes --------------------------------------------------------------------------


CHANGES = [
    # address, path, expected, actual
    ("aws_security_group.separate", "tags.Name", "dd-separate", "renamed-by-hand"),
    ("aws_vpc_security_group_ingress_rule.https", "description", "https from anywhere", "edited by hand"),
    ("aws_vpc_security_group_egress_rule.to_vpc", "description", "https to the vpc", "egress edited"),
    ("aws_vpc.main", "tags.Env", "test", "prod"),
    ("aws_vpc.main", "enable_dns_hostnames", True, False),
    ("aws_subnet.a", "map_public_ip_on_launch", False, True),
    ("aws_instance.web", "tags.Role", "web", "db"),
    ("aws_iam_user.ci", "tags.Team", "platform", "security"),
]


@pytest.mark.parametrize(("address", "path", "expected", "actual"), CHANGES)
def test_out_of_band_change_is_changed_with_path_expected_actual(
    estate: Estate, address: str, path: str, expected: Any, actual: Any
) -> None:
    result = by_address(estate.drifted)[address]
    assert result.status is Status.CHANGED, describe([result])
    diffs = {d.path: d for d in result.differences}
    assert path in diffs, describe([result])
    assert (diffs[path].expected, diffs[path].actual) == (expected, actual)


def test_port_22_opened_on_inline_group_is_an_added_ingress_block(estate: Estate) -> None:
    result = by_address(estate.drifted)["aws_security_group.inline"]
    assert result.status is Status.CHANGED
    [diff] = result.differences
    assert diff.path.startswith("ingress[") and diff.change.value == "added" and diff.expected is None
    assert diff.actual["from_port"] == 22 and diff.actual["to_port"] == 22
    assert diff.actual["cidr_blocks"] == ["0.0.0.0/0"] and diff.actual["protocol"] == "tcp"


def test_policy_documents_are_compared_semantically_and_reported_parsed(estate: Estate) -> None:
    role = by_address(estate.drifted)["aws_iam_role.app"]
    [trust] = role.differences
    assert trust.path == "assume_role_policy"
    assert trust.expected["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert trust.actual["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    policy = by_address(estate.drifted)["aws_iam_policy.app"]
    [doc] = policy.differences
    assert doc.path == "policy"
    assert doc.expected["Statement"][0]["Action"] == ["s3:GetObject", "s3:ListBucket"]
    assert doc.actual["Statement"][0]["Action"] == "s3:*"


DELETED = [
    "aws_security_group.spare", "aws_vpc_security_group_ingress_rule.from_inline", "aws_vpc.spare", "aws_subnet.b",
    "aws_instance.worker", "aws_iam_role.spare", "aws_iam_policy.spare", "aws_iam_role_policy_attachment.app",
    "aws_iam_user.spare",
]


@pytest.mark.parametrize("address", DELETED)
def test_deleted_out_of_band_is_missing(estate: Estate, address: str) -> None:
    assert by_address(estate.drifted)[address].status is Status.MISSING


def test_every_type_has_a_changed_or_missing_verdict(estate: Estate) -> None:
    drifted_types = {r.type for r in estate.drifted.resources if r.address and r.status in (Status.CHANGED, Status.MISSING)}
    assert drifted_types == MY_TYPES


# --- unmanaged objects and sub-resources ----------------------------------------------------------


def test_unmanaged_objects_are_exactly_what_the_test_created(estate: Estate) -> None:
    c = estate.created
    unmanaged = {(r.type, r.id) for r in estate.drifted.resources if r.status is Status.UNMANAGED and r.parent is None}
    assert unmanaged & {(t, i) for t, i in unmanaged if t in MY_TYPES} == {
        ("aws_vpc", c["vpc"]), ("aws_subnet", c["subnet"]), ("aws_security_group", c["sg"]),
        ("aws_vpc_security_group_ingress_rule", c["rule"]), ("aws_instance", c["instance"]), ("aws_iam_role", c["role"]),
        ("aws_iam_role_policy_attachment", c["attachment"]), ("aws_iam_policy", c["policy"]), ("aws_iam_user", c["user"]),
    }


def test_sub_resources_of_managed_objects_are_reported_with_their_parent(estate: Estate) -> None:
    c = estate.created
    subs = {(r.type, r.id, r.parent) for r in estate.drifted.resources if r.parent is not None}
    assert subs == {
        ("aws_vpc_security_group_ingress_rule", c["extra_rule"], "aws_security_group.separate"),
        ("aws_vpc_security_group_egress_rule", c["extra_egress"], "aws_security_group.separate"),
        ("aws_iam_role_policy", "dd-app:sneaky", "aws_iam_role.app"),
        ("aws_iam_user_policy", "dd-ci:backdoor", "aws_iam_user.ci"),
        ("aws_iam_access_key", c["access_key"], "aws_iam_user.ci"),
    }
    for r in estate.drifted.resources:
        if r.parent is not None:
            assert r.status is Status.UNMANAGED and r.address is None


# --- cross-check with terraform's own refresh-only plan --------------------------------------------

# Attributes terraform refreshes on a parent that driftdeck checks through separately managed pieces
# (rule resources / attachments / inline-policy sub-resources) instead.
PIECES_ON_PARENT = {
    "aws_security_group.separate": {"ingress", "egress"},
    "aws_iam_role.app": {"inline_policy", "managed_policy_arns"},
}


def _tf_changed_attributes(entry: dict[str, Any]) -> set[str]:
    before, after = entry["change"].get("before") or {}, entry["change"].get("after") or {}
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    return {"tags" if k == "tags_all" else k for k in changed}


def test_terraform_refresh_only_plan_names_the_same_drift(estate: Estate) -> None:
    tf: dict[str, tuple[set[str], bool]] = {}
    for entry in estate.tf_drift:
        if entry.get("mode") != "managed" or entry["type"] not in MY_TYPES:
            continue
        deleted = entry["change"]["actions"] == ["delete"]
        tf[entry["address"]] = (_tf_changed_attributes(entry), deleted)
    ours = {r.address: r for r in estate.drifted.resources if r.address and r.status in (Status.CHANGED, Status.MISSING)}
    parents = {r.parent for r in estate.drifted.resources if r.parent}
    tf_relevant = {}
    for address, (attrs, deleted) in tf.items():
        rtype = address.split(".")[0]
        checked = set(collector_for(rtype).checked_attributes)  # type: ignore[union-attr]
        relevant = attrs & checked - PIECES_ON_PARENT.get(address, set())
        if deleted or relevant:
            tf_relevant[address] = (relevant, deleted)
        else:
            # Terraform saw only attributes driftdeck reports as the parent's sub-resources.
            assert address in parents, (address, attrs)
    assert set(tf_relevant) == set(ours), (sorted(tf_relevant), sorted(ours))
    for address, (relevant, deleted) in tf_relevant.items():
        result = ours[address]
        if deleted:
            assert result.status is Status.MISSING, address
        else:
            top_level = {d.path.split(".")[0].split("[")[0] for d in result.differences}
            assert top_level == relevant, (address, top_level, relevant)
    # And terraform does see the pieces driftdeck reports under their parent.
    for parent, pieces in PIECES_ON_PARENT.items():
        assert tf[parent][0] & pieces, (parent, tf[parent])
