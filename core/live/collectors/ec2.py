"""EC2/VPC collectors: security groups (inline rules), ingress rule resources, VPCs, subnets, instances.

Every object type is described once per region and scan (`ctx.memo`), so N resources of a type
cost one paginated listing, not N calls. Only VPC DNS attributes need a call per managed VPC
(EC2 has no batch read for them).

Security groups can be managed in two styles that must both scan clean:
- inline: the `aws_security_group` owns its `ingress`/`egress` blocks; an extra live rule is
  drift of the group's `ingress` (Terraform reports it the same way);
- separate: `aws_vpc_security_group_ingress_rule` (or egress, or the legacy
  `aws_security_group_rule`) resources target the group. Then the group's own `ingress` in state
  is whatever the last refresh saw (often `[]` straight after apply) and is not compared; each
  rule resource is checked on its own, and a live rule no rule resource claims is reported as an
  unmanaged sub-resource whose `parent` is the group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from driftdeck.core.aws import AwsContext, is_not_found, paginate
from driftdeck.core.live.collectors import register
from driftdeck.core.live.collectors.base import Collector, ReadOutcome
from driftdeck.core.live.collectors.common import parallel, tags_of
from driftdeck.core.model import DesiredResource, LiveResource, ResourceResult, Status, partition_for

SG_TYPE = "aws_security_group"
INGRESS_RULE_TYPE = "aws_vpc_security_group_ingress_rule"
EGRESS_RULE_TYPE = "aws_vpc_security_group_egress_rule"
LEGACY_RULE_TYPE = "aws_security_group_rule"

# The provider writes protocol names for the common IP protocol numbers.
_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
_VPC_NOT_FOUND = frozenset({"InvalidVpcID.NotFound"})


def protocol_name(value: Any) -> str:
    text = str(value).lower() if value is not None else ""
    return _PROTOCOL_NAMES.get(text, text)


# --- one listing per region and scan -------------------------------------------------------------


def security_groups(ctx: AwsContext, region: str) -> dict[str, dict[str, Any]]:
    def load() -> dict[str, dict[str, Any]]:
        groups = paginate(ctx.client("ec2", region), "describe_security_groups", "SecurityGroups")
        return {g["GroupId"]: g for g in groups}

    return ctx.memo(("ec2", region, "security_groups"), load)


def security_group_rules(ctx: AwsContext, region: str) -> dict[str, dict[str, Any]]:
    def load() -> dict[str, dict[str, Any]]:
        rules = paginate(ctx.client("ec2", region), "describe_security_group_rules", "SecurityGroupRules")
        return {r["SecurityGroupRuleId"]: r for r in rules}

    return ctx.memo(("ec2", region, "security_group_rules"), load)


def ec2_arn(region: str, owner: str | None, kind: str, object_id: str) -> str | None:
    """arn:PARTITION:ec2:REGION:OWNER:KIND/ID (DescribeVpcs and DescribeInstances give no ARN)."""
    return f"arn:{partition_for(region)}:ec2:{region}:{owner}:{kind}/{object_id}" if owner else None


def vpcs(ctx: AwsContext, region: str) -> dict[str, dict[str, Any]]:
    def load() -> dict[str, dict[str, Any]]:
        return {v["VpcId"]: v for v in paginate(ctx.client("ec2", region), "describe_vpcs", "Vpcs")}

    return ctx.memo(("ec2", region, "vpcs"), load)


def subnets(ctx: AwsContext, region: str) -> dict[str, dict[str, Any]]:
    def load() -> dict[str, dict[str, Any]]:
        return {s["SubnetId"]: s for s in paginate(ctx.client("ec2", region), "describe_subnets", "Subnets")}

    return ctx.memo(("ec2", region, "subnets"), load)


def instances(ctx: AwsContext, region: str) -> dict[str, dict[str, Any]]:
    """Every instance not terminated: a terminated instance is gone, as Terraform sees it."""

    def load() -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for reservation in paginate(ctx.client("ec2", region), "describe_instances", "Reservations"):
            for inst in reservation.get("Instances") or []:
                if inst.get("State", {}).get("Name") not in ("terminated", "shutting-down"):
                    # The owner is the reservation's: kept with the instance for its ARN.
                    out[inst["InstanceId"]] = {**inst, "OwnerId": reservation.get("OwnerId")}
        return out

    return ctx.memo(("ec2", region, "instances"), load)


def _read_from_listing(
    listing: Callable[[], dict[str, dict[str, Any]]],
    resources: Sequence[DesiredResource],
    to_live: Callable[[DesiredResource, dict[str, Any]], LiveResource],
) -> list[ReadOutcome]:
    """Absent from a complete listing means missing; a failed listing raises (-> unknown for all)."""
    objects = listing()
    return [ReadOutcome(live=to_live(r, objects[r.id])) if r.id in objects else ReadOutcome.missing() for r in resources]


# --- security groups --------------------------------------------------------------------------------


def _pair_reference(pair: dict[str, Any], owner_id: str | None) -> str:
    group_id = str(pair.get("GroupId") or "")
    user = pair.get("UserId")
    # Terraform writes "account/sg-id" only for groups of another account.
    return f"{user}/{group_id}" if user and owner_id and user != owner_id else group_id


def flatten_permissions(permissions: Iterable[dict[str, Any]], group_id: str, owner_id: str | None) -> list[dict[str, Any]]:
    """EC2 IpPermissions in the shape of Terraform's inline `ingress`/`egress` blocks.

    Like the provider, one block per (protocol, ports, description): sources sharing a
    description are grouped, and a reference to the group itself becomes `self = true`.
    """
    blocks: dict[tuple[str, int, int, str], dict[str, Any]] = {}

    def block(perm: dict[str, Any], description: str | None) -> dict[str, Any]:
        protocol = protocol_name(perm.get("IpProtocol"))
        from_port = 0 if protocol == "-1" else int(perm.get("FromPort", 0))
        to_port = 0 if protocol == "-1" else int(perm.get("ToPort", 0))
        key = (protocol, from_port, to_port, description or "")
        if key not in blocks:
            blocks[key] = {
                "cidr_blocks": [], "description": description or "", "from_port": from_port,
                "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": protocol,
                "security_groups": [], "self": False, "to_port": to_port,
            }
        return blocks[key]

    for perm in permissions:
        for r4 in perm.get("IpRanges") or []:
            block(perm, r4.get("Description"))["cidr_blocks"].append(r4["CidrIp"])
        for r6 in perm.get("Ipv6Ranges") or []:
            block(perm, r6.get("Description"))["ipv6_cidr_blocks"].append(r6["CidrIpv6"])
        for pl in perm.get("PrefixListIds") or []:
            block(perm, pl.get("Description"))["prefix_list_ids"].append(pl["PrefixListId"])
        for pair in perm.get("UserIdGroupPairs") or []:
            b = block(perm, pair.get("Description"))
            if pair.get("GroupId") == group_id:
                b["self"] = True
            else:
                b["security_groups"].append(_pair_reference(pair, owner_id))
    return [blocks[k] for k in sorted(blocks)]


def regroup_blocks(blocks: Any) -> list[dict[str, Any]]:
    """State `ingress`/`egress` regrouped exactly like `flatten_permissions`, so that two ways of
    writing the same rules (one block with two CIDRs, or two blocks) compare equal."""
    if not isinstance(blocks, list):
        return []
    perms: list[dict[str, Any]] = []
    for b in blocks:
        if not isinstance(b, dict):
            continue
        desc = b.get("description") or None
        perm: dict[str, Any] = {
            "IpProtocol": b.get("protocol"), "FromPort": b.get("from_port") or 0, "ToPort": b.get("to_port") or 0,
            "IpRanges": [{"CidrIp": c, "Description": desc} for c in b.get("cidr_blocks") or []],
            "Ipv6Ranges": [{"CidrIpv6": c, "Description": desc} for c in b.get("ipv6_cidr_blocks") or []],
            "PrefixListIds": [{"PrefixListId": p, "Description": desc} for p in b.get("prefix_list_ids") or []],
            "UserIdGroupPairs": [{"GroupId": g, "Description": desc} for g in b.get("security_groups") or []],
        }
        if b.get("self"):
            perm["UserIdGroupPairs"].append({"GroupId": "\0self", "Description": desc})
        perms.append(perm)
    return flatten_permissions(perms, "\0self", None)


def _desired_of(ctx: AwsContext, *types: str) -> list[DesiredResource]:
    return [r for r in ctx.desired if r.type in types]


def _rule_owners(ctx: AwsContext) -> dict[str, set[str]]:
    """group id -> directions ("ingress"/"egress") that separate rule resources in the scan manage."""

    def load() -> dict[str, set[str]]:
        owners: dict[str, set[str]] = {}
        for r in _desired_of(ctx, INGRESS_RULE_TYPE, EGRESS_RULE_TYPE, LEGACY_RULE_TYPE):
            if r.type == INGRESS_RULE_TYPE:
                direction = "ingress"
            elif r.type == EGRESS_RULE_TYPE:
                direction = "egress"
            elif r.attributes.get("type") in ("ingress", "egress"):
                direction = str(r.attributes["type"])
            else:
                continue
            owners.setdefault(str(r.attributes.get("security_group_id")), set()).add(direction)
        return owners

    # An AwsContext serves one scan (its listings are memoised too), so once per context is right.
    return ctx.memo(("ec2", "rule-owners"), load)


def separately_managed_directions(ctx: AwsContext, group_id: str) -> set[str]:
    """Which of "ingress"/"egress" of a group are managed by separate rule resources in the scan."""
    return set(_rule_owners(ctx).get(group_id, set()))


def rule_attributes(rule: dict[str, Any]) -> dict[str, Any]:
    """A live security group rule in the attribute names of `aws_vpc_security_group_*_rule`."""
    protocol = protocol_name(rule.get("IpProtocol"))
    ref = rule.get("ReferencedGroupInfo") or {}
    return {
        "security_group_id": rule.get("GroupId"),
        "ip_protocol": protocol,
        # The provider leaves ports null for "all protocols"; EC2 says -1.
        "from_port": None if protocol == "-1" else rule.get("FromPort"),
        "to_port": None if protocol == "-1" else rule.get("ToPort"),
        "cidr_ipv4": rule.get("CidrIpv4"),
        "cidr_ipv6": rule.get("CidrIpv6"),
        "prefix_list_id": rule.get("PrefixListId"),
        "referenced_security_group_id": ref.get("GroupId"),
        "description": rule.get("Description"),
        "tags": tags_of(rule.get("Tags")),
    }


def _legacy_rule_claims(rule: dict[str, Any], legacy: DesiredResource) -> bool:
    """Whether an `aws_security_group_rule` in state covers this live (single-source) rule."""
    a = legacy.attributes
    if a.get("security_group_id") != rule.get("GroupId"):
        return False
    if (a.get("type") == "egress") != bool(rule.get("IsEgress")):
        return False
    live = rule_attributes(rule)
    if protocol_name(a.get("protocol")) != live["ip_protocol"]:
        return False
    if live["ip_protocol"] != "-1" and (a.get("from_port"), a.get("to_port")) != (live["from_port"], live["to_port"]):
        return False
    ref = live["referenced_security_group_id"]
    if live["cidr_ipv4"]:
        return live["cidr_ipv4"] in (a.get("cidr_blocks") or [])
    if live["cidr_ipv6"]:
        return live["cidr_ipv6"] in (a.get("ipv6_cidr_blocks") or [])
    if live["prefix_list_id"]:
        return live["prefix_list_id"] in (a.get("prefix_list_ids") or [])
    if ref:
        return bool(a.get("self")) if ref == rule.get("GroupId") else a.get("source_security_group_id") == ref
    return False


def is_default_rule(rule: dict[str, Any], group: dict[str, Any] | None) -> bool:
    """The rules AWS puts into a VPC's default group: all traffic from itself, all traffic out."""
    if group is None or group.get("GroupName") != "default" or protocol_name(rule.get("IpProtocol")) != "-1":
        return False
    if rule.get("IsEgress"):
        return rule.get("CidrIpv4") == "0.0.0.0/0" or rule.get("CidrIpv6") == "::/0"
    return (rule.get("ReferencedGroupInfo") or {}).get("GroupId") == rule.get("GroupId")


