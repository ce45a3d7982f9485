"""`driftdeck demo`: a local AWS (moto) with a small realistic estate, its Terraform code and state, the
TUI on top, and named actors who change things out of band while the operator watches. Each actor's
change is also written as the CloudTrail record it would produce (tui/demo_trail.py), so the real
attribution engine says who did it.

Terraform is not on a user's machine and moto assigns fresh ids on every run, so the estate is created
with boto3 and its state is written to match: each resource's attributes are read back through the
engine's own collectors (Terraform-shaped where the collector's live view is not, e.g. security group
blocks), and a verification scan confirms the starting view is in sync.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer  # the demo extra; `driftdeck demo` checks it is installed

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.model import DesiredResource, ScanReport, SourceRef, Status
from driftdeck.core.scan.run import ScanOptions
from driftdeck.tui import demo_trail as trail

REGION = "us-east-1"
ACCOUNT = "123456789012"
ESTATE_DIR = Path(__file__).with_name("demo_estate")
STATE_NAME = "terraform.tfstate"
AWS_PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'


# ----- the local AWS ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_aws() -> Iterator[str]:
    """A moto server on a free 127.0.0.1 port, with boto3's standard chain pointed at it."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in DEMO_ENV_KEYS}
    os.environ.update(demo_env(url))
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    try:
        yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


DEMO_ENV_KEYS = (
    "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
)


def demo_env(url: str) -> dict[str, str]:
    # Fake credentials for the local emulator only; nothing here can reach a real account.
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


# ----- the estate -------------------------------------------------------------------------------------------
@dataclass
class Planned:
    """One resource instance to record in state."""

    module: str
    type: str
    name: str
    id: str
    attributes: dict[str, Any]
    index_key: str | None = None
    # False when the collector's live view is not Terraform's shape (security group blocks).
    from_live: bool = True

    @property
    def address(self) -> str:
        base = f"{self.module + '.' if self.module else ''}{self.type}.{self.name}"
        return base if self.index_key is None else f'{base}["{self.index_key}"]'


def _tags(**tags: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


ASSETS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::acme-demo-assets", "arn:aws:s3:::acme-demo-assets/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}
ASSUME_ROLE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
DEPLOY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:PutBucketTagging"],
            "Resource": ["arn:aws:s3:::acme-demo-assets", "arn:aws:s3:::acme-demo-assets/*"],
        }
    ],
}
PROD = {"Env": "prod"}


def provision(session: boto3.session.Session) -> list[Planned]:
    """Create the estate described by demo_estate/*.tf; return what the state must record."""
    out: list[Planned] = []
    out += _provision_s3(session.client("s3", region_name=REGION))
    out += _provision_iam(session.client("iam", region_name=REGION))
    out += _provision_network(session.client("ec2", region_name=REGION))
    out += _provision_queues(session.client("sqs", region_name=REGION), session.client("sns", region_name=REGION))
    return out


def _provision_s3(s3: Any) -> list[Planned]:
    out: list[Planned] = []
    owners = {"logs": "platform", "assets": "web", "backups": "platform"}
    for name, owner in owners.items():
        bucket = f"acme-demo-{name}"
        s3.create_bucket(Bucket=bucket)
        tags = {"Env": "prod", "Owner": owner}
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags(**tags)})
        out.append(Planned("", "aws_s3_bucket", name, bucket, {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}",
                                                                  "tags": tags, "tags_all": tags}))
    for name in ("logs", "backups"):
        bucket = f"acme-demo-{name}"
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        out.append(Planned("", "aws_s3_bucket_versioning", name, bucket, {"bucket": bucket}))
    s3.put_public_access_block(
        Bucket="acme-demo-logs",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
        },
    )
    out.append(Planned("", "aws_s3_bucket_public_access_block", "logs", "acme-demo-logs", {"bucket": "acme-demo-logs"}))
    s3.put_bucket_policy(Bucket="acme-demo-assets", Policy=json.dumps(ASSETS_POLICY))
    out.append(Planned("", "aws_s3_bucket_policy", "assets", "acme-demo-assets", {"bucket": "acme-demo-assets"}))
    return out


