"""Canonical JSON: the exact bytes that are stored and hashed.

`json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` over values without floats,
with integers inside +-(2^53-1) and NFC text is byte-identical to RFC 8785 (JCS), so other tools can
recompute the bytes. Anything outside those rules is refused at write time (`NonCanonicalError`) and
flagged at verify time (`parse_canonical` returns a reason).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any

from driftdeck.core.audit.entry import schema_problem

MAX_SAFE_INT = 2**53 - 1


class NonCanonicalError(ValueError):
    """A value that has no canonical JSON form (float, huge int, non-NFC text, odd key)."""


def _check(value: Any, path: str) -> None:
    # Exact type checks first: they cover nearly every value and are the cheapest test.
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return
    if kind is int:
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return
        raise NonCanonicalError(f"{path}: integer {value} is outside +-(2^53-1)")
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise NonCanonicalError(f"{path}: key {key!r} is not a string")
            _check(item, f"{path}.{key}")
        return
    if kind is list or kind is tuple:
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    if kind is float:
        raise NonCanonicalError(f"{path}: floats are not allowed ({value!r}); use an integer or a string")
    raise NonCanonicalError(f"{path}: {kind.__name__} is not a JSON value")


def _valid(value: Any) -> bool:
    """Fast yes/no version of `_check` (no path strings, leaves checked inline)."""
    kind = type(value)
    if kind is dict:
        for key in value:
            if type(key) is not str:
                return False
        items: Any = value.values()
    elif kind is list or kind is tuple:
        items = value
    elif kind is str or kind is bool or value is None:
        return True
    elif kind is int:
        return -MAX_SAFE_INT <= value <= MAX_SAFE_INT
    else:
        return False
    for item in items:
        t = type(item)
        if t is str or t is bool or item is None:
            continue
        if t is int:
            if not -MAX_SAFE_INT <= item <= MAX_SAFE_INT:
                return False
            continue
        if not _valid(item):
            return False
    return True


def check_value(value: Any, path: str = "$") -> None:
    """Raise NonCanonicalError (naming the offending path) unless `value` has a canonical form."""
    if not _valid(value):
        _check(value, path)
        raise NonCanonicalError(f"{path}: not a canonical JSON value")


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not a JSON value")


try:
    from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - CPython always has the C encoder
    c_make_encoder = None

_dumps: Callable[[Any], str]
if c_make_encoder is not None:
    # The C encoder built once: JSONEncoder.encode rebuilds it on every call. Same arguments as
    # json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False);
    # no cycle markers, since entries are trees (a cycle fails with RecursionError instead).
    _encoder = c_make_encoder(None, _not_json, encode_basestring, None, ":", ",", True, False, False)

    def _dumps(value: Any) -> str:
        return "".join(_encoder(value, 0))
else:  # pragma: no cover
    _dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def dumps_checked(value: Any) -> str:
    """Canonical text of a value whose parts were already checked with `check_value` (NFC still
    checked here, over the whole text in one pass)."""
    text = _dumps(value)
    if not unicodedata.is_normalized("NFC", text):
        raise NonCanonicalError("text is not in Unicode NFC form; normalise it before logging")
    return text


def canonical_text(value: Any) -> str:
    """The canonical JSON text of `value`; raises NonCanonicalError when it has none."""
    check_value(value)
    text = _dumps(value)
    if not unicodedata.is_normalized("NFC", text):
        raise NonCanonicalError("text is not in Unicode NFC form; normalise it before logging")
    return text


def canonical_bytes(value: Any) -> bytes:
    """UTF-8 bytes of `canonical_text(value)`; lone surrogates are refused."""
    try:
        return canonical_text(value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NonCanonicalError(f"text is not valid Unicode: {exc.reason}") from exc


class _Reject(ValueError):
    pass


def _no_float(text: str) -> Any:
    raise _Reject(f"float {text}")


def _safe_int(text: str) -> int:
    value = int(text)
    if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
        raise _Reject(f"integer {text} is outside +-(2^53-1)")
    return value


def _no_constant(text: str) -> Any:
    raise _Reject(f"constant {text}")


_decoder = json.JSONDecoder(parse_float=_no_float, parse_int=_safe_int, parse_constant=_no_constant)


def parse_canonical(line: bytes) -> tuple[Any, str | None]:
    """Parse one stored line (without its newline).

    Returns (value, None) when the line is canonical, (value or None, reason) otherwise. Duplicate
    keys, escapes that could be plain characters and whitespace all show up as a re-encoding that
    differs from the stored bytes.
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not valid UTF-8"
    try:
        value = _decoder.decode(text)
    except _Reject as exc:
        # Valid JSON, just not canonical: return what a lenient parser sees, with the reason.
        try:
            return json.loads(text), str(exc)
        except ValueError:
            return None, str(exc)
    except ValueError as exc:
        return None, f"not JSON ({exc})"
    if not unicodedata.is_normalized("NFC", text):
        return value, "text is not NFC"
    if _dumps(value) != text:
        return value, "not in canonical form (key order, spacing, escapes or duplicate keys)"
    return value, None


_fast_decoder = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_constant).decode
# Digits folded to "9": a run of 16 is the only way an integer beyond 2^53 - 1 can appear.
_DIGITS = bytes.maketrans(b"012345678", b"999999999")
_SIXTEEN = b"9" * 16


def parse_entry(line: bytes) -> dict[str, Any] | None:
    """The fast path of `parse_canonical` for a line expected to be a valid entry.

    Returns the value only when the line is canonical and shaped like an entry; None sends the
    caller to the slow path, which explains what is wrong.
    """
    try:
        text = line.decode("utf-8")
        value = _fast_decoder(text)
    except (UnicodeDecodeError, _Reject, ValueError):
        return None
    if type(value) is not dict or _dumps(value) != text:
        return None
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        return None
    if _SIXTEEN in line.translate(_DIGITS) and not _valid(value):
        return None
    return value if schema_problem(value) is None else None
