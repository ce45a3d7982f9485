"""IAM collectors: roles, customer-managed policies, role policy attachments, users.

IAM is global: one paginated `get_account_authorization_details` call per scan (memo) gives every
user, role and customer-managed policy with their tags, trust policies, inline policies,
attachments and policy versions. It lacks a role's description and maximum session duration
(`list_roles`, also one paginated call) and a managed policy's tags (`list_policy_tags`, one call
per policy in state). Access keys exist only per user (`list_access_keys`, for managed users).

What AWS creates by itself is never unmanaged: AWS-managed policies (`arn:aws:iam::aws:policy/...`)
and service-linked roles (path `/aws-service-role/`).

A role's `managed_policy_arns` and `inline_policy` are not compared: in state they are whatever the
last refresh saw of pieces usually managed by separate resources. Those pieces are checked as
`aws_iam_role_policy_attachment` resources (missing when detached) and reported as unmanaged
sub-resources of the role (`parent` = the role's address) when nothing in the scan manages them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from driftdeck.core.aws import AwsContext, describe_failure, is_not_found
from driftdeck.core.compare.policy import parse_policy
from driftdeck.core.live.collectors import register
from driftdeck.core.live.collectors.base import Collector, ReadOutcome
from driftdeck.core.live.collectors.common import parallel, tags_of
from driftdeck.core.model import DesiredResource, LiveResource, ResourceResult, Status

ROLE_TYPE = "aws_iam_role"
USER_TYPE = "aws_iam_user"
POLICY_TYPE = "aws_iam_policy"
ROLE_ATTACHMENT_TYPE = "aws_iam_role_policy_attachment"
_NO_SUCH_ENTITY = frozenset({"NoSuchEntity", "NoSuchEntityException"})
# A scan's IAM discovery runs once whatever the number of regions (IAM is global).
_GLOBAL = "global"


class AuthorizationDetails:
    """The account's IAM entities, indexed by name / ARN."""

    def __init__(self, pages: Sequence[dict[str, Any]]) -> None:
        self.users = {u["UserName"]: u for p in pages for u in p.get("UserDetailList") or []}
        self.roles = {r["RoleName"]: r for p in pages for r in p.get("RoleDetailList") or []}
        self.policies = {pol["Arn"]: pol for p in pages for pol in p.get("Policies") or []}


def authorization_details(ctx: AwsContext) -> AuthorizationDetails:
    def load() -> AuthorizationDetails:
        paginator = ctx.client("iam").get_paginator("get_account_authorization_details")
        # AWS-managed policies are left out: there are over a thousand and none can be in state.
        pages = list(paginator.paginate(Filter=["User", "Role", "LocalManagedPolicy"]))
        return AuthorizationDetails(pages)

    return ctx.memo(("iam", "authorization_details"), load)


def role_listing(ctx: AwsContext) -> dict[str, dict[str, Any]]:
    """`list_roles` carries Description and MaxSessionDuration, which the details call lacks."""

    def load() -> dict[str, dict[str, Any]]:
        roles: dict[str, dict[str, Any]] = {}
        for page in ctx.client("iam").get_paginator("list_roles").paginate():
            for role in page.get("Roles") or []:
                roles[role["RoleName"]] = role
        return roles

    return ctx.memo(("iam", "list_roles"), load)


def _first_region(ctx: AwsContext, rtype: str, region: str) -> bool:
    """True for the first region that asks: IAM objects are reported once per scan, not per region."""
    return ctx.memo(("iam", "discovery-region", rtype), lambda: region) == region


def _document(value: Any) -> Any:
    """IAM returns documents URL-encoded (boto3 usually decodes them already)."""
    return parse_policy(value) if value is not None else None


