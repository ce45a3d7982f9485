"""Values that stand in for what a template cannot say on its own."""

from __future__ import annotations

from typing import Any


class Unknown(str):
    """A value not known without deploying (a resource attribute, a parameter with no value, a macro).

    It is a `str` so that reports and JSON output can show it, but comparisons must skip it:
    an unknown value is never drift. Use `is_unknown()` rather than isinstance checks elsewhere.
    """

    reason: str

    def __new__(cls, reason: str) -> Unknown:
        obj = super().__new__(cls, f"(known after deploy: {reason})")
        obj.reason = reason
        return obj

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


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


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def contains_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def first_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = first_unknown(item)
        if found is not None:
            return found
    return None
