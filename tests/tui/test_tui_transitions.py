"""One transitions function (core.monitor.transitions) for the TUI, its audit feed, watch and the audit
recorder: CHANGED -> UNKNOWN (an outage) is never "back in sync", and the drift seen again after
the outage is never "new"."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sample_reports import drifted_estate, small_estate
from tui_helpers import make_app, run_async, settle

from driftdeck.core.model import ScanReport, Status
from driftdeck.core.transitions import carry_forward, transitions
from driftdeck.tui.audit_feed import MemoryFeed

SIZE = (140, 44)


def _outage(report: ScanReport) -> ScanReport:
    """The same estate, every drifted resource unreadable (`unknown`)."""
    return replace(report, resources=[
        replace(r, status=Status.UNKNOWN, differences=[], reason="throttled past retries") if r.status.is_drift else r
        for r in report.resources
    ])


def test_an_outage_between_two_drifted_scans_reports_nothing() -> None:
    drifted, outage = drifted_estate(), _outage(drifted_estate())
    baseline = carry_forward(None, drifted.resources)
    assert transitions(baseline, outage.resources) == []
    baseline = carry_forward(baseline, outage.resources)
    assert transitions(baseline, drifted.resources) == []


@run_async
async def test_the_tui_never_says_back_in_sync_during_an_outage(tmp_path: Path) -> None:
    feed = MemoryFeed()
    app = make_app(tmp_path, [drifted_estate(), _outage(drifted_estate()), drifted_estate()], feed=feed)
    toasts: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        real_notify = app.notify
        app.notify = lambda message, **kw: (toasts.append(message), real_notify(message, **kw))[1]  # type: ignore[method-assign]
        for _ in range(2):
            await pilot.press("r")
            await settle(app, pilot)
            assert app.last_transitions == []
        assert app.scans_applied == 3
    assert not [t for t in toasts if "back in sync" in t or "new drift" in t.lower()]
    kinds = [e.kind for e in feed.events()]
    assert "drift.resolved" not in kinds
    assert kinds.count("drift.detected") == len([r for r in drifted_estate().resources if r.status.is_drift])


def test_the_memory_feed_records_an_outage_as_nothing() -> None:
    feed = MemoryFeed()
    for report in (small_estate(), drifted_estate(), _outage(drifted_estate()), drifted_estate(), small_estate()):
        feed.record_scan(report)
    kinds = [e.kind for e in reversed(feed.events())]
    drifted = len([r for r in drifted_estate().resources if r.status.is_drift])
    assert kinds.count("drift.detected") == drifted and kinds.count("drift.resolved") == drifted
