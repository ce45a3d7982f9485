"""Import blocks for any type, written by the workspace's provider (ImportResourceState +
ReadResource, arguments from the schema), checked by real Terraform against moto.

Objects are made out of band with boto3; `driftdeck`'s planner writes an `import {}` block and a
resource block for each; one `terraform plan` over all of them must show every object imported
with no change at all, which is what `terraform plan -generate-config-out` promises and often
misses. Without a provider the planner falls back to its import tables and says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_test_support import terraform
from out_of_band import REGION, SECRET_VALUE, OutOfBand, make_objects
from provider_workspace import import_state, write_workspace

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.provider.session import ProviderSession
from driftdeck.core.model import ResourceResult, Status
from driftdeck.core.remediation import Direction, PlanOptions, build_plans
from driftdeck.core.remediation.plan import DirectionPlan, ResourcePlan
from driftdeck.tui.cli import main

pytestmark = [pytest.mark.slow]

MotoServer = Any
PROVIDER = "registry.terraform.io/hashicorp/aws 5.100.0"
IMPORT_ONLY = frozenset({Direction.IMPORT})
# hashicorp/aws 5.100 imports these arguments as null and plans their schema defaults over them.
STILL_CHANGED = {"aws_sns_topic_subscription": "confirmation_timeout_in_minutes, endpoint_auto_confirms"}


def _unmanaged(obj: OutOfBand) -> ResourceResult:
    return ResourceResult(address=None, type=obj.type, id=obj.import_id, status=Status.UNMANAGED, source=None,
                          region=REGION)


def _import_direction(plan: ResourcePlan) -> DirectionPlan:
    return next(d for d in plan.directions if d.direction == Direction.IMPORT)


def _plans(ws: Path, objects: list[OutOfBand], session: ProviderSession | None) -> list[ResourcePlan]:
    ctx = AwsContext()
    ctx.providers = session
    return build_plans([_unmanaged(o) for o in objects], PlanOptions(workspace=ws, directions=IMPORT_ONLY), ctx=ctx)


def test_generated_blocks_plan_as_imports_with_no_change(
    provider_env: MotoServer, tf_env: dict[str, str], session: ProviderSession, tmp_path: Path
) -> None:
    ws = write_workspace(tmp_path / "ws", provider_env.url)
    objects = make_objects(provider_env.url)
    plans = _plans(ws, objects, session)
    assert len(plans) == len(objects)
    variables: dict[str, str] = {}
    expected_actions: dict[str, list[str]] = {}
    for obj, plan in zip(objects, plans, strict=True):
        direction = _import_direction(plan)
        notes = " ".join(direction.notes)
        assert f"resource block written by {PROVIDER}" in notes, (obj.type, notes)
        (patch,) = direction.patches
        text = patch.patched
        assert SECRET_VALUE not in text and SECRET_VALUE not in patch.diff
        address = text.split("to = ", 1)[1].split("\n", 1)[0]
        if obj.type in STILL_CHANGED:
            # No configuration can match: the provider plans its defaults over the imported nulls.
            assert not direction.validated
            assert f"the provider still plans a change after the import for {STILL_CHANGED[obj.type]}" in notes
            expected_actions[address] = ["update"]
        else:
            assert direction.validated and "`terraform plan` shows no change" in notes, (obj.type, notes)
            expected_actions[address] = ["no-op"]
        if obj.secret is not None:
            (var,) = [line.split('"')[1] for line in text.splitlines() if line.startswith("variable ")]
            assert f"value = var.{var}" in " ".join(text.split())
            variables[f"TF_VAR_{var}"] = obj.secret
        (ws / patch.file).write_text(text)
    by_type = {o.type: _import_direction(p).patches[0].patched for o, p in zip(objects, plans, strict=True)}
    # JSON documents as jsonencode(...), nested blocks in block syntax, defaults left out.
    assert "assume_role_policy = jsonencode({" in by_type["aws_iam_role"]
    assert "policy = jsonencode({" in by_type["aws_iam_role_policy"]
    assert "\n  attribute {\n    name = \"pk\"" in by_type["aws_dynamodb_table"]
    assert "versioning" not in by_type["aws_s3_bucket"]  # deprecated block: left out, as Terraform's generator does
    assert "ingress = [" in by_type["aws_security_group"] and 'cidr_blocks      = ["10.0.0.0/8"]' in by_type["aws_security_group"]
    assert "max_session_duration" not in by_type["aws_iam_role"] and "path" not in by_type["aws_iam_role"]
    assert "visibility_timeout_seconds = 60" in by_type["aws_sqs_queue"]
    assert "message_retention_seconds" not in by_type["aws_sqs_queue"] and "max_message_size" not in by_type["aws_sqs_queue"]
    assert "tags_all" not in "".join(by_type.values())
    # two arguments the provider accepts only one of: the one it keeps by itself is left out
    assert 'availability_zone = "us-east-1a"' in " ".join(by_type["aws_subnet"].split())
    assert "availability_zone_id" not in by_type["aws_subnet"]

    env = {**tf_env, **variables}
    # laid out exactly as terraform fmt would (the generated files; main.tf is the fixture's)
    terraform(ws, env, "fmt", "-check", "-diff", *sorted(p.name for p in ws.glob("import_*.tf")))
    terraform(ws, env, "init")
    terraform(ws, env, "plan", "-out=tfplan")
    shown = json.loads(terraform(ws, env, "show", "-json", "tfplan"))
    changes = {c["address"]: c for c in shown.get("resource_changes", [])}
    # Terraform's verdict per object is the one the provider's plan gave driftdeck.
    assert {a: c["change"]["actions"] for a, c in changes.items()} == expected_actions
    assert all("importing" in c["change"] for c in changes.values())
    assert list(expected_actions.values()).count(["no-op"]) == len(objects) - 1


def test_a_live_value_the_provider_refuses_is_a_comment_and_the_plan_is_not_validated(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    """AWS's default maximum message size is now 1 MiB; provider 5.100 validates 1-256 KiB. Writing
    the live value would fail `terraform plan`; leaving it out silently would hide the change."""
    ws = write_workspace(tmp_path / "ws", provider_env.url)
    sqs = boto3.client("sqs", endpoint_url=provider_env.url, region_name=REGION)
    url = sqs.create_queue(QueueName="big-messages")["QueueUrl"]
    (plan,) = _plans(ws, [OutOfBand("aws_sqs_queue", url, "big")], session)
    direction = _import_direction(plan)
    text = direction.patches[0].patched
    assert "  # max_message_size = 1048576  # live value, refused by the provider: expected max_message_size" in text
    assert not direction.validated
    assert direction.unanswered == ["max_message_size"]
    notes = " ".join(direction.notes)
    assert "live max_message_size refused by the provider's validation" in notes
    assert "the provider still plans a change after the import for max_message_size" in notes


def test_without_a_provider_the_import_tables_decide_and_the_plan_says_so(
    provider_env: MotoServer, tmp_path: Path
) -> None:
    ws = write_workspace(tmp_path / "ws", provider_env.url)
    queue = next(o for o in make_objects(provider_env.url) if o.type == "aws_sqs_queue")
    (plan,) = _plans(ws, [queue], None)
    notes = " ".join(_import_direction(plan).notes)
    assert "resource block written from driftdeck's import tables (no provider session" in notes
    # A session whose provider binary cannot be found (no mirror, no .terraform): the tables again.
    with ProviderSession(env={"PATH": "/nonexistent", "TF_CLI_CONFIG_FILE": str(tmp_path / "none.tfrc")}) as empty:
        (plan,) = _plans(ws, [queue], empty)
    notes = " ".join(_import_direction(plan).notes)
    assert "resource block written from driftdeck's import tables (no provider:" in notes, notes


def test_an_id_the_provider_cannot_find_falls_back_with_the_providers_reason(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    ws = write_workspace(tmp_path / "ws", provider_env.url)
    gone = OutOfBand("aws_cloudwatch_log_group", "/never/created", "gone")
    (plan,) = _plans(ws, [gone], session)
    notes = " ".join(_import_direction(plan).notes)
    assert "import tables (the provider could not import it:" in notes, notes


# --- the front ends: `driftdeck plan` and the TUI's plan screen --------------------------------


def _managed_workspace(moto: MotoServer, session: ProviderSession, ws: Path) -> None:
    """A workspace managing one queue (state written through the provider, code to match)."""
    write_workspace(ws, moto.url)
    url = boto3.client("sqs", endpoint_url=moto.url, region_name=REGION).create_queue(QueueName="managed")["QueueUrl"]
    import_state(session, moto.url, [("aws_sqs_queue", "managed", url)], ws / "terraform.tfstate")
    (ws / "queues.tf").write_text('resource "aws_sqs_queue" "managed" {\n  name = "managed"\n}\n')


def test_driftdeck_plan_writes_import_blocks_with_the_provider(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))
    ws = tmp_path / "ws"
    _managed_workspace(provider_env, session, ws)
    sns = boto3.client("sns", endpoint_url=provider_env.url, region_name=REGION)
    topic = sns.create_topic(Name="stray-alerts", Attributes={"DisplayName": "Stray"})["TopicArn"]

    def import_plans(*extra: str) -> dict[str, dict[str, Any]]:
        assert main(["plan", "aws_sns_topic:*", "--direction", "import", "--format", "json", "--no-audit", *extra,
                     str(ws)]) == 0
        doc = json.loads(capsys.readouterr().out)
        return {r["id"]: r["directions"][0] for r in doc["resources"]}

    found = import_plans()[topic]
    assert any(f"resource block written by {PROVIDER}" in n for n in found["notes"]), found["notes"]
    assert found["validated"] is True
    assert 'display_name = "Stray"' in found["patch"] and "policy = jsonencode({" in found["patch"]
    native = import_plans("--reader", "native")[topic]
    assert any("import tables (no provider session for this plan)" in n for n in native["notes"])


def test_the_plan_screen_writes_the_import_block_with_the_apps_provider(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    import asyncio

    from textual.app import App

    from driftdeck.tui.screens.plan import open_plan_screen

    ws = write_workspace(tmp_path / "ws", provider_env.url)
    logs = boto3.client("logs", endpoint_url=provider_env.url, region_name=REGION)
    logs.create_log_group(logGroupName="/stray/app")
    logs.put_retention_policy(logGroupName="/stray/app", retentionInDays=30)
    stray = ResourceResult(address=None, type="aws_cloudwatch_log_group", id="/stray/app", status=Status.UNMANAGED,
                           source=None, region=REGION)
    # First the plan from the import tables (built in a worker, the UI never waits); the provider's block follows.
    first = build_plans([stray], PlanOptions(workspace=ws))
    assert any("import tables" in n for n in first[0].directions[0].notes)
    screen = open_plan_screen(stray, workspace=ws, read_only=True, providers=session)

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(screen)

    def provider_block_shown() -> bool:
        return any(f"resource block written by {PROVIDER}" in n for p in screen.plans for n in p.directions[0].notes)

    async def run() -> None:
        app = Host()
        async with app.run_test() as pilot:
            for _ in range(1200):  # a state to reach (the live read's plan), not a time to assert
                if provider_block_shown():
                    break
                await pilot.pause(0.05)

    asyncio.run(run())
    direction = screen.plans[0].directions[0]
    assert any(f"resource block written by {PROVIDER}" in n for n in direction.notes), direction.notes
    assert "retention_in_days = 30" in direction.patch_text


def test_an_object_in_another_region_than_the_code_says_so(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    """Read where it lives (us-west-2), but the workspace's default provider is in us-east-1: the
    block is written, not called validated, and the note says what to add."""
    ws = write_workspace(tmp_path / "ws", provider_env.url)
    boto3.client("logs", endpoint_url=provider_env.url, region_name="us-west-2").create_log_group(logGroupName="/west/app")
    stray = ResourceResult(address=None, type="aws_cloudwatch_log_group", id="/west/app", status=Status.UNMANAGED,
                           source=None, region="us-west-2")
    ctx = AwsContext()
    ctx.providers = session
    (plan,) = build_plans([stray], PlanOptions(workspace=ws, directions=IMPORT_ONLY), ctx=ctx)
    direction = _import_direction(plan)
    notes = " ".join(direction.notes)
    assert f"resource block written by {PROVIDER}" in notes
    assert 'name = "/west/app"' in direction.patches[0].patched
    assert "the object is in us-west-2 but the workspace's default aws provider is in us-east-1" in notes
    assert not direction.validated