@register
class SecurityGroupCollector(Collector):
    resource_type = SG_TYPE
    checked_attributes = ("name", "description", "vpc_id", "ingress", "egress", "tags")
    set_attributes = frozenset(
        {
            "ingress", "egress",
            "ingress[].cidr_blocks", "ingress[].ipv6_cidr_blocks", "ingress[].prefix_list_ids", "ingress[].security_groups",
            "egress[].cidr_blocks", "egress[].ipv6_cidr_blocks", "egress[].prefix_list_ids", "egress[].security_groups",
        }
    )
    discoverable = True

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        def to_live(res: DesiredResource, group: dict[str, Any]) -> LiveResource:
            live = self._live(group, region)
            # Rules managed by separate resources are checked there, not as this group's blocks.
            for direction in separately_managed_directions(ctx, res.id):
                live.attributes.pop(direction, None)
            return live

        return _read_from_listing(lambda: security_groups(ctx, region), resources, to_live)

    def expected_attributes(self, resource: DesiredResource) -> dict[str, Any]:
        out = super().expected_attributes(resource)
        for direction in ("ingress", "egress"):
            if direction in out:
                out[direction] = regroup_blocks(out[direction])
        return out

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        return [self._live(g, region) for g in security_groups(ctx, region).values()]

    def is_aws_default(self, live: LiveResource) -> bool:
        return live.attributes.get("name") == "default"

    @staticmethod
    def _live(group: dict[str, Any], region: str) -> LiveResource:
        gid, owner = group["GroupId"], group.get("OwnerId")
        attrs = {
            "name": group.get("GroupName"),
            "description": group.get("Description"),
            "vpc_id": group.get("VpcId"),
            "ingress": flatten_permissions(group.get("IpPermissions") or [], gid, owner),
            "egress": flatten_permissions(group.get("IpPermissionsEgress") or [], gid, owner),
            "tags": tags_of(group.get("Tags")),
        }
        return LiveResource(type=SG_TYPE, id=gid, attributes=attrs, region=region, arn=group.get("SecurityGroupArn"))

    def sub_resource_findings(
        self, ctx: AwsContext, region: str, resource: DesiredResource, live: LiveResource
    ) -> list[ResourceResult]:
        """Live rules on a separately-managed direction of this group that no rule resource claims."""
        directions = separately_managed_directions(ctx, resource.id)
        if not directions:
            return []
        rule_resources = _desired_of(ctx, INGRESS_RULE_TYPE, EGRESS_RULE_TYPE, LEGACY_RULE_TYPE)
        claimed_ids = {r.id for r in rule_resources if r.type != LEGACY_RULE_TYPE}
        legacy = [r for r in rule_resources if r.type == LEGACY_RULE_TYPE]
        group = security_groups(ctx, region).get(resource.id)
        out: list[ResourceResult] = []
        for rule_id, rule in sorted(security_group_rules(ctx, region).items()):
            direction = "egress" if rule.get("IsEgress") else "ingress"
            if rule.get("GroupId") != resource.id or direction not in directions:
                continue
            if rule_id in claimed_ids or any(_legacy_rule_claims(rule, lg) for lg in legacy):
                continue
            if is_default_rule(rule, group):
                continue
            out.append(
                ResourceResult(
                    address=None,
                    type=EGRESS_RULE_TYPE if direction == "egress" else INGRESS_RULE_TYPE,
                    id=rule_id,
                    status=Status.UNMANAGED,
                    source=None,
                    live=rule_attributes(rule),
                    region=region,
                    reason=f"{direction} rule on managed security group {resource.id} that no rule resource manages",
                    parent=resource.address,
                )
            )
        return out


