"""Unmanaged discovery through a whole scan against the session moto server: every type of the
discovery table made out of band is found once, with its name and ARN; managed objects and AWS's
own defaults are not; GetResources is paginated; a listing that fails is `unknown`, never silence;
objects Terraform cannot see under managed buckets and topics are findings with their parent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_test_support import FaultProxy, operation, write_state
from out_of_band_objects import HELPER, create_every_type

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.discovery.table import DISCOVERABLE_TYPES
from driftdeck.core.model import ResourceResult, ScanReport, Status
from driftdeck.core.remediation import PlanOptions, plan_resource
from driftdeck.core.scan.run import ScanOptions, run_scan

MotoServer = Any


def _scan(path: Path) -> ScanReport:
    return run_scan(ScanOptions(path=path, reader="native"), ctx=AwsContext())


@pytest.fixture()
def proxy(aws_env: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """The scan's AWS calls go through a proxy that counts them (and fails those it is told to);
    the test's own boto3 calls still go straight to moto."""
    fault_proxy = FaultProxy(aws_env.url)
    fault_proxy.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.url)
    yield fault_proxy
    fault_proxy.stop()


def _direct(service: str, aws_env: MotoServer) -> Any:
    return boto3.client(service, endpoint_url=aws_env.url)


def _unmanaged(report: ScanReport) -> list[ResourceResult]:
    return [r for r in report.resources if r.status is Status.UNMANAGED]


def _managed_estate(tmp_path: Path) -> Path:
    """A few objects that a state manages (of table types and native ones): never unmanaged."""
    lam, ddb, ssm, s3 = (boto3.client(s) for s in ("lambda", "dynamodb", "ssm", "s3"))
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="managed-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    fn = lam.create_function(FunctionName="managed-fn", Runtime="python3.12", Role=role["Role"]["Arn"],
                             Handler="h.h", Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})
    table = ddb.create_table(TableName="managed-table", BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])["TableDescription"]
    ssm.put_parameter(Name="/managed/param", Value="v", Type="String", Tags=[{"Key": "Team", "Value": "a"}])
    s3.create_bucket(Bucket="managed-bucket")
    write_state(tmp_path / "terraform.tfstate", [
        ("aws_iam_role", "r", {"id": "managed-role", "name": "managed-role", "arn": role["Role"]["Arn"]}),
        ("aws_lambda_function", "fn", {"id": "managed-fn", "function_name": "managed-fn", "arn": fn["FunctionArn"]}),
        ("aws_dynamodb_table", "t", {"id": "managed-table", "name": "managed-table", "arn": table["TableArn"]}),
        ("aws_ssm_parameter", "p", {"id": "/managed/param", "name": "/managed/param",
                                    "arn": "arn:aws:ssm:us-east-1:123456789012:parameter/managed/param"}),
        ("aws_s3_bucket", "b", {"id": "managed-bucket", "bucket": "managed-bucket"}),
    ])
    return tmp_path


def test_every_table_type_made_out_of_band_is_unmanaged_with_name_and_arn(aws_env: MotoServer, tmp_path: Path) -> None:
    path = _managed_estate(tmp_path)
    before = _scan(path)
    assert _unmanaged(before) == [], [(r.type, r.name) for r in _unmanaged(before)]  # defaults stay suppressed

    made, cleanup = create_every_type(boto3.session.Session(), "oob")
    report = _scan(path)
    found: dict[str, list[ResourceResult]] = {}
    for r in _unmanaged(report):
        found.setdefault(r.type, []).append(r)
    expected = {k.removeprefix(HELPER): m for k, m in made.items() if not k.startswith(HELPER)}
    helpers = {(k.removeprefix(HELPER), m.arn) for k, m in made.items() if k.startswith(HELPER)}
    assert set(expected) >= DISCOVERABLE_TYPES - {"aws_sns_topic_subscription"}  # every row (subscriptions: below)

    wrong = {}
    for rtype, want in expected.items():
        got = [(r.name, r.arn) for r in found.get(rtype, []) if (rtype, r.arn) not in helpers]
        if got != [(want.name, want.arn)]:
            wrong[rtype] = {"want": (want.name, want.arn), "got": got}
    assert wrong == {}
    # Nothing else: no managed object, no default (default VPC, its subnets, SG and NACL, alias/aws/*...).
    extra = {(r.type, r.name) for r in _unmanaged(report)} - {(t, m.name) for t, m in expected.items()} - {
        (t, r.name) for t, arn in helpers for r in found.get(t, []) if r.arn == arn}
    assert extra == set()
    # The JSON report names them too (the queue by name and ARN, not only by URL).
    queue = next(r for r in report.resources if r.type == "aws_sqs_queue").to_json()
    assert (queue["name"], queue["arn"]) == ("oob-queue", expected["aws_sqs_queue"].arn) and queue["id"].startswith("http")
    group = next(r for r in report.resources if r.type == "aws_security_group").to_json()
    assert group["name"] == "oob-sg"
    cleanup()


