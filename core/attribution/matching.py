"""Turn an event into the resources and attributes it touched, and test a drifted resource against it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from driftdeck.core.attribution.events import CloudTrailEvent
from driftdeck.core.attribution.paths import resolve, resolve_strings
from driftdeck.core.attribution.rules import FALLBACK, Target, rules_for
from driftdeck.core.model import ResourceResult

# Attributes of a resource that can identify it in a CloudTrail record besides its id.
_IDENTITY_ATTRIBUTES = ("id", "arn", "name", "bucket", "url")


@dataclass(frozen=True)
class Touch:
    """One resource an event touched. `attrs` is None when the event does not say which attributes."""

    type: str
    ids: frozenset[str]
    attrs: frozenset[str] | None
    effect: str
    match_values: tuple[tuple[str, str], ...]  # (resource attribute, value) pairs that must all agree
    from_table: bool  # False: the match can only be resource-level (fallback paths, loose rows)


def identity_keys(value: str) -> set[str]:
    """A value and, for ARNs and URLs, its last segment (what state holds for names: role, queue, bucket)."""
    keys = {value}
    if value.startswith(("arn:", "http://", "https://")):
        tail = value.rstrip("/").rsplit("/", 1)[-1]
        if value.startswith("arn:") and "/" not in value:
            tail = value.rsplit(":", 1)[-1]
        if tail:
            keys.add(tail)
    return keys


def _attrs_of(target: Target, record: dict[str, Any]) -> frozenset[str] | None:
    attrs = set(target.attrs)
    named: list[str] = []
    for path in target.keyed:
        for value in resolve(record, path):
            if isinstance(value, dict):
                named += list(value)
            elif isinstance(value, str):
                named.append(value)
    attrs.update(target.key_map[name] for name in named if name in target.key_map)
    return frozenset(attrs) if attrs else None


def _touch(target: Target, record: dict[str, Any], from_table: bool) -> Touch | None:
    ids: set[str] = set()
    for path in target.ids:
        for value in resolve_strings(record, path):
            if value:
                ids |= identity_keys(value)
    match_values = []
    for attribute, path in target.match_on.items():
        found = resolve_strings(record, path)
        if found:
            match_values.append((attribute, found[0]))
    if len(match_values) != len(target.match_on):
        match_values = []
    if not ids and not match_values:
        return None
    exact = from_table and not target.loose
    attrs = _attrs_of(target, record) if exact else None
    return Touch(target.type, frozenset(ids), attrs, target.effect, tuple(match_values), exact)


def touches(event: CloudTrailEvent) -> list[Touch]:
    """What a successful mutating event changed, by the tables, else by the service's fallback paths."""
    if not event.mutating:
        return []
    targets = rules_for(event.event_source, event.event_name)
    from_table = bool(targets)
    if not targets:
        targets = FALLBACK.get(event.event_source, ())
    out = []
    for target in targets:
        touch = _touch(target, event.raw, from_table)
        if touch is not None:
            if not from_table and event.event_name.startswith(("Delete", "Terminate", "Remove")):
                touch = Touch(touch.type, touch.ids, None, "delete", touch.match_values, False)
            out.append(touch)
    return out


def is_unidentified_change(event: CloudTrailEvent) -> bool:
    """A mutating event in a known table whose record does not say which resource it hit (redacted/old)."""
    if not event.mutating:
        return False
    targets = rules_for(event.event_source, event.event_name)
    return bool(targets) and all(_touch(t, event.raw, True) is None for t in targets)


def _attributes(result: ResourceResult) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for side in (result.expected, result.live):
        if side:
            for key, value in side.items():
                merged.setdefault(key, value)
    return merged


def resource_keys(result: ResourceResult) -> set[str]:
    keys: set[str] = set()
    values: list[Any] = [result.id, result.arn]
    attributes = _attributes(result)
    values += [attributes.get(name) for name in _IDENTITY_ATTRIBUTES]
    for value in values:
        if isinstance(value, str) and value:
            keys |= identity_keys(value)
    return keys


def touches_resource(touch: Touch, result: ResourceResult, keys: Iterable[str] | None = None) -> bool:
    if touch.type != result.type:
        return False
    own = set(keys) if keys is not None else resource_keys(result)
    if touch.ids & own:
        return True
    if touch.match_values:
        attributes = _attributes(result)
        return all(str(attributes.get(name)) == value for name, value in touch.match_values)
    return False
