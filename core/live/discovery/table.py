"""The discovery table: ARN service + resource type -> Terraform type, import id and human name.

One row per kind of object. A row derives everything from the ARN alone (what the Resource Groups
Tagging API and most List calls return), so adding a type is adding a row. Rows whose Terraform
type has a native discoverable collector are still listed: they let the scan recognise those
objects (and skip them, the native discovery reports them) instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# (rest of the ARN resource after its type, whole ARN) -> (import id, human name), None: not this row
# (a sub-object such as a DynamoDB stream or a Lambda version, which Terraform does not import alone).
Derive = Callable[["Arn", str], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Arn:
    """arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, with RESOURCE split into type and rest."""

    text: str
    partition: str
    service: str
    region: str
    account: str
    resource_type: str  # "function", "table", "" for services with bare resources (S3, SQS, SNS)
    rest: str

    @property
    def last(self) -> str:
        return self.rest.rsplit("/", 1)[-1]


# Services whose ARN resource is the object's own name (an SNS subscription adds ":ID" to its topic's).
_BARE_SERVICES = frozenset({"s3", "sqs", "sns"})


def parse_arn(text: str) -> Arn | None:
    """Split an ARN; None when `text` is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[2]:
        return None
    _, partition, service, region, account, resource = parts
    resource = resource.removeprefix("/")  # API Gateway: arn:aws:apigateway:r::/restapis/ID
    if service in _BARE_SERVICES:
        return Arn(text, partition, service, region, account, "", resource)
    cut = min((i for i in (resource.find("/"), resource.find(":")) if i >= 0), default=-1)
    if cut < 0:
        rtype, rest = "", resource
    else:
        rtype, rest = resource[:cut], resource[cut + 1:]
    return Arn(text, partition, service, region, account, rtype, rest)


@dataclass(frozen=True)
class DiscoveryRule:
    service: str
    arn_type: str  # the ARN's resource type ("" for bare resources)
    terraform_type: str
    derive: Derive
    # Objects AWS creates itself (alias/aws/..., default.* groups): never unmanaged.
    aws_default: Callable[[str], bool] = lambda _name: False


@dataclass(frozen=True)
class Discovered:
    """One live object found by ARN, in Terraform's terms."""

    terraform_type: str
    import_id: str  # what `terraform import` / an `import {}` block takes
    name: str  # what a person calls it (function name, queue name, group name...)
    arn: str
    region: str | None
    aws_default: bool = False


# --- how ids and names come out of an ARN -------------------------------------------------------


def _plain(arn: Arn, rest: str) -> tuple[str, str] | None:
    """The rest is the id and the name (function:NAME, repository/NAME)."""
    return (rest, rest) if rest and "/" not in rest and ":" not in rest else None


def _plain_or_qualified(arn: Arn, rest: str) -> tuple[str, str] | None:
    return (rest, rest) if rest and ":" not in rest else None


def _by_arn_named(last: Callable[[Arn], str]) -> Derive:
    return lambda arn, rest: (arn.text, last(arn)) if rest else None


def _path_last(arn: Arn, rest: str) -> tuple[str, str] | None:
    """IAM role/user/group/PATH/NAME: imported by name."""
    return (arn.last, arn.last) if rest else None


def _log_group(arn: Arn, rest: str) -> tuple[str, str] | None:
    name = rest.removesuffix(":*")
    return (name, name) if name and ":" not in name else None


def _ssm_parameter(arn: Arn, rest: str) -> tuple[str, str] | None:
    # A hierarchical name keeps its leading "/" ("/app/stage"), which the ARN drops.
    name = f"/{rest}" if "/" in rest else rest
    return (name, name) if rest else None


def _secret(arn: Arn, rest: str) -> tuple[str, str] | None:
    # secret:NAME-AbCdEf: Secrets Manager appends a dash and six random characters.
    name, dash, suffix = rest.rpartition("-")
    return (arn.text, name if dash and len(suffix) == 6 else rest) if rest else None