def _provision_iam(iam: Any) -> list[Planned]:
    role = iam.create_role(
        RoleName="ci-deployer", AssumeRolePolicyDocument=json.dumps(ASSUME_ROLE), Tags=_tags(**PROD)
    )["Role"]
    policy = iam.create_policy(
        PolicyName="acme-deploy", Description="What CI may change", PolicyDocument=json.dumps(DEPLOY_POLICY)
    )["Policy"]
    iam.attach_role_policy(RoleName="ci-deployer", PolicyArn=policy["Arn"])
    user = iam.create_user(UserName="alice", Tags=_tags(Team="platform"))["User"]
    return [
        Planned("", "aws_iam_role", "ci_deployer", "ci-deployer",
                {"name": "ci-deployer", "arn": role["Arn"], "unique_id": role["RoleId"], "tags_all": PROD}),
        Planned("", "aws_iam_policy", "deploy", policy["Arn"],
                {"name": "acme-deploy", "arn": policy["Arn"], "policy_id": policy["PolicyId"]}),
        Planned("", "aws_iam_role_policy_attachment", "ci_deploy", "ci-deployer-20260101000000000000000001",
                {"role": "ci-deployer", "policy_arn": policy["Arn"]}),
        Planned("", "aws_iam_user", "alice", "alice",
                {"name": "alice", "arn": user["Arn"], "unique_id": user["UserId"], "tags_all": {"Team": "platform"}}),
    ]


def _sg_block(protocol: str, from_port: int, to_port: int, *, cidrs: list[str] | None = None,
              groups: list[str] | None = None, description: str = "") -> dict[str, Any]:
    return {
        "cidr_blocks": cidrs or [], "description": description, "from_port": from_port, "ipv6_cidr_blocks": [],
        "prefix_list_ids": [], "protocol": protocol, "security_groups": groups or [], "self": False, "to_port": to_port,
    }


def _provision_network(ec2: Any) -> list[Planned]:
    module = "module.network"
    vpc_tags = {"Name": "acme-main", "Env": "prod"}
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": _tags(**vpc_tags)}])["Vpc"]
    vpc_id = vpc["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    out = [Planned(module, "aws_vpc", "main", vpc_id, {"arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{vpc_id}",
                                                       "tags_all": vpc_tags})]
    for key, cidr in (("a", "10.40.1.0/24"), ("b", "10.40.2.0/24")):
        tags = {"Name": f"acme-private-{key}", "Env": "prod"}
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=f"{REGION}{key}", TagSpecifications=[
            {"ResourceType": "subnet", "Tags": _tags(**tags)}])["Subnet"]
        out.append(Planned(module, "aws_subnet", "private", subnet["SubnetId"], {"tags_all": tags}, index_key=key))
    everywhere = _sg_block("-1", 0, 0, cidrs=["0.0.0.0/0"])
    web = ec2.create_security_group(GroupName="acme-web", Description="HTTPS from anywhere", VpcId=vpc_id,
                                    TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(**PROD)}])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTPS"}]}])
    db = ec2.create_security_group(GroupName="acme-db", Description="Postgres from the web tier", VpcId=vpc_id,
                                   TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(**PROD)}])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
        "UserIdGroupPairs": [{"GroupId": web, "Description": "Postgres"}]}])
    for name, gid, description, ingress in (
        ("web", web, "HTTPS from anywhere", _sg_block("tcp", 443, 443, cidrs=["0.0.0.0/0"], description="HTTPS")),
        ("db", db, "Postgres from the web tier", _sg_block("tcp", 5432, 5432, groups=[web], description="Postgres")),
    ):
        out.append(Planned(module, "aws_security_group", name, gid, {
            "name": f"acme-{name}", "description": description, "vpc_id": vpc_id, "owner_id": ACCOUNT,
            "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{gid}",
            "ingress": [ingress], "egress": [everywhere], "tags": PROD, "tags_all": PROD,
            "revoke_rules_on_delete": False, "name_prefix": "",
        }, from_live=False))
    return out


