"""EC2 / VPC: security groups and their standalone rules, VPCs, subnets, instances."""

from __future__ import annotations

from types import MappingProxyType

from driftdeck.core.resource_types.facts import (
    CFN_TAGS,
    ArnRow,
    EventRow,
    Identity,
    ResourceType,
    Risk,
    Unsupported,
    cfn_property,
    create,
    delete,
    row,
    target,
)

SOURCE = "ec2.amazonaws.com"
_TAG_IDS = "requestParameters.resourcesSet.items[*].resourceId"
_GROUP = ("requestParameters.groupId", "requestParameters.ModifySecurityGroupRulesRequest.GroupId")
_RULE_IDS_RESPONSE = "responseElements.securityGroupRuleSet.items[*].securityGroupRuleId"
_RULE_IDS_REQUEST = (
    "requestParameters.securityGroupRuleIds.items[*].securityGroupRuleId",
    "requestParameters.securityGroupRuleIds[*]",
    "requestParameters.SecurityGroupRuleId[*]",
    "requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule[*].SecurityGroupRuleId",
    "responseElements.revokedSecurityGroupRuleSet.items[*].securityGroupRuleId",
)
_RULE_GROUP = MappingProxyType({"security_group_id": "requestParameters.groupId"})
_RULE_ATTRS = (
    "cidr_ipv4",
    "cidr_ipv6",
    "description",
    "from_port",
    "to_port",
    "ip_protocol",
    "prefix_list_id",
    "referenced_security_group_id",
)
_INSTANCE = ("requestParameters.instanceId", "requestParameters.instancesSet.items[*].instanceId")
_INSTANCE_ATTRIBUTE_KEYS = MappingProxyType(
    {
        "instanceType": "instance_type",
        "disableApiTermination": "disable_api_termination",
        "disableApiStop": "disable_api_stop",
        "userData": "user_data",
        "groupSet": "vpc_security_group_ids",
        "groupId": "vpc_security_group_ids",
        "sourceDestCheck": "source_dest_check",
        "ebsOptimized": "ebs_optimized",
        "instanceInitiatedShutdownBehavior": "instance_initiated_shutdown_behavior",
        "blockDeviceMapping": "root_block_device",
    }
)
_VPC_ATTRIBUTE_KEYS = MappingProxyType(
    {
        "enableDnsSupport": "enable_dns_support",
        "enableDnsHostnames": "enable_dns_hostnames",
        "enableNetworkAddressUsageMetrics": "enable_network_address_usage_metrics",
    }
)
_SUBNET_ATTRIBUTE_KEYS = MappingProxyType(
    {
        "mapPublicIpOnLaunch": "map_public_ip_on_launch",
        "assignIpv6AddressOnCreation": "assign_ipv6_address_on_creation",
        "mapCustomerOwnedIpOnLaunch": "map_customer_owned_ip_on_launch",
        "enableDns64": "enable_dns64",
        "enableResourceNameDnsARecordOnLaunch": "enable_resource_name_dns_a_record_on_launch",
        "enableResourceNameDnsAAAARecordOnLaunch": "enable_resource_name_dns_aaaa_record_on_launch",
        "privateDnsHostnameTypeOnLaunch": "private_dns_hostname_type_on_launch",
        "enableLniAtDeviceIndex": "enable_lni_at_device_index",
    }
)


def _tag_rows(type_: str) -> tuple[EventRow, ...]:
    return (row("CreateTags", type_, _TAG_IDS, "tags"), row("DeleteTags", type_, _TAG_IDS, "tags"))


# Template property -> Terraform attribute rows for aws_security_group (see `facts.PropertyMap`).
_SECURITY_GROUP_CFN_PROPERTIES = (
    cfn_property("GroupName", "name"),
    cfn_property("GroupDescription", "description"),
    cfn_property("VpcId", "vpc_id"),
    CFN_TAGS,
    cfn_property("SecurityGroupIngress", "ingress", kind="rules", defaults=([],)),
    # Unset egress means CloudFormation keeps the default allow-all rule.
    cfn_property(
        "SecurityGroupEgress",
        "egress",
        kind="rules",
        defaults=([{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}],),
    ),
)

