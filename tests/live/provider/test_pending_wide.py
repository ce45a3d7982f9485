"""Pending edits on the wide estate, judged against Terraform itself.

A copy of the applied estate (code, state, provider cache) gets one code edit on nearly every
type: some apply in place, some force a new object. `terraform plan -refresh=false` (code against
state, exactly what "pending" means) says per resource what the next apply does; driftdeck's
provider-planned `code_plan` must say the same thing for every managed resource, edited or not,
including which paths force the replacement.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aws_test_support import terraform
from wide_estate import WideEstate

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.provider.session import ProviderSession
from driftdeck.core.model import ResourceResult, Status
from driftdeck.core.scan.run import ScanOptions, run_scan

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

# (the resource edited, the text in main.tf, its replacement). Two replacements reach other
# resources through references (subnet b → the DB subnet group; the security group → its rules
# and the instance), as `terraform plan` walks its graph.
EDITS: list[tuple[str, str, str]] = [
    ("aws_s3_bucket.data", 'tags   = { Env = "prod", Team = "platform" }', 'tags   = { Env = "staging", Team = "platform" }'),
    ("aws_s3_bucket_versioning.data", 'versioning_configuration { status = "Enabled" }',
     'versioning_configuration { status = "Suspended" }'),
    ("aws_s3_bucket_public_access_block.data", "block_public_acls       = true", "block_public_acls       = false"),
    ("aws_s3_bucket_policy.data", 'Sid       = "AllowAccountRead"', 'Sid       = "AllowRead"'),
    ("aws_s3_bucket_server_side_encryption_configuration.data", 'sse_algorithm = "AES256"', 'sse_algorithm = "aws:kms"'),
    ("aws_s3_bucket_lifecycle_configuration.data", "expiration { days = 30 }", "expiration { days = 45 }"),
    ("aws_vpc.main", 'tags       = { Name = "ddw-main" }', 'tags       = { Name = "ddw-main-2" }'),
    ("aws_subnet.b", 'cidr_block        = "10.40.2.0/24"', 'cidr_block        = "10.40.3.0/24"'),
    ("aws_internet_gateway.main", 'tags   = { Name = "ddw-igw" }', 'tags   = { Name = "ddw-igw-2" }'),
    ("aws_route_table.private", 'tags   = { Name = "ddw-private" }', 'tags   = { Name = "ddw-private-2" }'),
    ("aws_route_table_association.a", "route_table_id = aws_route_table.public.id",
     "route_table_id = aws_route_table.private.id"),
    ("aws_eip.web", 'tags   = { Name = "ddw-eip" }', 'tags   = { Name = "ddw-eip-2" }'),
    ("aws_security_group.web", 'description = "web tier"', 'description = "the web tier"'),
    ("aws_vpc_security_group_ingress_rule.https", 'description       = "https from anywhere"',
     'description       = "https from the world"'),
    ("aws_vpc_security_group_egress_rule.https", 'description       = "https out"', 'description       = "tls out"'),
    ("aws_instance.web", 'instance_type          = "t2.micro"', 'instance_type          = "t2.small"'),
    ("aws_iam_role.app", 'description          = "application role"', 'description          = "the application role"'),
    ("aws_iam_policy.read", 'Action   = ["s3:GetObject", "s3:ListBucket"]\n      Resource = "*"',
     'Action   = ["s3:GetObject"]\n      Resource = "*"'),
    ("aws_iam_role_policy.inline", 'Action   = ["sqs:SendMessage"]', 'Action   = ["sqs:SendMessage", "sqs:ReceiveMessage"]'),
    ("aws_iam_user.ci", 'path = "/bots/"\n  tags = { Team = "platform" }', 'path = "/bots/"\n  tags = { Team = "infra" }'),
    ("aws_iam_group.devs", 'path = "/teams/"', 'path = "/squads/"'),
    ("aws_iam_group_membership.devs", "users = [aws_iam_user.ci.name, aws_iam_user.ops.name]", "users = [aws_iam_user.ci.name]"),
    ("aws_sqs_queue.jobs", "visibility_timeout_seconds = 60", "visibility_timeout_seconds = 90"),
    ("aws_sns_topic.alerts", 'display_name = "Alerts"', 'display_name = "Alarms"'),
    ("aws_sns_topic_subscription.jobs", 'protocol  = "sqs"', 'protocol  = "sqs"\n  raw_message_delivery = true'),
    ("aws_lambda_function.handler", "timeout          = 10", "timeout          = 20"),
    ("aws_dynamodb_table.orders", 'name         = "ddw-orders"', 'name         = "ddw-orders-2"'),
    ("aws_kms_key.main", 'description             = "ddw main key"', 'description             = "ddw primary key"'),
    ("aws_kms_alias.main", "target_key_id = aws_kms_key.main.key_id", "target_key_id = aws_kms_key.other.key_id"),
    ("aws_cloudwatch_log_group.app", "retention_in_days = 14", "retention_in_days = 30"),
    ("aws_cloudwatch_log_group.spare", 'name = "/ddw/spare"', 'name = "/ddw/spare-2"'),
    ("aws_ssm_parameter.stage", 'value = "prod"', 'value = "staging"'),
    ("aws_secretsmanager_secret.db", 'description             = "database credentials"',
     'description             = "db credentials"'),
    ("aws_ecr_repository.app", 'image_tag_mutability = "MUTABLE"', 'image_tag_mutability = "IMMUTABLE"'),
    ("aws_ecr_repository.spare", 'name         = "ddw-spare"', 'name         = "ddw-spare-2"'),
    ("aws_route53_zone.main", 'comment = "wide estate zone"', 'comment = "the wide estate zone"'),
    ("aws_route53_record.www", "ttl     = 300", "ttl     = 60"),
    ("aws_db_subnet_group.main", 'description = "database subnets"\n  subnet_ids  = [aws_subnet.a.id, aws_subnet.b.id]\n  tags        = { Env = "prod" }',
     'description = "database subnets"\n  subnet_ids  = [aws_subnet.a.id, aws_subnet.b.id]\n  tags        = { Env = "dev" }'),
    ("aws_db_instance.main", "backup_retention_period = 7", "backup_retention_period = 14"),
]


def _terraform_action(actions: list[str]) -> str:
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    assert len(actions) == 1, actions
    return actions[0]


def _edited_copy(estate: WideEstate, dest: Path) -> Path:
    """The estate's directory (code, state, .terraform, lock file) copied, with every edit made."""
    shutil.copytree(estate.workdir, dest, symlinks=True)
    main = dest / "main.tf"
    text = main.read_text()
    for address, old, new in EDITS:
        assert text.count(old) == 1, f"edit for {address} does not match main.tf exactly once"
        text = text.replace(old, new)
    main.write_text(text)
    return dest


