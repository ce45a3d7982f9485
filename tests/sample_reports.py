"""Deterministic scan reports for tests, snapshots and the scale benchmark (bench/tui_scale.py); no AWS involved."""

from __future__ import annotations

import copy

from driftdeck.core.model import (
    Attribution,
    ChangeKind,
    Difference,
    ResourceResult,
    ScanReport,
    SourceInfo,
    SourceRef,
    Status,
)

STATE = "terraform.tfstate"
GENERATED_AT = "2026-01-01T12:00:00Z"


def _managed(address: str, rtype: str, rid: str, module: str = "", **attrs: object) -> ResourceResult:
    expected = {"id": rid, **attrs}
    return ResourceResult(
        address=address,
        type=rtype,
        id=rid,
        status=Status.IN_SYNC,
        source=SourceRef(kind="terraform", module=module, state=STATE),
        expected=expected,
        live=copy.deepcopy(expected),
        region="us-east-1",
    )


def small_estate() -> ScanReport:
    """A dozen resources across modules, all in sync: the starting point of the Pilot tests."""
    resources = [
        _managed("aws_s3_bucket.logs", "aws_s3_bucket", "acme-logs", tags={"Env": "prod", "Owner": "platform"},
                 arn="arn:aws:s3:::acme-logs"),
        _managed("aws_s3_bucket.assets", "aws_s3_bucket", "acme-assets", tags={"Env": "prod", "Owner": "web"},
                 arn="arn:aws:s3:::acme-assets"),
        _managed("aws_s3_bucket_versioning.logs", "aws_s3_bucket_versioning", "acme-logs",
                 versioning_configuration=[{"status": "Enabled"}]),
        _managed("aws_iam_role.deployer", "aws_iam_role", "ci-deployer", tags={"Env": "prod"}),
        _managed("aws_iam_user.alice", "aws_iam_user", "alice", tags={"Team": "platform"}),
        _managed("module.network.aws_vpc.main", "aws_vpc", "vpc-0a1b2c3d", "module.network",
                 cidr_block="10.20.0.0/16", tags={"Env": "prod", "Name": "main"}),
        _managed('module.network.aws_subnet.private["a"]', "aws_subnet", "subnet-0aa", "module.network",
                 cidr_block="10.20.1.0/24", tags={"Env": "prod"}),
        _managed('module.network.aws_subnet.private["b"]', "aws_subnet", "subnet-0bb", "module.network",
                 cidr_block="10.20.2.0/24", tags={"Env": "prod"}),
        _managed("module.network.aws_security_group.web", "aws_security_group", "sg-0web", "module.network",
                 ingress=[{"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}],
                 tags={"Env": "prod"}),
        _managed("module.queues.aws_sqs_queue.orders", "aws_sqs_queue", "https://sqs/orders", "module.queues",
                 visibility_timeout_seconds=30, tags={"Env": "prod"}),
        _managed("module.queues.aws_sqs_queue.orders_dlq", "aws_sqs_queue", "https://sqs/orders-dlq", "module.queues",
                 visibility_timeout_seconds=30, tags={"Env": "prod"}),
        _managed("module.queues.aws_sns_topic.alerts", "aws_sns_topic", "arn:aws:sns:us-east-1:123456789012:alerts",
                 "module.queues", tags={"Env": "prod"}),
    ]
    return ScanReport(
        generated_at=GENERATED_AT, duration_ms=120,
        sources=[SourceInfo(kind="terraform", path=STATE, state=STATE)],
        resources=resources, regions=["us-east-1"],
    )


def drifted_estate() -> ScanReport:
    """`small_estate` after the demo's actors: port 22 opened, tags changed, a queue deleted, a bucket added."""
    report = small_estate()
    by_key = {r.key: r for r in report.resources}
    sg = by_key["module.network.aws_security_group.web"]
    sg.status = Status.CHANGED
    opened = {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}
    assert sg.live is not None
    sg.live["ingress"] = [*sg.live["ingress"], opened]
    sg.differences = [Difference("ingress[1]", None, opened, ChangeKind.ADDED)]
    bucket = by_key["aws_s3_bucket.assets"]
    bucket.status = Status.CHANGED
    assert bucket.live is not None
    bucket.live["tags"] = {"Env": "staging", "Owner": "web", "DeployedBy": "ci"}
    bucket.differences = [
        Difference("tags.DeployedBy", None, "ci", ChangeKind.ADDED),
        Difference("tags.Env", "prod", "staging", ChangeKind.UPDATED),
    ]
    queue = by_key["module.queues.aws_sqs_queue.orders_dlq"]
    queue.status = Status.MISSING
    queue.live = None
    queue.reason = "not found in AWS"
    # Who did it, as the attribution engine reports it from CloudTrail.
    sg.attribution = [_who("alice", "IAMUser", "console", "AuthorizeSecurityGroupIngress", "11:04:31", "198.51.100.23",
                           attribute="ingress")]
    ci_session = "arn:aws:sts::123456789012:assumed-role/ci-deployer/AWSCodeBuild-7f3e"
    bucket.attribution = [_who("ci-deployer/AWSCodeBuild-7f3e", "AWSService", "terraform", "PutBucketTagging",
                               "11:02:10", "34.228.4.12", attribute="tags",
                               chain=("codebuild.amazonaws.com", ci_session))]
    queue.attribution = [_who("bob", "IAMUser", "cli", "DeleteQueue", "10:58:02", "203.0.113.45")]
    report.resources.append(
        ResourceResult(
            address=None, type="aws_s3_bucket", id="acme-shadow-exports", status=Status.UNMANAGED, source=None,
            live={"bucket": "acme-shadow-exports", "tags": {}}, arn="arn:aws:s3:::acme-shadow-exports",
            region="us-east-1", reason="exists in AWS but in no scanned state",
        )
    )
    return report


def _who(actor: str, actor_type: str, via: str, event: str, clock: str, ip: str, *, attribute: str | None = None,
         chain: tuple[str, ...] = (), confidence: str = "exact") -> Attribution:
    return Attribution(
        actor=actor, actor_type=actor_type, via=via, event_name=event, event_time=f"2026-01-01T{clock}Z",
        source_ip=ip, user_agent=None, confidence=confidence, event_id=f"evt-{actor}-{event}", attribute=attribute,
        chain=chain,
    )


def mixed_sources_estate() -> ScanReport:
    """`drifted_estate` plus a CloudFormation stack (one resource changed) and an unapplied code edit."""
    report = drifted_estate()
    by_key = {r.key: r for r in report.resources}
    orders = by_key["module.queues.aws_sqs_queue.orders"]
    orders.status = Status.PENDING
    orders.reason = "code edited, not applied yet"
    orders.differences = [Difference("visibility_timeout_seconds", 120, 30, side="code")]
    stack = "acme-web"
    for logical, rtype, rid, changed in (
        ("AssetsBucket", "aws_s3_bucket", "acme-web-assets", True),
        ("WebQueue", "aws_sqs_queue", "https://sqs/acme-web-queue", False),
    ):
        r = ResourceResult(
            address=f"cfn:{stack}/{logical}", type=rtype, id=rid, status=Status.IN_SYNC,
            source=SourceRef(kind="cloudformation", file="stacks/web.yaml", line=12, stack=stack, logical_id=logical),
            expected={"id": rid}, live={"id": rid}, region="us-east-1",
        )
        if changed:
            r.status = Status.CHANGED
            r.differences = [Difference("/Properties/Tags/0/Value", "prod", "dev")]
        report.resources.append(r)
    report.sources.append(SourceInfo(kind="cloudformation", path="stacks/web.yaml", state=stack))
    return report


def scale_estate(total: int, types: int, *, drift_every: int = 0) -> ScanReport:
    """`total` resources spread evenly over `types` types and 5 modules; every `drift_every`-th changed."""
    resources: list[ResourceResult] = []
    for i in range(total):
        t = i % types
        module = f"module.m{t % 5}" if t % 5 else ""
        rtype = f"aws_type_{t:02d}"
        address = f"{module + '.' if module else ''}{rtype}.r{i:05d}"
        r = _managed(address, rtype, f"id-{i:05d}", module, tags={"Env": "prod" if i % 2 else "dev"})
        if drift_every and i % drift_every == 0:
            r.status = Status.CHANGED
            r.differences = [Difference("tags.Env", "prod", "dev")]
        resources.append(r)
    return ScanReport(
        generated_at=GENERATED_AT, duration_ms=0,
        sources=[SourceInfo(kind="terraform", path=STATE, state=STATE)],
        resources=resources,
    )