def test_get_resources_is_read_page_by_page(aws_env: MotoServer, proxy: FaultProxy, tmp_path: Path) -> None:
    ssm = _direct("ssm", aws_env)
    for i in range(130):
        ssm.put_parameter(Name=f"/bulk/p{i:03}", Value="v", Type="String", Tags=[{"Key": "Bulk", "Value": "yes"}])
    write_state(tmp_path / "terraform.tfstate", [])
    report = _scan(tmp_path)
    names = {r.name for r in _unmanaged(report) if r.type == "aws_ssm_parameter"}
    assert names == {f"/bulk/p{i:03}" for i in range(130)}
    assert proxy.seen["GetResources"] == 2  # 100 per page


def test_a_listing_that_fails_is_unknown_and_the_others_still_answer(
    aws_env: MotoServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    _direct("logs", aws_env).create_log_group(logGroupName="/seen/by/tagging", tags={"a": "b"})
    _direct("ecr", aws_env).create_repository(repositoryName="listed-repo")
    proxy.add(operation("GetResources"), status=400, body=b'{"__type":"AccessDeniedException","message":"injected"}',
              headers={"Content-Type": "application/x-amz-json-1.1"})
    write_state(tmp_path / "terraform.tfstate", [])
    report = _scan(tmp_path)
    unknown = [r for r in report.resources if r.status is Status.UNKNOWN]
    assert len(unknown) == 1
    assert "Resource Groups Tagging API" in (unknown[0].reason or "") and "access denied" in (unknown[0].reason or "").lower()
    assert {r.name for r in _unmanaged(report)} == {"listed-repo"}  # ECR's own listing still answered
    assert report.exit_code() == 1


def test_objects_and_subscriptions_terraform_cannot_see_have_their_parent(aws_env: MotoServer, tmp_path: Path) -> None:
    s3, sns, sqs = boto3.client("s3"), boto3.client("sns"), boto3.client("sqs")
    s3.create_bucket(Bucket="data")
    for key in ("managed.txt", "a/1.csv", "a/2.csv", "b.bin"):
        s3.put_object(Bucket="data", Key=key, Body=b"x")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue_arn = "arn:aws:sqs:us-east-1:123456789012:"
    managed_queue = sqs.create_queue(QueueName="managed-q")["QueueUrl"]
    extra_queue = sqs.create_queue(QueueName="extra-q")["QueueUrl"]
    managed_sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn + "managed-q")["SubscriptionArn"]
    extra_sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn + "extra-q")["SubscriptionArn"]
    write_state(tmp_path / "terraform.tfstate", [
        ("aws_s3_bucket", "data", {"id": "data", "bucket": "data"}),
        ("aws_s3_object", "managed", {"id": "managed.txt", "bucket": "data", "key": "managed.txt"}),
        ("aws_sns_topic", "alerts", {"id": topic, "arn": topic}),
        ("aws_sns_topic_subscription", "managed", {"id": managed_sub, "arn": managed_sub, "topic_arn": topic}),
        ("aws_sqs_queue", "managed", {"id": managed_queue, "url": managed_queue}),
        ("aws_sqs_queue", "extra", {"id": extra_queue, "url": extra_queue}),
    ])
    report = _scan(tmp_path)
    children = {r.type: r for r in _unmanaged(report) if r.parent}
    objects = children["aws_s3_object"]
    assert objects.parent == "aws_s3_bucket.data" and objects.name == "3 object(s) in data"
    assert objects.live == {"bucket": "data", "object_count": 3, "count_is_lower_bound": False,
                            "first_keys": ["a/1.csv", "a/2.csv", "b.bin"]}
    # The objects are counted together: listed, but never planned as if they were one object.
    assert objects.aggregate and objects.to_json()["aggregate"] is True
    assert plan_resource(objects, PlanOptions(workspace=tmp_path)) is None
    sub = children["aws_sns_topic_subscription"]
    assert not sub.aggregate and plan_resource(sub, PlanOptions(workspace=tmp_path)) is not None
    assert (sub.parent, sub.id, sub.arn, sub.name) == ("aws_sns_topic.alerts", extra_sub, extra_sub, f"sqs:{queue_arn}extra-q")
    assert set(children) == {"aws_s3_object", "aws_sns_topic_subscription"}


