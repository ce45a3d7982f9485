"""Values that stand in for what a template cannot say on its own.

The generic helpers (`is_unknown`, `contains_unknown`) live with the one `Unknown`
in `core.unknown`; they recognise `DeployTimeUnknown` as well.
"""

from __future__ import annotations

from typing import Any

from driftdeck.core.unknown import Unknown


class DeployTimeUnknown(Unknown, str):
    """A value not known without deploying (a resource attribute, a parameter with no value, a macro).

    A subtype of the one `Unknown` because it carries what `UNKNOWN` cannot: the reason, which
    reports show. It is also a `str` so that reports and JSON output can print it, but comparisons
    must skip it: an unknown value is never drift. Test with `is_unknown()`, not isinstance.
    """

    reason: str

    def __new__(cls, reason: str) -> DeployTimeUnknown:
        obj = str.__new__(cls, f"(known after deploy: {reason})")
        obj.reason = reason
        return obj

    def __repr__(self) -> str:
        return f"DeployTimeUnknown({self.reason!r})"

    def __reduce__(self) -> Any:
        return (DeployTimeUnknown, (self.reason,))


class _NoValue:
    """`Ref AWS::NoValue`: the property or list item is removed."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()


def first_unknown(value: Any) -> DeployTimeUnknown | None:
    """The first template unknown inside the value (depth first), or None: its reason explains
    why an expression over the value cannot be evaluated either."""
    if isinstance(value, DeployTimeUnknown):
        return value
    items: Any = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        found = first_unknown(item)
        if found is not None:
            return found
    return None
