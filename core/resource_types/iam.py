"""IAM: roles, users, groups, managed policies and the pieces attached to them."""

from __future__ import annotations

from types import MappingProxyType

from driftdeck.core.resource_types.facts import (
    CFN_TAGS,
    NO_BOTO3_REVERT,
    NO_CLOUDFORMATION,
    PROVIDER_PLANS,
    PROVIDER_READS,
    PROVIDER_WRITES,
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

SOURCE = "iam.amazonaws.com"
_ROLE = "requestParameters.roleName"
_USER = "requestParameters.userName"
_GROUP = "requestParameters.groupName"
_POLICY = "requestParameters.policyArn"
_ROLE_ATTACHMENT = MappingProxyType({"role": _ROLE, "policy_arn": _POLICY})
_USER_ATTACHMENT = MappingProxyType({"user": _USER, "policy_arn": _POLICY})
_ROLE_POLICY_ID = "{requestParameters.roleName}:{requestParameters.policyName}"
_USER_POLICY_ID = "{requestParameters.userName}:{requestParameters.policyName}"
_GROUP_POLICY_ID = "{requestParameters.groupName}:{requestParameters.policyName}"

_NO_TAGS = Unsupported("has no tags")
_NO_ARN = Unsupported("has no ARN of its own: found under its parent")


def _piece(name: str, parent: str, import_id: str, events: tuple[EventRow, ...]) -> ResourceType:
    """A piece of a role, user or group that driftdeck reads only through the provider."""
    return ResourceType(
        name=name, service="iam", parent=parent, identity=Identity(import_id, None, NO_CLOUDFORMATION),
        event_source=SOURCE, events=events, collector=PROVIDER_READS, force_new=PROVIDER_PLANS, replacement_cost=(),
        import_arguments=PROVIDER_WRITES, computed_when_unset=frozenset(), revert=NO_BOTO3_REVERT,
        tag_revert=_NO_TAGS, arn=_NO_ARN,
    )


# Template property -> Terraform attribute rows for aws_iam_role (see `facts.PropertyMap`).
_ROLE_CFN_PROPERTIES = (
    cfn_property("RoleName", "name"),
    CFN_TAGS,
    cfn_property("AssumeRolePolicyDocument", "assume_role_policy", kind="json"),
    cfn_property("Description", "description", defaults=(None, "")),
    cfn_property("MaxSessionDuration", "max_session_duration", defaults=(3600,)),
    cfn_property("Path", "path", defaults=("/",)),
    cfn_property("PermissionsBoundary", "permissions_boundary", defaults=(None, "")),
    cfn_property("ManagedPolicyArns", "managed_policy_arns", kind="set", defaults=([],)),
    cfn_property("Policies", "inline_policy", kind="inline_policies", defaults=([],)),
)

ROLE = ResourceType(
    name="aws_iam_role", service="iam",
    identity=Identity("role name", "name", "AWS::IAM::Role", cfn_name_property="RoleName",
                      cfn_attributes=MappingProxyType({"Arn": "role_arn"})),
    cfn_properties=_ROLE_CFN_PROPERTIES,
    event_source=SOURCE,
    events=(
        row("UpdateAssumeRolePolicy", "aws_iam_role", _ROLE, "assume_role_policy"),
        row("UpdateRole", "aws_iam_role", _ROLE, keyed=("requestParameters",), key_map=MappingProxyType(
            {"description": "description", "maxSessionDuration": "max_session_duration"})),
        row("UpdateRoleDescription", "aws_iam_role", _ROLE, "description"),
        row("TagRole", "aws_iam_role", _ROLE, "tags"),
        row("UntagRole", "aws_iam_role", _ROLE, "tags"),
        row("PutRolePermissionsBoundary", "aws_iam_role", _ROLE, "permissions_boundary"),
        row("DeleteRolePermissionsBoundary", "aws_iam_role", _ROLE, "permissions_boundary"),
        row("PutRolePolicy", "aws_iam_role", _ROLE, "inline_policy"),
        row("DeleteRolePolicy", "aws_iam_role", _ROLE, "inline_policy"),
        row("AttachRolePolicy", "aws_iam_role", _ROLE, "managed_policy_arns"),
        row("DetachRolePolicy", "aws_iam_role", _ROLE, "managed_policy_arns"),
        delete("DeleteRole", "aws_iam_role", _ROLE),
        create("CreateRole", "aws_iam_role", ("responseElements.role.roleName", _ROLE)),
    ),
    fallback=(target("aws_iam_role", _ROLE),),
    collector="iam",
    force_new=frozenset({"name", "name_prefix", "path"}),
    replacement_cost=(Risk("downtime", "a replaced role has a new unique id: sessions and resource policies naming "
                                       "the old one break"),),
    import_arguments=("name", "path", "description", "assume_role_policy", "max_session_duration", "tags"),
    computed_when_unset=frozenset({"managed_policy_arns", "inline_policy"}),
    revert="iam_role", tag_revert="iam_role",
    arn=ArnRow("iam", "role", "path_last", aws_default="service_linked_role"),
)

ROLE_POLICY = _piece("aws_iam_role_policy", "aws_iam_role", "role name:policy name", (
    row("PutRolePolicy", "aws_iam_role_policy", _ROLE_POLICY_ID, "policy"),
    delete("DeleteRolePolicy", "aws_iam_role_policy", _ROLE_POLICY_ID),
))

ROLE_POLICY_ATTACHMENT = ResourceType(
    name="aws_iam_role_policy_attachment", service="iam", parent="aws_iam_role",
    identity=Identity("role name/policy ARN", None, NO_CLOUDFORMATION, import_id_from="{role}/{policy_arn}"),
    event_source=SOURCE,
    events=(
        create("AttachRolePolicy", "aws_iam_role_policy_attachment",
               "{requestParameters.roleName}/{requestParameters.policyArn}", match_on=_ROLE_ATTACHMENT),
        delete("DetachRolePolicy", "aws_iam_role_policy_attachment",
               "{requestParameters.roleName}/{requestParameters.policyArn}", match_on=_ROLE_ATTACHMENT),
    ),
    collector="iam",
    force_new=frozenset({"role", "policy_arn"}),
    replacement_cost=(),
    import_arguments=("role", "policy_arn"),
    computed_when_unset=frozenset(),
    revert=NO_BOTO3_REVERT, tag_revert=_NO_TAGS, arn=_NO_ARN,
)

# Template property -> Terraform attribute rows for aws_iam_user (see `facts.PropertyMap`).
_USER_CFN_PROPERTIES = (
    cfn_property("UserName", "name"),
    CFN_TAGS,
    cfn_property("Path", "path", defaults=("/",)),
    cfn_property("PermissionsBoundary", "permissions_boundary", defaults=(None, "")),
)

USER = ResourceType(
    name="aws_iam_user", service="iam",
    identity=Identity("user name", "name", "AWS::IAM::User", cfn_name_property="UserName"),
    cfn_properties=_USER_CFN_PROPERTIES,
    event_source=SOURCE,
    events=(
        row("TagUser", "aws_iam_user", _USER, "tags"),
        row("UntagUser", "aws_iam_user", _USER, "tags"),
        row("UpdateUser", "aws_iam_user", _USER, keyed=("requestParameters",),
            key_map=MappingProxyType({"newUserName": "name", "newPath": "path"})),
        row("PutUserPermissionsBoundary", "aws_iam_user", _USER, "permissions_boundary"),
        row("DeleteUserPermissionsBoundary", "aws_iam_user", _USER, "permissions_boundary"),
        delete("DeleteUser", "aws_iam_user", _USER),
        create("CreateUser", "aws_iam_user", ("responseElements.user.userName", _USER)),
    ),
    fallback=(target("aws_iam_user", _USER),),
    collector="iam",
    force_new=frozenset(),
    replacement_cost=(Risk("access", "replacing a user invalidates their access keys and console password"),),
    import_arguments=("name", "path", "tags"),
    computed_when_unset=frozenset(),
    revert=NO_BOTO3_REVERT, tag_revert="iam_user",
    arn=ArnRow("iam", "user", "path_last"),
)

# Sub-resources Terraform never sees unless they are declared: reported as findings under the user.
ACCESS_KEY = _piece("aws_iam_access_key", "aws_iam_user", "access key id", (
    create("CreateAccessKey", "aws_iam_access_key", "responseElements.accessKey.accessKeyId"),
    row("UpdateAccessKey", "aws_iam_access_key", "requestParameters.accessKeyId", "status"),
    delete("DeleteAccessKey", "aws_iam_access_key", "requestParameters.accessKeyId"),
))

USER_POLICY = _piece("aws_iam_user_policy", "aws_iam_user", "user name:policy name", (
    create("PutUserPolicy", "aws_iam_user_policy", _USER_POLICY_ID),
    delete("DeleteUserPolicy", "aws_iam_user_policy", _USER_POLICY_ID),
))

USER_POLICY_ATTACHMENT = _piece("aws_iam_user_policy_attachment", "aws_iam_user", "user name/policy ARN", (
    create("AttachUserPolicy", "aws_iam_user_policy_attachment",
           "{requestParameters.userName}/{requestParameters.policyArn}", match_on=_USER_ATTACHMENT),
    delete("DetachUserPolicy", "aws_iam_user_policy_attachment",
           "{requestParameters.userName}/{requestParameters.policyArn}", match_on=_USER_ATTACHMENT),
))

# Template property -> Terraform attribute rows for aws_iam_policy (see `facts.PropertyMap`).
_POLICY_CFN_PROPERTIES = (
    cfn_property("ManagedPolicyName", "name"),
    cfn_property("PolicyDocument", "policy", kind="json"),
    cfn_property("Description", "description", defaults=(None, "")),
    cfn_property("Path", "path", defaults=("/",)),
)

POLICY = ResourceType(
    name="aws_iam_policy", service="iam",
    identity=Identity("policy ARN", "name", "AWS::IAM::ManagedPolicy", cfn_attributes=MappingProxyType({"PolicyArn": "same"})),
    cfn_properties=_POLICY_CFN_PROPERTIES,
    event_source=SOURCE,
    events=(
        row("CreatePolicyVersion", "aws_iam_policy", _POLICY, "policy"),
        row("SetDefaultPolicyVersion", "aws_iam_policy", _POLICY, "policy"),
        row("TagPolicy", "aws_iam_policy", _POLICY, "tags"),
        row("UntagPolicy", "aws_iam_policy", _POLICY, "tags"),
        delete("DeletePolicy", "aws_iam_policy", _POLICY),
        create("CreatePolicy", "aws_iam_policy", "responseElements.policy.arn"),
    ),
    fallback=(target("aws_iam_policy", _POLICY),),
    collector="iam",
    force_new=frozenset({"name", "name_prefix", "path", "description"}),
    replacement_cost=(Risk("access", "while the policy is replaced, attached identities lose its permissions"),),
    import_arguments=("name", "path", "description", "policy", "tags"),
    computed_when_unset=frozenset(),
    revert="iam_policy", tag_revert="iam_policy",
    arn=ArnRow("iam", "policy", "arn_last"),
)

GROUP = ResourceType(
    name="aws_iam_group", service="iam",
    identity=Identity("group name", "name", NO_CLOUDFORMATION),
    event_source=SOURCE,
    events=(
        row("UpdateGroup", "aws_iam_group", _GROUP, keyed=("requestParameters",),
            key_map=MappingProxyType({"newGroupName": "name", "newPath": "path"})),
        delete("DeleteGroup", "aws_iam_group", _GROUP),
        create("CreateGroup", "aws_iam_group", ("responseElements.group.groupName", _GROUP)),
    ),
    collector=PROVIDER_READS, force_new=PROVIDER_PLANS, replacement_cost=(), import_arguments=PROVIDER_WRITES,
    computed_when_unset=frozenset(), revert=NO_BOTO3_REVERT, tag_revert=Unsupported("IAM groups have no tags"),
    arn=ArnRow("iam", "group", "path_last"),
)

# The whole of what driftdeck needs to know about an inline group policy: the provider reads,
# plans and writes it; these rows attribute its changes; discovery.children finds the unmanaged
# ones under a managed group. A Put both rewrites a managed policy and creates an unmanaged one.
GROUP_POLICY = _piece("aws_iam_group_policy", "aws_iam_group", "group name:policy name", (
    row("PutGroupPolicy", "aws_iam_group_policy", _GROUP_POLICY_ID, "policy"),
    create("PutGroupPolicy", "aws_iam_group_policy", _GROUP_POLICY_ID),
    delete("DeleteGroupPolicy", "aws_iam_group_policy", _GROUP_POLICY_ID),
))

TYPES = (ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT, USER, ACCESS_KEY, USER_POLICY, USER_POLICY_ATTACHMENT, POLICY,
         GROUP, GROUP_POLICY)
