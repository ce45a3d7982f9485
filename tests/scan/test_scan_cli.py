"""`driftdeck scan` end to end through the command line: exit codes, JSON contract, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftdeck.tui.cli import main


def _write_state(path: Path, resources: list[dict]) -> None:
    path.write_text(json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": resources}))


LAMBDA = {
    "mode": "managed", "type": "aws_lambda_function", "name": "fn",
    "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
    "instances": [{"attributes": {"id": "fn", "arn": "arn:aws:lambda:us-east-1:123456789012:function:fn"}}],
}


def test_no_state_is_exit_2_saying_what_was_looked_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path), "--no-audit"]) == 2
    err = capsys.readouterr().err
    assert "*.tfstate" in err and 'backend "s3"' in err and str(tmp_path) in err


def test_missing_path_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "nope"), "--no-audit"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_broken_state_is_exit_2_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "terraform.tfstate").write_text('{"version": 4, "resources": [')
    assert main(["scan", str(tmp_path), "--no-audit"]) == 2
    assert str(tmp_path / "terraform.tfstate") in capsys.readouterr().err


def test_unsupported_type_is_unknown_and_exit_3_with_json_contract(aws_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_state(tmp_path / "terraform.tfstate", [LAMBDA])
    out = tmp_path / "report.json"
    code = main(["scan", str(tmp_path), "--format", "json", "--output", str(out), "--no-audit", "--reader", "native"])
    assert code == 3
    doc = json.loads(out.read_text())
    assert doc["schema"] == "driftdeck.scan/v1"
    assert set(doc) >= {"generated_at", "duration_ms", "sources", "summary", "resources"}
    assert doc["sources"][0]["kind"] == "terraform"
    (res,) = [r for r in doc["resources"] if r["address"] == "aws_lambda_function.fn"]
    assert res["status"] == "unknown" and "unsupported" in res["reason"]
    assert doc["summary"]["unknown"] >= 1 and doc["summary"]["coverage_pct"] < 100


def test_text_output_has_summary_line(aws_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_state(tmp_path / "terraform.tfstate", [LAMBDA])
    assert main(["scan", str(tmp_path), "--no-audit", "--reader", "native"]) == 3
    out = capsys.readouterr().out
    assert "UNKNOWN" in out and "aws_lambda_function.fn" in out and "coverage" in out
    assert "\x1b[" not in out  # not a terminal: no colour codes


def test_region_flag_alone_is_enough_for_global_services(aws_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    boto3.client("iam").create_user(UserName="ci")
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    _write_state(tmp_path / "terraform.tfstate", [
        {"mode": "managed", "type": "aws_iam_user", "name": "ci", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"id": "ci", "name": "ci", "path": "/"}}]}])
    out = tmp_path / "r.json"
    code = main(["scan", str(tmp_path), "--region", "us-east-1", "--no-audit", "--cloudformation", "off",
                 "--format", "json", "-o", str(out)])
    doc = json.loads(out.read_text())
    unknown = [r for r in doc["resources"] if r["status"] == "unknown"]
    assert unknown == [] and code == 0, unknown


def test_could_not_run_is_always_exit_2_and_cannot_verify_is_3(aws_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_state(tmp_path / "terraform.tfstate", [LAMBDA])
    base = ["scan", str(tmp_path), "--no-audit", "--cloudformation", "off"]
    assert main([*base, "-o", str(tmp_path / "no" / "such" / "dir" / "r.json")]) == 2
    assert "cannot write the report" in capsys.readouterr().err
    assert main([*base, "--ignore-file", str(tmp_path / "typo.driftignore")]) == 2
    assert "typo.driftignore" in capsys.readouterr().err
    assert main(["watch", str(tmp_path), "--once", "--no-audit", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err
    empty = tmp_path / "fresh"
    empty.mkdir()
    assert main(["audit", "verify", str(empty)]) == 3  # nothing to verify is not "tampered"
    assert "no audit log" in capsys.readouterr().err


def test_unreachable_aws_is_could_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from driftdeck.core.aws import AwsContext
    from driftdeck.core.scan.run import AwsUnreachableError, ScanOptions, run_scan

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    _write_state(tmp_path / "terraform.tfstate", [
        {"mode": "managed", "type": "aws_sqs_queue", "name": "q", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"id": "http://127.0.0.1/1/q", "name": "q"}}]}])
    with pytest.raises(AwsUnreachableError) as info:
        run_scan(ScanOptions(path=tmp_path, cloudformation="off"), ctx=AwsContext(max_attempts=1, connect_timeout=2))
    assert info.value.exit_code == 2 and str(info.value).startswith("cannot reach AWS at http://127.0.0.1:")
