"""Types driftdeck knows by identity only: found by ARN, read, planned and imported through the provider.

Each entry says how discovery recognises the type's ARN and how a person names its objects; every
other fact is the provider's, so it is marked unsupported with that reason.
"""

from __future__ import annotations

from driftdeck.core.resource_types.facts import (
    NO_BOTO3_REVERT,
    NO_CLOUDFORMATION,
    PROVIDER_PLANS,
    PROVIDER_READS,
    PROVIDER_WRITES,
    ArnRow,
    Identity,
    ResourceType,
    Unsupported,
)

_NO_ROWS = Unsupported("no CloudTrail rows: an event naming its ARN or id still re-reads it")
_NO_TAG_REVERT = Unsupported("no boto3 tag revert: the plan reverts its tags with terraform apply")

# Moves forward every few minutes on a running database.
_RESTORE_POINT = frozenset({"latest_restorable_time"})


def _by_arn(name: str, service: str, import_id: str, arn: ArnRow, natural_name: str | None = None,
            parent: str | None = None, volatile: frozenset[str] = frozenset()) -> ResourceType:
    return ResourceType(
        name=name, service=service, parent=parent, identity=Identity(import_id, natural_name, NO_CLOUDFORMATION),
        event_source=f"{arn.service}.amazonaws.com", events=_NO_ROWS, collector=PROVIDER_READS,
        force_new=PROVIDER_PLANS, replacement_cost=(), import_arguments=PROVIDER_WRITES,
        computed_when_unset=frozenset(), revert=NO_BOTO3_REVERT, tag_revert=_NO_TAG_REVERT, arn=arn,
        volatile_attributes=volatile,
    )


TYPES = (
    # messaging: an SNS subscription's ARN is its topic's plus ":ID" (discovery.table handles the clash)
    _by_arn("aws_sns_topic_subscription", "sns", "subscription ARN", ArnRow("sns", "", "sns_subscription"),
            parent="aws_sns_topic"),
    # compute, data
    _by_arn("aws_lambda_function", "lambda", "function name", ArnRow("lambda", "function", "plain"),
            "function_name"),
    _by_arn("aws_dynamodb_table", "dynamodb", "table name", ArnRow("dynamodb", "table", "dynamodb_table"), "name"),
    _by_arn("aws_kms_key", "kms", "key id", ArnRow("kms", "key", "plain")),
    _by_arn("aws_kms_alias", "kms", "alias name (alias/...)", ArnRow("kms", "alias", "kms_alias", "aws_managed_alias"),
            "name"),
    _by_arn("aws_cloudwatch_log_group", "logs", "log group name", ArnRow("logs", "log-group", "log_group"), "name"),
    _by_arn("aws_ssm_parameter", "ssm", "parameter name", ArnRow("ssm", "parameter", "ssm_parameter"), "name"),
    _by_arn("aws_secretsmanager_secret", "secretsmanager", "secret ARN", ArnRow("secretsmanager", "secret", "secret"),
            "name"),
    _by_arn("aws_ecr_repository", "ecr", "repository name", ArnRow("ecr", "repository", "plain_or_qualified"), "name"),
    _by_arn("aws_route53_zone", "route53", "hosted zone id", ArnRow("route53", "hostedzone", "plain")),
    _by_arn("aws_db_instance", "rds", "DB instance identifier", ArnRow("rds", "db", "plain"), "identifier",
            volatile=_RESTORE_POINT),
    _by_arn("aws_rds_cluster", "rds", "cluster identifier", ArnRow("rds", "cluster", "plain"),
            volatile=_RESTORE_POINT),
    _by_arn("aws_db_subnet_group", "rds", "subnet group name", ArnRow("rds", "subgrp", "plain", "named_default")),
    _by_arn("aws_db_parameter_group", "rds", "parameter group name", ArnRow("rds", "pg", "plain", "default_prefixed")),
    _by_arn("aws_ecs_cluster", "ecs", "cluster name", ArnRow("ecs", "cluster", "plain")),
    _by_arn("aws_ecs_service", "ecs", "cluster/service", ArnRow("ecs", "service", "ecs_service")),
    _by_arn("aws_ecs_task_definition", "ecs", "task definition ARN", ArnRow("ecs", "task-definition", "arn_rest")),
    _by_arn("aws_eks_cluster", "eks", "cluster name", ArnRow("eks", "cluster", "plain")),
    _by_arn("aws_lb", "elasticloadbalancing", "load balancer ARN",
            ArnRow("elasticloadbalancing", "loadbalancer", "load_balancer")),
    _by_arn("aws_lb_target_group", "elasticloadbalancing", "target group ARN",
            ArnRow("elasticloadbalancing", "targetgroup", "load_balancer")),
    _by_arn("aws_cloudfront_distribution", "cloudfront", "distribution id",
            ArnRow("cloudfront", "distribution", "plain")),
    _by_arn("aws_api_gateway_rest_api", "apigateway", "REST API id", ArnRow("apigateway", "restapis", "plain")),
    _by_arn("aws_apigatewayv2_api", "apigateway", "API id", ArnRow("apigateway", "apis", "plain")),
    _by_arn("aws_sfn_state_machine", "states", "state machine ARN", ArnRow("states", "stateMachine", "arn_rest")),
    _by_arn("aws_cloudwatch_event_rule", "events", "rule name (BUS/NAME off the default bus)",
            ArnRow("events", "rule", "event_rule")),
    _by_arn("aws_cloudwatch_event_bus", "events", "event bus name",
            ArnRow("events", "event-bus", "plain", "named_default")),
    _by_arn("aws_cloudtrail", "cloudtrail", "trail name", ArnRow("cloudtrail", "trail", "plain")),
    _by_arn("aws_kinesis_stream", "kinesis", "stream name", ArnRow("kinesis", "stream", "plain")),
    _by_arn("aws_efs_file_system", "elasticfilesystem", "file system id",
            ArnRow("elasticfilesystem", "file-system", "plain")),
    _by_arn("aws_acm_certificate", "acm", "certificate ARN", ArnRow("acm", "certificate", "arn_rest")),
    # network (EC2 ARNs: ec2:REGION:ACCOUNT:TYPE/ID)
    _by_arn("aws_internet_gateway", "ec2", "internet gateway id", ArnRow("ec2", "internet-gateway", "plain")),
    _by_arn("aws_route_table", "ec2", "route table id", ArnRow("ec2", "route-table", "plain")),
    _by_arn("aws_nat_gateway", "ec2", "NAT gateway id", ArnRow("ec2", "natgateway", "plain")),
    _by_arn("aws_network_acl", "ec2", "network ACL id", ArnRow("ec2", "network-acl", "plain")),
    _by_arn("aws_eip", "ec2", "allocation id", ArnRow("ec2", "elastic-ip", "plain")),
    _by_arn("aws_ebs_volume", "ec2", "volume id", ArnRow("ec2", "volume", "plain")),
    _by_arn("aws_launch_template", "ec2", "launch template id", ArnRow("ec2", "launch-template", "plain")),
    # IAM (global: no region in the ARN)
    _by_arn("aws_iam_instance_profile", "iam", "instance profile name", ArnRow("iam", "instance-profile", "path_last")),
)
