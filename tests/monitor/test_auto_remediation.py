"""Auto-remediation against the moto server: a rule reverts a public-access-block change through the
tested revert and nothing else; rules without a tested revert, or whose revert would reach past
what they cover, only log; dry run changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from log_lines import Lines

from driftdeck.core.audit import AuditReader, verify_workspace
from driftdeck.core.aws import AwsContext
from driftdeck.core.monitor.alerts import Dispatcher, Sink
from driftdeck.core.monitor.auto_remediation import revert_remediator
from driftdeck.core.monitor.loop import MonitorLoop
from driftdeck.core.monitor.recorder import AuditRecorder
from driftdeck.core.scan.run import ScanOptions, run_scan
from driftdeck.core.settings import AutoRemediationRule, Config, SinkConfig

PAB = "aws_s3_bucket_public_access_block.data"
OPEN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::dd-data/*"}]})




def _loop(estate: Any, receiver: Any, rules: tuple[AutoRemediationRule, ...], log: Lines) -> MonitorLoop:
    config = Config(sinks=(SinkConfig(kind="webhook", name="ops", url=receiver.url, retries=0),), auto_remediation=rules)
    options = ScanOptions(path=estate.workspace, unmanaged_types=("aws_s3_bucket",))
    return MonitorLoop(scan=lambda: run_scan(options, ctx=AwsContext()), config=config,
                     dispatcher=Dispatcher([Sink(s) for s in config.sinks], rate_limit_seconds=0),
                     recorder=AuditRecorder(estate.workspace, heartbeat=False), log=log,
                     workspace=str(estate.workspace), remediate=revert_remediator(estate.workspace))


def _pab(estate: Any) -> dict[str, bool]:
    return dict(estate.client("s3").get_public_access_block(Bucket="dd-data")["PublicAccessBlockConfiguration"])


def _open_pab(estate: Any) -> None:
    estate.client("s3").put_public_access_block(Bucket="dd-data", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": False})


def test_rule_reverts_the_public_access_block_and_nothing_else(estate: Any, receiver: Any) -> None:
    rules = (AutoRemediationRule(name="not-this-bucket", type="aws_s3_bucket_public_access_block",
                                 tags=(("data", "restricted"),)),
             AutoRemediationRule(name="pab-restricted", type="aws_s3_bucket_public_access_block",
                                 tags=(("Team", "plat*"),)),  # the bucket's tags, from state
             AutoRemediationRule(name="bucket-policy", type="aws_s3_bucket", attribute="policy"))
    log = Lines()
    loop = _loop(estate, receiver, rules, log)
    assert loop.poll_once() == []  # baseline: all in sync
    _open_pab(estate)
    estate.client("sqs").set_queue_attributes(QueueUrl=estate.queue_url, Attributes={"VisibilityTimeout": "300"})
    estate.client("s3").put_bucket_policy(Bucket="dd-data", Policy=OPEN_POLICY)

    found = {t.key: t.kind.value for t in loop.poll_once()}
    assert found[PAB] == "drift.new" and found["aws_sqs_queue.dlq"] == "drift.new" and found["aws_s3_bucket.data"] == "drift.new"

    assert all(_pab(estate).values())  # reverted
    visibility = estate.client("sqs").get_queue_attributes(QueueUrl=estate.queue_url, AttributeNames=["VisibilityTimeout"])
    assert visibility["Attributes"]["VisibilityTimeout"] == "300"  # another resource: untouched
    assert json.loads(estate.client("s3").get_bucket_policy(Bucket="dd-data")["Policy"])["Statement"][0]["Sid"] == "Everyone"
    refused = log.events("auto_remediation.refused")
    assert [(r["rule"], r["resource"]) for r in refused] == [("bucket-policy", "aws_s3_bucket.data")]
    assert "no tested boto3 revert" in refused[0]["reason"]

    reader = AuditReader.for_workspace(estate.workspace)
    applied = [reader.get(e.seq) for e in reader.iter_entries(kinds={"remediation.applied", "remediation.failed"})]
    assert len(applied) == 1 and applied[0] is not None
    entry = applied[0]
    assert entry.kind == "remediation.applied" and entry.subject["address"] == PAB
    assert entry.data["rule"] == "pab-restricted" and entry.data["trigger"] == "auto_remediation"
    assert [c["operation"] for c in entry.data["calls"]] == ["put_public_access_block"]
    assert sorted(d["path"] for d in entry.before["differences"]) == ["block_public_acls", "restrict_public_buckets"]
    assert entry.after["status"] == "in_sync"
    assert ("remediation.applied", PAB) in receiver.events()
    alert = next(b for b in receiver.bodies() if b["event"] == "remediation.applied")
    assert alert["rule"] == "pab-restricted" and alert["after"] == "in_sync"
    delivered = [e.data["alert"] for e in reader.iter_entries(kinds={"alert.delivery"})]
    assert "remediation.applied" in delivered

    third = {t.key: t.kind.value for t in loop.poll_once()}
    assert third == {PAB: "drift.resolved"}  # the queue and the bucket policy stay drifted, unrepeated
    statuses = {r.key: r.status.value for r in loop.baseline or []}
    assert statuses["aws_sqs_queue.dlq"] == "changed" and statuses["aws_s3_bucket.data"] == "changed"
    loop.close()
    assert verify_workspace(estate.workspace).exit_code == 0


def test_rule_covering_part_of_the_block_is_refused_rather_than_widened(estate: Any, receiver: Any) -> None:
    rules = (AutoRemediationRule(name="acls-only", type="aws_s3_bucket_public_access_block", attribute="block_public_acls"),)
    log = Lines()
    loop = _loop(estate, receiver, rules, log)
    loop.poll_once()
    _open_pab(estate)
    loop.poll_once()
    loop.close()
    refused = log.events("auto_remediation.refused")
    assert [r["rule"] for r in refused] == ["acls-only"]
    assert "restrict_public_buckets" in refused[0]["reason"]
    assert _pab(estate)["BlockPublicAcls"] is False  # AWS left alone
    reader = AuditReader.for_workspace(estate.workspace)
    assert list(reader.iter_entries(kinds={"remediation.applied", "remediation.failed"})) == []


def test_cli_dry_run_reports_what_would_fire_and_changes_nothing(estate: Any) -> None:
    (estate.workspace / ".driftdeck").mkdir()
    (estate.workspace / ".driftdeck" / "config.toml").write_text(
        '[[auto_remediation]]\nname = "pab-restricted"\ntype = "aws_s3_bucket_public_access_block"\n')
    _open_pab(estate)

    def once() -> list[dict[str, Any]]:
        proc = subprocess.run([sys.executable, "-m", "driftdeck.tui.cli", "watch", str(estate.workspace), "--once",
                               "--dry-run", "--no-unmanaged"], env=dict(os.environ), capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        return [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]

    fired = [line for line in once() if line["event"] == "auto_remediation.would_fire"]
    assert [(f["rule"], f["resource"], f["reason"]) for f in fired] == [("pab-restricted", PAB, "dry run")]
    assert _pab(estate)["BlockPublicAcls"] is False
    kinds = {e.kind for e in AuditReader.for_workspace(estate.workspace).iter_entries()}
    assert "drift.detected" in kinds and "remediation.applied" not in kinds
    # The next cron run starts from what the audit log recorded: the same drift is not new.
    assert [line["event"] for line in once() if line["event"].startswith(("drift.", "auto_remediation."))] == []
