"""The one transitions function (core.monitor.transitions) used by the monitor loop, the TUI's feed and
the audit recorder: what is new, changed or resolved between two scans, and an outage (`unknown`)
that is never "back in sync" nor, after it, "new"."""

from __future__ import annotations

from sample_reports import drifted_estate, small_estate

from driftdeck.core.model import Status
from driftdeck.core.transitions import TransitionKind, change_kind, transitions


def test_change_kind_never_reads_unknown_as_resolution_or_drift() -> None:
    for before in (*Status, None):
        assert change_kind(before, Status.UNKNOWN) is None
    assert change_kind(Status.CHANGED, Status.IN_SYNC) is TransitionKind.RESOLVED
    assert change_kind(Status.CHANGED, None) is TransitionKind.RESOLVED
    assert change_kind(Status.IN_SYNC, Status.MISSING) is TransitionKind.NEW_DRIFT
    assert change_kind(None, Status.UNMANAGED) is TransitionKind.NEW_UNMANAGED
    assert change_kind(Status.CHANGED, Status.MISSING) is TransitionKind.DRIFT_CHANGED
    assert change_kind(Status.CHANGED, Status.CHANGED) is None


def test_new_drift_and_resolution_between_two_reports() -> None:
    before, after = small_estate().resources, drifted_estate().resources
    forward = {t.key: t for t in transitions(before, after)}
    assert set(forward) == {
        "aws_s3_bucket.assets", "module.network.aws_security_group.web",
        "module.queues.aws_sqs_queue.orders_dlq", "aws_s3_bucket:acme-shadow-exports",
    }
    assert all(t.is_new_drift for t in forward.values())
    back = {t.key: t for t in transitions(after, before)}
    assert back["aws_s3_bucket:acme-shadow-exports"].after is None
    assert all(t.is_resolved for t in back.values())
    assert transitions(after, after) == []