SECURITY_GROUP = ResourceType(
    name="aws_security_group", service="ec2",
    identity=Identity("security group id (sg-...)", None, "AWS::EC2::SecurityGroup", physical_id="lowercase",
                      cfn_attributes=MappingProxyType({"GroupId": "same", "VpcId": "property:VpcId"})),
    cfn_properties=_SECURITY_GROUP_CFN_PROPERTIES,
    event_source=SOURCE,
    events=(
        *_tag_rows("aws_security_group"),
        row("AuthorizeSecurityGroupIngress", "aws_security_group", _GROUP, "ingress"),
        row("RevokeSecurityGroupIngress", "aws_security_group", _GROUP, "ingress"),
        row("AuthorizeSecurityGroupEgress", "aws_security_group", _GROUP, "egress"),
        row("RevokeSecurityGroupEgress", "aws_security_group", _GROUP, "egress"),
        row("ModifySecurityGroupRules", "aws_security_group", _GROUP, ("ingress", "egress")),
        row("UpdateSecurityGroupRuleDescriptionsIngress", "aws_security_group", _GROUP, "ingress"),
        row("UpdateSecurityGroupRuleDescriptionsEgress", "aws_security_group", _GROUP, "egress"),
        delete("DeleteSecurityGroup", "aws_security_group", _GROUP),
        create("CreateSecurityGroup", "aws_security_group", "responseElements.groupId"),
    ),
    fallback=(target("aws_security_group", "requestParameters.groupId"),),
    collector="ec2",
    force_new=frozenset({"name", "name_prefix", "description", "vpc_id"}),
    replacement_cost=(Risk("downtime", "a replaced group gets a new id: instances and rules referring to the old one "
                                       "lose it"),),
    import_arguments=("name", "description", "vpc_id", "ingress", "egress", "tags"),
    computed_when_unset=frozenset({"ingress", "egress"}),
    revert="security_group", tag_revert="ec2",
    arn=ArnRow("ec2", "security-group", "plain"),
)


def _rule_type(direction: str) -> ResourceType:
    """`aws_vpc_security_group_{ingress,egress}_rule`: the same facts, one per direction."""
    name = f"aws_vpc_security_group_{direction}_rule"
    upper = direction.capitalize()
    return ResourceType(
        name=name, service="ec2", parent="aws_security_group",
        identity=Identity("security group rule id (sgr-...)", None,
                          Unsupported(f"AWS::EC2::SecurityGroup{upper} is read as part of its group")),
        event_source=SOURCE,
        events=(
            *_tag_rows(name),
            create(f"AuthorizeSecurityGroup{upper}", name, _RULE_IDS_RESPONSE),
            delete(f"RevokeSecurityGroup{upper}", name, _RULE_IDS_REQUEST),
            delete(f"RevokeSecurityGroup{upper}", name, match_on=_RULE_GROUP, loose=True),
            row("ModifySecurityGroupRules", name, _RULE_IDS_REQUEST, _RULE_ATTRS),
            row(f"UpdateSecurityGroupRuleDescriptions{upper}", name, _RULE_IDS_REQUEST, "description"),
        ),
        collector="ec2",
        force_new=frozenset({"security_group_id"}),
        replacement_cost=(),
        import_arguments=("security_group_id", "ip_protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6",
                          "prefix_list_id", "referenced_security_group_id", "description", "tags"),
        computed_when_unset=frozenset(),
        revert="security_group_rule", tag_revert="ec2",
        arn=Unsupported("rules have no ARN of their own in the tagging API; found under their group"),
    )


INGRESS_RULE = _rule_type("ingress")
EGRESS_RULE = _rule_type("egress")

# Template property -> Terraform attribute rows for aws_vpc (see `facts.PropertyMap`).
_VPC_CFN_PROPERTIES = (
    cfn_property("CidrBlock", "cidr_block"),
    CFN_TAGS,
    cfn_property("EnableDnsSupport", "enable_dns_support", defaults=(True,)),
    cfn_property("EnableDnsHostnames", "enable_dns_hostnames", defaults=(False,)),
    cfn_property("InstanceTenancy", "instance_tenancy", defaults=("default",)),
)

