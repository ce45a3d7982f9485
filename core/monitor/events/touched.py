"""Which resources of the last report an event touched: the attribution tables first, then any
ARN or id the record names (types without a table row, e.g. those read through the provider)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from driftdeck.core.attribution.events import CloudTrailEvent
from driftdeck.core.attribution.matching import identity_keys, resource_keys, touches, touches_resource
from driftdeck.core.live.collectors import all_collectors
from driftdeck.core.model import ResourceResult

_MAX_STRINGS = 200  # a record naming more ids than this is a bulk call; its first ones are enough


@dataclass
class Touched:
    keys: set[str] = field(default_factory=set)  # `ResourceResult.key`s to re-read
    rediscover: set[str] = field(default_factory=set)  # types whose unmanaged objects to list again


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class TouchIndex:
    """The last report's resources, indexed by type and by every identity they answer to."""

    def __init__(self, results: Sequence[ResourceResult]) -> None:
        self._by_type: dict[str, list[tuple[ResourceResult, set[str]]]] = defaultdict(list)
        self._by_identity: dict[str, set[str]] = defaultdict(set)
        self._discoverable = {t for t, c in all_collectors().items() if c.discoverable}
        for result in results:
            if result.parent is not None:
                continue  # re-read with its parent
            keys = resource_keys(result)
            self._by_type[result.type].append((result, keys))
            for key in keys:
                self._by_identity[key].add(result.key)

    def touched(self, event: CloudTrailEvent) -> Touched:
        """Nothing for read-only or failed calls; else the keys to re-read and types to re-list."""
        out = Touched()
        if not event.mutating:
            return out
        for touch in touches(event):
            if touch.effect == "create" and touch.type in self._discoverable:
                out.rediscover.add(touch.type)
            for result, keys in self._by_type.get(touch.type, ()):
                if touches_resource(touch, result, keys):
                    out.keys.add(result.key)
                    if result.address is None and result.type in self._discoverable:
                        out.rediscover.add(result.type)  # an unmanaged object changed or went away
        if out.keys or out.rediscover:
            return out
        # No table row matched anything: any ARN or id in the record that a resource answers to.
        seen = 0
        for text in _strings([event.request_parameters, event.response_elements,
                              [r.get("ARN") for r in event.resources]]):
            seen += 1
            if seen > _MAX_STRINGS:
                break
            for key in identity_keys(text):
                out.keys |= self._by_identity.get(key, set())
        return out
