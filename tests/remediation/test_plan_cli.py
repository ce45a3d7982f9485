"""`driftdeck plan` against the moto server: files under .driftdeck/plans, stable names and hashes,
the remediation.planned audit event, import plans for unmanaged resources, exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import blake3
import boto3
import hcl2
import pytest
from remediation_support import queue_workspace

from driftdeck.tui.cli import main


@pytest.fixture()
def audit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(home))
    monkeypatch.delenv("DRIFTDECK_AUDIT_KEY", raising=False)
    return home


@pytest.mark.usefixtures("aws_env", "audit_home")
def test_plan_one_address_writes_markdown_patch_and_audit_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, url = queue_workspace(tmp_path / "ws")
    boto3.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "120"})

    assert main(["plan", "aws_sqs_queue.jobs", str(root)]) == 0
    out = capsys.readouterr().out
    md = root / ".driftdeck" / "plans" / "plan-aws_sqs_queue.jobs.md"
    patch = md.with_suffix(".patch")
    assert md.exists() and patch.exists()
    digest = blake3.blake3(md.read_bytes()).hexdigest()
    assert f"blake3: {digest}" in out
    text = md.read_text()
    assert "### revert:" in text and "### adopt:" in text
    assert "aws sqs set-queue-attributes" in text and "```diff" in text
    assert "+  visibility_timeout_seconds = 120" in patch.read_text()

    from driftdeck.core.audit import AuditReader

    entries = list(AuditReader.for_workspace(root).iter_entries(kinds={"remediation.planned"}))
    assert len(entries) == 1
    assert entries[0].data["blake3"] == digest
    assert entries[0].subject["address"] == "aws_sqs_queue.jobs"
    assert entries[0].data["drift"][0]["differences"][0]["path"] == "visibility_timeout_seconds"

    # same drift, same name and same hash
    assert main(["plan", "aws_sqs_queue.jobs", str(root), "--no-audit"]) == 0
    assert blake3.blake3(md.read_bytes()).hexdigest() == digest


@pytest.mark.usefixtures("aws_env", "audit_home")
def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, url = queue_workspace(tmp_path / "ws")
    assert main(["plan", "aws_sqs_queue.nope", str(root), "--no-audit"]) == 2
    assert "aws_sqs_queue.nope" in capsys.readouterr().err
    # in sync: nothing to plan for the requested resource
    assert main(["plan", "aws_sqs_queue.jobs", str(root), "--no-audit"]) == 1
    boto3.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "120"})
    # a direction that does not apply to a changed resource
    assert main(["plan", "aws_sqs_queue.jobs", "--direction", "import", str(root), "--no-audit"]) == 1
    assert main(["plan", "aws_sqs_*", "--direction", "adopt", str(root), "--no-audit"]) == 0
    capsys.readouterr()
    assert main(["plan", "aws_sqs_queue.jobs", "--format", "json", str(root), "--no-audit"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "driftdeck.plan/v1" and doc["audit_seq"] is None
    (queue,) = doc["resources"]
    assert queue["address"] == "aws_sqs_queue.jobs" and queue["status"] == "changed"
    revert, adopt = queue["directions"]
    assert revert["direction"] == "revert" and revert["safe_to_apply"] is True
    assert revert["aws_calls"][0]["params"]["Attributes"] == {"VisibilityTimeout": "30"}
    assert adopt["validated"] is True and "+  visibility_timeout_seconds = 120" in adopt["patch"]
    with pytest.raises(SystemExit) as exc:
        main(["plan", "--direction", "sideways", str(root)])
    assert exc.value.code == 2
    assert main(["plan", "--path", str(tmp_path / "absent"), "--no-audit"]) == 2


@pytest.mark.usefixtures("aws_env", "audit_home")
def test_unmanaged_queue_gets_an_import_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = queue_workspace(tmp_path / "ws")
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="hand-made", Attributes={"VisibilityTimeout": "45", "DelaySeconds": "3"},
                           tags={"Owner": "ops"})["QueueUrl"]
    assert main(["plan", "--direction", "import", str(root), "--no-audit"]) == 0
    out = capsys.readouterr().out
    patch_line = next(line for line in out.splitlines() if line.startswith("patch: "))
    patch = Path(patch_line.removeprefix("patch: ")).read_text()
    assert patch.startswith("--- /dev/null\n+++ b/import_hand_made.tf\n")
    body = "".join(line[1:] for line in patch.splitlines(keepends=True)[3:] if line.startswith("+"))
    doc = hcl2.loads(body)
    assert doc["import"][0]["to"] == "${aws_sqs_queue.hand_made}"
    assert doc["import"][0]["id"] == f'"{url}"'
    resource = doc["resource"][0]['"aws_sqs_queue"']['"hand_made"']
    assert resource["name"] == '"hand-made"'
    assert resource["visibility_timeout_seconds"] == 45 and resource["delay_seconds"] == 3
    assert resource["tags"] == {"Owner": '"ops"'}
    # moto's 1 MiB default is beyond what the provider accepts: shown as a comment, not written
    assert "max_message_size" not in resource
    assert "#   max_message_size" in patch or "# max_message_size" in patch
