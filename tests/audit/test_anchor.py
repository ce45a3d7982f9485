"""Rows D/E against a write-once anchor: S3 Object Lock (COMPLIANCE) on a moto server over HTTP."""

from __future__ import annotations

import datetime as dt
import shutil

import boto3
import pytest
from audit_kit import LogKit, edit, rechain

from driftdeck.core.audit.anchor import S3ObjectLockAnchor
from driftdeck.core.audit.hashing import entry_hash
from driftdeck.core.audit.log import origin_line
from driftdeck.core.audit.merkle import MerkleFrontier
from driftdeck.core.audit.signed_note import sign_checkpoint
from driftdeck.core.audit.signing_key import load_signer

BUCKET = "audit-anchor"
PREFIX = "driftdeck/test/"


@pytest.fixture()
def anchor(aws_env) -> S3ObjectLockAnchor:  # type: ignore[no-untyped-def]
    boto3.client("s3").create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    return S3ObjectLockAnchor(BUCKET, PREFIX, retention_days=1)


def test_checkpoints_are_anchored_under_compliance_lock(kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    kit.build(10, anchor=anchor)
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)["Contents"]]
    assert keys == [f"{PREFIX}000000000002.note", f"{PREFIX}000000000013.note"]
    head = s3.head_object(Bucket=BUCKET, Key=keys[-1])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > dt.datetime.now(dt.UTC)
    result = kit.verify(anchor=anchor)
    assert result.exit_code == 0, [str(f) for f in result.findings]
    assert result.anchored_through == 13 and result.unanchored_from is None


