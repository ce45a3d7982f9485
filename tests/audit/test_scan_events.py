"""Item 8: scan events are written per status transition only, from the log's own history."""

from __future__ import annotations

import json

from audit_kit import LogKit

from driftdeck.core.audit import AuditReader
from driftdeck.core.audit.scan_events import INDEX_NAME, record_scan
from driftdeck.core.model import (
    ChangeKind,
    Difference,
    ResourceResult,
    ScanReport,
    SourceInfo,
    SourceRef,
    Status,
)


def _result(address: str | None, status: Status, rid: str = "id-1", rtype: str = "aws_s3_bucket") -> ResourceResult:
    diffs = [Difference("tags.Env", "prod", "dev", ChangeKind.UPDATED)] if status == Status.CHANGED else []
    return ResourceResult(address=address, type=rtype, id=rid, status=status,
                          source=SourceRef(kind="terraform", file="main.tf", line=3), differences=diffs)


def _report(*results: ResourceResult) -> ScanReport:
    return ScanReport(generated_at="2026-11-28T08:00:00Z", duration_ms=1234,
                      sources=[SourceInfo(kind="terraform", path="terraform.tfstate")], resources=list(results))


def _kinds(entries) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(e.kind, e.data.get("key", ""), e.data.get("to", "")) for e in entries]


def test_transitions_only(kit: LogKit) -> None:
    log = kit.open()
    first = record_scan(log, _report(_result("aws_s3_bucket.a", Status.CHANGED),
                                     _result("aws_s3_bucket.b", Status.IN_SYNC),
                                     _result(None, Status.UNMANAGED, rid="stray", rtype="aws_sqs_queue")),
                        workspace=kit.workspace)
    assert _kinds(first) == [("drift.detected", "aws_s3_bucket.a", "changed"),
                             ("drift.detected", "aws_sqs_queue:stray", "unmanaged"),
                             ("scan.completed", "", "")]
    assert first[-1].data["summary"]["changed"] == 1 and first[-1].data["duration_ms"] == 1234
    assert first[-1].actor["user"]
    assert first[0].after["differences"][0]["path"] == "tags.Env"
    assert first[0].data["from"] is None  # nothing was observed before the first scan

    # The same drift again: no noise, only the scan record.
    again = record_scan(log, _report(_result("aws_s3_bucket.a", Status.CHANGED),
                                     _result("aws_s3_bucket.b", Status.IN_SYNC),
                                     _result(None, Status.UNMANAGED, rid="stray", rtype="aws_sqs_queue")),
                        workspace=kit.workspace)
    assert _kinds(again) == [("scan.completed", "", "")]

    # a: changed -> missing; b: drifts; stray: gone; UNKNOWN keeps the previous verdict.
    third = record_scan(log, _report(_result("aws_s3_bucket.a", Status.MISSING),
                                     _result("aws_s3_bucket.b", Status.CHANGED),
                                     _result("aws_s3_bucket.c", Status.UNKNOWN)),
                        workspace=kit.workspace)
    assert _kinds(third) == [("drift.detected", "aws_s3_bucket.a", "missing"),
                             ("drift.detected", "aws_s3_bucket.b", "changed"),
                             ("drift.resolved", "aws_sqs_queue:stray", "absent"),
                             ("scan.completed", "", "")]
    assert third[0].data["from"] == "changed"
    assert third[1].data["from"] == "in_sync"  # b was seen in sync by an earlier scan

    fourth = record_scan(log, _report(_result("aws_s3_bucket.a", Status.IN_SYNC),
                                      _result("aws_s3_bucket.b", Status.UNKNOWN)), workspace=kit.workspace)
    assert _kinds(fourth) == [("drift.resolved", "aws_s3_bucket.a", "in_sync"), ("scan.completed", "", "")]
    log.close()
    assert kit.verify().exit_code == 0


def test_previous_statuses_come_from_the_log_not_the_index(kit: LogKit) -> None:
    log = kit.open()
    record_scan(log, _report(_result("aws_s3_bucket.a", Status.CHANGED)), workspace=kit.workspace)
    index = kit.log_dir / "index" / INDEX_NAME
    # A stale or forged cache is ignored: its hash no longer matches the entry it names.
    data = json.loads(index.read_text())
    data["statuses"] = {}
    data["hash"] = "0" * 64
    index.write_text(json.dumps(data))
    again = record_scan(log, _report(_result("aws_s3_bucket.a", Status.CHANGED)), workspace=kit.workspace)
    assert _kinds(again) == [("scan.completed", "", "")]
    index.unlink()
    assert _kinds(record_scan(log, _report(_result("aws_s3_bucket.a", Status.CHANGED)),
                              workspace=kit.workspace)) == [("scan.completed", "", "")]
    log.close()


def test_workspaces_are_tracked_separately(kit: LogKit) -> None:
    other = kit.root / "other-ws"
    other.mkdir()
    log = kit.open()
    record_scan(log, _report(_result("aws_s3_bucket.a", Status.CHANGED)), workspace=kit.workspace)
    second = record_scan(log, _report(_result("aws_s3_bucket.a", Status.CHANGED)), workspace=other)
    assert _kinds(second)[0] == ("drift.detected", "aws_s3_bucket.a", "changed")
    assert second[0].subject["workspace"] == str(other.resolve())
    log.close()
    shown = [e.kind for e in AuditReader(kit.log_dir).iter_entries(resource="aws_s3_bucket.a")]
    assert shown == ["drift.detected", "drift.detected"]
