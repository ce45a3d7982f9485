"""Registry of live collectors: resource type -> collector. Adding a type is adding one class.

Each AWS service has its own module; importing this package imports them all so that their
`@register` decorators run.
"""

from __future__ import annotations

import importlib

from driftdeck.core.live.collectors.base import Collector, ReadOutcome

_REGISTRY: dict[str, Collector] = {}
# Set once every service module was imported: importing one module directly registers its types
# but must not stop the others from loading.
_LOADED = False

# One module per AWS service.
SERVICE_MODULES: tuple[str, ...] = ("s3", "ec2", "iam", "sqs", "sns")


def register(cls: type[Collector]) -> type[Collector]:
    """Class decorator: make `cls` the collector for `cls.resource_type`."""
    _REGISTRY[cls.resource_type] = cls()
    return cls


def _load_all() -> None:
    global _LOADED
    for name in SERVICE_MODULES:
        try:
            importlib.import_module(f"driftdeck.core.live.collectors.{name}")
        except ModuleNotFoundError as exc:
            # A service module not written yet is simply absent; anything else is a real error.
            if exc.name != f"driftdeck.core.live.collectors.{name}":
                raise
    _LOADED = True


def collector_for(resource_type: str) -> Collector | None:
    if not _LOADED:
        _load_all()
    return _REGISTRY.get(resource_type)


def all_collectors() -> dict[str, Collector]:
    if not _LOADED:
        _load_all()
    return dict(_REGISTRY)


__all__ = ["Collector", "ReadOutcome", "register", "collector_for", "all_collectors"]