def test_tail_truncation_is_caught_by_the_anchor(kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    kit.build(10, anchor=anchor)
    kit.mutate(lambda L: L[:-4])
    (kit.log_dir / "checkpoints" / "000000000013.note").unlink()  # hide the local evidence too
    assert kit.verify().exit_code == 0  # locally consistent: only the anchor can tell
    result = kit.verify(anchor=anchor)
    assert result.exit_code == 2
    assert [(f.code, f.segment, f.line, f.seq, f.seq_end) for f in result.findings] == [
        ("TRUNCATED", "seg-000000000000.jsonl", 9, 9, 12)]


def test_restoring_an_older_copy_is_a_rollback(kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    kit.build(5, anchor=anchor)
    saved = kit.root / "saved"
    shutil.copytree(kit.log_dir, saved)
    kit.build(5, anchor=anchor)  # a second session, anchored
    shutil.rmtree(kit.log_dir)
    shutil.copytree(saved, kit.log_dir)
    assert kit.verify().exit_code == 0
    result = kit.verify(anchor=anchor)
    assert [(f.code, f.segment, f.line, f.seq, f.seq_end) for f in result.findings] == [
        ("ROLLED_BACK", "seg-000000000000.jsonl", 8, 8, 13)]


def test_rewrite_with_the_same_key_is_a_fork_against_the_anchor(kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    kit.build(10, anchor=anchor)
    # An attacker holding the signing key rewrites history and re-signs every local note.
    lines = kit.lines()
    lines[4] = edit(lines[4], data_i=777)
    lines = rechain(lines, 5)
    kit.write_lines(lines)
    signer = load_signer(kit.config.key_path())
    origin = kit.verify().origin or ""
    frontier = MerkleFrontier()
    for n, line in enumerate(lines, start=1):
        frontier.append(entry_hash(line))
        note = kit.log_dir / "checkpoints" / f"{n:012d}.note"
        if note.exists():
            note.write_bytes(sign_checkpoint(origin_line(origin), n, frontier.root(), [signer]))
    assert kit.verify().exit_code == 0  # locally perfect
    result = kit.verify(anchor=anchor)
    assert [(f.code, f.segment, f.line, f.seq) for f in result.findings] == [
        ("FORKED", "seg-000000000000.jsonl", 13, 12)]


def test_a_second_anchored_version_with_another_root_is_a_fork(kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    kit.build(10, anchor=anchor)
    signer = load_signer(kit.config.key_path())
    forged = sign_checkpoint(origin_line(kit.verify().origin or ""), 13, b"\x07" * 32, [signer])
    anchor.publish(13, forged)  # same key, new object version: the old locked version stays
    result = kit.verify(anchor=anchor)
    assert result.exit_code == 2
    assert (result.findings[0].code, result.findings[0].seq) == ("FORKED", 12)
    assert result.findings[0].segment.startswith(f"s3://{BUCKET}/{PREFIX}000000000013.note")


def test_anchor_unreachable_exits_3_and_the_log_keeps_working(kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    kit.build(3, anchor=anchor)
    dead = S3ObjectLockAnchor(BUCKET, PREFIX, client=boto3.client("s3", endpoint_url="http://127.0.0.1:9"))
    result = kit.verify(anchor=dead)
    assert result.exit_code == 3 and result.findings == []
    assert result.problems and result.problems[0].startswith("anchor unreachable")
    log = kit.open(anchor=dead)
    log.append("remediation.applied", data={"plan": "p"})  # checkpoint + failed anchoring
    assert log.anchor_error is not None
    log.close()


def test_missing_bucket_is_unreachable_too(kit: LogKit, aws_env) -> None:  # type: ignore[no-untyped-def]
    kit.build(2)
    result = kit.verify(anchor=S3ObjectLockAnchor("no-such-bucket", PREFIX))
    assert result.exit_code == 3


def test_governance_mode_objects_are_not_an_anchor(kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    kit.build(2)
    note = (kit.log_dir / "checkpoints" / "000000000005.note").read_bytes()
    boto3.client("s3").put_object(
        Bucket=BUCKET, Key=f"{PREFIX}000000000005.note", Body=note, ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=dt.datetime.now(dt.UTC) + dt.timedelta(days=1), ChecksumAlgorithm="SHA256")
    result = kit.verify(anchor=anchor)
    assert result.exit_code == 3
    assert any("COMPLIANCE" in p for p in result.problems)


def test_deleting_the_whole_log_is_truncation_to_zero(kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    from driftdeck.core.audit import verify_workspace

    kit.build(3, anchor=anchor)
    shutil.rmtree(kit.log_dir)
    result = verify_workspace(kit.workspace, config=kit.config, anchor=anchor)
    assert [(f.code, f.seq, f.seq_end) for f in result.findings] == [("TRUNCATED", 0, 5)]
    assert result.exit_code == 2


def test_junk_written_to_the_anchor_is_reported_and_older_notes_still_count(
        kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    kit.build(10, anchor=anchor)
    anchor.publish(99, b"not a note\n")
    result = kit.verify(anchor=anchor)
    assert result.exit_code == 2
    assert [(f.code, f.seq) for f in result.findings] == [("BAD_SIGNATURE", 98)]
    assert result.findings[0].segment.startswith(f"s3://{BUCKET}/{PREFIX}000000000099.note")
    assert result.anchored_through == 13


def test_hash_only_still_consults_the_anchor(kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    kit.build(10, anchor=anchor)
    dead = S3ObjectLockAnchor(BUCKET, PREFIX, client=boto3.client("s3", endpoint_url="http://127.0.0.1:9"))
    assert kit.verify(anchor=dead, hash_only=True).exit_code == 3
    assert kit.verify(anchor=anchor, hash_only=True).exit_code == 0
    kit.mutate(lambda L: L[:-4])
    result = kit.verify(anchor=anchor, hash_only=True)
    assert [(f.code, f.seq, f.seq_end) for f in result.findings] == [("TRUNCATED", 9, 12)]


def test_anchor_prefix_follows_the_log_origin_so_a_moved_workspace_stays_verifiable(
        kit: LogKit, aws_env) -> None:  # type: ignore[no-untyped-def]
    import json

    from driftdeck.core.audit import AnchorConfig, AuditConfig, verify_workspace

    boto3.client("s3").create_bucket(Bucket="moved-anchor", ObjectLockEnabledForBucket=True)
    kit.config = AuditConfig(config_dir=kit.config_dir, anchor=AnchorConfig(bucket="moved-anchor", retention_days=1))
    log = kit.open()  # the anchor from the configuration
    for i in range(4):
        log.append("operator.note", data={"i": i})
    log.close()
    origin = json.loads(kit.lines()[0])["data"]["origin"]
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="moved-anchor")["Contents"]]
    assert keys and all(key.startswith(f"driftdeck/audit/{origin}/") for key in keys)
    moved = kit.root / "elsewhere" / "ws-copy"
    moved.parent.mkdir()
    shutil.move(kit.workspace, moved)
    result = verify_workspace(moved, config=kit.config)
    assert result.exit_code == 0, [str(f) for f in result.findings] + result.problems
    assert result.anchored_through == result.entries


def test_a_signed_log_with_nothing_at_its_anchor_cannot_be_verified(kit: LogKit, aws_env) -> None:  # type: ignore[no-untyped-def]
    from driftdeck.core.audit import AnchorConfig, AuditConfig, verify_workspace

    boto3.client("s3").create_bucket(Bucket="empty-anchor", ObjectLockEnabledForBucket=True)
    kit.build(3)  # written without an anchor
    config = AuditConfig(config_dir=kit.config_dir, anchor=AnchorConfig(bucket="empty-anchor", retention_days=1))
    result = verify_workspace(kit.workspace, config=config)
    assert result.exit_code == 3 and "holds no checkpoint of this log" in result.problems[0]
