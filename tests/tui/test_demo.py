"""`driftdeck demo`: the estate starts honestly in sync, the actors' changes show up as drift,
and the real command runs in a terminal (tmux) and quits cleanly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from driftdeck.core.aws import AwsContext
from driftdeck.core.model import Status
from driftdeck.core.scan import ScanOptions, run_scan
from driftdeck.tui.demo import STEPS, Actors, build_workspace

REPO = Path(__file__).resolve().parents[2]


def _scan(ws: Path):  # type: ignore[no-untyped-def]
    return run_scan(ScanOptions(path=ws, regions=("us-east-1",)), ctx=AwsContext())


def test_demo_estate_starts_in_sync_and_actors_cause_each_kind_of_drift(aws_env: object, tmp_path: Path) -> None:
    ws = build_workspace(tmp_path / "demo")
    assert (ws / "modules" / "network" / "main.tf").exists()
    first = _scan(ws)
    assert first.summary()["total"] >= 18
    assert {r.key: r.status for r in first.resources if r.status is not Status.IN_SYNC} == {}

    session = boto3.session.Session()
    for step in STEPS:
        step.run(session, ws)
    after = {r.key: r for r in _scan(ws).resources}
    assert after["module.network.aws_security_group.web"].status is Status.CHANGED
    assert after["aws_s3_bucket.assets"].status is Status.CHANGED
    assert {d.path for d in after["aws_s3_bucket.assets"].differences} == {"tags.Env", "tags.DeployedBy"}
    assert after["module.queues.aws_sqs_queue.reports"].status is Status.MISSING
    assert after["aws_s3_bucket:acme-shadow-exports"].status is Status.UNMANAGED
    assert after["aws_s3_bucket_versioning.backups"].status is Status.CHANGED
    assert "visibility_timeout_seconds = 120" in (ws / "modules" / "queues" / "main.tf").read_text()


def test_actor_attribution_is_attached_only_to_drifted_resources(aws_env: object, tmp_path: Path) -> None:
    ws = build_workspace(tmp_path / "demo")
    actors = Actors(ws, start_after=0, every=0, steps=STEPS[:2])
    actors.start().join(timeout=30)
    assert [s.actor for s in actors.done] == ["alice@acme.example", "ci-deployer"]
    report = actors.attribute(_scan(ws))
    by_key = {r.key: r for r in report.resources}
    web = by_key["module.network.aws_security_group.web"]
    assert [a.actor for a in web.attribution] == ["alice@acme.example"]
    assert web.attribution[0].event_name == "AuthorizeSecurityGroupIngress"
    assert by_key["aws_s3_bucket.logs"].attribution == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_driftdeck_demo_in_a_real_terminal(tmp_path: Path) -> None:
    session = f"driftdeck-e2e-{os.getpid()}"
    done = tmp_path / "exit-code"
    exe = Path(sys.executable).parent / "driftdeck"
    # COLUMNS/LINES from the test runner would override the tmux window size.
    env = (
        f"env -u COLUMNS -u LINES DRIFTDECK_CONFIG_DIR={tmp_path / 'config'} TERM=xterm-256color "
        f"AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null"
    )
    command = (
        f"{env} {exe} demo --workspace {tmp_path / 'ws'} --start-after 2 --step 1 --interval 2 --no-watch; "
        f"echo $? > {done}"
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "170", "-y", "50", command], check=True)

    def screen() -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

    try:
        text = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = screen()
            if "unmanaged" in text and "✗" in text and "changed" in text and "acme-shadow-exports" in text:
                break
            time.sleep(1)
        assert "driftdeck" in text
        assert "aws_security_group.web" in text
        assert "acme-shadow-exports" in text, text
        assert "missing" in text, text
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not done.exists():
            time.sleep(0.5)
        assert done.exists(), screen()
        assert done.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
