"""Unmanaged discovery for every type in the discovery table.

Per region: one paginated listing of the Resource Groups Tagging API (`GetResources`) plus the
per-service List calls for types that listing does not return (IAM groups, ECR, Route 53,
CloudTrail, Elastic IPs — the tagging API skips them — and Lambda and DynamoDB, which it returns
only once tagged). Each ARN goes through the table; objects that a state or stack claims, that a
native collector discovers itself, or that AWS created are dropped; the rest are `unmanaged`,
read through the workspace's provider (ImportResourceState + ReadResource) when one is available.
A listing that fails is an `unknown` finding naming it, never an empty answer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from driftdeck.core.aws import AwsContext, describe_failure, paginate
from driftdeck.core.cty import CtyError, decode
from driftdeck.core.inputs.tfstate import redact
from driftdeck.core.live.discovery.table import DISCOVERABLE_TYPES, Discovered, classify
from driftdeck.core.model import DesiredResource, ResourceResult, Status, partition_for

UNMANAGED_REASON = "exists in AWS but in no scanned state or stack"

@dataclass(frozen=True)
class Listed:
    """One object a listing returned: its ARN, the name the listing gives (None: the ARN's), and
    whether AWS made it itself (a default network ACL, an alias/aws/... key alias)."""

    arn: str
    name: str | None = None
    aws_default: bool = False


# A List call for one service: (context, region) -> objects.
Lister = Callable[[AwsContext, str], list[Listed]]


@dataclass(frozen=True)
class Listing:
    label: str
    types: tuple[str, ...]
    list_arns: Lister
    global_service: bool = False  # listed once per scan (in the first region), not per region


def _name_tag(tags: Any) -> str | None:
    for tag in tags or []:
        if tag.get("Key") == "Name" and tag.get("Value"):
            return str(tag["Value"])
    return None


def _tagged(ctx: AwsContext, region: str) -> list[Listed]:
    client = ctx.client("resourcegroupstaggingapi", region)
    pages = client.get_paginator("get_resources").paginate(ResourcesPerPage=100)
    return [Listed(m["ResourceARN"], _name_tag(m.get("Tags")))
            for page in pages for m in page.get("ResourceTagMappingList") or []]


def _account(ctx: AwsContext, region: str) -> str:
    return ctx.memo(("account",), lambda: str(ctx.client("sts", region).get_caller_identity()["Account"]))


def _arn(ctx: AwsContext, region: str, service: str, resource: str) -> str:
    return f"arn:{partition_for(region)}:{service}:{region}:{_account(ctx, region)}:{resource}"


def _iam_groups(ctx: AwsContext, region: str) -> list[Listed]:
    return [Listed(g["Arn"], g["GroupName"]) for g in paginate(ctx.client("iam"), "list_groups", "Groups")]


def _iam_instance_profiles(ctx: AwsContext, region: str) -> list[Listed]:
    profiles = paginate(ctx.client("iam"), "list_instance_profiles", "InstanceProfiles")
    return [Listed(p["Arn"], p["InstanceProfileName"]) for p in profiles]


def _ecr(ctx: AwsContext, region: str) -> list[Listed]:
    repos = paginate(ctx.client("ecr", region), "describe_repositories", "repositories")
    return [Listed(r["repositoryArn"], r["repositoryName"]) for r in repos]


def _route53(ctx: AwsContext, region: str) -> list[Listed]:
    zones = paginate(ctx.client("route53"), "list_hosted_zones", "HostedZones")
    return [Listed(f"arn:{partition_for(region)}:route53:::hostedzone/{z['Id'].rsplit('/', 1)[-1]}", z["Name"].rstrip("."))
            for z in zones]


def _cloudtrail(ctx: AwsContext, region: str) -> list[Listed]:
    trails = ctx.client("cloudtrail", region).describe_trails(includeShadowTrails=False).get("trailList") or []
    return [Listed(t["TrailARN"], t["Name"]) for t in trails]


def _eips(ctx: AwsContext, region: str) -> list[Listed]:
    addresses = ctx.client("ec2", region).describe_addresses().get("Addresses") or []
    return [Listed(_arn(ctx, region, "ec2", f"elastic-ip/{a['AllocationId']}"), _name_tag(a.get("Tags")) or a.get("PublicIp"))
            for a in addresses if a.get("AllocationId")]


def _network_acls(ctx: AwsContext, region: str) -> list[Listed]:
    acls = paginate(ctx.client("ec2", region), "describe_network_acls", "NetworkAcls")
    return [Listed(_arn(ctx, region, "ec2", f"network-acl/{a['NetworkAclId']}"), _name_tag(a.get("Tags")),
                   aws_default=bool(a.get("IsDefault"))) for a in acls]


def _launch_templates(ctx: AwsContext, region: str) -> list[Listed]:
    templates = paginate(ctx.client("ec2", region), "describe_launch_templates", "LaunchTemplates")
    return [Listed(_arn(ctx, region, "ec2", f"launch-template/{t['LaunchTemplateId']}"), t["LaunchTemplateName"])
            for t in templates]


def _lambda(ctx: AwsContext, region: str) -> list[Listed]:
    functions = paginate(ctx.client("lambda", region), "list_functions", "Functions")
    return [Listed(f["FunctionArn"], f["FunctionName"]) for f in functions]


def _dynamodb(ctx: AwsContext, region: str) -> list[Listed]:
    names = paginate(ctx.client("dynamodb", region), "list_tables", "TableNames")
    return [Listed(_arn(ctx, region, "dynamodb", f"table/{n}"), n) for n in names]


def _kms_aliases(ctx: AwsContext, region: str) -> list[Listed]:
    aliases = paginate(ctx.client("kms", region), "list_aliases", "Aliases")
    return [Listed(a["AliasArn"], a["AliasName"]) for a in aliases if a.get("AliasArn")]


def _kinesis(ctx: AwsContext, region: str) -> list[Listed]:
    streams = paginate(ctx.client("kinesis", region), "list_streams", "StreamSummaries")
    return [Listed(s["StreamARN"], s["StreamName"]) for s in streams]


def _eks(ctx: AwsContext, region: str) -> list[Listed]:
    names = paginate(ctx.client("eks", region), "list_clusters", "clusters")
    return [Listed(_arn(ctx, region, "eks", f"cluster/{n}"), n) for n in names]


def _rds_groups(ctx: AwsContext, region: str) -> list[Listed]:
    rds = ctx.client("rds", region)
    subnet_groups = paginate(rds, "describe_db_subnet_groups", "DBSubnetGroups")
    parameter_groups = paginate(rds, "describe_db_parameter_groups", "DBParameterGroups")
    return ([Listed(g["DBSubnetGroupArn"], g["DBSubnetGroupName"]) for g in subnet_groups]
            + [Listed(g["DBParameterGroupArn"], g["DBParameterGroupName"]) for g in parameter_groups])


def _api_gateway(ctx: AwsContext, region: str) -> list[Listed]:
    rest = paginate(ctx.client("apigateway", region), "get_rest_apis", "items")
    http = paginate(ctx.client("apigatewayv2", region), "get_apis", "Items")
    prefix = f"arn:{partition_for(region)}:apigateway:{region}::"
    return ([Listed(f"{prefix}/restapis/{a['id']}", a.get("name")) for a in rest]
            + [Listed(f"{prefix}/apis/{a['ApiId']}", a.get("Name")) for a in http])


def _event_rules(ctx: AwsContext, region: str) -> list[Listed]:
    events = ctx.client("events", region)
    buses: list[str] = []
    token: str | None = None
    while True:  # ListEventBuses has no paginator in botocore
        page = events.list_event_buses(**({"NextToken": token} if token else {}))
        buses.extend(b["Name"] for b in page.get("EventBuses") or [])
        token = page.get("NextToken")
        if not token:
            break
    rules = [r for bus in buses or ["default"] for r in paginate(events, "list_rules", "Rules", EventBusName=bus)]
    return [Listed(r["Arn"], r["Name"], aws_default=bool(r.get("ManagedBy"))) for r in rules]


LISTINGS: tuple[Listing, ...] = (
    Listing("Resource Groups Tagging API GetResources", (), _tagged),
    # Types the tagging API does not return (in moto; in AWS, none it has never seen tagged).
    Listing("IAM ListGroups", ("aws_iam_group",), _iam_groups, global_service=True),
    Listing("IAM ListInstanceProfiles", ("aws_iam_instance_profile",), _iam_instance_profiles, global_service=True),
    Listing("ECR DescribeRepositories", ("aws_ecr_repository",), _ecr),
    Listing("Route 53 ListHostedZones", ("aws_route53_zone",), _route53, global_service=True),
    Listing("CloudTrail DescribeTrails", ("aws_cloudtrail",), _cloudtrail),
    Listing("EC2 DescribeAddresses", ("aws_eip",), _eips),
    Listing("EC2 DescribeNetworkAcls", ("aws_network_acl",), _network_acls),
    Listing("EC2 DescribeLaunchTemplates", ("aws_launch_template",), _launch_templates),
    Listing("Lambda ListFunctions", ("aws_lambda_function",), _lambda),
    Listing("DynamoDB ListTables", ("aws_dynamodb_table",), _dynamodb),
    Listing("KMS ListAliases", ("aws_kms_alias",), _kms_aliases),
    Listing("Kinesis ListStreams", ("aws_kinesis_stream",), _kinesis),
    Listing("EKS ListClusters", ("aws_eks_cluster",), _eks),
    Listing("RDS DescribeDBSubnetGroups/DescribeDBParameterGroups", ("aws_db_subnet_group", "aws_db_parameter_group"),
            _rds_groups),
    Listing("API Gateway GetRestApis/GetApis", ("aws_api_gateway_rest_api", "aws_apigatewayv2_api"), _api_gateway),
    Listing("EventBridge ListRules", ("aws_cloudwatch_event_rule",), _event_rules),
)


# Attributes that hold what a person calls the object, by preference.
_NAME_ATTRIBUTES = ("name", "bucket", "function_name", "repository_name", "role", "user", "group")


def human_name(attributes: dict[str, Any] | None, fallback: str) -> str:
    """What a person calls a live object: its name attribute, its Name tag, else its id's last part."""
    attributes = attributes or {}
    if isinstance(attributes.get("policy_arn"), str):  # an attachment: the policy is what it names
        return str(attributes["policy_arn"]).rsplit("/", 1)[-1]
    for key in _NAME_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            return value
    tags = attributes.get("tags")
    if isinstance(tags, dict) and isinstance(tags.get("Name"), str) and tags["Name"]:
        return str(tags["Name"])
    return fallback.rstrip("/").rsplit("/", 1)[-1]


def list_objects(ctx: AwsContext, region: str, *, first_region: bool,
                 wanted: Collection[str] = ()) -> tuple[list[Discovered], list[ResourceResult]]:
    """Every object of a table type in `region` (global services only when `first_region`), once
    each; and an `unknown` finding per listing that failed. `wanted`: only these types (empty: all)."""
    found: dict[tuple[str, str], Discovered] = {}
    named: set[tuple[str, str]] = set()
    failures: list[ResourceResult] = []
    for listing in LISTINGS:
        if listing.global_service and not first_region:
            continue
        if wanted and listing.types and not set(listing.types) & set(wanted):
            continue
        try:
            arns = ctx.memo(("discovery-listing", listing.label, region), lambda lst=listing: lst.list_arns(ctx, region))
        except Exception as exc:  # noqa: BLE001 - say what was not listed; never read it as "nothing there"
            failures.append(ResourceResult(
                address=None, type=",".join(listing.types) or "*", id=f"*@{region}", status=Status.UNKNOWN,
                source=None, region=region,
                reason=f"unmanaged detection failed: {listing.label}: {describe_failure(exc)}",
            ))
            continue
        for listed in arns:
            item = classify(listed.arn, name=listed.name)
            if item is None or (wanted and item.terraform_type not in wanted):
                continue
            if item.region is None and not first_region:
                continue  # a global object (IAM, S3, Route 53) is reported from the first region only
            if listed.aws_default:
                item = replace(item, aws_default=True)
            key = (item.terraform_type, item.import_id)
            known = found.get(key)
            # Several listings may return one object: a name a listing gives beats the ARN's, and
            # a default mark from any of them stays.
            if known is not None and (key in named or not listed.name):
                if item.aws_default and not known.aws_default:
                    found[key] = replace(known, aws_default=True)
                continue
            found[key] = replace(item, aws_default=item.aws_default or bool(known and known.aws_default))
            if listed.name:
                named.add(key)
    return list(found.values()), failures


# Objects AWS makes together with a managed resource, which state records inside it: they belong to
# that resource, not to nobody. (type, list attribute or "", id attribute) -> the object's type.
EMBEDDED: dict[str, tuple[tuple[str, str, str], ...]] = {
    "aws_instance": (("root_block_device", "volume_id", "aws_ebs_volume"),
                     ("ebs_block_device", "volume_id", "aws_ebs_volume")),
    "aws_vpc": (("", "default_route_table_id", "aws_route_table"),
                ("", "default_network_acl_id", "aws_network_acl")),
}


def _embedded(res: DesiredResource) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for block, key, rtype in EMBEDDED.get(res.type, ()):
        holders = res.attributes.get(block) if block else [res.attributes]
        for holder in holders if isinstance(holders, list) else []:
            value = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(value, str) and value:
                out.add((rtype, value))
    return out


@dataclass(frozen=True)
class Claims:
    """What the scan's states and stacks manage, as the table would name it."""

    ids: frozenset[tuple[str, str]]  # (terraform type, id in state)
    arns: frozenset[str]

    @classmethod
    def of(cls, resources: Sequence[DesiredResource]) -> Claims:
        ids: set[tuple[str, str]] = set()
        arns: set[str] = set()
        for res in resources:
            ids.add((res.type, res.id))
            ids |= _embedded(res)
            for key in ("arn", "name"):
                value = res.attributes.get(key)
                if isinstance(value, str) and value:
                    if value.startswith("arn:"):
                        arns.add(value)
                    else:
                        ids.add((res.type, value))
        return cls(frozenset(ids), frozenset(arns))

    def claim(self, item: Discovered) -> bool:
        return ((item.terraform_type, item.import_id) in self.ids or (item.terraform_type, item.name) in self.ids
                or item.arn in self.arns or item.arn.removesuffix(":*") in self.arns)


def discover_unmanaged(
    ctx: AwsContext, region: str, *, first_region: bool, skip_types: Collection[str],
    extra_claims: Collection[tuple[str, str]] = (), wanted: Collection[str] = (),
) -> list[ResourceResult]:
    """Unmanaged objects of every table type except `skip_types` (those a native collector
    discovers), each with its name and ARN; plus `unknown` findings for listings that failed."""
    from driftdeck.core.inputs.cfn.ownership import (  # deferred: CloudFormation loader, only for discovery (bench/import_time.py)
        identity,
        service_claim,
    )

    if wanted and not (DISCOVERABLE_TYPES & set(wanted)) - set(skip_types):
        return []  # only natively discovered types asked for: no listing needed
    items, out = list_objects(ctx, region, first_region=first_region, wanted=wanted)
    claims = Claims.of(ctx.desired)
    fresh = [
        i for i in items
        if i.terraform_type not in skip_types and not i.aws_default and not claims.claim(i)
        and identity(i.terraform_type, i.import_id) not in extra_claims
        and not any(service_claim(i.arn.split(":")[2], x) in extra_claims for x in (i.import_id, i.name, i.arn))
    ]
    for item in sorted(fresh, key=lambda i: (i.terraform_type, i.name)):
        out.append(ResourceResult(
            address=None, type=item.terraform_type, id=item.import_id, status=Status.UNMANAGED, source=None,
            live={"name": item.name, "arn": item.arn}, arn=item.arn, region=item.region or region, name=item.name,
            reason=UNMANAGED_REASON,
        ))
    return out


# --- reading unmanaged objects through the provider -------------------------------------------------

ReadResult = tuple[dict[str, Any] | None, str | None, str | None, str | None]  # live, reader, provider, note

# An unmanaged object's detail is worth a bounded wait, not a stuck scan: a provider that retries
# an error (a throttled or unimplemented API) for minutes gives up on that object after this long.
UNMANAGED_READ_TIMEOUT = 60.0


def read_unmanaged(ctx: AwsContext, results: Sequence[ResourceResult]) -> None:
    """Fill in each unmanaged finding of a table type from the provider: ImportResourceState +
    ReadResource, what `terraform import` reads, so its detail is the whole object. Uses the
    provider configuration of a Terraform workspace in the scan, for the findings in that
    configuration's region; a failure keeps the listing's name and ARN and says why in the reason.
    Called once the managed resources are judged, so a provider upset by an odd object cannot
    touch their verdicts."""
    session = ctx.providers
    anchor = next((r for r in ctx.desired if r.source.kind == "terraform" and r.source.state and r.provider
                   and "hashicorp/aws" in r.provider), None)
    pending = [r for r in results if r.status is Status.UNMANAGED and r.type in DISCOVERABLE_TYPES and r.region]
    if session is None or anchor is None or not pending:
        return
    from driftdeck.core.live.collectors.provider_backed import (
        provider_for,  # deferred: provider session, only for provider reads (bench/import_time.py)
    )
    from driftdeck.core.live.provider.session import (
        ProviderUnavailable,  # deferred: provider session, only for provider reads (bench/import_time.py)
    )

    by_region: dict[str, list[ResourceResult]] = {}
    for r in pending:
        by_region.setdefault(str(r.region), []).append(r)
    for region, group in by_region.items():
        try:
            provider = provider_for(ctx, session, anchor, region)
        except ProviderUnavailable as exc:
            for r in group:
                r.reason = f"{UNMANAGED_REASON} (not read through the provider: {exc})"
            continue
        if str(provider.config.get("region") or region) != region:
            continue  # the workspace's provider reads another region: the listing's answer stands
        # One at a time: a provider that panics on one object (it happens) then loses that read
        # only, and is restarted once for the next; in parallel, every read in flight would go too.
        answers = [_import_and_read(session, provider, r.type, r.id) for r in group]
        for r, (live, reader, label, note) in zip(group, answers, strict=True):
            if live is not None:
                r.live, r.reader, r.provider = live, reader, label
            if note:
                r.reason = f"{UNMANAGED_REASON} ({note})"


def _import_and_read(session: Any, provider: Any, rtype: str, import_id: str) -> ReadResult:
    from driftdeck.core.live.collectors.provider_backed import (  # deferred: provider session, only for provider reads (bench/import_time.py)
        READER,
        diagnostic_reason,
    )
    from driftdeck.core.live.provider.client import (  # deferred: provider session, only for provider reads (bench/import_time.py)
        ProviderCrashed,
        ProviderDiagnostic,
        ProviderError,
    )

    schema = provider.client.schema
    if rtype not in schema.resource_types:
        return None, None, None, f"{provider.label} has no resource type {rtype}"
    generation = provider.generation
    try:
        imported = provider.client.import_resource(rtype, import_id, timeout=UNMANAGED_READ_TIMEOUT)
        state, private = next(((s, p) for t, s, p in imported if t == rtype), (b"", b""))
        if not state:
            return None, None, None, "the provider imported nothing for this id"
        answer = provider.client.read_resource(rtype, state, private, timeout=UNMANAGED_READ_TIMEOUT)
        if answer.state is None:
            return None, None, None, "the provider found nothing under this id"
        live = decode(answer.state, schema.type_of(rtype))
    except ProviderDiagnostic as exc:
        return None, None, None, f"not read through the provider: {diagnostic_reason(exc)}"
    except ProviderCrashed as exc:
        session.recover(provider, generation)  # restarted (once) for the reads after this one
        return None, None, None, f"not read through the provider: {exc}"
    except (ProviderError, CtyError) as exc:
        return None, None, None, f"not read through the provider: {exc}"
    sensitive = frozenset(schema.resource(rtype).block.sensitive_paths())
    return redact(live, sensitive), READER, provider.label, None
