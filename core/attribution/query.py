"""Questions front ends ask of an attributed report: who changed things, and what did one actor change."""

from __future__ import annotations

from collections import Counter

from driftdeck.core.model import ResourceResult, ScanReport


def actors(report: ScanReport, *, min_confidence: str = "time") -> list[tuple[str, int]]:
    """Actors named by attributions (at or above `min_confidence`), with how many resources each touched,
    most active first, ties by name. `min_confidence`: "exact" > "resource" > "time"."""
    allowed = _at_least(min_confidence)
    counts: Counter[str] = Counter()
    for result in report.resources:
        counts.update({a.actor for a in result.attribution if a.confidence in allowed})
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def resources_by_actor(
    report: ScanReport, actor: str, *, min_confidence: str = "time"
) -> list[ResourceResult]:
    """The resources whose drift `actor` is linked to (case-insensitive), in report order."""
    allowed = _at_least(min_confidence)
    wanted = actor.casefold()
    return [
        r
        for r in report.resources
        if any(a.actor.casefold() == wanted and a.confidence in allowed for a in r.attribution)
    ]


_ORDER = ("exact", "resource", "time")


def _at_least(confidence: str) -> frozenset[str]:
    if confidence not in _ORDER:
        raise ValueError(f"confidence must be one of {', '.join(_ORDER)}")
    return frozenset(_ORDER[: _ORDER.index(confidence) + 1])