class _RuleCollector(Collector):
    """`aws_vpc_security_group_{ingress,egress}_rule`: one live rule each, from the per-region listing."""

    egress: ClassVar[bool]
    checked_attributes = (
        "security_group_id", "ip_protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6",
        "prefix_list_id", "referenced_security_group_id", "description", "tags",
    )

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        rules = security_group_rules(ctx, region)
        out: list[ReadOutcome] = []
        for res in resources:
            rule = rules.get(res.id)
            if rule is None or bool(rule.get("IsEgress")) != self.egress:
                out.append(ReadOutcome.missing())
            else:
                out.append(ReadOutcome(live=self._live(rule, region)))
        return out

    def expected_attributes(self, resource: DesiredResource) -> dict[str, Any]:
        out = super().expected_attributes(resource)
        if "ip_protocol" in out:
            out["ip_protocol"] = protocol_name(out["ip_protocol"])
        return out

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        """Rules of groups not managed in the scan (a managed group's rules are covered by the
        group's own comparison or its sub-resource findings), without AWS's default rules."""
        managed_groups = {r.id for r in _desired_of(ctx, SG_TYPE)}
        groups = security_groups(ctx, region)
        return [
            self._live(rule, region)
            for rule in security_group_rules(ctx, region).values()
            if bool(rule.get("IsEgress")) == self.egress
            and rule.get("GroupId") not in managed_groups
            and not is_default_rule(rule, groups.get(str(rule.get("GroupId"))))
        ]

    def _live(self, rule: dict[str, Any], region: str) -> LiveResource:
        return LiveResource(
            type=self.resource_type, id=rule["SecurityGroupRuleId"], attributes=rule_attributes(rule), region=region,
            arn=rule.get("SecurityGroupRuleArn"),
        )


