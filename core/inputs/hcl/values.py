"""Runtime values of the HCL evaluator (the `Unknown` sentinel lives in core.unknown).

Values are plain Python: None (null), bool, int/float, str, list (tuples and sets), dict (objects
and maps). Anything the code alone cannot decide is `UNKNOWN`; it propagates through operators and
functions and must never be compared against state or live values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from driftdeck.core.unknown import UNKNOWN, Unknown, contains_unknown


class EvalError(Exception):
    """An expression that Terraform itself would reject (type error, missing key...)."""


class InternalError(EvalError):
    """A bug of ours met while evaluating: reported (kind "internal_error"), never raised out."""


# Python errors that can only mean a gap in the evaluator; caught per expression so that one
# odd construct costs one unknown value, not the whole configuration.
UNEXPECTED = (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError)


def diagnostic_kind(exc: Exception) -> str:
    return "internal_error" if isinstance(exc, InternalError) else "eval_error"


class OpenObject(dict):  # type: ignore[type-arg]
    """A resource or module object: attributes not listed are unknown, not missing."""

    def __missing__(self, key: str) -> Unknown:
        return UNKNOWN


def is_wholly_known(value: Any) -> bool:
    return not contains_unknown(value)


def normalize_number(value: float | int) -> float | int:
    """HCL numbers have no int/float split: 4/2 is 2, and prints as "2"."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def arithmetic_result(value: float | int) -> float | int:
    """Terraform computes in arbitrary precision (0.1 + 0.2 is 0.3); rounding binary floats to 15
    significant digits gives the same answers for the decimal arithmetic configurations do."""
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        value = float(format(value, ".15g"))
    return normalize_number(value)


def unify_primitives(values: list[Any]) -> list[Any]:
    """Terraform's type unification for mixed primitives: if any is a string, all become strings."""
    if any(isinstance(v, str) for v in values) and any(isinstance(v, (bool, int, float)) for v in values):
        return [to_string(v) if isinstance(v, (bool, int, float)) else v for v in values]
    return values


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "tuple"
    if isinstance(value, dict):
        return "object"
    if value is UNKNOWN:
        return "unknown"
    return type(value).__name__


def to_string(value: Any) -> str:
    """Terraform's automatic conversion of a primitive to string (templates, string args)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    if value is None:
        raise EvalError("cannot use a null value in a string")
    raise EvalError(f"cannot convert {type_name(value)} to string")


def format_number(value: int | float) -> str:
    """Numbers as Terraform prints them: integers plainly, fractions without exponent
    (0.00001, not 1e-05); only non-finite values fall back to Python's spelling."""
    value = normalize_number(value)
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        return repr(value)
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise EvalError("cannot convert bool to number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return normalize_number(float(value))
            except ValueError:
                raise EvalError(f"cannot convert {value!r} to number") from None
    raise EvalError(f"cannot convert {type_name(value)} to number")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    raise EvalError(f"cannot convert {type_name(value)} to bool")
