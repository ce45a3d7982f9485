"""The built-in functions real modules use most, each against Terraform's documented results."""

from __future__ import annotations

from pathlib import Path

import pytest
from hcl_helpers import ev

from driftdeck.core.inputs.hcl.values import EvalError
from driftdeck.core.unknown import UNKNOWN

CASES = [
    ('merge({a = 1, b = 2}, {b = 3}, null)', {"a": 1, "b": 3}),
    ("concat([1], [2, 3], [])", [1, 2, 3]),
    ('lookup({a = "x"}, "a", "d")', "x"),
    ('lookup({a = "x"}, "b", "d")', "d"),
    ('coalesce("", null, "b", "c")', "b"),
    ('format("%s-%03d-%v-%.2f-%q", "a", 7, true, 1.5, "q")', 'a-007-true-1.50-"q"'),
    ('format("100%%")', "100%"),
    ('join("-", ["a", "b"], ["c"])', "a-b-c"),
    ('split(",", "a,b,,c")', ["a", "b", "", "c"]),
    ('replace("a-b-c", "-", "_")', "a_b_c"),
    ('replace("hello world", "/w(or)ld/", "W$1")', "hello Wor"),
    ('lower("AbC")', "abc"),
    ('upper("AbC")', "ABC"),
    ('length("abc")', 3),
    ("length({a = 1, b = 2})", 2),
    ("keys({b = 1, a = 2})", ["a", "b"]),
    ("values({b = 1, a = 2})", [2, 1]),
    ('contains(["a", "b"], "b")', True),
    ('contains(["a", "b"], "c")', False),
    ('element(["a", "b", "c"], 4)', "b"),
    ("flatten([[1, [2]], [], 3])", [1, 2, 3]),
    ("distinct([1, 2, 1, 3, 2])", [1, 2, 3]),
    ('toset(["b", "a", "b"])', ["a", "b"]),
    ("tolist([1, 2])", [1, 2]),
    ('tomap({a = "1"})', {"a": "1"}),
    ('jsonencode({b = [1, true, null], a = "<x>"})', '{"a":"\\u003cx\\u003e","b":[1,true,null]}'),
    ('jsondecode("{\\"a\\": [1, 2.5]}")', {"a": [1, 2.5]}),
    ('cidrsubnet("10.0.0.0/16", 8, 2)', "10.0.2.0/24"),
    ('cidrsubnet("10.1.0.0/16", 4, 15)', "10.1.240.0/20"),
    ('cidrhost("10.0.0.0/24", 5)', "10.0.0.5"),
    ('cidrsubnets("10.0.0.0/16", 4, 4, 8)', ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/24"]),
    ("min(3, 1, 2)", 1),
    ("max(3, 1, 2.5)", 3),
    ('compact(["a", "", null, "b"])', ["a", "b"]),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
    ("range(3)", [0, 1, 2]),
    ("range(1, 7, 2)", [1, 3, 5]),
    ("one([])", None),
    ('one(["x"])', "x"),
    ('trimspace("  x ")', "x"),
    ('substr("hello", 1, 3)', "ell"),
    ('regex("^(\\\\w+)-(\\\\d+)$", "ab-12")', ["ab", "12"]),
    ('startswith("arn:aws", "arn:")', True),
    ('formatlist("%s-%s", ["a", "b"], "x")', ["a-x", "b-x"]),
    ("sum([1, 2, 3.5])", 6.5),
    ('slice(["a", "b", "c"], 1, 3)', ["b", "c"]),
    ('setproduct(["a"], [1, 2])', [["a", 1], ["a", 2]]),
    ('base64encode("hi")', "aGk="),
    ('md5("x")', "9dd4e461268c8034f5c8564e155c67a6"),
    ('tostring(5)', "5"),
    ('tonumber("5")', 5),
    ('yamldecode("a: [1, 2]")', {"a": [1, 2]}),
    ('trimprefix("prefix-x", "prefix-")', "x"),
    ('chunklist([1, 2, 3], 2)', [[1, 2], [3]]),
    ('alltrue([true, "true"])', True),
    ('title("hello world")', "Hello World"),
    ('indent(2, "a\\nb")', "a\n  b"),
]


@pytest.mark.parametrize("source,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_function(source: str, expected: object) -> None:
    assert ev(source) == expected


def test_try_and_can_are_special_forms() -> None:
    assert ev("try(jsondecode(\"{\"), \"fallback\")") == "fallback"
    assert ev("can(regex(\"^a\", \"b\"))") is False


def test_functions_on_unknown_are_unknown() -> None:
    for src in ("upper(u)", "merge(u, {})", "concat(u, [])", "jsonencode({a = u})", "cidrsubnet(u, 8, 1)",
                "length(u)", "keys(u)", "lookup({a = 1}, u)", "format(\"%s\", u)", "element(u, 0)"):
        assert ev(src, u=UNKNOWN) is UNKNOWN, src


def test_structural_functions_keep_unknown_elements() -> None:
    merged = ev("merge({a = u}, {b = 1})", u=UNKNOWN)
    assert merged["a"] is UNKNOWN and merged["b"] == 1
    assert ev("concat([u], [1])", u=UNKNOWN)[1] == 1


def test_apply_time_functions_are_unknown() -> None:
    assert ev("timestamp()") is UNKNOWN
    assert ev("uuid()") is UNKNOWN


def test_errors_from_bad_arguments() -> None:
    with pytest.raises(EvalError):
        ev('lookup({a = 1}, "b")')
    with pytest.raises(EvalError):
        ev("coalesce(null, \"\")")
    with pytest.raises(EvalError):
        ev('one(["a", "b"])')
    with pytest.raises(EvalError):
        ev('zipmap(["a"], [])')


def test_file_and_templatefile_read_relative_to_root(tmp_path: Path) -> None:
    (tmp_path / "policy.json").write_text('{"v": 1}')
    (tmp_path / "user.tpl").write_text("hi ${name}\n%{ for p in ports ~}\nport ${p}\n%{ endfor ~}\n")
    assert ev('jsondecode(file("policy.json"))', root=tmp_path) == {"v": 1}
    out = ev('templatefile("user.tpl", { name = "bob", ports = [80, 443] })', root=tmp_path)
    assert out == "hi bob\nport 80\nport 443\n"
    with pytest.raises(EvalError):
        ev('file("absent.txt")', root=tmp_path)


def test_file_hash_functions(tmp_path: Path) -> None:
    (tmp_path / "lambda.zip").write_bytes(b"abc")
    assert ev('filemd5("lambda.zip")', root=tmp_path) == "900150983cd24fb0d6963f7d28e17f72"
    assert ev('filebase64sha256("lambda.zip")', root=tmp_path) == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    with pytest.raises(EvalError):
        ev('filesha256("missing.zip")', root=tmp_path)


def test_templatestring() -> None:
    template = "a-${n}-%{ if true }b%{ endif }"  # a plain Python string bound to `t`
    assert ev('templatestring(t, { n = "x" })', t=template) == "a-x-b"
