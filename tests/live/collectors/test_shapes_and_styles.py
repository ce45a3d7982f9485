"""Security-group rule shapes and management styles, AWS defaults, on moto without terraform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ec2iam_support import session_for, write_state

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.collectors.ec2 import flatten_permissions, regroup_blocks
from driftdeck.core.model import ScanReport, Status
from driftdeck.core.scan.run import ScanOptions, run_scan


def _block(**kw: Any) -> dict[str, Any]:
    base = {"cidr_blocks": [], "description": "", "from_port": 443, "ipv6_cidr_blocks": [], "prefix_list_ids": [],
            "protocol": "tcp", "security_groups": [], "self": False, "to_port": 443}
    return {**base, **kw}


def test_two_blocks_and_one_block_with_two_cidrs_regroup_alike() -> None:
    one = [_block(cidr_blocks=["10.0.0.0/8", "192.168.0.0/16"])]
    two = [_block(cidr_blocks=["192.168.0.0/16"]), _block(cidr_blocks=["10.0.0.0/8"])]
    def canonical(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # cidr order inside a block is not meaningful (the comparison treats it as a set).
        return [{**b, "cidr_blocks": sorted(b["cidr_blocks"])} for b in regroup_blocks(blocks)]

    assert canonical(one) == canonical(two)
    # ...but a different description is a different block, as the provider writes it.
    assert len(regroup_blocks([_block(cidr_blocks=["10.0.0.0/8"], description="a"), _block(cidr_blocks=["10.1.0.0/16"])])) == 2


def test_flatten_marks_self_reference_and_names_protocol_numbers() -> None:
    perms = [{"IpProtocol": "6", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": "sg-me", "UserId": "1"}, {"GroupId": "sg-other", "UserId": "2"}]}]
    [block] = flatten_permissions(perms, "sg-me", "1")
    assert block["protocol"] == "tcp" and block["self"] is True
    assert block["security_groups"] == ["2/sg-other"]  # another account's group, as Terraform writes it


def _scan(tmp_path: Path, url: str) -> ScanReport:
    return run_scan(ScanOptions(path=tmp_path / "state"), ctx=AwsContext(session_for(url, tmp_path)))


def test_group_with_legacy_rule_resources_is_not_compared_inline_and_unclaimed_rules_are_sub_resources(
    aws_env: Any, tmp_path: Path
) -> None:
    session = session_for(aws_env.url, tmp_path)
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="legacy", Description="d", VpcId=vpc)["GroupId"]
    ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
    )
    extra = ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    write_state(
        tmp_path / "state" / "terraform.tfstate",
        [
            ("aws_vpc", "v", {"id": vpc, "cidr_block": "10.5.0.0/16", "tags": {}, "tags_all": {}}),
            # State straight after apply: the group's own ingress is empty, the rule is separate.
            ("aws_security_group", "g", {"id": sg, "name": "legacy", "description": "d", "vpc_id": vpc, "ingress": [], "egress": [], "tags_all": {}}),
            ("aws_security_group_rule", "http", {"id": "sgrule-1", "type": "ingress", "security_group_id": sg, "protocol": "tcp",
                                                 "from_port": 80, "to_port": 80, "cidr_blocks": ["10.0.0.0/8"]}),
        ],
    )
    report = _scan(tmp_path, aws_env.url)
    group = next(r for r in report.resources if r.address == "aws_security_group.g")
    assert group.status is Status.IN_SYNC, [d.to_json() for d in group.differences]
    subs = [(r.type, r.id, r.parent, r.status) for r in report.resources if r.parent]
    assert subs == [("aws_vpc_security_group_ingress_rule", extra, "aws_security_group.g", Status.UNMANAGED)]
    # The rule on a managed group is reported once, under its parent, not also as a top-level unmanaged rule.
    assert not [r for r in report.resources if r.id == extra and r.parent is None]


def test_aws_made_objects_are_never_unmanaged(aws_env: Any, tmp_path: Path) -> None:
    session = session_for(aws_env.url, tmp_path)
    iam = session.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "elasticloadbalancing.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName="AWSServiceRoleForElasticLoadBalancing", Path="/aws-service-role/elasticloadbalancing.amazonaws.com/", AssumeRolePolicyDocument=trust)
    iam.create_role(RoleName="hand-made", AssumeRolePolicyDocument=trust)
    write_state(tmp_path / "state" / "terraform.tfstate", [("aws_iam_user", "u", {"id": "nobody", "name": "nobody"})])
    report = _scan(tmp_path, aws_env.url)
    unmanaged = {(r.type, r.id) for r in report.resources if r.status is Status.UNMANAGED}
    # moto's default VPC, its subnets and default security group are AWS's own; so is the service-linked role.
    assert unmanaged == {("aws_iam_role", "hand-made")}
    user = next(r for r in report.resources if r.address == "aws_iam_user.u")
    assert user.status is Status.MISSING


def test_role_pieces_recorded_in_its_state_are_claimed_and_the_rest_are_sub_resources(aws_env: Any, tmp_path: Path) -> None:
    session = session_for(aws_env.url, tmp_path)
    iam = session.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    role_arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    kept = iam.create_policy(PolicyName="kept", PolicyDocument=doc)["Policy"]["Arn"]
    extra = iam.create_policy(PolicyName="extra", PolicyDocument=doc)["Policy"]["Arn"]
    for arn in (kept, extra):
        iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    iam.put_role_policy(RoleName="r", PolicyName="declared", PolicyDocument=doc)
    iam.put_role_policy(RoleName="r", PolicyName="added", PolicyDocument=doc)
    write_state(
        tmp_path / "state" / "terraform.tfstate",
        [
            # Key order and spacing differ from what IAM returns: compared semantically.
            ("aws_iam_role", "r", {"id": "r", "name": "r", "arn": role_arn, "path": "/", "description": "", "max_session_duration": 3600,
                                   "assume_role_policy": json.dumps(trust, indent=4, sort_keys=True), "permissions_boundary": "",
                                   "tags_all": {}, "inline_policy": [{"name": "declared", "policy": doc}], "managed_policy_arns": [kept]}),
            ("aws_iam_policy", "kept", {"id": kept, "arn": kept, "name": "kept", "path": "/", "description": "", "policy": doc, "tags_all": {}}),
            ("aws_iam_policy", "extra", {"id": extra, "arn": extra, "name": "extra", "path": "/", "description": "", "policy": doc, "tags_all": {}}),
        ],
    )
    report = _scan(tmp_path, aws_env.url)
    role = next(r for r in report.resources if r.address == "aws_iam_role.r")
    assert role.status is Status.IN_SYNC, [d.to_json() for d in role.differences]
    subs = {(r.type, r.id, r.parent) for r in report.resources if r.parent}
    assert subs == {
        ("aws_iam_role_policy", "r:added", "aws_iam_role.r"),
        ("aws_iam_role_policy_attachment", f"r/{extra}", "aws_iam_role.r"),
    }
    # A managed role's attachments are reported under the role only, not again as top-level unmanaged.
    assert not [r for r in report.resources if r.type == "aws_iam_role_policy_attachment" and r.parent is None]
