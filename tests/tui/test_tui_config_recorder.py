"""The TUI records IaC changes with the same recorder and policy as `watch` (core.monitor.iac_files):
code with its diff, variable and state files by BLAKE3 digest only, so secrets in them never
enter the append-only audit log."""

from __future__ import annotations

from pathlib import Path

import blake3
from sample_reports import small_estate
from tui_helpers import make_app, run_async, settle

from driftdeck.core.monitor.iac_files import IacContentCache
from driftdeck.tui.audit_feed import MemoryFeed
from driftdeck.tui.file_watch import QueueSource

SECRET = "hunter2-db-password"


@run_async
async def test_a_tfvars_edit_is_recorded_as_digests_like_watch_does(tmp_path: Path) -> None:
    tfvars = tmp_path / "prod.tfvars"
    tfvars.write_text('db_password = "old-secret"\n')
    source = QueueSource()
    feed = MemoryFeed()
    app = make_app(tmp_path, [small_estate()], feed=feed, watch=True, watch_source=source)
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(app, pilot)
        watch_cache = IacContentCache(tmp_path)  # what `driftdeck watch` would record for the same edit
        watch_cache.load()
        tfvars.write_text(f'db_password = "{SECRET}"\n')
        expected = watch_cache.update(tfvars)
        source.put({tfvars})
        await pilot.pause()
        await settle(app, pilot)
    (event,) = [e for e in feed.events() if e.kind == "config.changed"]
    assert expected is not None and event.data == expected.audit_data()
    assert event.data["after_blake3"] == blake3.blake3(tfvars.read_bytes()).hexdigest()
    assert event.before is None and event.after is None
    everything = repr((event.data, event.before, event.after))
    assert SECRET not in everything and "old-secret" not in everything