def _provision_queues(sqs: Any, sns: Any) -> list[Planned]:
    module = "module.queues"
    dlq = sqs.create_queue(QueueName="acme-orders-dlq", Attributes={"MessageRetentionPeriod": "1209600"}, tags=PROD)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    orders = sqs.create_queue(QueueName="acme-orders", Attributes={"VisibilityTimeout": "60", "RedrivePolicy": redrive},
                              tags=PROD)
    reports = sqs.create_queue(QueueName="acme-reports", tags=PROD)
    topic = sns.create_topic(Name="acme-alerts", Tags=_tags(**PROD))["TopicArn"]
    return [
        Planned(module, "aws_sqs_queue", name, url, {"url": url, "tags_all": PROD})
        for name, url in (("orders_dlq", dlq["QueueUrl"]), ("orders", orders["QueueUrl"]), ("reports", reports["QueueUrl"]))
    ] + [Planned(module, "aws_sns_topic", "alerts", topic, {"arn": topic, "tags_all": PROD})]


def _state_attributes(planned: Planned, ctx: AwsContext) -> dict[str, Any]:
    """Terraform-shaped attributes for one instance, read back through the engine's collector."""
    attrs: dict[str, Any] = {"id": planned.id, **planned.attributes}
    collector = collector_for(planned.type)
    if collector is None or not planned.from_live:
        return attrs
    desired = DesiredResource(
        address=planned.address, type=planned.type, id=planned.id, attributes=dict(attrs),
        source=SourceRef(kind="terraform", module=planned.module),
    )
    outcome = collector.read(ctx, REGION, [desired])[0]
    if outcome.live is None:
        raise RuntimeError(f"demo: cannot read back {planned.address}: {outcome.error or 'not found'}")
    for key, value in outcome.live.attributes.items():
        if key in collector.json_attributes and not isinstance(value, str) and value is not None:
            value = json.dumps(value)  # state holds policies as JSON strings
        attrs[key] = value
    if isinstance(attrs.get("tags"), dict):
        attrs["tags_all"] = dict(attrs["tags"])
    if outcome.live.arn and "arn" not in attrs:
        attrs["arn"] = outcome.live.arn
    attrs["id"] = planned.id
    return attrs


def state_document(planned: list[Planned], ctx: AwsContext) -> dict[str, Any]:
    """A Terraform v4 state recording every planned instance."""
    groups: dict[tuple[str, str, str], list[Planned]] = {}
    for p in planned:
        groups.setdefault((p.module, p.type, p.name), []).append(p)
    resources = []
    for (module, rtype, name), items in groups.items():
        entry: dict[str, Any] = {"mode": "managed", "type": rtype, "name": name, "provider": AWS_PROVIDER}
        if module:
            entry = {"module": module, **entry}
        instances = []
        for p in items:
            inst: dict[str, Any] = {"schema_version": 0, "attributes": _state_attributes(p, ctx),
                                    "sensitive_attributes": []}
            if p.index_key is not None:
                inst = {"index_key": p.index_key, **inst}
            instances.append(inst)
        entry["instances"] = instances
        resources.append(entry)
    return {
        "version": 4, "terraform_version": "1.11.0", "serial": 1, "lineage": str(uuid.uuid4()),
        "outputs": {}, "resources": resources, "check_results": None,
    }


def build_workspace(target: Path, session: boto3.session.Session | None = None,
                    progress: Callable[[str], None] = lambda _text: None) -> Path:
    """Provision the estate and write the .tf project plus matching state into `target`; `progress`
    hears each step (the dashboard shows them while it waits for its first scan)."""
    session = session or boto3.session.Session()
    shutil.copytree(ESTATE_DIR, target, dirs_exist_ok=True)
    progress("creating the demo estate in the emulator: S3 buckets, IAM, a VPC, SQS queues, an SNS topic…")
    planned = provision(session)
    progress(f"created {len(planned)} resources; writing their Terraform state…")
    doc = state_document(planned, AwsContext(session))
    (target / STATE_NAME).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    trail.trail_dir(target).mkdir(exist_ok=True)  # the actors' CloudTrail deliveries land here
    progress(f"first scan: reading the {len(planned)} resources back from the emulator…")
    return target