@register
class IngressRuleCollector(_RuleCollector):
    resource_type = INGRESS_RULE_TYPE
    egress = False
    discoverable = True


@register
class EgressRuleCollector(_RuleCollector):
    """Not discoverable: AWS gives every new group an allow-all egress rule, which would make every
    unmanaged group's default rule an unmanaged finding; a managed group's extra egress rules are
    still reported (as the group's `egress` drift or as its sub-resources)."""

    resource_type = EGRESS_RULE_TYPE
    egress = True


# --- VPCs and subnets ---------------------------------------------------------------------------------


def _ipv6_block(associations: Iterable[dict[str, Any]] | None, field: str) -> str:
    for assoc in associations or []:
        state = (assoc.get("Ipv6CidrBlockState") or {}).get("State")
        if state in (None, "associated", "associating"):
            return str(assoc.get(field) or "")
    return ""


def _vpc_base_attributes(vpc: dict[str, Any]) -> dict[str, Any]:
    return {
        "cidr_block": vpc.get("CidrBlock"),
        "instance_tenancy": vpc.get("InstanceTenancy"),
        "dhcp_options_id": vpc.get("DhcpOptionsId"),
        "ipv6_cidr_block": _ipv6_block(vpc.get("Ipv6CidrBlockAssociationSet"), "Ipv6CidrBlock"),
        "tags": tags_of(vpc.get("Tags")),
    }