def test_a_bucket_with_more_objects_than_one_page_is_listed_once(
    aws_env: MotoServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    """Count and the first keys only: one ListObjectsV2 page, never the whole bucket."""
    s3 = _direct("s3", aws_env)
    s3.create_bucket(Bucket="big")
    for i in range(1003):
        s3.put_object(Bucket="big", Key=f"k{i:04}", Body=b"")
    write_state(tmp_path / "terraform.tfstate", [("aws_s3_bucket", "big", {"id": "big", "bucket": "big"})])
    report = _scan(tmp_path)
    (objects,) = [r for r in report.resources if r.type == "aws_s3_object"]
    assert objects.live is not None
    assert (objects.live["object_count"], objects.live["count_is_lower_bound"]) == (1000, True)
    assert objects.live["first_keys"] == ["k0000", "k0001", "k0002", "k0003", "k0004"]
    assert objects.name == "1000+ object(s) in big"
    assert {op: n for op, n in proxy.seen.items() if "list-type" in op} == {"S3 GET bucket?encoding-type,list-type": 1}


def test_objects_a_cloudformation_stack_owns_are_not_unmanaged(aws_env: MotoServer, tmp_path: Path) -> None:
    """Types without a CloudFormation → Terraform mapping too: the stack's physical ids claim them."""
    template = {"Resources": {
        "Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": "stack-table", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": "/stack/logs", "Tags": [{"Key": "Team", "Value": "a"}]}},
    }}
    boto3.client("cloudformation").create_stack(StackName="app", TemplateBody=json.dumps(template))
    boto3.client("dynamodb").create_table(
        TableName="loose-table", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    boto3.client("logs").create_log_group(logGroupName="/loose/logs", tags={"Team": "a"})
    write_state(tmp_path / "terraform.tfstate", [])
    report = _scan(tmp_path)
    assert {(r.type, r.name) for r in _unmanaged(report)} == {
        ("aws_dynamodb_table", "loose-table"), ("aws_cloudwatch_log_group", "/loose/logs")}


def test_objects_aws_made_with_a_managed_resource_belong_to_it(aws_env: MotoServer, tmp_path: Path) -> None:
    """A managed instance's root volume (tagged, so GetResources returns it) is the instance's."""
    ec2 = boto3.client("ec2")
    image = ec2.describe_images(Owners=["amazon"], MaxResults=5)["Images"][0]["ImageId"]
    tags = [{"Key": "Team", "Value": "web"}]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", TagSpecifications=[
        {"ResourceType": "instance", "Tags": tags}, {"ResourceType": "volume", "Tags": tags}])["Instances"][0]
    volume = instance["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    loose = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, TagSpecifications=[
        {"ResourceType": "volume", "Tags": tags}])["VolumeId"]
    write_state(tmp_path / "terraform.tfstate", [
        ("aws_instance", "web", {"id": instance["InstanceId"], "root_block_device": [{"volume_id": volume}]}),
    ])
    report = _scan(tmp_path)
    assert [(r.type, r.id) for r in _unmanaged(report)] == [("aws_ebs_volume", loose)]
