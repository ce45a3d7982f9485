"""`driftdeck audit ...` end to end through the real argument parser."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

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


def test_unpinned_key_is_cannot_verify_with_a_hint(kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    kit.build(2)
    kit.config.trust_file().unlink()  # nothing pinned on this machine
    ws = str(kit.workspace)
    assert run("audit", "verify", ws) == 3
    out = capsys.readouterr().out
    genesis_key = json.loads(kit.segment().read_bytes().split(b"\n")[0])["data"]["key"]
    assert "--trusted-key" in out and str(kit.config.trust_file()) in out and genesis_key in out
    assert run("audit", "verify", ws, "--trusted-key", genesis_key) == 0


def test_notes_signed_by_a_key_other_than_the_pinned_ones_stay_unknown_key(
        kit: LogKit, capsys: pytest.CaptureFixture[str]) -> None:
    from driftdeck.core.audit.signing_key import create_signer

    kit.build(2)
    other = create_signer(kit.root / "other-key")
    kit.config.trust_file().write_text(other.verifier.encode() + "\n")  # only another key is pinned
    assert run("audit", "verify", str(kit.workspace)) == 2
    out = capsys.readouterr().out
    assert "UNKNOWN_KEY" in out and "--trusted-key" in out and str(kit.config.trust_file()) in out


def test_verify_help_says_where_keys_and_pins_live(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run("audit", "verify", "--help")
    out = capsys.readouterr().out
    for text in ("audit-signing-key", "audit-trusted-keys", "DRIFTDECK_AUDIT_KEY", "audit.toml", "--trusted-key",
                 "audit-witness.json"):
        assert text in out, text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_demo_log_verifies_with_the_default_key_location(tmp_path: Path) -> None:
    """`driftdeck demo --workspace W`, then `driftdeck audit verify W` with no options: same default
    config dir (here $XDG_CONFIG_HOME/driftdeck), so the demo's key is the pinned one."""
    import os
    import subprocess
    import sys
    import time

    session = f"driftdeck-audit-demo-{os.getpid()}"
    done = tmp_path / "exit-code"
    exe = Path(sys.executable).parent / "driftdeck"
    xdg = tmp_path / "xdg"
    env = (f"env -u COLUMNS -u LINES -u DRIFTDECK_CONFIG_DIR -u DRIFTDECK_AUDIT_KEY XDG_CONFIG_HOME={xdg} "
           "TERM=xterm-256color AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null")
    workspace = tmp_path / "ws"
    command = f"{env} {exe} demo --workspace {workspace} --start-after 1 --step 1 --interval 2 --no-watch; echo $? > {done}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "170", "-y", "50", command], check=True)
    try:
        deadline = time.monotonic() + 120
        text = ""
        while time.monotonic() < deadline and "aws_security_group.web" not in text:
            text = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
            time.sleep(1)
        assert "aws_security_group.web" in text, text
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not done.exists():
            time.sleep(0.5)
        assert done.exists() and done.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
    clean = {k: v for k, v in os.environ.items() if k not in ("DRIFTDECK_CONFIG_DIR", "DRIFTDECK_AUDIT_KEY")}
    verified = subprocess.run([str(exe), "audit", "verify", str(workspace)], capture_output=True, text=True,
                              env={**clean, "XDG_CONFIG_HOME": str(xdg)}, timeout=300, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert (xdg / "driftdeck" / "audit-signing-key").is_file()
    assert not (workspace / ".driftdeck-demo-config").exists()
