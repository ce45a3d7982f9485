"""The "wide estate": 45 resources of 38 AWS types applied by real Terraform against a moto server
of its own, plus boto3 out-of-band changes on every type and a helper asking Terraform itself what
drifted. A plain module (no pytest), importable from tests and from benchmark scripts:

    import sys; sys.path[:0] = ["tests", "tests/live/provider"]
    from conftest import terraform_env          # tests/conftest.py (needs pytest installed)
    from wide_estate import build_wide_estate
    estate = build_wide_estate(Path(tmp), terraform_env(Path(tmp)))
    try: ... estate.drift_out_of_band(); estate.terraform_drift() ...
    finally: estate.stop()

Why a moto server in a child process, not a second in-process ThreadedMotoServer: moto's backends
are module globals, so every in-process server shares one state, and the session server's
`/moto-api/reset` (run by the `aws_env` fixture before each test) would wipe this estate too. A
`python -m moto.server` child has a state of its own that nothing else in the test session touches.

Volatile attributes: `VOLATILE` lists attributes that Terraform reports as drifted on every
refresh even when nothing changed (moto computes them from the clock). Straight after the build,
Terraform's refresh-only plan is clean except for those.

Timings measured here: apply ≈ 95 s (the provider's own RDS create waiter holds aws_db_instance for
≈ 80 s although moto answers "available" at once; the S3 lifecycle and SQS waiters ≈ 55 s / 27 s
run beside it), settle ≈ 14 s, each terraform_drift() ≈ 15 s.

moto quirks met (and worked around in the changes below): ModifyDBSubnetGroup drops the group
from moto's registry (so the subnet group gets a tag instead); UpdateGroup with only NewPath does
nothing (so the group is renamed away and back with the new path); ModifySecurityGroupRules wants
FromPort/ToPort even for protocol -1 (so the rules are tcp/443); ReplaceRouteTableAssociation gives a
new association id, as AWS does, so Terraform sees the old association as deleted. Not a spare
SQS queue to delete: the provider retries reading a missing queue for 20 s on every later plan.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_test_support import session_for, terraform
from repo_paths import FIXTURES

if TYPE_CHECKING:
    import boto3

FIXTURE = FIXTURES / "terraform" / "wide_estate"

# type -> attributes moto moves on every read (Terraform reports them as drift with nothing changed).
VOLATILE: dict[str, set[str]] = {"aws_db_instance": {"latest_restorable_time"}}

PARALLELISM = "-parallelism=20"

_LAMBDA_SOURCE = b"def handler(event, context):\n    return {'ok': True}\n"


# --- the estate's own moto server -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _MotoProcess:
    """`python -m moto.server` in a child process (a moto state of its own, see the module doc)."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
        for _attempt in range(3):  # the free port may be taken between probe and bind: retry
            self.port = _free_port()
            with self.log.open("ab") as out:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            if self._wait_ready(timeout):
                return
        raise RuntimeError(f"moto server did not start; see {self.log}:\n{self.log.read_text()[-3000:]}")

    def _wait_ready(self, timeout: float) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=2) as resp:
                    if resp.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            try:  # waits on the child: returns at once if it died (e.g. the port was taken)
                self.proc.wait(timeout=0.05)
                return False
            except subprocess.TimeoutExpired:
                continue
        self.stop()
        return False

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.proc = None


# --- the estate -------------------------------------------------------------------------------