# ----- the actors -------------------------------------------------------------------------------------------
# Each actor's change is a real call against the emulator; it also returns the CloudTrail records that
# call would produce, which the Actors write to the workspace's trail folder for the attribution engine.
Records = list[dict[str, Any]]
CONSOLE_KEY = "ASIAQDEMOALICECONSOL"  # a console session's temporary key
BOB_KEY = "AKIAQDEMOBOBCLIKEY01"
EXPORT_KEY = "AKIAQDEMOEXPORTBOT01"
S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


@dataclass
class Step:
    actor: str  # who the narrator names
    via: str
    action: str  # what the narrator says
    run: Callable[[boto3.session.Session, Path], Records]


def _s3_params(bucket: str, **body: Any) -> dict[str, Any]:
    return {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", **body}


def _tag_set(tags: dict[str, str]) -> dict[str, Any]:
    return {"xmlns": S3_XMLNS, "TagSet": {"Tag": [{"Key": k, "Value": v} for k, v in tags.items()]}}


def _open_ssh(session: boto3.session.Session, _ws: Path) -> Records:
    ec2 = session.client("ec2", region_name=REGION)
    gid = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["acme-web"]}])["SecurityGroups"][0]["GroupId"]
    resp = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "debug"}]}])
    rules = [{
        "groupOwnerId": ACCOUNT, "groupId": gid, "securityGroupRuleId": r.get("SecurityGroupRuleId"), "isEgress": False,
        "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0", "description": "debug",
    } for r in resp.get("SecurityGroupRules", [])]
    params = {"groupId": gid, "ipPermissions": {"items": [{
        "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {}, "ipv6Ranges": {}, "prefixListIds": {},
        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0", "description": "debug"}]}}]}}
    response = {"requestId": resp["ResponseMetadata"]["RequestId"], "_return": True,
                "securityGroupRuleSet": {"items": rules}}
    return [trail.record("AuthorizeSecurityGroupIngress", "ec2", trail.iam_user("alice", CONSOLE_KEY, console=True),
                         when=trail.now(), params=params, response=response, ua=trail.UA_CONSOLE, ip="198.51.100.23")]


def _retag_assets(session: boto3.session.Session, _ws: Path) -> Records:
    """CI (CodeBuild) assumes the ci-deployer role, then a Terraform run of another project re-tags the bucket."""
    role = session.client("iam", region_name=REGION).get_role(RoleName="ci-deployer")["Role"]
    build = f"AWSCodeBuild-{uuid.uuid4()}"
    params = {"roleArn": role["Arn"], "roleSessionName": build, "durationSeconds": 3600}
    issued = session.client("sts", region_name=REGION).assume_role(
        RoleArn=role["Arn"], RoleSessionName=build, DurationSeconds=3600)
    assumed_at = trail.now()
    creds = issued["Credentials"]
    ci = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                               aws_session_token=creds["SessionToken"], region_name=REGION)
    tags = {"Env": "staging", "Owner": "web", "DeployedBy": "ci"}
    ci.client("s3", region_name=REGION).put_bucket_tagging(
        Bucket="acme-demo-assets", Tagging={"TagSet": _tags(**tags)})
    codebuild = "codebuild.amazonaws.com"
    identity = trail.assumed_role(role["Arn"], role["RoleId"], build, creds["AccessKeyId"], assumed_at)
    return [
        trail.assume_role_record(trail.aws_service(codebuild), issued, params, when=assumed_at, ua=codebuild, ip=codebuild),
        trail.record("PutBucketTagging", "s3", identity, when=trail.now(),
                     params=_s3_params("acme-demo-assets", tagging="", Tagging=_tag_set(tags)),
                     ua=trail.UA_TERRAFORM, ip="34.228.4.12"),
    ]


def _delete_reports_queue(session: boto3.session.Session, _ws: Path) -> Records:
    sqs = session.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName="acme-reports")["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    return [trail.record("DeleteQueue", "sqs", trail.iam_user("bob", BOB_KEY), when=trail.now(),
                         params={"queueUrl": url}, ua=trail.UA_CLI.format(command="sqs.delete-queue"),
                         ip="203.0.113.45")]


def _shadow_bucket(session: boto3.session.Session, _ws: Path) -> Records:
    s3 = session.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="acme-shadow-exports")
    tags = {"Purpose": "adhoc-export"}
    s3.put_bucket_tagging(Bucket="acme-shadow-exports", Tagging={"TagSet": _tags(**tags)})
    who, when = trail.iam_user("svc-export", EXPORT_KEY), trail.now()
    return [
        trail.record("CreateBucket", "s3", who, when=when, ua=trail.UA_BOTO3, ip="192.0.2.77",
                     params={"bucketName": "acme-shadow-exports", "Host": "s3.amazonaws.com"}),
        trail.record("PutBucketTagging", "s3", who, when=when, ua=trail.UA_BOTO3, ip="192.0.2.77",
                     params=_s3_params("acme-shadow-exports", tagging="", Tagging=_tag_set(tags))),
    ]