def _boundary(entity: dict[str, Any]) -> str:
    return str((entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") or "")


def _desired(ctx: AwsContext, rtype: str) -> list[DesiredResource]:
    return [r for r in ctx.desired if r.type == rtype]


def _unmanaged_piece(rtype: str, rid: str, parent: DesiredResource, live: dict[str, Any], what: str) -> ResourceResult:
    return ResourceResult(
        address=None, type=rtype, id=rid, status=Status.UNMANAGED, source=None, live=live,
        reason=f"{what} on managed {parent.type} {parent.id} that nothing in the scanned state manages",
        parent=parent.address,
    )


# --- roles ------------------------------------------------------------------------------------------------


@register
class RoleCollector(Collector):
    resource_type = ROLE_TYPE
    checked_attributes = (
        "name", "path", "assume_role_policy", "description", "max_session_duration", "permissions_boundary", "tags",
    )
    json_attributes = frozenset({"assume_role_policy"})
    discoverable = True

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        details = authorization_details(ctx).roles
        listing = role_listing(ctx)
        out: list[ReadOutcome] = []
        for res in resources:
            role = details.get(res.id)
            if role is None:
                out.append(ReadOutcome.missing())
                continue
            listed = listing.get(res.id)
            if listed is None:
                # Created between the two listings: read it on its own rather than guess.
                try:
                    listed = ctx.client("iam").get_role(RoleName=res.id)["Role"]
                except Exception as exc:  # noqa: BLE001
                    out.append(ReadOutcome.missing() if is_not_found(exc, _NO_SUCH_ENTITY) else ReadOutcome.failed_on(exc))
                    continue
            out.append(ReadOutcome(live=self._live(role, listed)))
        return out

    def _live(self, role: dict[str, Any], listed: dict[str, Any] | None) -> LiveResource:
        attrs: dict[str, Any] = {
            "name": role["RoleName"],
            "path": role.get("Path"),
            "assume_role_policy": _document(role.get("AssumeRolePolicyDocument")),
            "permissions_boundary": _boundary(role),
            "tags": tags_of(role.get("Tags")),
        }
        if listed is not None:
            attrs["description"] = listed.get("Description") or ""
            attrs["max_session_duration"] = listed.get("MaxSessionDuration")
        return LiveResource(type=self.resource_type, id=role["RoleName"], attributes=attrs, arn=role.get("Arn"))

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        if not _first_region(ctx, self.resource_type, region):
            return []
        return [self._live(r, None) for r in authorization_details(ctx).roles.values()]

    def is_aws_default(self, live: LiveResource) -> bool:
        return str(live.attributes.get("path") or "").startswith("/aws-service-role/")

    def sub_resource_findings(
        self, ctx: AwsContext, region: str, resource: DesiredResource, live: LiveResource
    ) -> list[ResourceResult]:
        role = authorization_details(ctx).roles.get(resource.id)
        if role is None:
            return []
        name = resource.id
        out: list[ResourceResult] = []
        # Inline policies: claimed by aws_iam_role_policy resources or by the role's own inline_policy.
        claimed_inline = {r.id for r in _desired(ctx, "aws_iam_role_policy")}
        claimed_inline |= {
            f"{name}:{p.get('name')}" for p in resource.attributes.get("inline_policy") or [] if isinstance(p, dict)
        }
        for pol in role.get("RolePolicyList") or []:
            pid = f"{name}:{pol['PolicyName']}"
            if pid not in claimed_inline:
                live_pol = {"role": name, "name": pol["PolicyName"], "policy": _document(pol.get("PolicyDocument"))}
                out.append(_unmanaged_piece("aws_iam_role_policy", pid, resource, live_pol, "inline policy"))
        claimed = role_attachment_claims(ctx)
        claimed |= {f"{name}/{arn}" for arn in resource.attributes.get("managed_policy_arns") or []}
        for att in role.get("AttachedManagedPolicies") or []:
            aid = f"{name}/{att['PolicyArn']}"
            if aid not in claimed:
                live_att = {"role": name, "policy_arn": att["PolicyArn"]}
                out.append(_unmanaged_piece(ROLE_ATTACHMENT_TYPE, aid, resource, live_att, "policy attachment"))
        return out


def role_attachment_claims(ctx: AwsContext) -> set[str]:
    """"role/policy_arn" of every role attachment some resource in the scan manages."""
    claims = {f"{r.attributes.get('role')}/{r.attributes.get('policy_arn')}" for r in _desired(ctx, ROLE_ATTACHMENT_TYPE)}
    for r in _desired(ctx, "aws_iam_policy_attachment"):
        claims |= {f"{role}/{r.attributes.get('policy_arn')}" for role in r.attributes.get("roles") or []}
    return claims


# --- customer-managed policies -------------------------------------------------------------------------


def _default_document(policy: dict[str, Any]) -> Any:
    for version in policy.get("PolicyVersionList") or []:
        if version.get("IsDefaultVersion"):
            return _document(version.get("Document"))
    return None


@register
class PolicyCollector(Collector):
    resource_type = POLICY_TYPE
    checked_attributes = ("name", "path", "description", "policy", "tags")
    json_attributes = frozenset({"policy"})
    discoverable = True

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        policies = authorization_details(ctx).policies
        client = ctx.client("iam")

        def one(res: DesiredResource) -> ReadOutcome:
            policy = policies.get(res.id)
            if policy is None:
                return ReadOutcome.missing()
            attrs = self._attributes(policy)
            try:
                # The details call carries no policy tags: one call per policy in state.
                pages = client.get_paginator("list_policy_tags").paginate(PolicyArn=res.id)
                attrs["tags"] = tags_of([t for page in pages for t in page.get("Tags") or []])
            except Exception as exc:  # noqa: BLE001
                if is_not_found(exc, _NO_SUCH_ENTITY):
                    return ReadOutcome.missing()
                return ReadOutcome.failed_on(exc)
            return ReadOutcome(live=LiveResource(type=self.resource_type, id=res.id, attributes=attrs, arn=res.id))

        return parallel(one, resources)

    @staticmethod
    def _attributes(policy: dict[str, Any]) -> dict[str, Any]:
        return {
            # moto's details omit PolicyName; the ARN's last segment is the name in any case.
            "name": policy.get("PolicyName") or str(policy.get("Arn", "")).rsplit("/", 1)[-1],
            "path": policy.get("Path"),
            "description": policy.get("Description") or "",
            "policy": _default_document(policy),
        }

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        if not _first_region(ctx, self.resource_type, region):
            return []
        return [
            LiveResource(type=self.resource_type, id=arn, attributes=self._attributes(p), arn=arn)
            for arn, p in authorization_details(ctx).policies.items()
        ]

    def is_aws_default(self, live: LiveResource) -> bool:
        return live.id.startswith("arn:aws:iam::aws:policy/")


# --- role policy attachments --------------------------------------------------------------------------


@register
class RolePolicyAttachmentCollector(Collector):
    resource_type = ROLE_ATTACHMENT_TYPE
    checked_attributes = ("role", "policy_arn")
    discoverable = True

    def live_id(self, resource: DesiredResource) -> str:
        # State ids are "<role>-<timestamp>"; the live identity is the pair.
        return f"{resource.attributes.get('role')}/{resource.attributes.get('policy_arn')}"

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        roles = authorization_details(ctx).roles
        out: list[ReadOutcome] = []
        for res in resources:
            role_name, arn = res.attributes.get("role"), res.attributes.get("policy_arn")
            role = roles.get(str(role_name))
            attached = {a["PolicyArn"] for a in (role or {}).get("AttachedManagedPolicies") or []}
            if arn not in attached:
                out.append(ReadOutcome.missing())
                continue
            live = LiveResource(type=self.resource_type, id=res.id, attributes={"role": role_name, "policy_arn": arn})
            out.append(ReadOutcome(live=live))
        return out

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        """Attachments of roles not managed in the scan (a managed role reports its own as sub-resources)."""
        if not _first_region(ctx, self.resource_type, region):
            return []
        managed_roles = {r.id for r in _desired(ctx, ROLE_TYPE)}
        out: list[LiveResource] = []
        for name, role in authorization_details(ctx).roles.items():
            if name in managed_roles or str(role.get("Path") or "").startswith("/aws-service-role/"):
                continue
            for att in role.get("AttachedManagedPolicies") or []:
                attrs = {"role": name, "policy_arn": att["PolicyArn"]}
                out.append(LiveResource(type=self.resource_type, id=f"{name}/{att['PolicyArn']}", attributes=attrs))
        return out


# --- users ---------------------------------------------------------------------------------------------


@register
class UserCollector(Collector):
    resource_type = USER_TYPE
    checked_attributes = ("name", "path", "permissions_boundary", "tags")
    discoverable = True

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        users = authorization_details(ctx).users
        return [ReadOutcome(live=self._live(users[r.id])) if r.id in users else ReadOutcome.missing() for r in resources]

    def _live(self, user: dict[str, Any]) -> LiveResource:
        attrs = {
            "name": user["UserName"],
            "path": user.get("Path"),
            "permissions_boundary": _boundary(user),
            "tags": tags_of(user.get("Tags")),
        }
        return LiveResource(type=self.resource_type, id=user["UserName"], attributes=attrs, arn=user.get("Arn"))

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        if not _first_region(ctx, self.resource_type, region):
            return []
        return [self._live(u) for u in authorization_details(ctx).users.values()]

    def sub_resource_findings(
        self, ctx: AwsContext, region: str, resource: DesiredResource, live: LiveResource
    ) -> list[ResourceResult]:
        """Inline policies, attached policies and access keys of a managed user that Terraform never sees."""
        user = authorization_details(ctx).users.get(resource.id)
        if user is None:
            return []
        name = resource.id
        out: list[ResourceResult] = []
        claimed_inline = {r.id for r in _desired(ctx, "aws_iam_user_policy")}
        for pol in user.get("UserPolicyList") or []:
            pid = f"{name}:{pol['PolicyName']}"
            if pid not in claimed_inline:
                live_pol = {"user": name, "name": pol["PolicyName"], "policy": _document(pol.get("PolicyDocument"))}
                out.append(_unmanaged_piece("aws_iam_user_policy", pid, resource, live_pol, "inline policy"))
        claimed_att = {
            f"{r.attributes.get('user')}/{r.attributes.get('policy_arn')}" for r in _desired(ctx, "aws_iam_user_policy_attachment")
        }
        for r in _desired(ctx, "aws_iam_policy_attachment"):
            claimed_att |= {f"{u}/{r.attributes.get('policy_arn')}" for u in r.attributes.get("users") or []}
        for att in user.get("AttachedManagedPolicies") or []:
            aid = f"{name}/{att['PolicyArn']}"
            if aid not in claimed_att:
                live_att = {"user": name, "policy_arn": att["PolicyArn"]}
                out.append(_unmanaged_piece("aws_iam_user_policy_attachment", aid, resource, live_att, "policy attachment"))
        claimed_keys = {r.id for r in _desired(ctx, "aws_iam_access_key")}
        try:
            pages = ctx.client("iam").get_paginator("list_access_keys").paginate(UserName=name)
            keys = [k for page in pages for k in page.get("AccessKeyMetadata") or []]
        except Exception as exc:  # noqa: BLE001 - say that keys were not checked, never imply "none"
            if is_not_found(exc, _NO_SUCH_ENTITY):
                return out
            out.append(
                ResourceResult(
                    address=None, type="aws_iam_access_key", id=f"{name}:*", status=Status.UNKNOWN, source=None,
                    reason=f"access keys of {name} not checked: {describe_failure(exc)}", parent=resource.address,
                )
            )
            return out
        for key in keys:
            key_id = key["AccessKeyId"]
            if key_id not in claimed_keys:
                # Only the key id (an identifier, not a secret) and its status are reported.
                live_key = {"user": name, "status": key.get("Status")}
                out.append(_unmanaged_piece("aws_iam_access_key", key_id, resource, live_key, "access key"))
        return out
