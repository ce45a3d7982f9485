"""Properties over generated values: HCL literals evaluate to themselves, jsonencode/jsondecode
and yamlencode/yamldecode round-trip, unknowns never leak out as known values."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from hcl_helpers import ev
from hypothesis import given, settings
from hypothesis import strategies as st

from driftdeck.core.inputs.hcl.functions import json_encode
from driftdeck.core.unknown import UNKNOWN, contains_unknown

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=12)


def hcl_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return "[" + ", ".join(hcl_literal(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {hcl_literal(v)}" for k, v in value.items()) + "}"


def nfc(value: Any) -> Any:
    """HCL normalizes string literals to NFC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: nfc(v) for k, v in value.items()}
    return value


@settings(max_examples=60, deadline=None)
@given(values)
def test_literals_evaluate_to_themselves(value: Any) -> None:
    assert ev(hcl_literal(value)) == nfc(value)


@settings(max_examples=60, deadline=None)
@given(values)
def test_json_round_trip(value: Any) -> None:
    encoded = json_encode(value)
    assert json.loads(encoded) == value
    assert ev("jsondecode(v)", v=encoded) == value


@settings(max_examples=40, deadline=None)
@given(values)
def test_yaml_round_trip(value: Any) -> None:
    assert ev("yamldecode(yamlencode(v))", v=value) == value


@settings(max_examples=40, deadline=None)
@given(values)
def test_unknown_inside_makes_serializations_unknown(value: Any) -> None:
    holder = {"known": value, "unknown": UNKNOWN}
    assert ev("jsonencode(v)", v=holder) is UNKNOWN
    assert ev("v.known", v=holder) == value
    assert not contains_unknown(ev("v.known", v=holder))