def _suspend_versioning(session: boto3.session.Session, _ws: Path) -> Records:
    session.client("s3", region_name=REGION).put_bucket_versioning(
        Bucket="acme-demo-backups", VersioningConfiguration={"Status": "Suspended"})
    body = {"versioning": "", "VersioningConfiguration": {"xmlns": S3_XMLNS, "Status": "Suspended"}}
    return [trail.record("PutBucketVersioning", "s3", trail.iam_user("alice", CONSOLE_KEY, console=True),
                         when=trail.now(), params=_s3_params("acme-demo-backups", **body), ua=trail.UA_CONSOLE,
                         ip="198.51.100.23")]


def _edit_code(_session: boto3.session.Session, ws: Path) -> Records:
    path = ws / "modules" / "queues" / "main.tf"
    text = path.read_text()
    edited = text.replace("visibility_timeout_seconds = 60", "visibility_timeout_seconds = 120", 1)
    if edited == text:
        raise RuntimeError(f"demo: the orders queue's timeout is not where the demo expects it in {path}")
    path.write_text(edited)
    # A local edit leaves no CloudTrail record; the scan shows the queue as `pending` until it is applied.
    # (It is a queue nobody else touches, so the edit is seen on its own, not behind other drift.)
    return []


STEPS: tuple[Step, ...] = (
    Step("alice", "AWS console", "opens SSH (port 22) to the world on acme-web", _open_ssh),
    Step("ci-deployer", "CodeBuild, Terraform", "re-tags the assets bucket Env=staging", _retag_assets),
    Step("bob", "aws-cli", "deletes the acme-reports queue", _delete_reports_queue),
    Step("svc-export", "boto3 script", "creates an unmanaged bucket acme-shadow-exports", _shadow_bucket),
    Step("alice", "AWS console", "suspends versioning on acme-demo-backups", _suspend_versioning),
    Step("carol (editor)", "local edit", "raises the orders queue timeout to 120 s in modules/queues/main.tf", _edit_code),
)


@dataclass
class Actors:
    """Runs the steps on a timer in a thread, announcing each one, and delivers their CloudTrail records
    to the workspace's trail folder (what a real trail would deliver for the same calls)."""

    workspace: Path
    start_after: float = 8.0
    every: float = 6.0
    announce: Callable[[str], None] = lambda _msg: None
    steps: tuple[Step, ...] = STEPS
    done: list[Step] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="driftdeck-demo-actors", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        session = boto3.session.Session()
        delivery = trail.Trail(trail.trail_dir(self.workspace))
        if self._stop.wait(self.start_after):
            return
        for n, step in enumerate(self.steps):
            if n and self._stop.wait(self.every):
                return
            try:
                records = step.run(session, self.workspace)
                delivery.deliver(records)
            except Exception as exc:  # noqa: BLE001 - the demo goes on; say what failed
                self.announce(f"demo step failed: {step.actor} {step.action}: {type(exc).__name__}: {exc}")
                continue
            self.done.append(step)
            self.announce(f"{step.actor} ({step.via}) {step.action}")


def demo_scan_options(workspace: Path) -> ScanOptions:
    """How the demo scans: its region, and attribution from the workspace's trail folder."""
    return ScanOptions(path=workspace, regions=(REGION,), cloudtrail=str(trail.trail_dir(workspace)))


def make_workspace() -> Path:
    return Path(tempfile.mkdtemp(prefix="driftdeck-demo-"))


def drifted_keys(report: ScanReport) -> list[str]:
    return sorted(r.key for r in report.resources if r.status is not Status.IN_SYNC)
