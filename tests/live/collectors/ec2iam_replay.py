"""Rebuild the estate of the committed reference state in moto with boto3, without terraform.

Objects are created from the state's own attributes (as the provider wrote them), then the state's
ids are rewritten to the new objects' ids. A scan of the rewritten state must be clean: this checks
the collectors against real provider-written state on machines without terraform.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ec2iam_support import FIXTURE

REFERENCE = FIXTURE / "reference.tfstate"


def _tags(attrs: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in (attrs.get("tags_all") or {}).items()]


def _tag_spec(kind: str, attrs: dict[str, Any]) -> list[dict[str, Any]]:
    tags = _tags(attrs)
    return [{"ResourceType": kind, "Tags": tags}] if tags else []


def _permissions(blocks: list[dict[str, Any]], ids: dict[str, str], own: str) -> list[dict[str, Any]]:
    perms = []
    for b in blocks:
        desc = {"Description": b["description"]} if b.get("description") else {}
        pairs = [{"GroupId": ids.get(g, g), **desc} for g in b.get("security_groups") or []]
        if b.get("self"):
            pairs.append({"GroupId": own, **desc})
        perm: dict[str, Any] = {
            "IpProtocol": b["protocol"],
            "IpRanges": [{"CidrIp": c, **desc} for c in b.get("cidr_blocks") or []],
            "UserIdGroupPairs": pairs,
        }
        if b["protocol"] != "-1":
            perm.update(FromPort=b["from_port"], ToPort=b["to_port"])
        perms.append(perm)
    return perms


def replay(session: Any, out_dir: Path) -> tuple[Path, dict[str, str], dict[str, dict[str, Any]]]:
    """Create the reference estate; returns (rewritten state file, old id -> new id, address -> attrs)."""
    doc = json.loads(REFERENCE.read_text())
    res = {f"{r['type']}.{r['name']}": r["instances"][0]["attributes"] for r in doc["resources"]}
    by_type: dict[str, list[str]] = {}
    for address in res:
        by_type.setdefault(address.split(".")[0], []).append(address)
    ec2, iam = session.client("ec2"), session.client("iam")
    ids: dict[str, str] = {}

    for address in by_type["aws_vpc"]:
        a = res[address]
        vpc = ec2.create_vpc(CidrBlock=a["cidr_block"], TagSpecifications=_tag_spec("vpc", a))["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": a["enable_dns_hostnames"]})
        ids[a["id"]] = vpc
    for address in by_type["aws_subnet"]:
        a = res[address]
        subnet = ec2.create_subnet(
            VpcId=ids[a["vpc_id"]], CidrBlock=a["cidr_block"], AvailabilityZone=a["availability_zone"],
            TagSpecifications=_tag_spec("subnet", a),
        )["Subnet"]["SubnetId"]
        if a["map_public_ip_on_launch"]:
            ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
        ids[a["id"]] = subnet
    ingress_owned = {res[r]["security_group_id"] for r in by_type["aws_vpc_security_group_ingress_rule"]}
    egress_owned = {res[r]["security_group_id"] for r in by_type["aws_vpc_security_group_egress_rule"]}
    for address in by_type["aws_security_group"]:
        a = res[address]
        sg = ec2.create_security_group(
            GroupName=a["name"], Description=a["description"], VpcId=ids[a["vpc_id"]],
            TagSpecifications=_tag_spec("security-group", a),
        )["GroupId"]
        ids[a["id"]] = sg
    for address in by_type["aws_security_group"]:
        a = res[address]
        sg = ids[a["id"]]
        # The provider revokes AWS's default egress rule and adds back only what state holds.
        ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        if a["egress"] and a["id"] not in egress_owned:
            ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=_permissions(a["egress"], ids, sg))
        if a["ingress"] and a["id"] not in ingress_owned:
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_permissions(a["ingress"], ids, sg))
    for address in by_type["aws_vpc_security_group_ingress_rule"] + by_type["aws_vpc_security_group_egress_rule"]:
        a = res[address]
        authorize = ec2.authorize_security_group_egress if "egress" in address else ec2.authorize_security_group_ingress
        perm: dict[str, Any] = {"IpProtocol": a["ip_protocol"], "FromPort": a["from_port"], "ToPort": a["to_port"]}
        desc = {"Description": a["description"]} if a.get("description") else {}
        if a.get("cidr_ipv4"):
            perm["IpRanges"] = [{"CidrIp": a["cidr_ipv4"], **desc}]
        if a.get("referenced_security_group_id"):
            perm["UserIdGroupPairs"] = [{"GroupId": ids[a["referenced_security_group_id"]], **desc}]
        answer = authorize(
            GroupId=ids[a["security_group_id"]], IpPermissions=[perm],
            TagSpecifications=_tag_spec("security-group-rule", a),
        )
        ids[a["id"]] = answer["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    for address in by_type["aws_instance"]:
        a = res[address]
        groups = {"SecurityGroupIds": [ids[g] for g in a["vpc_security_group_ids"]]} if a["vpc_security_group_ids"] else {}
        inst = ec2.run_instances(
            ImageId=a["ami"], InstanceType=a["instance_type"], MinCount=1, MaxCount=1, SubnetId=ids[a["subnet_id"]],
            PrivateIpAddress=a["private_ip"], TagSpecifications=_tag_spec("instance", a), **groups,
        )["Instances"][0]["InstanceId"]
        ids[a["id"]] = inst
    for address in by_type["aws_iam_role"]:
        a = res[address]
        extra = {"Description": a["description"]} if a.get("description") else {}
        iam.create_role(
            RoleName=a["name"], Path=a["path"], AssumeRolePolicyDocument=a["assume_role_policy"],
            MaxSessionDuration=a["max_session_duration"], Tags=_tags(a), **extra,
        )
    for address in by_type["aws_iam_policy"]:
        a = res[address]
        extra = {"Description": a["description"]} if a.get("description") else {}
        tags = {"Tags": _tags(a)} if _tags(a) else {}
        iam.create_policy(PolicyName=a["name"], Path=a["path"], PolicyDocument=a["policy"], **extra, **tags)
    for address in by_type["aws_iam_role_policy_attachment"]:
        a = res[address]
        iam.attach_role_policy(RoleName=a["role"], PolicyArn=a["policy_arn"])
    for address in by_type["aws_iam_user"]:
        a = res[address]
        tags = {"Tags": _tags(a)} if _tags(a) else {}
        iam.create_user(UserName=a["name"], Path=a["path"], **tags)

    text = REFERENCE.read_text()
    for old, new in ids.items():
        text = text.replace(old, new)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = out_dir / "terraform.tfstate"
    state.write_text(text)
    return state, ids, res
