"""The discovery table over real ARN shapes: Terraform type, import id and human name from the ARN."""

from __future__ import annotations

import pytest

from driftdeck.core.live.discovery.table import DISCOVERABLE_TYPES, RULES, classify, parse_arn

ACCOUNT = "123456789012"

# (ARN as AWS writes it, Terraform type, import id `terraform import` takes, human name)
SHAPES = [
    (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-handler", "aws_lambda_function", "orders-handler", "orders-handler"),
    (f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders", "aws_dynamodb_table", "orders", "orders"),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", "aws_kms_key",
     "1234abcd-12ab-34cd-56ef-1234567890ab", "1234abcd-12ab-34cd-56ef-1234567890ab"),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/orders", "aws_kms_alias", "alias/orders", "alias/orders"),
    (f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/orders:*", "aws_cloudwatch_log_group",
     "/aws/lambda/orders", "/aws/lambda/orders"),
    (f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:plain", "aws_cloudwatch_log_group", "plain", "plain"),
    (f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/prod/db-host", "aws_ssm_parameter", "/app/prod/db-host",
     "/app/prod/db-host"),
    (f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/flat", "aws_ssm_parameter", "flat", "flat"),
    (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db-password-a1B2c3", "aws_secretsmanager_secret",
     f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db-password-a1B2c3", "prod/db-password"),
    (f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/team/api", "aws_ecr_repository", "team/api", "team/api"),
    ("arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ", "aws_route53_zone", "Z0123456789ABCDEFGHIJ",
     "Z0123456789ABCDEFGHIJ"),
    (f"arn:aws:rds:us-east-1:{ACCOUNT}:db:orders-db", "aws_db_instance", "orders-db", "orders-db"),
    (f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:orders-aurora", "aws_rds_cluster", "orders-aurora", "orders-aurora"),
    (f"arn:aws:rds:us-east-1:{ACCOUNT}:subgrp:orders-subnets", "aws_db_subnet_group", "orders-subnets", "orders-subnets"),
    (f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/prod", "aws_ecs_cluster", "prod", "prod"),
    (f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/prod/api", "aws_ecs_service", "prod/api", "api"),
    (f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/api:7", "aws_ecs_task_definition",
     f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/api:7", "api:7"),
    (f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/platform", "aws_eks_cluster", "platform", "platform"),
    (f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/web/50dc6c495c0c9188", "aws_lb",
     f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/web/50dc6c495c0c9188", "web"),
    (f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/net/edge/1a2b3c4d5e6f7a8b", "aws_lb",
     f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/net/edge/1a2b3c4d5e6f7a8b", "edge"),
    (f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/web-tg/73e2d6bc24d8a067", "aws_lb_target_group",
     f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/web-tg/73e2d6bc24d8a067", "web-tg"),
    (f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2QWRUHAPOMQZL", "aws_cloudfront_distribution",
     "E2QWRUHAPOMQZL", "E2QWRUHAPOMQZL"),
    ("arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5", "aws_api_gateway_rest_api", "a1b2c3d4e5", "a1b2c3d4e5"),
    ("arn:aws:apigateway:us-east-1::/apis/k2l3m4n5", "aws_apigatewayv2_api", "k2l3m4n5", "k2l3m4n5"),
    (f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:order-flow", "aws_sfn_state_machine",
     f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:order-flow", "order-flow"),
    (f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly", "aws_cloudwatch_event_rule", "nightly", "nightly"),
    (f"arn:aws:events:us-east-1:{ACCOUNT}:rule/orders-bus/on-order", "aws_cloudwatch_event_rule",
     "orders-bus/on-order", "on-order"),
    (f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-trail", "aws_cloudtrail", "org-trail", "org-trail"),
    ("arn:aws:s3:::orders-bucket", "aws_s3_bucket", "orders-bucket", "orders-bucket"),
    (f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders.fifo", "aws_sqs_queue",
     f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/orders.fifo", "orders.fifo"),
    (f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts", "aws_sns_topic", f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts", "alerts"),
    (f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts:0b3c5e6f-1a2b-4c3d-8e9f-123456789abc", "aws_sns_topic_subscription",
     f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts:0b3c5e6f-1a2b-4c3d-8e9f-123456789abc",
     "alerts:0b3c5e6f-1a2b-4c3d-8e9f-123456789abc"),
    (f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/vpc-0a1b2c3d4e5f67890", "aws_vpc", "vpc-0a1b2c3d4e5f67890", "vpc-0a1b2c3d4e5f67890"),
    (f"arn:aws:ec2:us-east-1:{ACCOUNT}:elastic-ip/eipalloc-0a1b2c3d", "aws_eip", "eipalloc-0a1b2c3d", "eipalloc-0a1b2c3d"),
    (f"arn:aws:iam::{ACCOUNT}:role/service/app-runner", "aws_iam_role", "app-runner", "app-runner"),
    (f"arn:aws:iam::{ACCOUNT}:group/teams/devs", "aws_iam_group", "devs", "devs"),
    (f"arn:aws:iam::{ACCOUNT}:policy/read-only", "aws_iam_policy", f"arn:aws:iam::{ACCOUNT}:policy/read-only", "read-only"),
    (f"arn:aws-cn:lambda:cn-north-1:{ACCOUNT}:function:cn-fn", "aws_lambda_function", "cn-fn", "cn-fn"),
]


@pytest.mark.parametrize(("arn", "tf_type", "import_id", "name"), SHAPES, ids=[s[1] + ":" + s[3] for s in SHAPES])
def test_arn_gives_type_import_id_and_name(arn: str, tf_type: str, import_id: str, name: str) -> None:
    found = classify(arn)
    assert found is not None
    assert (found.terraform_type, found.import_id, found.name, found.arn) == (tf_type, import_id, name, arn)
    assert not found.aws_default


@pytest.mark.parametrize("arn", [
    f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-handler:3",  # a published version
    f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-handler:live",  # an alias
    f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders/stream/2024-01-01T00:00:00.000",
    f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders/index/by-customer",
    "arn:aws:s3:::orders-bucket/some/key.json",  # an object, not a bucket
    f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/old-format-service",  # no cluster to import by
    f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2",
    f"arn:aws:glue:us-east-1:{ACCOUNT}:database/analytics",  # no row for this service
    "not-an-arn",
    "arn:aws::us-east-1:1:x",
])
def test_arns_the_table_does_not_import_alone(arn: str) -> None:
    assert classify(arn) is None


@pytest.mark.parametrize("arn", [
    f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/s3",
    f"arn:aws:rds:us-east-1:{ACCOUNT}:pg:default.postgres16",
    f"arn:aws:rds:us-east-1:{ACCOUNT}:subgrp:default",
    f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default",
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS",
])
def test_objects_aws_creates_itself_are_marked_default(arn: str) -> None:
    found = classify(arn)
    assert found is not None and found.aws_default


def test_a_name_from_the_listing_wins_over_the_arns() -> None:
    found = classify("arn:aws:route53:::hostedzone/Z0123", name="example.org")
    assert found is not None and (found.import_id, found.name) == ("Z0123", "example.org")


def test_arn_parts() -> None:
    arn = parse_arn(f"arn:aws:iam::{ACCOUNT}:role/a/b/c")
    assert arn is not None
    assert (arn.partition, arn.service, arn.region, arn.account, arn.resource_type, arn.rest, arn.last) == (
        "aws", "iam", "", ACCOUNT, "role", "a/b/c", "c")


def test_the_table_covers_the_common_types_of_the_issue() -> None:
    common = {
        "aws_lambda_function", "aws_dynamodb_table", "aws_kms_key", "aws_cloudwatch_log_group", "aws_ssm_parameter",
        "aws_secretsmanager_secret", "aws_ecr_repository", "aws_route53_zone", "aws_db_instance", "aws_ecs_cluster",
        "aws_eks_cluster", "aws_lb", "aws_cloudfront_distribution", "aws_api_gateway_rest_api", "aws_sfn_state_machine",
        "aws_cloudwatch_event_rule",
    }
    assert common <= DISCOVERABLE_TYPES
    assert len({(r.service, r.arn_type) for r in RULES}) == len(RULES)  # one row per ARN kind