@dataclass
class WideEstate:
    workdir: Path
    endpoint: str
    tf_env: dict[str, str]
    ids: dict[str, str]
    types: set[str]
    timings: dict[str, float] = field(default_factory=dict)
    _attrs: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _server: _MotoProcess | None = field(default=None, repr=False)
    _drifted: dict[str, str] = field(default_factory=dict, repr=False)
    _plans: int = field(default=0, repr=False)

    @property
    def aux(self) -> Path:
        """Side files (moto log, boto3 config, plan files), kept out of the terraform directory."""
        aux = self.workdir.parent / f"{self.workdir.name}-aux"
        aux.mkdir(exist_ok=True)
        return aux

    def boto_session(self) -> boto3.session.Session:
        return session_for(self.endpoint, self.aux)

    def terraform_drift(self) -> list[dict[str, Any]]:
        """`resource_drift[]` of a fresh `plan -refresh-only` (the state file is left untouched)."""
        self._plans += 1
        plan = self.aux / f"drift-{self._plans}.tfplan"
        terraform(self.workdir, self.tf_env, "plan", "-refresh-only", PARALLELISM, f"-out={plan}")
        shown = json.loads(terraform(self.workdir, self.tf_env, "show", "-json", str(plan)))
        return list(shown.get("resource_drift") or [])

    def drift_out_of_band(self) -> dict[str, str]:
        """Change every type out of band with boto3 and delete a few resources whole.

        Returns {terraform address: "changed" | "deleted"}. Idempotent: a change already made is
        never made again, so a second call changes nothing and returns the same description.
        One-way: nothing restores the estate afterwards.
        """
        for address, kind, act in _out_of_band(self.boto_session(), self._attrs):
            if address not in self._drifted:
                act()
                self._drifted[address] = kind
        return dict(self._drifted)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def build_wide_estate(base: Path, tf_env: dict[str, str]) -> WideEstate:
    """Start a moto server, copy the fixture to base/wide_estate, write terraform.tfvars and
    lambda.zip, then init, apply and settle (`apply -refresh-only`)."""
    workdir = base / "wide_estate"
    workdir.mkdir(parents=True)
    aux = base / "wide_estate-aux"
    aux.mkdir(exist_ok=True)
    # Only what terraform needs: stray AWS_* variables (a test's AWS_ENDPOINT_URL, a profile) must
    # not reach the provider; the provider block carries endpoint and credentials.
    env = {k: v for k, v in tf_env.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"

    server = _MotoProcess(aux / "moto.log")
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    server.start()
    timings["moto_start"] = time.monotonic() - t0
    try:
        for tf in FIXTURE.glob("*.tf"):
            shutil.copy(tf, workdir / tf.name)
        (workdir / "terraform.tfvars").write_text(f'endpoint = "{server.url}"\n')
        (workdir / "lambda.zip").write_bytes(_lambda_zip())
        for step, args in (
            ("init", ("init",)),
            ("apply", ("apply", "-auto-approve", PARALLELISM)),
            ("settle", ("apply", "-refresh-only", "-auto-approve", PARALLELISM)),
        ):
            t = time.monotonic()
            terraform(workdir, env, *args)
            timings[step] = time.monotonic() - t
    except BaseException:
        server.stop()
        raise
    attrs = _state_attrs(workdir / "terraform.tfstate")
    return WideEstate(
        workdir=workdir,
        endpoint=server.url,
        tf_env=env,
        ids={address: str(a["id"]) for address, a in attrs.items()},
        types={address.split(".")[0] for address in attrs},
        timings=timings,
        _attrs=attrs,
        _server=server,
    )


def _lambda_zip() -> bytes:
    """A byte-for-byte reproducible zip (fixed timestamp), so source_code_hash never moves."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("handler.py", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        zf.writestr(info, _LAMBDA_SOURCE)
    return buf.getvalue()


def _state_attrs(state_file: Path) -> dict[str, dict[str, Any]]:
    doc = json.loads(state_file.read_text())
    out: dict[str, dict[str, Any]] = {}
    for res in doc["resources"]:
        if res["mode"] != "managed":
            continue
        for inst in res["instances"]:
            key = inst.get("index_key")
            suffix = "" if key is None else f"[{json.dumps(key)}]"
            out[f"{res['type']}.{res['name']}{suffix}"] = inst["attributes"]
    return out


# --- the out-of-band changes ------------------------------------------------------------------


def _policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _out_of_band(
    session: boto3.session.Session, attrs: dict[str, dict[str, Any]]
) -> list[tuple[str, str, Callable[[], Any]]]:
    """(address, "changed" | "deleted", action) for every out-of-band change, in order."""
    s3 = session.client("s3")
    ec2 = session.client("ec2")
    iam = session.client("iam")
    sqs = session.client("sqs")
    sns = session.client("sns")
    lam = session.client("lambda")
    ddb = session.client("dynamodb")
    kms = session.client("kms")
    logs = session.client("logs")
    ssm = session.client("ssm")
    sm = session.client("secretsmanager")
    ecr = session.client("ecr")
    r53 = session.client("route53")
    rds = session.client("rds")

    def a(address: str, name: str = "id") -> Any:
        return attrs[address][name]

    bucket = a("aws_s3_bucket.data")
    bucket_arn = a("aws_s3_bucket.data", "arn")
    account = a("aws_iam_role.app", "arn").split(":")[4]
    zone = a("aws_route53_zone.main", "zone_id")

    def rename_group_path() -> None:
        # moto ignores UpdateGroup with only NewPath; a rename there and back moves the path.
        iam.update_group(GroupName="ddw-devs", NewGroupName="ddw-devs-moving", NewPath="/ops/")
        iam.update_group(GroupName="ddw-devs-moving", NewGroupName="ddw-devs")

    return [
        # S3
        (
            "aws_s3_bucket.data",
            "changed",
            lambda: s3.put_bucket_tagging(
                Bucket=bucket,
                Tagging={"TagSet": [{"Key": "Env", "Value": "staging"}, {"Key": "Team", "Value": "platform"},
                                    {"Key": "ManagedBy", "Value": "terraform"}]},
            ),
        ),
        (
            "aws_s3_bucket_versioning.data",
            "changed",
            lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}),
        ),
        (
            "aws_s3_bucket_public_access_block.data",
            "changed",
            lambda: s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": False,
                    "RestrictPublicBuckets": False,
                },
            ),
        ),
        (
            "aws_s3_bucket_policy.data",
            "changed",
            lambda: s3.put_bucket_policy(
                Bucket=bucket,
                Policy=_policy([{
                    "Sid": "AllowAccountReadWrite",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                }]),
            ),
        ),
        (
            "aws_s3_bucket_server_side_encryption_configuration.data",
            "changed",
            lambda: s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]
                },
            ),
        ),
        (
            "aws_s3_bucket_lifecycle_configuration.data",
            "changed",
            lambda: s3.put_bucket_lifecycle_configuration(
                Bucket=bucket,
                LifecycleConfiguration={
                    "Rules": [{"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 90}}]
                },
            ),
        ),
        # network
        (
            "aws_vpc.main",
            "changed",
            lambda: ec2.modify_vpc_attribute(VpcId=a("aws_vpc.main"), EnableDnsHostnames={"Value": True}),
        ),
        (
            "aws_subnet.b",
            "changed",
            lambda: ec2.modify_subnet_attribute(SubnetId=a("aws_subnet.b"), MapPublicIpOnLaunch={"Value": True}),
        ),
        (
            "aws_internet_gateway.main",
            "changed",
            lambda: ec2.create_tags(Resources=[a("aws_internet_gateway.main")], Tags=[{"Key": "Name", "Value": "ddw-igw-renamed"}]),
        ),
        (
            "aws_route_table.public",
            "changed",
            lambda: ec2.create_route(
                RouteTableId=a("aws_route_table.public"),
                DestinationCidrBlock="10.99.0.0/16",
                GatewayId=a("aws_internet_gateway.main"),
            ),
        ),
        (
            "aws_eip.web",
            "changed",
            lambda: ec2.create_tags(Resources=[a("aws_eip.web")], Tags=[{"Key": "Owner", "Value": "someone"}]),
        ),
        (
            "aws_security_group.web",
            "changed",
            lambda: ec2.create_tags(Resources=[a("aws_security_group.web")], Tags=[{"Key": "Name", "Value": "ddw-web-edited"}]),
        ),
        (
            "aws_vpc_security_group_ingress_rule.https",
            "changed",
            lambda: ec2.modify_security_group_rules(
                GroupId=a("aws_security_group.web"),
                SecurityGroupRules=[{
                    "SecurityGroupRuleId": a("aws_vpc_security_group_ingress_rule.https"),
                    "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                          "CidrIpv4": "0.0.0.0/0", "Description": "https, edited by hand"},
                }],
            ),
        ),
        (
            "aws_vpc_security_group_egress_rule.https",
            "changed",
            lambda: ec2.modify_security_group_rules(
                GroupId=a("aws_security_group.web"),
                SecurityGroupRules=[{
                    "SecurityGroupRuleId": a("aws_vpc_security_group_egress_rule.https"),
                    "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                          "CidrIpv4": "10.0.0.0/8", "Description": "https out"},
                }],
            ),
        ),
        (
            "aws_instance.web",
            "changed",
            lambda: ec2.modify_instance_attribute(InstanceId=a("aws_instance.web"), SourceDestCheck={"Value": False}),
        ),
        (
            "aws_route_table_association.a",
            "deleted",  # moving the subnet to another table gives a new association id: the old one is gone
            lambda: ec2.replace_route_table_association(
                AssociationId=a("aws_route_table_association.a"), RouteTableId=a("aws_route_table.private")
            ),
        ),
        # IAM
        (
            "aws_iam_role.app",
            "changed",
            lambda: iam.update_role(RoleName="ddw-app", Description="edited in the console", MaxSessionDuration=7200),
        ),
        (
            "aws_iam_policy.read",
            "changed",
            lambda: iam.create_policy_version(
                PolicyArn=a("aws_iam_policy.read", "arn"),
                PolicyDocument=_policy([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:DeleteObject"], "Resource": "*"}]),
                SetAsDefault=True,
            ),
        ),
        (
            "aws_iam_role_policy.inline",
            "changed",
            lambda: iam.put_role_policy(
                RoleName="ddw-app",
                PolicyName="ddw-inline",
                PolicyDocument=_policy([{"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:DeleteMessage"], "Resource": "*"}]),
            ),
        ),
        (
            "aws_iam_role_policy_attachment.read",
            "deleted",
            lambda: iam.detach_role_policy(RoleName="ddw-app", PolicyArn=a("aws_iam_policy.read", "arn")),
        ),
        (
            "aws_iam_user.ci",
            "changed",
            lambda: iam.tag_user(UserName="ddw-ci", Tags=[{"Key": "Team", "Value": "security"}]),
        ),
        ("aws_iam_group.devs", "changed", rename_group_path),
        (
            "aws_iam_group_membership.devs",
            "changed",
            lambda: iam.remove_user_from_group(GroupName="ddw-devs", UserName="ddw-ops"),
        ),
        # messaging
        (
            "aws_sqs_queue.jobs",
            "changed",
            lambda: sqs.set_queue_attributes(QueueUrl=a("aws_sqs_queue.jobs"), Attributes={"VisibilityTimeout": "120"}),
        ),
        (
            "aws_sns_topic.alerts",
            "changed",
            lambda: sns.set_topic_attributes(
                TopicArn=a("aws_sns_topic.alerts"), AttributeName="DisplayName", AttributeValue="Alerts (edited)"
            ),
        ),
        (
            "aws_sns_topic_subscription.jobs",
            "changed",
            lambda: sns.set_subscription_attributes(
                SubscriptionArn=a("aws_sns_topic_subscription.jobs"), AttributeName="RawMessageDelivery", AttributeValue="true"
            ),
        ),
        # compute / data
        (
            "aws_lambda_function.handler",
            "changed",
            lambda: lam.update_function_configuration(
                FunctionName="ddw-handler", Timeout=30, Environment={"Variables": {"STAGE": "staging"}}
            ),
        ),
        (
            "aws_dynamodb_table.orders",
            "changed",
            lambda: ddb.update_continuous_backups(
                TableName="ddw-orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            ),
        ),
        (
            "aws_kms_key.main",
            "changed",
            lambda: kms.update_key_description(KeyId=a("aws_kms_key.main"), Description="ddw main key (edited)"),
        ),
        (
            "aws_kms_alias.main",
            "changed",
            lambda: kms.update_alias(AliasName="alias/ddw-main", TargetKeyId=a("aws_kms_key.other")),
        ),
        (
            "aws_cloudwatch_log_group.app",
            "changed",
            lambda: logs.put_retention_policy(logGroupName="/ddw/app", retentionInDays=90),
        ),
        (
            "aws_ssm_parameter.stage",
            "changed",
            lambda: ssm.put_parameter(Name="/ddw/stage", Value="staging", Type="String", Overwrite=True),
        ),
        (
            "aws_secretsmanager_secret.db",
            "changed",
            lambda: sm.update_secret(SecretId=a("aws_secretsmanager_secret.db"), Description="rotated by hand"),
        ),
        (
            "aws_ecr_repository.app",
            "changed",
            lambda: ecr.put_image_tag_mutability(repositoryName="ddw-app", imageTagMutability="IMMUTABLE"),
        ),
        (
            "aws_route53_zone.main",
            "changed",
            lambda: r53.update_hosted_zone_comment(Id=zone, Comment="edited by hand"),
        ),
        (
            "aws_route53_record.www",
            "changed",
            lambda: r53.change_resource_record_sets(
                HostedZoneId=zone,
                ChangeBatch={"Changes": [{
                    "Action": "UPSERT",
                    "ResourceRecordSet": {"Name": "www.ddw.example.com", "Type": "A", "TTL": 60,
                                          "ResourceRecords": [{"Value": "10.40.1.20"}]},
                }]},
            ),
        ),
        (
            "aws_db_subnet_group.main",
            "changed",
            # (moto's ModifyDBSubnetGroup drops the group from its registry: tags instead)
            lambda: rds.add_tags_to_resource(
                ResourceName=a("aws_db_subnet_group.main", "arn"), Tags=[{"Key": "Owner", "Value": "dba"}]
            ),
        ),
        (
            "aws_db_instance.main",
            "changed",
            lambda: rds.modify_db_instance(DBInstanceIdentifier="ddw-db", BackupRetentionPeriod=1, ApplyImmediately=True),
        ),
        # whole resources deleted
        ("aws_ssm_parameter.spare", "deleted", lambda: ssm.delete_parameter(Name="/ddw/spare")),
        ("aws_ecr_repository.spare", "deleted", lambda: ecr.delete_repository(repositoryName="ddw-spare", force=True)),
        ("aws_cloudwatch_log_group.spare", "deleted", lambda: logs.delete_log_group(logGroupName="/ddw/spare")),
    ]