def _terraform_plan(workdir: Path, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """resource_changes of `terraform plan -refresh=false` (code against state), by address."""
    terraform(workdir, env, "plan", "-refresh=false", "-lock=false", "-out=pending.tfplan")
    shown = json.loads(terraform(workdir, env, "show", "-json", "pending.tfplan"))
    return {rc["address"]: rc for rc in shown.get("resource_changes") or [] if rc.get("mode") == "managed"}


@pytest.fixture(scope="module")
def pending_views(wide_estate: WideEstate, tmp_path_factory: pytest.TempPathFactory) -> tuple[
    dict[str, dict[str, Any]], dict[str, ResourceResult]
]:
    workdir = _edited_copy(wide_estate, tmp_path_factory.mktemp("pending") / "ws")
    by_terraform = _terraform_plan(workdir, wide_estate.tf_env)
    with ProviderSession(env=wide_estate.tf_env) as session:
        options = ScanOptions(path=workdir, reader="provider", providers=session, detect_unmanaged=False)
        report = run_scan(options, ctx=AwsContext(session=wide_estate.boto_session()))
    by_driftdeck = {r.address: r for r in report.resources if r.address}
    return by_terraform, by_driftdeck


def test_every_type_is_edited_and_terraform_plans_the_edits(
    wide_estate: WideEstate, pending_views: tuple[dict[str, dict[str, Any]], dict[str, ResourceResult]]
) -> None:
    by_terraform, _ = pending_views
    edited = {address for address, _, _ in EDITS}
    untouched_types = {t for t in wide_estate.types if t.startswith("aws_")} - {a.split(".")[0] for a in edited}
    # Only the attachment (both arguments force a new object, and they point at shared resources) is left alone.
    assert untouched_types <= {"aws_iam_role_policy_attachment"}
    actions = {a: _terraform_action(by_terraform[a]["change"]["actions"]) for a in edited}
    assert {a for a, action in actions.items() if action == "no-op"} == set()
    assert {a for a, action in actions.items() if action == "replace"} >= {
        "aws_dynamodb_table.orders", "aws_cloudwatch_log_group.spare", "aws_ecr_repository.spare",
        "aws_subnet.b", "aws_security_group.web",
    }


def test_driftdeck_plans_every_resource_as_terraform_does(
    pending_views: tuple[dict[str, dict[str, Any]], dict[str, ResourceResult]]
) -> None:
    by_terraform, by_driftdeck = pending_views
    assert set(by_driftdeck) >= set(by_terraform)
    mismatched = {}
    for address, change in sorted(by_terraform.items()):
        expected = _terraform_action(change["change"]["actions"])
        plan = by_driftdeck[address].code_plan
        got = plan.action if plan is not None else f"not planned ({by_driftdeck[address].reason})"
        if got != expected:
            mismatched[address] = (expected, got)
    assert mismatched == {}


def test_replacements_name_the_paths_terraform_names(
    pending_views: tuple[dict[str, dict[str, Any]], dict[str, ResourceResult]]
) -> None:
    by_terraform, by_driftdeck = pending_views
    for address, change in by_terraform.items():
        if _terraform_action(change["change"]["actions"]) != "replace":
            continue
        terraform_paths = {".".join(str(step) for step in path) for path in change["change"].get("replace_paths") or []}
        plan = by_driftdeck[address].code_plan
        assert plan is not None and set(plan.requires_replace) == terraform_paths, address


def test_edited_resources_are_pending_unless_live_drift_outranks_it(
    pending_views: tuple[dict[str, dict[str, Any]], dict[str, ResourceResult]]
) -> None:
    _, by_driftdeck = pending_views
    for address, _, _ in EDITS:
        res = by_driftdeck[address]
        assert res.status in (Status.PENDING, Status.CHANGED, Status.MISSING), (address, res.status, res.reason)
        if res.status is Status.PENDING:
            assert res.differences and all(d.side == "code" for d in res.differences), address
            assert "decided by registry.terraform.io/hashicorp/aws 5.100.0" in (res.reason or ""), address
