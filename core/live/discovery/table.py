"""The discovery table: ARN service + resource type -> Terraform type, import id and human name.

One row per kind of object, from the type registry (`ResourceType.arn`: ARN service and type, and
the names of its `DERIVE` and `AWS_DEFAULTS` functions here). A row derives everything from the
ARN alone (what the Resource Groups Tagging API and most List calls return). Rows whose Terraform
type has a native discoverable collector are still listed: they let the scan recognise those
objects (and skip them, the native discovery reports them) instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from driftdeck.core.resource_types.facts import ArnRow
from driftdeck.core.resource_types.projections import arn_rows

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


def _kms_alias(arn: Arn, rest: str) -> tuple[str, str] | None:
    return (f"alias/{rest}", f"alias/{rest}") if rest else None


def _never_default(_name: str) -> bool:
    return False


# The ways an import id and a name come out of an ARN, by the name an `ArnRow.derive` gives.
DERIVE: dict[str, Derive] = {
    "plain": _plain,
    "plain_or_qualified": _plain_or_qualified,
    "bare_name": _bare_name,
    "path_last": _path_last,
    "arn_last": _by_arn_named(lambda a: a.last),
    "arn_rest": _by_arn_named(lambda a: a.rest),
    "log_group": _log_group,
    "ssm_parameter": _ssm_parameter,
    "secret": _secret,
    "event_rule": _event_rule,
    "ecs_service": _ecs_service,
    "load_balancer": _load_balancer,
    "sqs_queue": _sqs_queue,
    "sns_topic": _sns_topic,
    "sns_subscription": _sns_subscription,
    "dynamodb_table": _dynamodb_table,
    "kms_alias": _kms_alias,
}

# Objects AWS creates itself, by the name an `ArnRow.aws_default` gives.
AWS_DEFAULTS: dict[str, Callable[[str], bool]] = {
    "": _never_default,
    "service_linked_role": lambda name: name.startswith("AWSServiceRoleFor"),
    "aws_managed_alias": lambda name: name.startswith("alias/aws/"),
    "named_default": lambda name: name == "default",
    "default_prefixed": lambda name: name.startswith("default"),
}


def _rule(terraform_type: str, row: ArnRow) -> DiscoveryRule:
    return DiscoveryRule(row.service, row.arn_type, terraform_type, DERIVE[row.derive], AWS_DEFAULTS[row.aws_default])


# An SNS subscription ARN is the topic's ARN plus ":ID": the same row key as a topic, so it is
# looked up apart from the table.
_SUBSCRIPTION_TYPE = "aws_sns_topic_subscription"

# One row per type of the registry with an ARN (`ResourceType.arn`).
RULES: tuple[DiscoveryRule, ...] = tuple(
    _rule(rtype, row) for rtype, row in arn_rows().items() if rtype != _SUBSCRIPTION_TYPE
)
_SNS_SUBSCRIPTION = _rule(_SUBSCRIPTION_TYPE, arn_rows()[_SUBSCRIPTION_TYPE])

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
