"""Small helpers shared by the EC2 and IAM collectors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from driftdeck.core.live.collectors.base import ReadOutcome
from driftdeck.core.model import DesiredResource


def tags_of(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    """AWS's [{"Key": k, "Value": v}] as Terraform's tags map."""
    return {t["Key"]: t.get("Value", "") for t in items or []}


def parallel(
    fn: Callable[[DesiredResource], ReadOutcome], resources: Sequence[DesiredResource], workers: int = 8
) -> list[ReadOutcome]:
    """Per-resource calls (where AWS has no batch read), a few at a time; outcomes in input order."""
    if len(resources) <= 1:
        return [fn(r) for r in resources]
    with ThreadPoolExecutor(max_workers=min(workers, len(resources)), thread_name_prefix="driftdeck-item") as pool:
        return list(pool.map(fn, resources))
