"""One test per HCL language feature, on single expressions."""

from __future__ import annotations

import pytest
from hcl_helpers import ev

from driftdeck.core.inputs.hcl.values import EvalError
from driftdeck.core.unknown import UNKNOWN


def test_literals_keep_their_types() -> None:
    assert ev("1") == 1 and ev("1.5") == 1.5 and ev("-3") == -3 and ev("1e3") == 1000
    assert ev("true") is True and ev("null") is None
    assert ev('"a\\tb\\"c\\u00e9"') == 'a\tb"cé'
    assert ev("[1, \"x\", [true]]") == [1, "x", [True]]
    assert ev('{a = 1, "b" = 2, c: 3}') == {"a": 1, "b": 2, "c": 3}


def test_object_keys_naked_are_literal_parenthesized_are_evaluated() -> None:
    assert ev("{ k = 1 }", k="zzz") == {"k": 1}
    assert ev("{ (k) = 1 }", k="zzz") == {"zzz": 1}
    assert ev('{ "${k}-x" = 1 }', k="zzz") == {"zzz-x": 1}


def test_arithmetic_and_precedence() -> None:
    assert ev("1 + 2 * 3") == 7
    assert ev("(1 + 2) * 3") == 9
    assert ev("7 / 2") == 3.5 and ev("8 / 2") == 4 and isinstance(ev("8 / 2"), int)
    assert ev("-7 % 3") == -1  # truncated like Go
    assert ev('"3" + 1') == 4
    assert ev("!true || false") is False
    assert ev("1 < 2 && 2 >= 2") is True


def test_equality_is_typed() -> None:
    assert ev('1 == "1"') is False
    assert ev("[1, 2] == [1, 2]") is True
    assert ev('{a = 1} != {a = 2}') is True
    assert ev("true == 1") is False


def test_conditional() -> None:
    assert ev('x > 1 ? "big" : "small"', x=5) == "big"
    assert ev('x > 1 ? "big" : "small"', x=0) == "small"


def test_templates_interpolation_and_directives() -> None:
    assert ev('"${a}-${b}"', a="x", b=2) == "x-2"
    assert ev('"${a}"', a=[1, 2]) == [1, 2]  # a lone interpolation keeps the value's type
    assert ev('"%{ if on }yes%{ else }no%{ endif }"', on=False) == "no"
    assert ev('"%{ for i, v in xs }${i}=${v};%{ endfor }"', xs=["a", "b"]) == "0=a;1=b;"
    assert ev('"a $${literal} %%{x}"') == "a ${literal} %{x}"


def test_template_strip_markers() -> None:
    assert ev('"x  %{~ if true ~}  y  %{~ endif ~}  z"') == "xyz"


def test_heredoc_plain_and_indented() -> None:
    src = 'jsonencode({ t = <<EOT\nhello ${name}\n  world\nEOT\n})'
    assert ev(src, name="bob") == '{"t":"hello bob\\n  world\\n"}'
    src = 'jsonencode({ t = <<-EOT\n    a\n      b %{ if x }c%{ endif }\n    EOT\n})'
    assert ev(src, x=True) == '{"t":"a\\n  b c\\n"}'


def test_for_expressions() -> None:
    assert ev("[for s in xs : upper(s)]", xs=["a", "b"]) == ["A", "B"]
    assert ev("[for i, s in xs : i if s != \"b\"]", xs=["a", "b", "c"]) == [0, 2]
    assert ev("{for k, v in m : v => k}", m={"a": "1", "b": "2"}) == {"1": "a", "2": "b"}
    assert ev("{for s in xs : substr(s, 0, 1) => s...}", xs=["ab", "ac", "b"]) == {"a": ["ab", "ac"], "b": ["b"]}
    # maps iterate in lexical key order
    assert ev("[for k, v in m : k]", m={"b": 1, "a": 2}) == ["a", "b"]


def test_for_duplicate_key_without_grouping_is_an_error() -> None:
    with pytest.raises(EvalError):
        ev("{for s in xs : s => 1}", xs=["a", "a"])


def test_splats() -> None:
    objs = [{"id": "a", "t": {"n": 1}}, {"id": "b", "t": {"n": 2}}]
    assert ev("objs[*].id", objs=objs) == ["a", "b"]
    assert ev("objs.*.id", objs=objs) == ["a", "b"]
    assert ev("objs[*].t.n", objs=objs) == [1, 2]
    assert ev("one[*].id", one={"id": "x"}) == ["x"]
    assert ev("nothing[*].id", nothing=None) == []


def test_index_and_attribute_access() -> None:
    assert ev("xs[1]", xs=[1, 2]) == 2
    assert ev("xs.0", xs=[1, 2]) == 1
    assert ev('m["a"].b', m={"a": {"b": 3}}) == 3
    with pytest.raises(EvalError):
        ev("xs[5]", xs=[1])
    with pytest.raises(EvalError):
        ev("m.missing", m={})


def test_unknown_propagates_through_operators_and_templates() -> None:
    u = UNKNOWN
    assert ev("u + 1", u=u) is UNKNOWN
    assert ev('"x-${u}"', u=u) is UNKNOWN
    assert ev("u == 1", u=u) is UNKNOWN
    assert ev("[1, u] == [1, 2]", u=u) is UNKNOWN
    assert ev("u ? 1 : 2", u=u) is UNKNOWN
    assert ev("u.attr[0]", u=u) is UNKNOWN
    assert ev("u[*].id", u=u) is UNKNOWN
    assert ev("[for x in u : x]", u=u) is UNKNOWN
    assert ev("!u", u=u) is UNKNOWN


def test_unknown_short_circuits_only_when_decided() -> None:
    assert ev("false && u", u=UNKNOWN) is False
    assert ev("u || true", u=UNKNOWN) is True
    assert ev("true && u", u=UNKNOWN) is UNKNOWN


def test_unknown_inside_collections_stays_local() -> None:
    value = ev("{ a = 1, b = u }", u=UNKNOWN)
    assert value["a"] == 1 and value["b"] is UNKNOWN
    assert ev("length([1, u])", u=UNKNOWN) == 2
    assert ev('join(",", [1, u])', u=UNKNOWN) is UNKNOWN


def test_try_and_can() -> None:
    assert ev("try(m.missing, \"d\")", m={}) == "d"
    assert ev("try(m.a, \"d\")", m={"a": 1}) == 1
    assert ev("can(m.missing)", m={}) is False
    assert ev("can(m.a)", m={"a": 1}) is True
    assert ev("can(u)", u=UNKNOWN) is UNKNOWN
    with pytest.raises(EvalError):
        ev("try(m.x, m.y)", m={})


def test_unknown_function_is_unknown_not_an_error() -> None:
    assert ev("nosuchfunction(1)") is UNKNOWN
    assert ev("provider::aws::arn_parse(\"x\")") is UNKNOWN


def test_function_argument_expansion() -> None:
    assert ev("min(xs...)", xs=[3, 1, 2]) == 1


def test_json_style_surrogate_escapes_make_one_character() -> None:
    assert ev('"\\ud83d\\ude00"') == "😀"
