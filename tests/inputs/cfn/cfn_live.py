"""Test helper: read the live side of a desired resource (Terraform attribute names) from moto.

It goes through the engine's collectors (`driftdeck.core.live.collectors`) when one exists for the type;
otherwise (or with DRIFTDECK_CFN_LIVE=boto3) it uses the small direct boto3 readers below, so these
tests do not depend on which collectors are present.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import boto3

from driftdeck.core.aws import AwsContext
from driftdeck.core.model import DesiredResource

REGION = "us-east-1"


def live_attributes(desired: DesiredResource) -> dict[str, Any] | None:
    """Live attributes, or None when the object does not exist."""
    collector = None
    if os.environ.get("DRIFTDECK_CFN_LIVE") != "boto3":
        from driftdeck.core.live.collectors import collector_for

        collector = collector_for(desired.type)
    if collector is None:
        return READERS[desired.type](desired)
    outcome = collector.read(AwsContext(), REGION, [desired])[0]
    assert outcome.error is None, outcome.error
    return outcome.live.attributes if outcome.live else None


def _client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def _s3(desired: DesiredResource) -> dict[str, Any]:
    s3 = _client("s3")
    try:
        tags = _tags(s3.get_bucket_tagging(Bucket=desired.id)["TagSet"])
    except s3.exceptions.ClientError:
        tags = {}
    status = s3.get_bucket_versioning(Bucket=desired.id).get("Status")
    return {"bucket": desired.id, "tags": tags, "versioning": [{"enabled": status == "Enabled"}]}


def _sqs(desired: DesiredResource) -> dict[str, Any]:
    sqs = _client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=desired.id, AttributeNames=["All"])["Attributes"]
    return {
        "name": desired.id.rsplit("/", 1)[-1],
        "visibility_timeout_seconds": int(attrs["VisibilityTimeout"]),
        "delay_seconds": int(attrs["DelaySeconds"]),
        "message_retention_seconds": int(attrs["MessageRetentionPeriod"]),
        "redrive_policy": attrs.get("RedrivePolicy", ""),
        "tags": sqs.list_queue_tags(QueueUrl=desired.id).get("Tags") or {},
    }


def _sns(desired: DesiredResource) -> dict[str, Any]:
    sns = _client("sns")
    attrs = sns.get_topic_attributes(TopicArn=desired.id)["Attributes"]
    return {
        "name": desired.id.rsplit(":", 1)[-1],
        "display_name": attrs.get("DisplayName", ""),
        "tags": _tags(sns.list_tags_for_resource(ResourceArn=desired.id).get("Tags")),
    }


def _doc(value: Any) -> Any:
    return json.loads(unquote(value)) if isinstance(value, str) else value


def _role(desired: DesiredResource) -> dict[str, Any]:
    iam = _client("iam")
    role = iam.get_role(RoleName=desired.id)["Role"]
    return {
        "name": role["RoleName"],
        "path": role.get("Path"),
        "assume_role_policy": _doc(role.get("AssumeRolePolicyDocument")),
        "description": role.get("Description", ""),
        "max_session_duration": role.get("MaxSessionDuration", 3600),
        "tags": _tags(iam.list_role_tags(RoleName=desired.id).get("Tags")),
    }


def _policy(desired: DesiredResource) -> dict[str, Any]:
    iam = _client("iam")
    policy = iam.get_policy(PolicyArn=desired.id)["Policy"]
    version = iam.get_policy_version(PolicyArn=desired.id, VersionId=policy["DefaultVersionId"])
    return {
        "name": policy["PolicyName"],
        "path": policy.get("Path"),
        "description": policy.get("Description", ""),
        "policy": _doc(version["PolicyVersion"]["Document"]),
    }


def _user(desired: DesiredResource) -> dict[str, Any]:
    iam = _client("iam")
    user = iam.get_user(UserName=desired.id)["User"]
    return {"name": user["UserName"], "path": user.get("Path"), "tags": _tags(user.get("Tags"))}


def _vpc(desired: DesiredResource) -> dict[str, Any]:
    ec2 = _client("ec2")
    vpc = ec2.describe_vpcs(VpcIds=[desired.id])["Vpcs"][0]

    def attribute(name: str, key: str) -> bool:
        return bool(ec2.describe_vpc_attribute(VpcId=desired.id, Attribute=name)[key]["Value"])

    return {
        "cidr_block": vpc["CidrBlock"],
        "instance_tenancy": vpc.get("InstanceTenancy"),
        "enable_dns_support": attribute("enableDnsSupport", "EnableDnsSupport"),
        "enable_dns_hostnames": attribute("enableDnsHostnames", "EnableDnsHostnames"),
        "tags": _tags(vpc.get("Tags")),
    }


def _subnet(desired: DesiredResource) -> dict[str, Any]:
    subnet = _client("ec2").describe_subnets(SubnetIds=[desired.id])["Subnets"][0]
    return {
        "vpc_id": subnet["VpcId"],
        "cidr_block": subnet["CidrBlock"],
        "availability_zone": subnet["AvailabilityZone"],
        "map_public_ip_on_launch": subnet.get("MapPublicIpOnLaunch", False),
        "tags": _tags(subnet.get("Tags")),
    }


def _permissions(perms: list[dict[str, Any]], group_id: str) -> list[dict[str, Any]]:
    blocks = []
    for p in perms:
        protocol = str(p.get("IpProtocol"))
        base = {"protocol": protocol, "from_port": p.get("FromPort", 0), "to_port": p.get("ToPort", 0)}
        for r in p.get("IpRanges") or []:
            blocks.append({**base, "cidr_blocks": [r["CidrIp"]], "description": r.get("Description", "")})
        for r in p.get("Ipv6Ranges") or []:
            blocks.append({**base, "ipv6_cidr_blocks": [r["CidrIpv6"]], "description": r.get("Description", "")})
        for g in p.get("UserIdGroupPairs") or []:
            if g.get("GroupId") == group_id:
                blocks.append({**base, "self": True, "description": g.get("Description", "")})
            else:
                blocks.append({**base, "security_groups": [g["GroupId"]], "description": g.get("Description", "")})
    return blocks


def _security_group(desired: DesiredResource) -> dict[str, Any]:
    group = _client("ec2").describe_security_groups(GroupIds=[desired.id])["SecurityGroups"][0]
    return {
        "name": group["GroupName"],
        "description": group.get("Description"),
        "vpc_id": group.get("VpcId"),
        "ingress": _permissions(group.get("IpPermissions") or [], desired.id),
        "egress": _permissions(group.get("IpPermissionsEgress") or [], desired.id),
        "tags": _tags(group.get("Tags")),
    }


def _instance(desired: DesiredResource) -> dict[str, Any]:
    ec2 = _client("ec2")
    inst = ec2.describe_instances(InstanceIds=[desired.id])["Reservations"][0]["Instances"][0]
    check = ec2.describe_instance_attribute(InstanceId=desired.id, Attribute="sourceDestCheck")
    return {
        "ami": inst.get("ImageId"),
        "instance_type": inst.get("InstanceType"),
        "subnet_id": inst.get("SubnetId"),
        "availability_zone": (inst.get("Placement") or {}).get("AvailabilityZone"),
        "source_dest_check": bool(check["SourceDestCheck"]["Value"]),
        "tags": _tags(inst.get("Tags")),
    }


READERS: dict[str, Callable[[DesiredResource], dict[str, Any]]] = {
    "aws_instance": _instance,
    "aws_s3_bucket": _s3,
    "aws_sqs_queue": _sqs,
    "aws_sns_topic": _sns,
    "aws_iam_role": _role,
    "aws_iam_policy": _policy,
    "aws_iam_user": _user,
    "aws_vpc": _vpc,
    "aws_subnet": _subnet,
    "aws_security_group": _security_group,
}
