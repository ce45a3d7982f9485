"""Per-resource fan-out shared by collectors: concurrent reads and honest error triage.

A collector's `read` gets every resource of one type in one region; the per-resource API calls run
here in a bounded pool. Every failure becomes a ReadOutcome: an explicit "does not exist" answer is
`missing`, anything else (access denied, throttled past retries, 5xx, timeouts) is `unknown`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import botocore.exceptions

from driftdeck.core.aws import is_not_found
from driftdeck.core.live.collectors.base import ReadOutcome

T = TypeVar("T")
R = TypeVar("R")

# Enough to keep a few dozen requests in flight without starving the scan's own pool.
DEFAULT_WORKERS = 16


def outcome_for_error(exc: BaseException, not_found_codes: frozenset[str]) -> ReadOutcome:
    """`missing` only for an explicit not-found answer; every other failure is `unknown`."""
    if is_not_found(exc, not_found_codes):
        return ReadOutcome.missing()
    if isinstance(exc, botocore.exceptions.ClientError) and exc.response.get("Error", {}).get("Code") == "403":
        # HEAD requests carry no error document: a bare 403 is all S3 says about a forbidden bucket.
        return ReadOutcome.failed(f"access denied (HTTP 403 on {exc.operation_name})")
    return ReadOutcome.failed_on(exc)


def read_each(
    items: Sequence[T],
    read_one: Callable[[T], ReadOutcome],
    not_found_codes: frozenset[str],
    *,
    max_workers: int = DEFAULT_WORKERS,
) -> list[ReadOutcome]:
    """Run `read_one` for every item concurrently; outcomes in the order of `items`."""

    def guarded(item: T) -> ReadOutcome:
        try:
            return read_one(item)
        except Exception as exc:  # noqa: BLE001 - triaged into missing/unknown, never in_sync
            return outcome_for_error(exc, not_found_codes)

    if len(items) <= 1:
        return [guarded(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items)), thread_name_prefix="driftdeck-read") as pool:
        return list(pool.map(guarded, items))


def map_concurrently(items: Sequence[T], fn: Callable[[T], R], *, max_workers: int = DEFAULT_WORKERS) -> list[R]:
    """`fn` over `items` in a bounded pool (exceptions propagate to the caller)."""
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items)), thread_name_prefix="driftdeck-read") as pool:
        return list(pool.map(fn, items))
