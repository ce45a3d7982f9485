"""Differential test: our evaluator against `terraform console` on the same expressions.

All expressions go into one `jsonencode({...})` (one terraform process, a few seconds); each is
wrapped in `try(..., "__error__")` so an error is compared too.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hcl_helpers import ev

from driftdeck.core.inputs.hcl.functions import json_encode
from driftdeck.core.inputs.hcl.values import EvalError

pytestmark = pytest.mark.terraform

EXPRESSIONS = [
    'format("%5.2f|%-4s|%x|%03d|%t|%q", 3.14159, "a", 255, 7, true, "x")',
    'format("%v and %v", 1.5, [1, "a"])',
    'formatlist("%s=%d", ["a", "b"], [1, 2])',
    'join("/", ["a", "b"])',
    'split(",", "")',
    'split(",", "a,,b")',
    'replace("a1b22c", "/[0-9]+/", "#")',
    'replace("2024-01-31", "/(\\\\d+)-(\\\\d+)-(\\\\d+)/", "$3.$2.$1")',
    'regex("(\\\\d+)\\\\.(\\\\d+)", "v12.34")',
    'regex("(?P<major>\\\\d+)\\\\.(?P<minor>\\\\d+)", "v12.34")',
    'regexall("[a-z]+", "ab 12 cd")',
    'title("hello-world foo_bar")',
    'substr("hello world", -5, 3)',
    'substr("hello", 1, -1)',
    'trim("?!hello?!", "!?")',
    'trimspace("  \\n x y \\t")',
    'trimsuffix("file.tf", ".tf")',
    'chomp("x\\n\\n")',
    'indent(2, "a\\nb\\n")',
    'strrev("abc")',
    'lower("ÀB")',
    'merge({a = 1, b = {c = 2}}, {b = {d = 3}})',
    'concat(["a"], [], ["b", "c"])',
    'lookup({a = 1}, "b", "dflt")',
    'coalesce(null, "", "x")',
    'coalescelist([], ["a"], ["b"])',
    'keys({b = 1, a = 2, C = 3})',
    'values({b = 1, a = 2, C = 3})',
    'contains(["a", 1], "1")',
    'element(["a", "b", "c"], 5)',
    'flatten([["a", ["b"]], [], "c"])',
    'distinct(["b", "a", "b"])',
    'toset(["b", "a", "b", "c"])',
    'sort(["b", "a", "10", "9"])',
    'reverse([1, 2, 3])',
    'slice([1, 2, 3, 4], 1, 3)',
    'setunion(["a", "b"], ["b", "c"])',
    'setintersection(["a", "b", "c"], ["c", "b"])',
    'setsubtract(["a", "b", "c"], ["b"])',
    'setproduct(["a", "b"], ["x", "y"])',
    'chunklist(["a", "b", "c"], 2)',
    'zipmap(["b", "a"], [1, 2])',
    'range(5)',
    'range(1, 3)',
    'range(10, 0, -3)',
    'range(0, 1, 0.25)',
    'one([])',
    'compact(["a", "", "b"])',
    'index(["a", "b"], "b")',
    'matchkeys(["i1", "i2", "i3"], ["us", "eu", "us"], ["us"])',
    'transpose({a = ["1", "2"], b = ["2"]})',
    'sum([1, 2.5, -1])',
    'min(3, 1.5, 2)',
    'max(-1, -5)',
    'abs(-3.5)',
    'ceil(1.2)',
    'floor(-1.2)',
    'pow(2, 10)',
    'signum(-7)',
    'parseint("ff", 16)',
    'tonumber("3.50")',
    'tostring(1.25)',
    'tobool("true")',
    'jsonencode({b = [1, "x<y>&z"], a = null, c = true, d = 1.5})',
    'jsondecode("{\\"b\\": [1, 2.0, \\"x\\"], \\"a\\": {\\"c\\": null}}")',
    'base64encode("héllo")',
    'base64decode("aGVsbG8=")',
    'md5("abc")',
    'sha1("abc")',
    'sha256("abc")',
    'urlencode("a b&c=d/é")',
    'cidrsubnet("10.0.0.0/16", 8, 255)',
    'cidrsubnet("fd00::/56", 8, 3)',
    'cidrhost("10.0.0.0/24", -2)',
    'cidrnetmask("172.16.0.0/12")',
    'cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)',
    '[for k, v in {b = 2, a = 1} : "${k}=${v}"]',
    '{for s in ["apple", "avocado", "banana"] : substr(s, 0, 1) => s...}',
    '[for i, v in ["a", "b", "c"] : "${i}${v}" if i != 1]',
    '[{n = 1}, {n = 2}][*].n',
    '"%{ for i in [1, 2, 3] }${i}%{ if i < 3 },%{ endif }%{ endfor }"',
    '"x %{~ if true ~} y %{~ endif ~} z"',
    '7 % -3',
    '-7 % 3',
    '7 / 2',
    '"5" + 2',
    '1 == "1"',
    '[1, 2] == [1, 2]',
    '{a = 1} == {a = 1}',
    'true && !false || false',
    '5 > 3 ? "yes" : "no"',
    'try(tonumber("x"), "fallback")',
    'can(regex("^[a-z]+$", "abc"))',
    'can(regex("^[a-z]+$", "ABC"))',
    'length("héllo")',
    'length({a = 1, b = 2})',
    'startswith("hello", "he")',
    'endswith("hello", "lo")',
    'strcontains("hello", "ll")',
    'alltrue([true, true])',
    'anytrue([false])',
    'one(["only"])',
    'lookup({a = {b = 1}}, "a", {})',
    'tomap({a = "1", b = "2"})',
    'tolist(["a", "b"])',
    'yamldecode("a: 1\\nb: [x, y]\\nc: {d: true}")',
    'yamlencode({a = 1, b = ["x", "y"], c = {d = true, e = null}, f = "multi\\nline", g = [], h = [{i = 1, j = [2]}]})',
    'yamlencode([["a"], "b\\n", {}])',
    'yamlencode("s")',
    # time functions on given timestamps
    'timeadd("2024-01-31T23:30:00Z", "1h")',
    'timeadd("2024-01-31T23:30:00Z", "-90m")',
    'timeadd("2024-01-31T23:30:00+02:00", "1h30m15s")',
    'formatdate("YYYY-MM-DD hh:mm:ss ZZZ", "2024-03-05T07:08:09Z")',
    'formatdate("EEEE, DD MMM YYYY \'at\' h:mm aa", "2024-03-05T17:08:09Z")',
    'formatdate("D/M/YY H AA Z", "2024-03-05T00:08:09+05:30")',
    'formatdate("MMMM EEE ZZZZ ZZZZZ", "2024-12-25T10:00:00-08:00")',
    # numbers, type unification, edge cases
    'uuidv5("dns", "example.com")',
    'uuidv5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "x")',
    'jsonencode(0.00001)',
    'jsonencode(1e-7)',
    'jsonencode(123456789012.5)',
    'jsonencode(1e21)',
    'jsonencode("\\u2028<")',
    '"${0.00001}"',
    '"${1.50}"',
    '"${-0.5}"',
    'tostring(0.1)',
    'format("%5s|%-5s|", "ab", "cd")',
    'format("%+d", 5)',
    'format("%e", 12345.678)',
    'format("%g", 0.000012)',
    'format("%.2e", 1234.5)',
    'format("%b", 5)',
    'format("%o", 8)',
    'format("%X", 255)',
    'formatlist("%s", [])',
    'join(", ", [])',
    'null == null',
    '[1, null] == [1, null]',
    '"a" == null',
    '[for x in [1, 2, 3] : x if x > 1]',
    '{for k, v in {} : k => v}',
    'keys({})',
    '"%{ for k, v in {a = 1, b = 2} }${k}${v}%{ endfor }"',
    '"%{if false}x%{endif}"',
    '1 + 2 * 3 - 4 / 2 % 3',
    '[[1, 2], [3]][*][0]',
    '{a = {b = [1, 2]}}.a.b[1]',
    '["a", "b"][1]',
    '-(-3)',
    '[for s in toset(["b", "a"]) : s]',
    '{for i, v in ["x", "y"] : v => i}',
    'flatten([[{a = 1}], [{b = 2}]])',
    'merge([{a = 1}, {b = 2}]...)',
    'concat([[1]], [[2]])',
    'contains([[1]], [1])',
    'lookup({a = [1]}, "a")',
    'element(["a"], -1)',
    'index([1, 2], 2)',
    'cidrsubnet("10.0.0.0/8", 16, 257)',
    'cidrhost("192.168.0.0/16", 300)',
    'try(["a"][3], "oob")',
    'can({a = 1}.b)',
    'sum([])',
    'setunion([])',
    'distinct([])',
    'tolist(toset([3, 1, 2]))',
    'sort(["b", "B", "a"])',
    'format("%v", {a = 1})',
    'length("👍🏽x")',
    'length("e\u0301🇫🇷👨‍👩‍👧")',
    'substr("🇫🇷e\u0301abc", 1, 2)',
    'upper("straße")',
    'strrev("abc")',
    '"${0.1 + 0.2}"',
    '0.1 + 0.2',
    '"${1e20}"',
    'tostring(1e20)',
    '"${5 / 2}"',
    'format("%d", 3.0)',
    'substr("héllo", 1, 2)',
    'sort([10, 9, 1])',
    'coalesce(1, "a")',
    'true ? 1 : "a"',
    'tomap({a = 1, b = "x"})',
    'toset([1, "a"])',
    'tolist([1, "a"])',
    '{a = {id = 1}}[*]',
    '[for k, v in ["a"] : k]',
    'max(1, "5")',
    '"${true}"',
    'join(",", [1, true])',
    'format("%s", 1.5)',
    'format("%#v", "x")',
    'format("%.3s", "abcdef")',
    'format("%8.3f|%-8d|", 3.14159, 42)',
    'split("", "abc")',
    'regex("a(b)?c", "ac")',
    'regexall("(\\\\d)", "a1b2")',
    'replace("aaa", "a", "")',
    'element([], 0)',
    'lookup({}, "a")',
    'jsonencode(0.1)',
    'jsonencode(1e3)',
    'jsonencode(1234567890123456789)',
    'jsonencode(3.0)',
    'jsonencode(parseint("777", 8))',
    'jsonencode({"a b" = 1, "é" = 2})',
    'abs(-0)',
    'ceil(-0.5)',
    'range(3, 0)',
    'range(-1, -4, -1)',
    'concat([1], ["a"])',
    'merge({a = 1}, {a = "x"})',
    'flatten([[[]], [[1]]])',
    '"a" < "b"',
]


def _ours(expr: str) -> Any:
    try:
        return json.loads(json_encode(ev(expr)))
    except EvalError:
        return "__error__"


@pytest.fixture(scope="module")
def terraform_values(tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir: Path = tmp_path_factory.mktemp("console")
    pairs = ", ".join(f'"{i}" = try({expr}, "__error__")' for i, expr in enumerate(EXPRESSIONS))
    proc = subprocess.run(
        ["terraform", "console"], input=f"jsonencode({{{pairs}}})\n", cwd=workdir, env=tf_env,
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    # The console prints the JSON text as an HCL string literal.
    return json.loads(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("index", range(len(EXPRESSIONS)), ids=[e[:50] for e in EXPRESSIONS])
def test_expression_matches_terraform(index: int, terraform_values: dict[str, Any]) -> None:
    expr = EXPRESSIONS[index]
    assert _ours(expr) == terraform_values[str(index)], expr


MODULE_FILES = {
    "main.tf": """
        variable "cfg" {
          type = object({
            name   = string
            size   = optional(number, 3)
            extra  = optional(map(string), {})
            nested = optional(object({ on = optional(bool, true) }), {})
          })
        }
        variable "fromenv" {
          type    = list(number)
          default = []
        }
        locals {
          flush_strip = <<-EOT
            x
            %{ for i in [1, 2] ~}
            - item${i}
            %{ endfor ~}
            y
          EOT
          flush_plain = <<-EOT
            name: ${var.cfg.name}
            %{ for i in range(var.cfg.size) }
            - item${i}
            %{ endfor }
            end
          EOT
          raw_strip = <<EOT
        x
          %{~ for i in [1, 2] ~}
          - item${i}
        %{ endfor ~}
        y
        EOT
          quoted = "a \\n\\n   %{~ if true ~}   \\n\\n  b %{ endif }"
          nested_strip = <<-EOT
              deep
            %{~ if true ~}
              z
            %{~ endif ~}
            w
          EOT
          all = {
            cfg     = var.cfg
            env     = var.fromenv
            docs    = [local.flush_strip, local.flush_plain, local.raw_strip, local.quoted, local.nested_strip]
            tpl     = templatefile("${path.module}/t.tpl", { xs = ["a", "b"] })
            strip   = templatefile("${path.module}/strip.tpl", {})
            subnets = module.net.subnets
            ws      = terraform.workspace
          }
        }
        module "net" {
          source = "./net"
          n      = 2
        }
        resource "terraform_data" "everything" {
          input = local.all
        }
    """,
    "net/main.tf": """
        variable "n" { type = number }
        output "subnets" { value = { for i in range(var.n) : "s${i}" => cidrsubnet("10.0.0.0/16", 8, i) } }
    """,
    "t.tpl": "%{ for x in xs }[${x}]%{ endfor }\n",
    "strip.tpl": "a\n  %{~ if true ~}  \n  b\n%{ endif }",
    "terraform.tfvars": 'cfg = { name = "demo", nested = {} }\n',
}


def test_module_values_match_terraform_console(tf_env: dict[str, str], tmp_path: Path) -> None:
    """Variables (tfvars, TF_VAR_, optional() defaults), heredocs with strip markers and flush
    indentation, template files and a local module's output, as terraform itself evaluates them."""
    from hcl_helpers import write_tree

    from driftdeck.core.inputs.hcl import load_configuration

    write_tree(tmp_path, MODULE_FILES)
    (tmp_path / "strip.tpl").write_text(MODULE_FILES["strip.tpl"])  # keep its exact bytes
    env = {**tf_env, "TF_VAR_fromenv": "[1, 2]"}
    init = subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stdout + init.stderr
    proc = subprocess.run(["terraform", "console"], input="jsonencode(local.all)\n", cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    expected = json.loads(json.loads(proc.stdout.strip().splitlines()[-1]))

    config = load_configuration(tmp_path, env={"TF_VAR_fromenv": "[1, 2]"})
    ours = config.instances["terraform_data.everything"].attributes["input"]
    assert json.loads(json_encode(ours)) == expected
