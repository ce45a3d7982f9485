"""`driftdeck audit ...` end to end through the real argument parser."""

from __future__ import annotations

import argparse
import json

import boto3
import pytest
from audit_kit import LogKit

from driftdeck.tui.commands import audit as audit_command


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="driftdeck")
    audit_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return int(args.func(args))


def test_verify_log_show_export_and_bundle(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    log = kit.open()
    entry = log.append("config.changed", subject={"address": "aws_s3_bucket.a"}, data={"file": "ignore.yaml"},
                       before={"rules": ["a"]}, after={"rules": ["a", "b"]})
    log.close()
    ws = str(kit.workspace)
    assert run("audit", "verify", "-w", ws) == 0
    assert "VERIFIED" in capsys.readouterr().out
    assert run("audit", "verify", "-w", ws, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "verified" and report["unanchored_window"] == {"first_seq": 0, "last_seq": 4}
    assert run("audit", "verify", "-w", ws, "--hash-only") == 0
    capsys.readouterr()

    assert run("audit", "log", "-w", ws, "--kind", "config.changed") == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "config.changed" in out[0] and "aws_s3_bucket.a" in out[0]
    assert run("audit", "show", str(entry.seq), "-w", ws) == 0
    shown = capsys.readouterr().out
    assert '+    "b"' in shown and "config.changed" in shown

    bundle = kit.root / "evidence.tar.gz"
    assert run("audit", "export", "-w", ws, "-o", str(bundle)) == 0
    assert run("audit", "verify", "--bundle", str(bundle)) == 0
    assert "pinned" in capsys.readouterr().out

    # Tamper with the live log: verify says where and exits 2; the bundle still verifies.
    seg = sorted(kit.log_dir.glob("seg-*.jsonl"))[0]
    lines = seg.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"ignore.yaml", b"ignore.yml")
    seg.write_bytes(b"\n".join(lines))
    assert run("audit", "verify", "-w", ws, "--json") == 2
    report = json.loads(capsys.readouterr().out)
    assert report["findings"][0]["code"] == "EDITED" and report["findings"][0]["line"] == 3
    assert run("audit", "verify", "--bundle", str(bundle)) == 0


def test_bundle_with_an_unpinned_key_cannot_verify(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    kit.build(2)
    bundle = kit.root / "b.tar.gz"
    assert run("audit", "export", "-w", str(kit.workspace), "-o", str(bundle)) == 0
    (kit.config_dir / "audit-trusted-keys").unlink()
    assert run("audit", "verify", "--bundle", str(bundle)) == 3
    assert "NOT pinned" in capsys.readouterr().out


def test_recover_command_repairs_a_torn_tail(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    kit.build(3)
    with kit.segment().open("ab") as f:
        f.write(b'{"actor":{"half')
    assert run("audit", "verify", "-w", str(kit.workspace)) == 3
    assert "TORN_TAIL" in capsys.readouterr().out
    assert run("audit", "recover", "-w", str(kit.workspace)) == 0
    assert "audit.recovered" in capsys.readouterr().out
    assert run("audit", "verify", "-w", str(kit.workspace)) == 0


def test_no_log_cannot_be_verified(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    # Nothing to verify is exit 3 ("cannot verify"), never 2, which means "tampered".
    assert run("audit", "verify", "-w", str(kit.workspace)) == 3
    assert "no audit log" in capsys.readouterr().err


def test_verify_with_configured_anchor(kit: LogKit, aws_env, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    boto3.client("s3").create_bucket(Bucket="anchor", ObjectLockEnabledForBucket=True)
    kit.config_dir.mkdir(exist_ok=True)
    (kit.config_dir / "audit.toml").write_text('[anchor]\nbucket = "anchor"\nretention_days = 1\n')
    from driftdeck.core.audit import AuditConfig, AuditLog

    log = AuditLog.open(kit.workspace, config=AuditConfig.load())
    log.append("operator.note", data={"x": 1})
    log.close()
    assert run("audit", "verify", "-w", str(kit.workspace)) == 0
    assert "anchored through: 4" in capsys.readouterr().out
    (kit.config_dir / "audit.toml").write_text('[anchor]\nbucket = "gone"\n')
    assert run("audit", "verify", "-w", str(kit.workspace)) == 3
    assert "anchor unreachable" in capsys.readouterr().out