def _event_rule(arn: Arn, rest: str) -> tuple[str, str] | None:
    # rule/NAME on the default bus; rule/BUS/NAME on another one (import id "BUS/NAME").
    return (rest, arn.last) if rest else None


def _ecs_service(arn: Arn, rest: str) -> tuple[str, str] | None:
    # service/CLUSTER/NAME (new format); the old format service/NAME has no cluster to import by.
    return (rest, arn.last) if rest.count("/") == 1 else None


def _load_balancer(arn: Arn, rest: str) -> tuple[str, str] | None:
    # loadbalancer/app/NAME/ID and loadbalancer/net/NAME/ID; targetgroup/NAME/ID
    parts = rest.split("/")
    if len(parts) == 3 and parts[0] in ("app", "net", "gwy"):
        return arn.text, parts[1]
    if len(parts) == 2:
        return arn.text, parts[0]
    return None


def _bare_name(arn: Arn, rest: str) -> tuple[str, str] | None:
    return (rest, rest) if rest and ":" not in rest and "/" not in rest else None  # not bucket/KEY


def _sqs_queue(arn: Arn, rest: str) -> tuple[str, str] | None:
    # Terraform imports a queue by its URL.
    suffix = ".cn" if arn.partition == "aws-cn" else ""
    return (f"https://sqs.{arn.region}.amazonaws.com{suffix}/{arn.account}/{rest}", rest) if rest else None


def _sns_topic(arn: Arn, rest: str) -> tuple[str, str] | None:
    return (arn.text, rest) if rest and ":" not in rest else None


def _sns_subscription(arn: Arn, rest: str) -> tuple[str, str] | None:
    topic, _, sub = rest.partition(":")
    return (arn.text, f"{topic}:{sub}") if topic and sub else None


def _dynamodb_table(arn: Arn, rest: str) -> tuple[str, str] | None:
    return (rest, rest) if rest and "/" not in rest else None  # not table/NAME/stream/... or /index/...


def _default_prefixed(name: str) -> bool:
    return name.startswith("default")


def _rule(service: str, arn_type: str, terraform_type: str, derive: Derive,
          aws_default: Callable[[str], bool] | None = None) -> DiscoveryRule:
    return DiscoveryRule(service, arn_type, terraform_type, derive, aws_default or (lambda _name: False))


