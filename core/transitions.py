"""Status transitions between two scans: what is new, what got worse, what was resolved.

The one place that decides what a status change means (`change_kind`); alerts, the watch loop,
the TUI and the audit recorder all use it, so an outage (`unknown`) never reads as "back in sync"
in one of them and as "still drifted" in another. They react to transitions only, so unchanged
drift never repeats.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from driftdeck.core.model import ResourceResult, Status


class TransitionKind(enum.StrEnum):
    NEW_DRIFT = "drift.new"  # not drifted (or not seen) before, drifted now
    DRIFT_CHANGED = "drift.changed"  # still drifted, but different differences or status
    RESOLVED = "drift.resolved"  # drifted before, not drifted now (or gone)
    NEW_UNMANAGED = "unmanaged.new"


@dataclass(frozen=True)
class Transition:
    kind: TransitionKind
    key: str
    before: Status | None
    after: Status | None
    result: ResourceResult | None  # the current verdict (None when the resource vanished)

    @property
    def is_new_drift(self) -> bool:
        return self.kind in (TransitionKind.NEW_DRIFT, TransitionKind.NEW_UNMANAGED)

    @property
    def is_resolved(self) -> bool:
        return self.kind is TransitionKind.RESOLVED

    @property
    def fingerprint(self) -> str:
        """Identity of what is being reported, for de-duplication."""
        paths = ",".join(sorted(d.path for d in self.result.differences)) if self.result else ""
        return f"{self.kind}|{self.key}|{self.after}|{paths}"


def _drift_signature(res: ResourceResult) -> tuple[str, tuple[tuple[str, str], ...]]:
    return res.status.value, tuple(sorted((d.path, repr(d.actual)) for d in res.differences))


def change_kind(before: Status | None, after: Status | None) -> TransitionKind | None:
    """What going from `before` to `after` means; None: nothing to report.

    `before` None: never seen; `after` None: no longer reported (removed from state, or an
    unmanaged object deleted). `unknown` is neither drift nor resolution: a resource that could not
    be read keeps its last known state rather than flapping between "resolved" and "new drift".
    A status change within drift (changed -> missing) is DRIFT_CHANGED."""
    if after is Status.UNKNOWN:
        return None
    was_drift = before is not None and before.is_drift
    if after is not None and after.is_drift:
        if not was_drift:
            return TransitionKind.NEW_UNMANAGED if after is Status.UNMANAGED else TransitionKind.NEW_DRIFT
        return TransitionKind.DRIFT_CHANGED if before is not after else None
    return TransitionKind.RESOLVED if was_drift else None


def transitions(previous: Iterable[ResourceResult] | None, current: Iterable[ResourceResult]) -> list[Transition]:
    """What changed from `previous` to `current` (keyed by `ResourceResult.key`); `previous` should
    be a `carry_forward` baseline so an outage in between neither resolves nor re-detects drift.
    Still-drifted resources whose differences changed are DRIFT_CHANGED too."""
    prev = {r.key: r for r in previous or ()}
    curr = {r.key: r for r in current}
    out: list[Transition] = []
    for key, res in curr.items():
        old = prev.get(key)
        before = old.status if old is not None else None
        kind = change_kind(before, res.status)
        if kind is None and old is not None and old.status.is_drift and res.status.is_drift \
                and _drift_signature(old) != _drift_signature(res):
            kind = TransitionKind.DRIFT_CHANGED
        if kind is not None:
            out.append(Transition(kind, key, before, res.status, res))
    for key, old in prev.items():
        if key not in curr:
            kind = change_kind(old.status, None)
            if kind is not None:
                out.append(Transition(kind, key, old.status, None, None))
    return out


def carry_forward(previous: Iterable[ResourceResult] | None, current: Iterable[ResourceResult]) -> list[ResourceResult]:
    """The baseline for the next comparison: current verdicts, except that an `unknown` keeps the
    last known verdict (an outage must not make drift look resolved and then new again)."""
    prev = {r.key: r for r in previous or ()}
    out: list[ResourceResult] = []
    for res in current:
        old = prev.get(res.key)
        out.append(old if res.status is Status.UNKNOWN and old is not None else res)
    return out