@register
class VpcCollector(Collector):
    resource_type = "aws_vpc"
    checked_attributes = (
        "cidr_block", "instance_tenancy", "dhcp_options_id", "ipv6_cidr_block",
        "enable_dns_support", "enable_dns_hostnames", "tags",
    )
    discoverable = True

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        listing = vpcs(ctx, region)
        client = ctx.client("ec2", region)

        def one(res: DesiredResource) -> ReadOutcome:
            vpc = listing.get(res.id)
            if vpc is None:
                return ReadOutcome.missing()
            attrs = _vpc_base_attributes(vpc)
            try:
                # No batch API for these two: one call each, only for VPCs in state.
                for attribute, name in (("enableDnsSupport", "enable_dns_support"), ("enableDnsHostnames", "enable_dns_hostnames")):
                    answer = client.describe_vpc_attribute(VpcId=res.id, Attribute=attribute)
                    attrs[name] = bool(answer[attribute[0].upper() + attribute[1:]]["Value"])
            except Exception as exc:  # noqa: BLE001 - decided per resource
                if is_not_found(exc, _VPC_NOT_FOUND):
                    return ReadOutcome.missing()
                return ReadOutcome.failed_on(exc)
            return ReadOutcome(live=LiveResource(type=self.resource_type, id=res.id, attributes=attrs, region=region, arn=res.attributes.get("arn")))

        return parallel(one, resources)

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        return [
            LiveResource(type=self.resource_type, id=vid, attributes=_vpc_base_attributes(v), region=region,
                         arn=ec2_arn(region, v.get("OwnerId"), "vpc", vid))
            for vid, v in vpcs(ctx, region).items()
            if not v.get("IsDefault")
        ]


def _subnet_attributes(subnet: dict[str, Any]) -> dict[str, Any]:
    dns = subnet.get("PrivateDnsNameOptionsOnLaunch") or {}
    return {
        "vpc_id": subnet.get("VpcId"),
        "cidr_block": subnet.get("CidrBlock"),
        "availability_zone": subnet.get("AvailabilityZone"),
        "availability_zone_id": subnet.get("AvailabilityZoneId"),
        "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch")),
        "assign_ipv6_address_on_creation": bool(subnet.get("AssignIpv6AddressOnCreation")),
        "ipv6_cidr_block": _ipv6_block(subnet.get("Ipv6CidrBlockAssociationSet"), "Ipv6CidrBlock"),
        "ipv6_native": bool(subnet.get("Ipv6Native")),
        "private_dns_hostname_type_on_launch": dns.get("HostnameType"),
        "enable_resource_name_dns_a_record_on_launch": bool(dns.get("EnableResourceNameDnsARecord")),
        "enable_resource_name_dns_aaaa_record_on_launch": bool(dns.get("EnableResourceNameDnsAAAARecord")),
        "tags": tags_of(subnet.get("Tags")),
    }