RULES: tuple[DiscoveryRule, ...] = (
    # storage, messaging
    _rule("s3", "", "aws_s3_bucket", _bare_name),
    _rule("sqs", "", "aws_sqs_queue", _sqs_queue),
    _rule("sns", "", "aws_sns_topic", _sns_topic),
    # compute, data
    _rule("lambda", "function", "aws_lambda_function", _plain),
    _rule("dynamodb", "table", "aws_dynamodb_table", _dynamodb_table),
    _rule("kms", "key", "aws_kms_key", _plain),
    _rule("kms", "alias", "aws_kms_alias", lambda arn, rest: (f"alias/{rest}", f"alias/{rest}") if rest else None,
          lambda name: name.startswith("alias/aws/")),
    _rule("logs", "log-group", "aws_cloudwatch_log_group", _log_group),
    _rule("ssm", "parameter", "aws_ssm_parameter", _ssm_parameter),
    _rule("secretsmanager", "secret", "aws_secretsmanager_secret", _secret),
    _rule("ecr", "repository", "aws_ecr_repository", _plain_or_qualified),
    _rule("route53", "hostedzone", "aws_route53_zone", _plain),
    _rule("rds", "db", "aws_db_instance", _plain),
    _rule("rds", "cluster", "aws_rds_cluster", _plain),
    _rule("rds", "subgrp", "aws_db_subnet_group", _plain, lambda name: name == "default"),
    _rule("rds", "pg", "aws_db_parameter_group", _plain, _default_prefixed),
    _rule("ecs", "cluster", "aws_ecs_cluster", _plain),
    _rule("ecs", "service", "aws_ecs_service", _ecs_service),
    _rule("ecs", "task-definition", "aws_ecs_task_definition", _by_arn_named(lambda a: a.rest)),
    _rule("eks", "cluster", "aws_eks_cluster", _plain),
    _rule("elasticloadbalancing", "loadbalancer", "aws_lb", _load_balancer),
    _rule("elasticloadbalancing", "targetgroup", "aws_lb_target_group", _load_balancer),
    _rule("cloudfront", "distribution", "aws_cloudfront_distribution", _plain),
    _rule("apigateway", "restapis", "aws_api_gateway_rest_api", _plain),
    _rule("apigateway", "apis", "aws_apigatewayv2_api", _plain),
    _rule("states", "stateMachine", "aws_sfn_state_machine", _by_arn_named(lambda a: a.rest)),
    _rule("events", "rule", "aws_cloudwatch_event_rule", _event_rule),
    _rule("events", "event-bus", "aws_cloudwatch_event_bus", _plain, lambda name: name == "default"),
    _rule("cloudtrail", "trail", "aws_cloudtrail", _plain),
    _rule("kinesis", "stream", "aws_kinesis_stream", _plain),
    _rule("elasticfilesystem", "file-system", "aws_efs_file_system", _plain),
    _rule("acm", "certificate", "aws_acm_certificate", _by_arn_named(lambda a: a.rest)),
    # network (EC2 ARNs: ec2:REGION:ACCOUNT:TYPE/ID)
    _rule("ec2", "vpc", "aws_vpc", _plain),
    _rule("ec2", "subnet", "aws_subnet", _plain),
    _rule("ec2", "security-group", "aws_security_group", _plain),
    _rule("ec2", "instance", "aws_instance", _plain),
    _rule("ec2", "internet-gateway", "aws_internet_gateway", _plain),
    _rule("ec2", "route-table", "aws_route_table", _plain),
    _rule("ec2", "natgateway", "aws_nat_gateway", _plain),
    _rule("ec2", "network-acl", "aws_network_acl", _plain),
    _rule("ec2", "elastic-ip", "aws_eip", _plain),
    _rule("ec2", "volume", "aws_ebs_volume", _plain),
    _rule("ec2", "launch-template", "aws_launch_template", _plain),
    # IAM (global: no region in the ARN)
    _rule("iam", "role", "aws_iam_role", _path_last, lambda name: name.startswith("AWSServiceRoleFor")),
    _rule("iam", "user", "aws_iam_user", _path_last),
    _rule("iam", "group", "aws_iam_group", _path_last),
    _rule("iam", "policy", "aws_iam_policy", _by_arn_named(lambda a: a.last)),
    _rule("iam", "instance-profile", "aws_iam_instance_profile", _path_last),
)

# An SNS subscription ARN is the topic's ARN plus ":ID": the same row key as a topic.
_SNS_SUBSCRIPTION = _rule("sns", "", "aws_sns_topic_subscription", _sns_subscription)

_BY_KEY: dict[tuple[str, str], DiscoveryRule] = {(r.service, r.arn_type): r for r in RULES}

DISCOVERABLE_TYPES: frozenset[str] = frozenset(r.terraform_type for r in RULES)


def rule_for(arn: Arn) -> DiscoveryRule | None:
    if arn.service == "sns" and ":" in arn.rest:
        return _SNS_SUBSCRIPTION
    return _BY_KEY.get((arn.service, arn.resource_type))


def classify(text: str, *, name: str | None = None) -> Discovered | None:
    """What the object behind ARN `text` is in Terraform's terms; None when the table has no row
    for it (or it is a sub-object Terraform does not import alone). `name` overrides the name the
    ARN gives (a Route 53 zone's domain name, which its ARN does not carry)."""
    arn = parse_arn(text)
    if arn is None:
        return None
    rule = rule_for(arn)
    if rule is None:
        return None
    derived = rule.derive(arn, arn.rest)
    if derived is None:
        return None
    import_id, arn_name = derived
    return Discovered(
        terraform_type=rule.terraform_type,
        import_id=import_id,
        name=name or arn_name,
        arn=text,
        region=arn.region or None,
        aws_default=rule.aws_default(arn_name),
    )
