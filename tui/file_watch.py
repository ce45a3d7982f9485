"""Watching the IaC files from the dashboard: a debounced watchfiles source (an async worker's) and a
test source. What changed is recorded by the monitor loop (`MonitorLoop.file_changed`), as in `watch`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from watchfiles import Change, awatch

from driftdeck.core.monitor.iac_files import is_iac

DEBOUNCE_MS = 700

# A source yields sets of changed paths until `stop` is set.
WatchSource = Callable[[Path, asyncio.Event], AsyncIterator[set[Path]]]


async def watchfiles_source(root: Path, stop: asyncio.Event) -> AsyncIterator[set[Path]]:
    """watchfiles.awatch, debounced, filtered to IaC files. It also yields an empty set when idle
    for a while, so the consumer knows the watcher is running (no edit is missed from then on)."""

    def keep(_change: Change, path: str) -> bool:
        return is_iac(Path(path))

    async for changes in awatch(root, watch_filter=keep, debounce=DEBOUNCE_MS, stop_event=stop,
                                rust_timeout=500, yield_on_timeout=True):
        yield {Path(p) for _, p in changes}


class QueueSource:
    """A source the caller feeds by hand: tests drive the watcher deterministically with it."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[set[Path]] = asyncio.Queue()

    def put(self, paths: set[Path]) -> None:
        self.queue.put_nowait(paths)

    async def __call__(self, root: Path, stop: asyncio.Event) -> AsyncIterator[set[Path]]:
        while not stop.is_set():
            getter = asyncio.ensure_future(self.queue.get())
            stopper = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                stopper.cancel()
                yield getter.result()
            else:
                getter.cancel()
                return
