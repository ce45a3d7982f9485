"""Scans that read live state through the real hashicorp/aws provider, against moto.

Each test makes its objects with boto3, writes the state `terraform import` would (through the
provider itself), and scans the workspace: verdicts, the reader named per resource, and the
faults an operator meets (no provider binary, a configuration the provider rejects, access
denied, throttling, a provider that dies mid-scan).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_test_support import FaultProxy, operation
from provider_workspace import import_state, write_workspace

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.provider.session import ProviderSession
from driftdeck.core.model import ScanReport, Status
from driftdeck.core.scan.run import ProviderUnusableError, ScanOptions, run_scan
from driftdeck.tui.cli import main

MotoServer = Any  # tests/conftest.py's server: .url, .reset()

pytestmark = [pytest.mark.slow]


def client(moto: MotoServer, service: str) -> Any:
    return boto3.client(service, endpoint_url=moto.url, region_name="us-east-1")


def make_estate(moto: MotoServer, session: ProviderSession, ws: Path, endpoint: str | None = None) -> dict[str, str]:
    """A queue (native collector), a log group and a DynamoDB table (provider only)."""
    queue = client(moto, "sqs").create_queue(QueueName="orders", tags={"Env": "prod"})["QueueUrl"]
    client(moto, "logs").create_log_group(logGroupName="/app/orders")
    client(moto, "logs").put_retention_policy(logGroupName="/app/orders", retentionInDays=7)
    client(moto, "dynamodb").create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], Tags=[{"Key": "Team", "Value": "core"}],
    )
    write_workspace(ws, endpoint or moto.url)
    import_state(session, moto.url, [
        ("aws_sqs_queue", "orders", queue),
        ("aws_cloudwatch_log_group", "orders", "/app/orders"),
        ("aws_dynamodb_table", "orders", "orders"),
    ], ws / "terraform.tfstate")
    return {"queue": queue}


def scan(ws: Path, session: ProviderSession | None = None, reader: str = "auto") -> ScanReport:
    # The workspace code holds only the provider block: its resources would all be "pending" removal.
    options = ScanOptions(path=ws, reader=reader, providers=session, detect_unmanaged=False, evaluate_code=False)
    return run_scan(options, ctx=AwsContext())


def by_address(report: ScanReport) -> dict[str, Any]:
    return {r.address: r for r in report.resources if r.address}


def test_types_without_a_native_collector_are_read_through_the_provider(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    """Clean: every resource in sync, each saying who read it. Then drift on a provider-read type
    is found with its path, and a deleted object is missing."""
    ws = tmp_path / "ws"
    make_estate(provider_env, session, ws)
    clean = by_address(scan(ws, session))
    assert {a: r.status for a, r in clean.items()} == {
        "aws_sqs_queue.orders": Status.IN_SYNC,
        "aws_cloudwatch_log_group.orders": Status.IN_SYNC,
        "aws_dynamodb_table.orders": Status.IN_SYNC,
    }
    assert clean["aws_sqs_queue.orders"].reader == "native"
    assert clean["aws_cloudwatch_log_group.orders"].reader == "provider"
    assert clean["aws_dynamodb_table.orders"].provider == "registry.terraform.io/hashicorp/aws 5.100.0"
    assert clean["aws_dynamodb_table.orders"].to_json()["reader"] == "provider"

    client(provider_env, "logs").put_retention_policy(logGroupName="/app/orders", retentionInDays=30)
    table_arn = client(provider_env, "dynamodb").describe_table(TableName="orders")["Table"]["TableArn"]
    client(provider_env, "dynamodb").tag_resource(ResourceArn=table_arn, Tags=[{"Key": "Team", "Value": "mallory"}])
    drifted = by_address(scan(ws, session))
    log_group = drifted["aws_cloudwatch_log_group.orders"]
    assert log_group.status is Status.CHANGED
    assert [(d.path, d.expected, d.actual) for d in log_group.differences] == [("retention_in_days", 7, 30)]
    assert {d.path for d in drifted["aws_dynamodb_table.orders"].differences} == {"tags.Team", "tags_all.Team"}

    client(provider_env, "logs").delete_log_group(logGroupName="/app/orders")
    gone = by_address(scan(ws, session))["aws_cloudwatch_log_group.orders"]
    assert gone.status is Status.MISSING and gone.reader == "provider"


def test_reader_modes_choose_who_reads(provider_env: MotoServer, session: ProviderSession, tmp_path: Path) -> None:
    """`provider` reads native types too; `native` leaves provider-only types unsupported."""
    ws = tmp_path / "ws"
    make_estate(provider_env, session, ws)
    through_provider = by_address(scan(ws, session, reader="provider"))
    assert {r.reader for r in through_provider.values()} == {"provider"}
    assert {r.status for r in through_provider.values()} == {Status.IN_SYNC}
    native = by_address(scan(ws, None, reader="native"))
    assert native["aws_sqs_queue.orders"].status is Status.IN_SYNC
    assert native["aws_cloudwatch_log_group.orders"].status is Status.UNKNOWN
    assert "unsupported resource type" in (native["aws_cloudwatch_log_group.orders"].reason or "")


def test_one_provider_process_serves_every_poll_of_a_session(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    make_estate(provider_env, session, ws)
    scan(ws, session)
    pids = {p.client.process.pid for p in session.in_use()}
    scan(ws, session)
    scan(ws, session)
    assert {p.client.process.pid for p in session.in_use()} == pids
    assert all(p.client.process.alive() for p in session.in_use())


def test_without_a_provider_binary_provider_types_are_unknown_and_native_types_still_checked(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    make_estate(provider_env, session, ws)
    empty = tmp_path / "empty.tfrc"
    empty.write_text("")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(empty))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with ProviderSession() as fresh:
        results = by_address(scan(ws, fresh))
    assert results["aws_sqs_queue.orders"].status is Status.IN_SYNC
    for address in ("aws_cloudwatch_log_group.orders", "aws_dynamodb_table.orders"):
        reason = results[address].reason or ""
        assert results[address].status is Status.UNKNOWN
        assert "provider hashicorp/aws" in reason and "not found" in reason and "terraform init" in reason


def test_a_configuration_the_provider_rejects_stops_the_scan_with_one_line(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing could be read: exit 2 and the provider's own complaint, not a page of unknowns."""
    ws = tmp_path / "ws"
    client(provider_env, "logs").create_log_group(logGroupName="/app/only")
    write_workspace(ws, provider_env.url)
    import_state(session, provider_env.url, [("aws_cloudwatch_log_group", "only", "/app/only")], ws / "terraform.tfstate")
    (ws / "main.tf").write_text((ws / "main.tf").read_text().replace('"us-east-1"', '"mars-north-9"'))
    with pytest.raises(ProviderUnusableError, match="rejected its configuration"):
        scan(ws, session)
    assert main(["scan", str(ws), "--no-audit"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mars-north-9" in err[0]


def test_each_resource_is_read_by_its_own_provider_configuration(
    provider_env: MotoServer, session: ProviderSession, tmp_path: Path
) -> None:
    """Aliases come from the state's provider address and their arguments from the code; an
    aliased configuration whose region is known only after apply leaves its resources unknown."""
    ws = tmp_path / "ws"
    west = boto3.client("logs", endpoint_url=provider_env.url, region_name="us-west-2")
    west.create_log_group(logGroupName="/app/west")
    write_workspace(ws, provider_env.url)
    aliases = "\n".join(
        f'provider "aws" {{\n  alias = "{alias}"\n  region = {region}\n  access_key = "testing"\n'
        '  secret_key = "testing"\n  skip_credentials_validation = true\n'
        '  endpoints {\n    logs = var.endpoint\n    sts = var.endpoint\n  }\n}'
        for alias, region in (("west", '"us-west-2"'), ("later", "data.aws_ssm_parameter.region.value"))
    )
    (ws / "main.tf").write_text((ws / "main.tf").read_text() + aliases
                                + '\ndata "aws_ssm_parameter" "region" {\n  name = "/config/region"\n}\n')
    west_state = import_state(session, provider_env.url, [("aws_cloudwatch_log_group", "west", "/app/west")],
                              tmp_path / "west.json", region="us-west-2", alias="west")
    later = json.loads(json.dumps(west_state["resources"][0]))
    later["name"], later["provider"] = "later", later["provider"].replace(".west", ".later")
    west_state["resources"].append(later)
    (ws / "terraform.tfstate").write_text(json.dumps(west_state))
    results = by_address(scan(ws, session))
    assert results["aws_cloudwatch_log_group.west"].status is Status.IN_SYNC  # us-east-1 would say missing
    unknown = results["aws_cloudwatch_log_group.later"]
    assert unknown.status is Status.UNKNOWN
    assert "aws.later" in (unknown.reason or "") and "known only after apply" in (unknown.reason or "")


@pytest.fixture()
def proxy(provider_env: MotoServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(provider_env.url)
    fault_proxy.start()
    yield fault_proxy
    fault_proxy.stop()


def _logs_error(code: str, status: int) -> dict[str, Any]:
    return {"status": status, "body": f'{{"__type":"{code}","message":"injected"}}'.encode(),
            "headers": {"Content-Type": "application/x-amz-json-1.1"}}


@pytest.mark.parametrize(("code", "status", "expected"), [
    ("AccessDeniedException", 400, "access denied"),
    ("ThrottlingException", 400, "throttled past retries"),
])
def test_aws_errors_inside_the_provider_are_unknown_with_the_reason(
    provider_env: MotoServer, session: ProviderSession, proxy: FaultProxy, tmp_path: Path,
    code: str, status: int, expected: str,
) -> None:
    ws = tmp_path / "ws"
    make_estate(provider_env, session, ws, endpoint=proxy.url)
    # Few retries, as an operator would set for a quick answer; the error is the same after 25.
    (ws / "main.tf").write_text((ws / "main.tf").read_text().replace("skip_requesting_account_id  = false",
                                                                      "skip_requesting_account_id  = false\n  max_retries = 1"))
    proxy.add(operation("DescribeLogGroups"), **_logs_error(code, status))
    results = by_address(scan(ws, session))
    log_group = results["aws_cloudwatch_log_group.orders"]
    assert log_group.status is Status.UNKNOWN
    assert (log_group.reason or "").startswith(expected), log_group.reason
    assert results["aws_dynamodb_table.orders"].status is Status.IN_SYNC


def test_a_provider_killed_mid_scan_is_restarted_once(
    provider_env: MotoServer, session: ProviderSession, proxy: FaultProxy, tmp_path: Path
) -> None:
    """The read in flight is unknown; the rest of the session goes on with a restarted provider;
    a second crash is not restarted again."""
    ws = tmp_path / "ws"
    make_estate(provider_env, session, ws, endpoint=proxy.url)
    scan(ws, session)  # the workspace's provider is started and configured
    (started,) = [p for p in session.in_use() if "endpoints" in p.config and p.config["endpoints"][0]["logs"] == proxy.url]
    proxy.add(operation("DescribeLogGroups"), hang=True)
    reports: list[ScanReport] = []
    worker = threading.Thread(target=lambda: reports.append(scan(ws, session)))
    worker.start()
    assert _wait_until(lambda: proxy.seen["DescribeLogGroups"] >= 1), "the log group read never reached AWS"
    os.kill(started.client.process.pid or 0, signal.SIGKILL)
    worker.join(timeout=120)
    assert not worker.is_alive()
    in_flight = by_address(reports[0])["aws_cloudwatch_log_group.orders"]
    assert in_flight.status is Status.UNKNOWN and "provider crashed" in (in_flight.reason or "")

    proxy.faults.clear()
    proxy.release.set()
    after = scan(ws, session)
    assert {r.status for r in after.resources} == {Status.IN_SYNC}
    assert started.restarts == 1 and started.client.process.alive()
    assert any("restarted" in w for w in reports[0].warnings + after.warnings)

    os.kill(started.client.process.pid or 0, signal.SIGKILL)
    started.client.process._proc.wait(timeout=30)  # type: ignore[union-attr]
    again = by_address(scan(ws, session))
    assert again["aws_cloudwatch_log_group.orders"].status is Status.UNKNOWN
    assert again["aws_sqs_queue.orders"].status is Status.IN_SYNC  # native reads are unaffected


def _wait_until(condition: Any, deadline_s: float = 60.0) -> bool:
    done = threading.Event()
    for _ in range(int(deadline_s * 20)):
        if condition():
            return True
        done.wait(0.05)
    return bool(condition())
