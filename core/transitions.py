"""Status transitions between two scans: what is new, what got worse, what was resolved.

Alerts, the watch loop and the TUI react to transitions only, so unchanged drift never repeats.
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
    def fingerprint(self) -> str:
        """Identity of what is being reported, for de-duplication."""
        paths = ",".join(sorted(d.path for d in self.result.differences)) if self.result else ""
        return f"{self.kind}|{self.key}|{self.after}|{paths}"


def _drift_signature(res: ResourceResult) -> tuple[str, tuple[tuple[str, str], ...]]:
    return res.status.value, tuple(sorted((d.path, repr(d.actual)) for d in res.differences))


def transitions(previous: Iterable[ResourceResult] | None, current: Iterable[ResourceResult]) -> list[Transition]:
    """What changed from `previous` to `current` (keyed by `ResourceResult.key`).

    `unknown` is neither drift nor resolution: a resource that could not be read keeps its last
    known drift state rather than flapping between "new drift" and "resolved".
    """
    prev = {r.key: r for r in previous or ()}
    curr = {r.key: r for r in current}
    out: list[Transition] = []
    for key, res in curr.items():
        old = prev.get(key)
        if res.status is Status.UNKNOWN:
            continue
        was_drift = old is not None and old.status.is_drift
        if res.status.is_drift:
            if not was_drift:
                kind = TransitionKind.NEW_UNMANAGED if res.status is Status.UNMANAGED else TransitionKind.NEW_DRIFT
                out.append(Transition(kind, key, old.status if old else None, res.status, res))
            elif old is not None and _drift_signature(old) != _drift_signature(res):
                out.append(Transition(TransitionKind.DRIFT_CHANGED, key, old.status, res.status, res))
        elif was_drift and old is not None:
            out.append(Transition(TransitionKind.RESOLVED, key, old.status, res.status, res))
    for key, old in prev.items():
        if key not in curr and old.status.is_drift:
            # An unmanaged object deleted, or a resource removed from state: its drift is over.
            out.append(Transition(TransitionKind.RESOLVED, key, old.status, None, None))
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
