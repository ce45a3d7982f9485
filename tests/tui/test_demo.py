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
from driftdeck.core.scan.run import run_scan
from driftdeck.tui.demo import STEPS, Actors, build_workspace, demo_scan_options


def _scan(ws: Path):  # type: ignore[no-untyped-def]
    return run_scan(demo_scan_options(ws), ctx=AwsContext())


@pytest.fixture
def acted(aws_env: object, tmp_path: Path) -> Path:
    """A demo workspace after every actor has acted (their CloudTrail records delivered)."""
    ws = build_workspace(tmp_path / "demo")
    actors = Actors(ws, start_after=0, every=0)
    actors.start().join(timeout=60)
    assert [s.actor for s in actors.done] == [s.actor for s in STEPS]
    return ws


def test_demo_estate_starts_in_sync(aws_env: object, tmp_path: Path) -> None:
    ws = build_workspace(tmp_path / "demo")
    assert (ws / "modules" / "network" / "main.tf").exists()
    first = _scan(ws)
    assert first.summary()["total"] >= 18
    assert {r.key: r.status for r in first.resources if r.status is not Status.IN_SYNC} == {}
    assert not any(r.attribution for r in first.resources)
    # The scan states from when CloudTrail was considered (information, not a problem); nothing else.
    assert [w for w in first.warnings if not w.startswith("attribution considered CloudTrail events since")] == []


def test_actors_cause_each_kind_of_drift_and_carols_edit_is_pending(acted: Path) -> None:
    after = {r.key: r for r in _scan(acted).resources}
    assert after["module.network.aws_security_group.web"].status is Status.CHANGED
    assert after["aws_s3_bucket.assets"].status is Status.CHANGED
    assert {d.path for d in after["aws_s3_bucket.assets"].differences} == {"tags.Env", "tags.DeployedBy"}
    assert after["module.queues.aws_sqs_queue.reports"].status is Status.MISSING
    assert after["aws_s3_bucket:acme-shadow-exports"].status is Status.UNMANAGED
    assert after["aws_s3_bucket_versioning.backups"].status is Status.CHANGED
    # carol's unapplied edit to the code beside the state: pending, positioned in the .tf file
    orders = after["module.queues.aws_sqs_queue.orders"]
    assert orders.status is Status.PENDING and orders.source is not None
    assert orders.source.file == str(acted / "modules" / "queues" / "main.tf") and orders.source.line == 13
    assert [(d.path, d.expected, d.actual, d.side) for d in orders.differences] == [
        ("visibility_timeout_seconds", 120, 60, "code")
    ]
    assert orders.attribution == []  # no cloud event explains a code edit


def test_carols_edit_alone_makes_the_queue_pending(aws_env: object, tmp_path: Path) -> None:
    ws = build_workspace(tmp_path / "demo")
    carol = next(s for s in STEPS if s.actor.startswith("carol"))
    assert carol.run(boto3.session.Session(), ws) == []  # a local edit leaves no CloudTrail record
    by_key = {r.key: r for r in _scan(ws).resources}
    queue = by_key["module.queues.aws_sqs_queue.orders"]
    assert queue.status is Status.PENDING and queue.reason == "code edited, not applied yet"
    assert [(d.path, d.expected, d.actual, d.side) for d in queue.differences] == [
        ("visibility_timeout_seconds", 120, 60, "code")
    ]
    assert [k for k, r in by_key.items() if r.status is not Status.IN_SYNC] == ["module.queues.aws_sqs_queue.orders"]


def test_the_real_attribution_engine_names_each_actor_from_the_demo_trail(acted: Path) -> None:
    files = sorted((acted / "cloudtrail").rglob("*.json.gz"))
    assert files and all("/AWSLogs/123456789012/CloudTrail/us-east-1/" in f.as_posix() for f in files)
    by_key = {r.key: r for r in _scan(acted).resources}

    def who(key: str) -> list[tuple[str, str, str, str, str | None]]:
        return [(a.actor, a.actor_type, a.via, a.event_name, a.attribute) for a in by_key[key].attribution
                if a.confidence == "exact"]

    assert who("module.network.aws_security_group.web") == [
        ("alice", "IAMUser", "console", "AuthorizeSecurityGroupIngress", "ingress")]
    assert who("aws_s3_bucket_versioning.backups") == [
        ("alice", "IAMUser", "console", "PutBucketVersioning", "versioning_configuration")]
    assert who("module.queues.aws_sqs_queue.reports") == [("bob", "IAMUser", "cli", "DeleteQueue", None)]
    assert who("aws_s3_bucket:acme-shadow-exports") == [("svc-export", "IAMUser", "sdk", "CreateBucket", None)]
    # The CI role's session is followed through its AssumeRole record to the CodeBuild workload.
    tagged = by_key["aws_s3_bucket.assets"].attribution
    assert {a.attribute for a in tagged} == {"tags"} and {a.confidence for a in tagged} == {"exact"}
    ci = tagged[0]
    assert ci.actor.startswith("ci-deployer/AWSCodeBuild-") and ci.actor_type == "AWSService"
    assert (ci.via, ci.event_name, ci.source_ip) == ("terraform", "PutBucketTagging", "34.228.4.12")
    assert ci.chain[-1].startswith("arn:aws:sts::123456789012:assumed-role/ci-deployer/AWSCodeBuild-")
    # nothing that did not drift is blamed on anyone
    assert [k for k, r in by_key.items() if r.attribution and not r.status.is_drift] == []


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
            if ("unmanaged" in text and "✗" in text and "changed" in text and "acme-shadow-exports" in text
                    and "pending" in text):
                break
            time.sleep(1)
        assert "driftdeck" in text
        assert "aws_security_group.web" in text
        assert "acme-shadow-exports" in text, text
        assert "missing" in text, text
        assert "1 pending" in text, text  # carol's unapplied .tf edit
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not done.exists():
            time.sleep(0.5)
        assert done.exists(), screen()
        assert done.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


# A plain install has no moto: `driftdeck demo` then says which extra to install (exit 2), before it
# creates anything. The child process hides moto from the import system to stand for that install.
HIDE_MOTO_AND_RUN_DEMO = """
import sys

class HideMoto:
    def find_spec(self, name, path=None, target=None):
        if name == "moto" or name.startswith("moto."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, HideMoto())
from driftdeck.tui.cli import main
sys.exit(main(["demo", "--no-audit", "--workspace", sys.argv[1]]))
"""


def test_demo_without_the_demo_extra_names_the_extra_and_exits_2(tmp_path: Path) -> None:
    workspace = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-c", HIDE_MOTO_AND_RUN_DEMO, str(workspace)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == ["driftdeck demo needs the demo extra: pip install 'driftdeck[demo]'"]
    assert done.stdout == ""
    assert not workspace.exists()