VPC = ResourceType(
    name="aws_vpc", service="ec2",
    identity=Identity("VPC id", None, "AWS::EC2::VPC", physical_id="lowercase",
                      cfn_attributes=MappingProxyType({"VpcId": "same", "CidrBlock": "property:CidrBlock"})),
    cfn_properties=_VPC_CFN_PROPERTIES,
    event_source=SOURCE,
    events=(
        *_tag_rows("aws_vpc"),
        row("ModifyVpcAttribute", "aws_vpc", "requestParameters.vpcId", keyed=("requestParameters",),
            key_map=_VPC_ATTRIBUTE_KEYS),
        row("AssociateVpcCidrBlock", "aws_vpc", "requestParameters.vpcId",
            ("ipv6_cidr_block", "assign_generated_ipv6_cidr_block")),
        row("DisassociateVpcCidrBlock", "aws_vpc", "responseElements.vpcId", ("ipv6_cidr_block",)),
        delete("DeleteVpc", "aws_vpc", "requestParameters.vpcId"),
        create("CreateVpc", "aws_vpc", "responseElements.vpc.vpcId"),
    ),
    collector="ec2",
    force_new=frozenset({"cidr_block", "ipv4_ipam_pool_id"}),
    replacement_cost=(Risk("downtime", "replacing a VPC means destroying everything in it first (subnets, instances, "
                                       "endpoints)"),),
    import_arguments=("cidr_block", "instance_tenancy", "enable_dns_support", "enable_dns_hostnames", "tags"),
    computed_when_unset=frozenset({"enable_dns_hostnames", "instance_tenancy", "ipv6_cidr_block"}),
    revert=Unsupported("only its tags have boto3 revert calls; the rest reverts with terraform apply"),
    tag_revert="ec2",
    arn=ArnRow("ec2", "vpc", "plain"),
)

# Template property -> Terraform attribute rows for aws_subnet (see `facts.PropertyMap`).
_SUBNET_CFN_PROPERTIES = (
    cfn_property("VpcId", "vpc_id"),
    cfn_property("CidrBlock", "cidr_block"),
    CFN_TAGS,
    cfn_property("AvailabilityZone", "availability_zone"),
    cfn_property("AvailabilityZoneId", "availability_zone_id"),
    cfn_property("MapPublicIpOnLaunch", "map_public_ip_on_launch", defaults=(False,)),
    cfn_property("AssignIpv6AddressOnCreation", "assign_ipv6_address_on_creation", defaults=(None, False)),
    cfn_property("Ipv6CidrBlock", "ipv6_cidr_block"),
)

SUBNET = ResourceType(
    name="aws_subnet", service="ec2",
    identity=Identity("subnet id", None, "AWS::EC2::Subnet", physical_id="lowercase", cfn_attributes=MappingProxyType(
        {"SubnetId": "same", "VpcId": "property:VpcId", "CidrBlock": "property:CidrBlock"})),
    cfn_properties=_SUBNET_CFN_PROPERTIES,
    event_source=SOURCE,
    events=(
        *_tag_rows("aws_subnet"),
        row("ModifySubnetAttribute", "aws_subnet", "requestParameters.subnetId", keyed=("requestParameters",),
            key_map=_SUBNET_ATTRIBUTE_KEYS),
        delete("DeleteSubnet", "aws_subnet", "requestParameters.subnetId"),
        create("CreateSubnet", "aws_subnet", "responseElements.subnet.subnetId"),
    ),
    collector="ec2",
    force_new=frozenset({"vpc_id", "cidr_block", "availability_zone", "availability_zone_id", "outpost_arn"}),
    replacement_cost=(Risk("downtime", "replacing a subnet means terminating the network interfaces and instances "
                                       "in it"),),
    import_arguments=("vpc_id", "cidr_block", "availability_zone", "map_public_ip_on_launch", "tags"),
    computed_when_unset=frozenset({"availability_zone", "availability_zone_id", "ipv6_cidr_block"}),
    revert=Unsupported("only its tags have boto3 revert calls; the rest reverts with terraform apply"),
    tag_revert="ec2",
    arn=ArnRow("ec2", "subnet", "plain"),
)