@register
class SubnetCollector(Collector):
    resource_type = "aws_subnet"
    checked_attributes = (
        "vpc_id", "cidr_block", "availability_zone", "availability_zone_id", "map_public_ip_on_launch",
        "assign_ipv6_address_on_creation", "ipv6_cidr_block", "ipv6_native", "private_dns_hostname_type_on_launch",
        "enable_resource_name_dns_a_record_on_launch", "enable_resource_name_dns_aaaa_record_on_launch", "tags",
    )
    discoverable = True

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        return _read_from_listing(lambda: subnets(ctx, region), resources, lambda r, s: self._live(s, region))

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        return [self._live(s, region) for s in subnets(ctx, region).values() if not s.get("DefaultForAz")]

    def _live(self, subnet: dict[str, Any], region: str) -> LiveResource:
        return LiveResource(
            type=self.resource_type, id=subnet["SubnetId"], attributes=_subnet_attributes(subnet), region=region,
            arn=subnet.get("SubnetArn"),
        )


# --- instances ----------------------------------------------------------------------------------------


def _instance_attributes(inst: dict[str, Any]) -> dict[str, Any]:
    profile_arn = str((inst.get("IamInstanceProfile") or {}).get("Arn") or "")
    meta = inst.get("MetadataOptions") or {}
    placement = inst.get("Placement") or {}
    return {
        "ami": inst.get("ImageId"),
        "instance_type": inst.get("InstanceType"),
        "availability_zone": placement.get("AvailabilityZone"),
        "tenancy": placement.get("Tenancy"),
        "subnet_id": inst.get("SubnetId"),
        "vpc_security_group_ids": sorted(g["GroupId"] for g in inst.get("SecurityGroups") or []),
        "key_name": inst.get("KeyName") or "",
        "private_ip": inst.get("PrivateIpAddress"),
        # State holds the profile's name; the API gives its ARN (.../instance-profile/path/name).
        "iam_instance_profile": profile_arn.rsplit("/", 1)[-1] if profile_arn else "",
        "ebs_optimized": bool(inst.get("EbsOptimized")),
        "monitoring": (inst.get("Monitoring") or {}).get("State") in ("enabled", "pending"),
        "source_dest_check": bool(inst.get("SourceDestCheck", True)),
        "instance_state": (inst.get("State") or {}).get("Name"),
        "metadata_options": [
            {
                "http_endpoint": meta.get("HttpEndpoint"),
                "http_protocol_ipv6": meta.get("HttpProtocolIpv6"),
                "http_put_response_hop_limit": meta.get("HttpPutResponseHopLimit"),
                "http_tokens": meta.get("HttpTokens"),
                "instance_metadata_tags": meta.get("InstanceMetadataTags"),
            }
        ]
        if meta
        else [],
        "tags": tags_of(inst.get("Tags")),
    }


@register
class InstanceCollector(Collector):
    resource_type = "aws_instance"
    checked_attributes = (
        "ami", "instance_type", "availability_zone", "tenancy", "subnet_id", "vpc_security_group_ids", "key_name",
        "private_ip", "iam_instance_profile", "ebs_optimized", "monitoring", "source_dest_check", "instance_state",
        "metadata_options", "tags",
    )
    set_attributes = frozenset({"vpc_security_group_ids"})
    discoverable = True

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        return _read_from_listing(lambda: instances(ctx, region), resources, lambda r, i: self._live(i, region, r))

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        return [self._live(i, region) for i in instances(ctx, region).values()]

    def _live(self, inst: dict[str, Any], region: str, res: DesiredResource | None = None) -> LiveResource:
        arn = res.attributes.get("arn") if res is not None else ec2_arn(region, inst.get("OwnerId"), "instance", inst["InstanceId"])
        return LiveResource(type=self.resource_type, id=inst["InstanceId"], attributes=_instance_attributes(inst), region=region, arn=arn)

