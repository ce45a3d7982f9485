"""Registry of live collectors: resource type -> collector.

Which module holds a type's native collector is a fact of the type registry
(`ResourceType.collector`); the module's `@register` decorator makes the instance. Modules load on
first use, by name, because each one imports `register` from this package (importing them here at
the top would be a cycle).
"""

from __future__ import annotations

import importlib

from driftdeck.core.live.collectors.base import Collector, ReadOutcome
from driftdeck.core.resource_types.projections import collector_modules

_REGISTRY: dict[str, Collector] = {}
_MODULES: dict[str, str] = collector_modules()  # type -> service module
_loaded = False


def register(cls: type[Collector]) -> type[Collector]:
    """Class decorator: make `cls` the collector for `cls.resource_type`."""
    _REGISTRY[cls.resource_type] = cls()
    return cls


def _load_all() -> None:
    """Import every service module the registry names, in registry order (registration order is
    the order `all_collectors` lists, which the scan's discovery follows)."""
    global _loaded
    for module in dict.fromkeys(_MODULES.values()):
        importlib.import_module(f"driftdeck.core.live.collectors.{module}")
    _loaded = True


def collector_for(resource_type: str) -> Collector | None:
    """The native collector for `resource_type`, or None when the type is read through the provider."""
    if not _loaded:
        _load_all()
    return _REGISTRY.get(resource_type)


def all_collectors() -> dict[str, Collector]:
    """Every native collector, by type."""
    if not _loaded:
        _load_all()
    return dict(_REGISTRY)


__all__ = ["Collector", "ReadOutcome", "register", "collector_for", "all_collectors"]