# Template property -> Terraform attribute rows for aws_instance (see `facts.PropertyMap`).
_INSTANCE_CFN_PROPERTIES = (
    cfn_property("ImageId", "ami"),
    cfn_property("InstanceType", "instance_type"),
    CFN_TAGS,
    cfn_property("KeyName", "key_name"),
    cfn_property("SubnetId", "subnet_id"),
    cfn_property("SecurityGroupIds", "vpc_security_group_ids", kind="set"),
    cfn_property("SecurityGroups", "security_groups", kind="set"),
    cfn_property("IamInstanceProfile", "iam_instance_profile"),
    cfn_property("Monitoring", "monitoring", defaults=(None, False)),
    cfn_property("EbsOptimized", "ebs_optimized"),
    cfn_property("SourceDestCheck", "source_dest_check", defaults=(None, True)),
    cfn_property("DisableApiTermination", "disable_api_termination", defaults=(None, False)),
    cfn_property("InstanceInitiatedShutdownBehavior", "instance_initiated_shutdown_behavior", defaults=(None, "stop")),
    cfn_property("PrivateIpAddress", "private_ip"),
    cfn_property("AvailabilityZone", "availability_zone"),
    cfn_property("Tenancy", "tenancy", defaults=(None, "default")),
    cfn_property("UserData", "user_data_base64"),
)

INSTANCE = ResourceType(
    name="aws_instance", service="ec2",
    identity=Identity("instance id", None, "AWS::EC2::Instance", physical_id="lowercase",
                      cfn_attributes=MappingProxyType({"InstanceId": "same"})),
    cfn_properties=_INSTANCE_CFN_PROPERTIES,
    event_source=SOURCE,
    events=(
        *_tag_rows("aws_instance"),
        row("ModifyInstanceAttribute", "aws_instance", _INSTANCE,
            keyed=("requestParameters", "requestParameters.attribute"), key_map=_INSTANCE_ATTRIBUTE_KEYS),
        row("ModifyInstanceMetadataOptions", "aws_instance", _INSTANCE, "metadata_options"),
        row("StopInstances", "aws_instance", _INSTANCE, "instance_state"),
        row("StartInstances", "aws_instance", _INSTANCE, "instance_state"),
        row("AssociateIamInstanceProfile", "aws_instance",
            "requestParameters.AssociateIamInstanceProfileRequest.InstanceId", "iam_instance_profile"),
        delete("TerminateInstances", "aws_instance", _INSTANCE),
        create("RunInstances", "aws_instance", "responseElements.instancesSet.items[*].instanceId"),
    ),
    fallback=(target("aws_instance", "requestParameters.instanceId"),),
    collector="ec2",
    force_new=frozenset({"ami", "availability_zone", "subnet_id", "key_name", "private_ip", "tenancy",
                         "placement_group", "ipv6_addresses", "host_id"}),
    replacement_cost=(
        Risk("data-loss", "replacing an instance loses its instance-store data and, unless preserved, its root volume"),
        Risk("downtime", "the instance is terminated and a new one started (new id and private IP)"),
    ),
    import_arguments=("ami", "instance_type", "subnet_id", "vpc_security_group_ids", "key_name", "tags"),
    computed_when_unset=frozenset({"vpc_security_group_ids", "security_groups", "subnet_id", "private_ip", "key_name",
                                   "iam_instance_profile", "ebs_optimized", "monitoring", "source_dest_check"}),
    revert=Unsupported("only its tags have boto3 revert calls; the rest reverts with terraform apply"),
    tag_revert="ec2",
    arn=ArnRow("ec2", "instance", "plain"),
)

TYPES = (SECURITY_GROUP, INGRESS_RULE, EGRESS_RULE, VPC, SUBNET, INSTANCE)
