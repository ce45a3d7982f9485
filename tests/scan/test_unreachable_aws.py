"""Unreachable AWS is "could not run" (exit 2, one line naming the endpoint) in every front end,
never a page of `unknown` rows, a clean exit or "nothing drifted"."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from driftdeck.core.aws import AwsContext, AwsUnreachableError
from driftdeck.core.scan.run import ScanOptions, run_scan
from driftdeck.tui.cli import main

AWS = 'provider["registry.terraform.io/hashicorp/aws"]'
# A natively read type next to a type only the provider reads: the estate the issue was found on.
MIXED_ESTATE = [
    {"mode": "managed", "type": "aws_sqs_queue", "name": "q", "provider": AWS,
     "instances": [{"attributes": {"id": "http://127.0.0.1/123456789012/q", "name": "q"}}]},
    {"mode": "managed", "type": "aws_dynamodb_table", "name": "t", "provider": AWS,
     "instances": [{"attributes": {"id": "t", "name": "t", "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/t"}}]},
]


def _closed_port() -> int:
    with socket.socket() as s:  # bound, never listened on, closed: connections are refused
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"http://127.0.0.1:{_closed_port()}"
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    (tmp_path / "terraform.tfstate").write_text(json.dumps(
        {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": MIXED_ESTATE}))
    return url


def _one_error_line(err: str, url: str) -> None:
    # watch also writes its structured JSON log to stderr; every other line is for people.
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith('{"ts"')]
    assert lines == [f"driftdeck: error: cannot reach AWS at {url}: connection refused"], err


@pytest.mark.parametrize("command", [
    ["scan", "{path}", "--no-audit"],
    ["plan", "{path}"],
    ["watch", "{path}", "--once", "--no-audit", "--no-plans"],
])
def test_every_command_says_it_cannot_reach_aws_and_exits_2(
    command: list[str], unreachable: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [part.format(path=tmp_path) for part in command]
    assert main(argv) == 2
    captured = capsys.readouterr()
    _one_error_line(captured.err, unreachable)
    assert "nothing drifted" not in captured.out and '"drifted": 0' not in captured.out


def test_unreachable_is_found_before_any_read_retries(unreachable: str, tmp_path: Path) -> None:
    ctx = AwsContext()
    with pytest.raises(AwsUnreachableError) as info:
        run_scan(ScanOptions(path=tmp_path), ctx=ctx)
    assert info.value.exit_code == 2
    assert str(info.value) == f"cannot reach AWS at {unreachable}: connection refused"
    # The short probe decided it: no reader's client (with its adaptive retries) was ever made.
    assert ctx._clients == {}


def test_a_reachable_endpoint_scans_normally(aws_env, tmp_path: Path) -> None:
    (tmp_path / "terraform.tfstate").write_text(json.dumps(
        {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": MIXED_ESTATE[:1]}))
    report = run_scan(ScanOptions(path=tmp_path, cloudformation="off", reader="native"), ctx=AwsContext())
    (queue,) = [r for r in report.resources if r.address == "aws_sqs_queue.q"]
    assert queue.status.value == "missing"  # moto answered: the queue does not exist


def test_one_unreachable_service_behind_a_reachable_probe_is_still_could_not_run(
    aws_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", closed)  # STS (the probe) answers; every SQS call fails
    (tmp_path / "terraform.tfstate").write_text(json.dumps(
        {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": MIXED_ESTATE}))
    options = ScanOptions(path=tmp_path, cloudformation="off", reader="native", detect_unmanaged=False)
    with pytest.raises(AwsUnreachableError) as info:
        run_scan(options, ctx=AwsContext(max_attempts=1))
    assert str(info.value).startswith(f"cannot reach AWS at {closed}: ")


def test_a_broken_state_file_is_named_before_the_outage(unreachable: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "terraform.tfstate").write_text('{"version": 4, "resources": [')
    assert main(["scan", str(tmp_path), "--no-audit"]) == 2
    assert str(tmp_path / "terraform.tfstate") in capsys.readouterr().err
