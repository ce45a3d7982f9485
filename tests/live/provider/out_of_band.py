"""Out-of-band objects, one per type, made with boto3 against a moto server: what an operator
created by hand and now wants under Terraform. Shared by the import tests and
bench/import_generation.py. Each object is (Terraform type, import id, region)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

REGION = "us-east-1"
# The SecureString's value: the test hands it to terraform as the generated variable's value.
SECRET_VALUE = "s3cr3t-value-never-printed"

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
INLINE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}


@dataclass(frozen=True)
class OutOfBand:
    type: str
    import_id: str
    name: str  # the Terraform resource name the test writes it under
    secret: Any = None  # the live value of its sensitive argument, if any


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def make_objects(endpoint: str, suffix: str = "") -> list[OutOfBand]:
    """Create one object of each type (names end in `suffix`, so a bench can make many sets)."""
    out: list[OutOfBand] = []
    s3 = _client("s3", endpoint)
    bucket = f"hand-made-bucket{suffix}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "Team", "Value": "data"}]})
    out.append(OutOfBand("aws_s3_bucket", bucket, f"bucket{suffix}"))

    sqs = _client("sqs", endpoint)
    url = sqs.create_queue(QueueName=f"hand-made-queue{suffix}",
                           # 256 KiB: provider 5.100 refuses the 1 MiB AWS (and moto) now default to
                           Attributes={"VisibilityTimeout": "60", "DelaySeconds": "5", "MaximumMessageSize": "262144"},
                           tags={"Env": "prod"})["QueueUrl"]
    out.append(OutOfBand("aws_sqs_queue", url, f"queue{suffix}"))

    sns = _client("sns", endpoint)
    topic = sns.create_topic(Name=f"hand-made-topic{suffix}", Attributes={"DisplayName": "Alerts"},
                             Tags=[{"Key": "Env", "Value": "prod"}])["TopicArn"]
    out.append(OutOfBand("aws_sns_topic", topic, f"topic{suffix}"))
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])["SubscriptionArn"]
    out.append(OutOfBand("aws_sns_topic_subscription", subscription, f"subscription{suffix}"))

    iam = _client("iam", endpoint)
    role = f"hand-made-role{suffix}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST), Description="made by hand",
                    Tags=[{"Key": "Env", "Value": "prod"}])
    iam.put_role_policy(RoleName=role, PolicyName="read-data", PolicyDocument=json.dumps(INLINE))
    out.append(OutOfBand("aws_iam_role", role, f"role{suffix}"))
    # The provider deprecates the role's inline_policy block (so its generator leaves it out, as
    # Terraform's does): the inline JSON policy is imported as its own resource.
    out.append(OutOfBand("aws_iam_role_policy", f"{role}:read-data", f"role_policy{suffix}"))

    user = f"hand-made-user{suffix}"
    iam.create_user(UserName=user, Path="/ops/", Tags=[{"Key": "Team", "Value": "ops"}])
    out.append(OutOfBand("aws_iam_user", user, f"user{suffix}"))
    managed = iam.create_policy(PolicyName=f"hand-made-policy{suffix}", PolicyDocument=json.dumps(INLINE),
                                Description="read data")["Policy"]["Arn"]
    out.append(OutOfBand("aws_iam_policy", managed, f"policy{suffix}"))

    ec2 = _client("ec2", endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": f"hand-made{suffix}"}])
    out.append(OutOfBand("aws_vpc", vpc, f"vpc{suffix}"))
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    out.append(OutOfBand("aws_subnet", subnet, f"subnet{suffix}"))
    group = ec2.create_security_group(GroupName=f"hand-made-sg{suffix}", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "https"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "192.168.1.0/24"}]},
    ])
    out.append(OutOfBand("aws_security_group", group, f"sg{suffix}"))

    ddb = _client("dynamodb", endpoint)
    table = f"hand-made-table{suffix}"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     Tags=[{"Key": "Env", "Value": "prod"}])
    out.append(OutOfBand("aws_dynamodb_table", table, f"table{suffix}"))

    kms = _client("kms", endpoint)
    # KeyUsage given: AWS always reports it, moto only when it was given.
    key = kms.create_key(Description=f"hand-made key{suffix}", KeyUsage="ENCRYPT_DECRYPT",
                         Tags=[{"TagKey": "Env", "TagValue": "prod"}])
    out.append(OutOfBand("aws_kms_key", key["KeyMetadata"]["KeyId"], f"key{suffix}"))

    ecr = _client("ecr", endpoint)
    repository = f"hand-made-repo{suffix}"
    ecr.create_repository(repositoryName=repository, imageTagMutability="IMMUTABLE",
                          imageScanningConfiguration={"scanOnPush": True})
    out.append(OutOfBand("aws_ecr_repository", repository, f"repo{suffix}"))

    logs = _client("logs", endpoint)
    group_name = f"/hand-made/app{suffix}"
    logs.create_log_group(logGroupName=group_name, tags={"Env": "prod"})
    logs.put_retention_policy(logGroupName=group_name, retentionInDays=14)
    out.append(OutOfBand("aws_cloudwatch_log_group", group_name, f"logs{suffix}"))

    ssm = _client("ssm", endpoint)
    plain = f"/hand-made/plain{suffix}"
    ssm.put_parameter(Name=plain, Value="blue", Type="String", Description="colour")
    out.append(OutOfBand("aws_ssm_parameter", plain, f"param{suffix}", secret="blue"))
    secure = f"/hand-made/secret{suffix}"
    ssm.put_parameter(Name=secure, Value=SECRET_VALUE, Type="SecureString")
    out.append(OutOfBand("aws_ssm_parameter", secure, f"secret{suffix}", secret=SECRET_VALUE))
    return out
