"""Out-of-band objects of every type in the discovery table, made with boto3 against a moto server,
and their removal. A plain module (no pytest): the unit test uses it on the session moto server,
the wide-estate test on the estate's own.

`create_every_type` returns {terraform type: Made(name, arn)} — what discovery must report (plus
HELPER-prefixed keys for objects made only to hold others) — and a
cleanup that deletes everything again, in reverse order. Objects are tagged (the tagging API only
returns tagged or once-tagged objects, in AWS as in moto) except the Lambda function and the DynamoDB
table, which stay untagged to prove their per-service listings.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TAG = {"Key": "Purpose", "Value": "out-of-band"}
# Keys of objects made only to hold others (the trail's bucket, the load balancer's second subnet):
# also unmanaged, but not one per table type.
HELPER = "helper:"


@dataclass(frozen=True)
class Made:
    name: str
    arn: str


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("handler.py", date_time=(2020, 1, 1, 0, 0, 0))
        zf.writestr(info, "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def _trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def create_every_type(session: Any, prefix: str, region: str = "us-east-1") -> tuple[dict[str, Made], Callable[[], None]]:
    """One object of each table type, named `prefix`-something; (made, cleanup)."""
    made: dict[str, Made] = {}
    undo: list[Callable[[], Any]] = []

    def client(name: str) -> Any:
        return session.client(name, region_name=region)

    def cleanup() -> None:
        errors = []
        for step in reversed(undo):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - remove everything else, then say what stayed
                errors.append(repr(exc))
        if errors:
            raise RuntimeError("cleanup of out-of-band objects failed: " + "; ".join(errors))

    try:
        _create(client, prefix, region, made, undo)
    except BaseException:
        cleanup()
        raise
    return made, cleanup


def _create(client: Callable[[str], Any], p: str, region: str, made: dict[str, Made],
            undo: list[Callable[[], Any]]) -> None:
    tags_kv = [TAG]
    tags_lower = [{"key": TAG["Key"], "value": TAG["Value"]}]
    tags_map = {TAG["Key"]: TAG["Value"]}
    account = client("sts").get_caller_identity()["Account"]

    # --- storage, messaging (native discovery) ---
    s3 = client("s3")
    bucket = f"{p}-bucket"
    s3.create_bucket(Bucket=bucket)
    undo.append(lambda: s3.delete_bucket(Bucket=bucket))
    made["aws_s3_bucket"] = Made(bucket, f"arn:aws:s3:::{bucket}")
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=f"{p}-queue", tags=tags_map)["QueueUrl"]
    undo.append(lambda: sqs.delete_queue(QueueUrl=url))
    made["aws_sqs_queue"] = Made(f"{p}-queue", f"arn:aws:sqs:{region}:{account}:{p}-queue")
    sns = client("sns")
    topic = sns.create_topic(Name=f"{p}-topic", Tags=tags_kv)["TopicArn"]
    undo.append(lambda: sns.delete_topic(TopicArn=topic))
    made["aws_sns_topic"] = Made(f"{p}-topic", topic)

    # --- IAM ---
    iam = client("iam")
    role = iam.create_role(RoleName=f"{p}-role", AssumeRolePolicyDocument=_trust("lambda.amazonaws.com"),
                           Tags=tags_kv)["Role"]
    undo.append(lambda: iam.delete_role(RoleName=f"{p}-role"))
    made["aws_iam_role"] = Made(f"{p}-role", role["Arn"])
    user = iam.create_user(UserName=f"{p}-user", Tags=tags_kv)["User"]
    undo.append(lambda: iam.delete_user(UserName=f"{p}-user"))
    made["aws_iam_user"] = Made(f"{p}-user", user["Arn"])
    group = iam.create_group(GroupName=f"{p}-group", Path="/teams/")["Group"]
    undo.append(lambda: iam.delete_group(GroupName=f"{p}-group"))
    made["aws_iam_group"] = Made(f"{p}-group", group["Arn"])
    policy = iam.create_policy(PolicyName=f"{p}-policy", Tags=tags_kv, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))["Policy"]
    undo.append(lambda: iam.delete_policy(PolicyArn=policy["Arn"]))
    made["aws_iam_policy"] = Made(f"{p}-policy", policy["Arn"])
    profile = iam.create_instance_profile(InstanceProfileName=f"{p}-profile", Tags=tags_kv)["InstanceProfile"]
    undo.append(lambda: iam.delete_instance_profile(InstanceProfileName=f"{p}-profile"))
    made["aws_iam_instance_profile"] = Made(f"{p}-profile", profile["Arn"])

    # --- compute, data ---
    lam = client("lambda")
    function = lam.create_function(FunctionName=f"{p}-fn", Runtime="python3.12", Role=role["Arn"],
                                   Handler="handler.handler", Code={"ZipFile": _zip()})
    undo.append(lambda: lam.delete_function(FunctionName=f"{p}-fn"))
    made["aws_lambda_function"] = Made(f"{p}-fn", function["FunctionArn"])
    ddb = client("dynamodb")
    table = ddb.create_table(TableName=f"{p}-table", BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])["TableDescription"]
    undo.append(lambda: ddb.delete_table(TableName=f"{p}-table"))
    made["aws_dynamodb_table"] = Made(f"{p}-table", table["TableArn"])
    kms = client("kms")
    key = kms.create_key(Description=f"{p} key", Tags=[{"TagKey": TAG["Key"], "TagValue": TAG["Value"]}])["KeyMetadata"]
    undo.append(lambda: kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7))
    made["aws_kms_key"] = Made(key["KeyId"], key["Arn"])
    kms.create_alias(AliasName=f"alias/{p}-alias", TargetKeyId=key["KeyId"])
    undo.append(lambda: kms.delete_alias(AliasName=f"alias/{p}-alias"))
    made["aws_kms_alias"] = Made(f"alias/{p}-alias", f"arn:aws:kms:{region}:{account}:alias/{p}-alias")
    logs = client("logs")
    logs.create_log_group(logGroupName=f"/{p}/logs", tags=tags_map)
    undo.append(lambda: logs.delete_log_group(logGroupName=f"/{p}/logs"))
    made["aws_cloudwatch_log_group"] = Made(f"/{p}/logs", f"arn:aws:logs:{region}:{account}:log-group:/{p}/logs")
    ssm = client("ssm")
    ssm.put_parameter(Name=f"/{p}/param", Value="v", Type="String", Tags=tags_kv)
    undo.append(lambda: ssm.delete_parameter(Name=f"/{p}/param"))
    made["aws_ssm_parameter"] = Made(f"/{p}/param", f"arn:aws:ssm:{region}:{account}:parameter/{p}/param")
    sm = client("secretsmanager")
    secret = sm.create_secret(Name=f"{p}-secret", SecretString="s3cr3t", Tags=tags_kv)
    undo.append(lambda: sm.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True))
    made["aws_secretsmanager_secret"] = Made(f"{p}-secret", secret["ARN"])
    ecr = client("ecr")
    repo = ecr.create_repository(repositoryName=f"{p}-repo", tags=tags_kv)["repository"]
    undo.append(lambda: ecr.delete_repository(repositoryName=f"{p}-repo", force=True))
    made["aws_ecr_repository"] = Made(f"{p}-repo", repo["repositoryArn"])
    r53 = client("route53")
    zone = r53.create_hosted_zone(Name=f"{p}.example.org", CallerReference=p)["HostedZone"]
    zone_id = zone["Id"].rsplit("/", 1)[-1]
    undo.append(lambda: r53.delete_hosted_zone(Id=zone_id))
    made["aws_route53_zone"] = Made(f"{p}.example.org", f"arn:aws:route53:::hostedzone/{zone_id}")

    # --- network ---
    ec2 = client("ec2")
    def tagged(kind: str) -> list[dict[str, Any]]:
        return [{"ResourceType": kind, "Tags": [*tags_kv, {"Key": "Name", "Value": f"{p}-{kind}"}]}]

    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16", TagSpecifications=tagged("vpc"))["Vpc"]["VpcId"]
    undo.append(lambda: ec2.delete_vpc(VpcId=vpc))
    made["aws_vpc"] = Made(f"{p}-vpc", f"arn:aws:ec2:{region}:{account}:vpc/{vpc}")
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24", AvailabilityZone=f"{region}a",
                               TagSpecifications=tagged("subnet"))["Subnet"]
    undo.append(lambda: ec2.delete_subnet(SubnetId=subnet["SubnetId"]))
    made["aws_subnet"] = Made(f"{p}-subnet", subnet["SubnetArn"])
    sg = ec2.create_security_group(GroupName=f"{p}-sg", Description="oob", VpcId=vpc,
                                   TagSpecifications=tagged("security-group"))["GroupId"]
    undo.append(lambda: ec2.delete_security_group(GroupId=sg))
    made["aws_security_group"] = Made(f"{p}-sg", f"arn:aws:ec2:{region}:{account}:security-group/{sg}")
    igw = ec2.create_internet_gateway(TagSpecifications=tagged("internet-gateway"))["InternetGateway"]["InternetGatewayId"]
    undo.append(lambda: ec2.delete_internet_gateway(InternetGatewayId=igw))
    made["aws_internet_gateway"] = Made(f"{p}-internet-gateway", f"arn:aws:ec2:{region}:{account}:internet-gateway/{igw}")
    rtb = ec2.create_route_table(VpcId=vpc, TagSpecifications=tagged("route-table"))["RouteTable"]["RouteTableId"]
    undo.append(lambda: ec2.delete_route_table(RouteTableId=rtb))
    made["aws_route_table"] = Made(f"{p}-route-table", f"arn:aws:ec2:{region}:{account}:route-table/{rtb}")
    acl = ec2.create_network_acl(VpcId=vpc, TagSpecifications=tagged("network-acl"))["NetworkAcl"]["NetworkAclId"]
    undo.append(lambda: ec2.delete_network_acl(NetworkAclId=acl))
    made["aws_network_acl"] = Made(f"{p}-network-acl", f"arn:aws:ec2:{region}:{account}:network-acl/{acl}")
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=tagged("elastic-ip"))["AllocationId"]
    undo.append(lambda: ec2.release_address(AllocationId=eip))
    made["aws_eip"] = Made(f"{p}-elastic-ip", f"arn:aws:ec2:{region}:{account}:elastic-ip/{eip}")
    nat = ec2.create_nat_gateway(SubnetId=subnet["SubnetId"], AllocationId=eip,
                                 TagSpecifications=tagged("natgateway"))["NatGateway"]["NatGatewayId"]
    undo.append(lambda: ec2.delete_nat_gateway(NatGatewayId=nat))
    made["aws_nat_gateway"] = Made(f"{p}-natgateway", f"arn:aws:ec2:{region}:{account}:natgateway/{nat}")
    volume = ec2.create_volume(AvailabilityZone=f"{region}a", Size=1, TagSpecifications=tagged("volume"))["VolumeId"]
    undo.append(lambda: ec2.delete_volume(VolumeId=volume))
    made["aws_ebs_volume"] = Made(f"{p}-volume", f"arn:aws:ec2:{region}:{account}:volume/{volume}")
    template = ec2.create_launch_template(LaunchTemplateName=f"{p}-lt", LaunchTemplateData={"InstanceType": "t3.micro"},
                                          TagSpecifications=tagged("launch-template"))["LaunchTemplate"]
    undo.append(lambda: ec2.delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"]))
    made["aws_launch_template"] = Made(f"{p}-lt", f"arn:aws:ec2:{region}:{account}:launch-template/{template['LaunchTemplateId']}")
    image = ec2.describe_images(Owners=["amazon"], MaxResults=5)["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet["SubnetId"],
                                 TagSpecifications=tagged("instance"))["Instances"][0]["InstanceId"]
    undo.append(lambda: ec2.terminate_instances(InstanceIds=[instance]))
    made["aws_instance"] = Made(f"{p}-instance", f"arn:aws:ec2:{region}:{account}:instance/{instance}")

    # --- RDS ---
    rds = client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName=f"{p}-subnets", DBSubnetGroupDescription="oob",
                               SubnetIds=[subnet["SubnetId"]], Tags=tags_kv)
    undo.append(lambda: rds.delete_db_subnet_group(DBSubnetGroupName=f"{p}-subnets"))
    made["aws_db_subnet_group"] = Made(f"{p}-subnets", f"arn:aws:rds:{region}:{account}:subgrp:{p}-subnets")
    rds.create_db_parameter_group(DBParameterGroupName=f"{p}-params", DBParameterGroupFamily="postgres16",
                                  Description="oob", Tags=tags_kv)
    undo.append(lambda: rds.delete_db_parameter_group(DBParameterGroupName=f"{p}-params"))
    made["aws_db_parameter_group"] = Made(f"{p}-params", f"arn:aws:rds:{region}:{account}:pg:{p}-params")
    db = rds.create_db_instance(DBInstanceIdentifier=f"{p}-db", DBInstanceClass="db.t3.micro", Engine="postgres",
                                AllocatedStorage=20, MasterUsername="admin1", MasterUserPassword="password123",
                                Tags=tags_kv)["DBInstance"]
    undo.append(lambda: rds.delete_db_instance(DBInstanceIdentifier=f"{p}-db", SkipFinalSnapshot=True))
    made["aws_db_instance"] = Made(f"{p}-db", db["DBInstanceArn"])
    cluster = rds.create_db_cluster(DBClusterIdentifier=f"{p}-cluster", Engine="aurora-postgresql",
                                    MasterUsername="admin1", MasterUserPassword="password123", Tags=tags_kv)["DBCluster"]
    undo.append(lambda: rds.delete_db_cluster(DBClusterIdentifier=f"{p}-cluster", SkipFinalSnapshot=True))
    made["aws_rds_cluster"] = Made(f"{p}-cluster", cluster["DBClusterArn"])

    # --- containers, load balancing, APIs, workflows, events ---
    ecs = client("ecs")
    ecs_cluster = ecs.create_cluster(clusterName=f"{p}-ecs", tags=tags_lower)["cluster"]
    undo.append(lambda: ecs.delete_cluster(cluster=f"{p}-ecs"))
    made["aws_ecs_cluster"] = Made(f"{p}-ecs", ecs_cluster["clusterArn"])
    task = ecs.register_task_definition(family=f"{p}-task", tags=tags_lower, containerDefinitions=[
        {"name": "app", "image": "nginx", "memory": 128}])["taskDefinition"]
    undo.append(lambda: ecs.deregister_task_definition(taskDefinition=task["taskDefinitionArn"]))
    made["aws_ecs_task_definition"] = Made(f"{p}-task:{task['revision']}", task["taskDefinitionArn"])
    service = ecs.create_service(cluster=f"{p}-ecs", serviceName=f"{p}-svc", taskDefinition=task["taskDefinitionArn"],
                                 desiredCount=0, tags=tags_lower)["service"]
    undo.append(lambda: ecs.delete_service(cluster=f"{p}-ecs", service=f"{p}-svc", force=True))
    made["aws_ecs_service"] = Made(f"{p}-svc", service["serviceArn"])
    eks = client("eks")
    eks_cluster = eks.create_cluster(name=f"{p}-eks", roleArn=role["Arn"], tags=tags_map,
                                     resourcesVpcConfig={"subnetIds": [subnet["SubnetId"]]})["cluster"]
    undo.append(lambda: eks.delete_cluster(name=f"{p}-eks"))
    made["aws_eks_cluster"] = Made(f"{p}-eks", eks_cluster["arn"])
    elb = client("elbv2")
    subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.2.0/24", AvailabilityZone=f"{region}b")["Subnet"]["SubnetId"]
    undo.append(lambda: ec2.delete_subnet(SubnetId=subnet_b))
    made[HELPER + "aws_subnet"] = Made(subnet_b, f"arn:aws:ec2:{region}:{account}:subnet/{subnet_b}")
    lb = elb.create_load_balancer(Name=f"{p}-lb", Subnets=[subnet["SubnetId"], subnet_b], Tags=tags_kv)["LoadBalancers"][0]
    undo.append(lambda: elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"]))
    made["aws_lb"] = Made(f"{p}-lb", lb["LoadBalancerArn"])
    tg = elb.create_target_group(Name=f"{p}-tg", Protocol="HTTP", Port=80, VpcId=vpc, Tags=tags_kv)["TargetGroups"][0]
    undo.append(lambda: elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"]))
    made["aws_lb_target_group"] = Made(f"{p}-tg", tg["TargetGroupArn"])
    apigw = client("apigateway")
    rest = apigw.create_rest_api(name=f"{p}-rest", tags=tags_map)
    undo.append(lambda: apigw.delete_rest_api(restApiId=rest["id"]))
    made["aws_api_gateway_rest_api"] = Made(f"{p}-rest", f"arn:aws:apigateway:{region}::/restapis/{rest['id']}")
    apigw2 = client("apigatewayv2")
    http_api = apigw2.create_api(Name=f"{p}-http", ProtocolType="HTTP", Tags=tags_map)
    undo.append(lambda: apigw2.delete_api(ApiId=http_api["ApiId"]))
    made["aws_apigatewayv2_api"] = Made(f"{p}-http", f"arn:aws:apigateway:{region}::/apis/{http_api['ApiId']}")
    sfn = client("stepfunctions")
    machine = sfn.create_state_machine(name=f"{p}-flow", roleArn=role["Arn"], tags=tags_lower, definition=json.dumps(
        {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}))["stateMachineArn"]
    undo.append(lambda: sfn.delete_state_machine(stateMachineArn=machine))
    made["aws_sfn_state_machine"] = Made(f"{p}-flow", machine)
    events = client("events")
    bus = events.create_event_bus(Name=f"{p}-bus", Tags=tags_kv)["EventBusArn"]
    undo.append(lambda: events.delete_event_bus(Name=f"{p}-bus"))
    made["aws_cloudwatch_event_bus"] = Made(f"{p}-bus", bus)
    rule = events.put_rule(Name=f"{p}-rule", ScheduleExpression="rate(1 day)", Tags=tags_kv)["RuleArn"]
    undo.append(lambda: events.delete_rule(Name=f"{p}-rule"))
    made["aws_cloudwatch_event_rule"] = Made(f"{p}-rule", rule)

    # --- the rest of the table ---
    trail_bucket = f"{p}-trail-logs"
    s3.create_bucket(Bucket=trail_bucket)
    undo.append(lambda: s3.delete_bucket(Bucket=trail_bucket))
    made[HELPER + "aws_s3_bucket"] = Made(trail_bucket, f"arn:aws:s3:::{trail_bucket}")
    ct = client("cloudtrail")
    trail = ct.create_trail(Name=f"{p}-trail", S3BucketName=trail_bucket, TagsList=tags_kv)
    undo.append(lambda: ct.delete_trail(Name=f"{p}-trail"))
    made["aws_cloudtrail"] = Made(f"{p}-trail", trail["TrailARN"])
    kinesis = client("kinesis")
    kinesis.create_stream(StreamName=f"{p}-stream", ShardCount=1)
    kinesis.add_tags_to_stream(StreamName=f"{p}-stream", Tags=tags_map)
    undo.append(lambda: kinesis.delete_stream(StreamName=f"{p}-stream"))
    stream = kinesis.describe_stream_summary(StreamName=f"{p}-stream")["StreamDescriptionSummary"]["StreamARN"]
    made["aws_kinesis_stream"] = Made(f"{p}-stream", stream)
    efs = client("efs")
    fs = efs.create_file_system(CreationToken=p, Tags=tags_kv)
    undo.append(lambda: efs.delete_file_system(FileSystemId=fs["FileSystemId"]))
    made["aws_efs_file_system"] = Made(fs["FileSystemId"], fs["FileSystemArn"])
    acm = client("acm")
    cert = acm.request_certificate(DomainName=f"{p}.example.org", Tags=tags_kv)["CertificateArn"]
    undo.append(lambda: acm.delete_certificate(CertificateArn=cert))
    made["aws_acm_certificate"] = Made(cert.rsplit("/", 1)[-1], cert)
    cloudfront = client("cloudfront")
    dist = cloudfront.create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": {
            "CallerReference": p, "Comment": p, "Enabled": False,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": f"{bucket}.s3.amazonaws.com",
                                                  "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                     "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}},
        },
        "Tags": {"Items": tags_kv},
    })
    dist_id, etag = dist["Distribution"]["Id"], dist["ETag"]
    undo.append(lambda: cloudfront.delete_distribution(Id=dist_id, IfMatch=etag))
    made["aws_cloudfront_distribution"] = Made(dist_id, dist["Distribution"]["ARN"])
