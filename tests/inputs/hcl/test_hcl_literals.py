"""`hcl/literals.py`: what a patched block says, read by the scan's own parser."""

from __future__ import annotations

import pytest

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl.literals import Expression, has_expression, parses, resource_body

BLOCK = r'''
resource "aws_sqs_queue" "q" {
  name          = "q-$${literal}"
  delay_seconds = -5
  ratio         = 1.5
  enabled       = true
  nothing       = null
  tags = {
    "a.b/c" = "x"
    Env     = "prod"
  }
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow" }] })
  script = <<-EOT
    line one
      indented
  EOT
  ref      = var.name
  template = "q-${var.env}"
  computed = { (var.k) = 1 }
  wrapped  = jsonencode({ a = var.x })

  ingress {
    from_port = 80
  }
  ingress {
    from_port = 443
  }
  dynamic "egress" {
    for_each = var.rules
  }
}
'''


def test_literals_come_back_as_plain_values() -> None:
    body = resource_body(BLOCK, "aws_sqs_queue", "q")
    assert body is not None
    assert body["name"] == "q-${literal}"  # an escaped template is text
    assert (body["delay_seconds"], body["ratio"], body["enabled"], body["nothing"]) == (-5, 1.5, True, None)
    assert body["tags"] == {"a.b/c": "x", "Env": "prod"}
    assert body["policy"] == {"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}
    assert body["script"] == "line one\n  indented\n"
    assert body["ingress"] == [{"from_port": 80}, {"from_port": 443}]
    assert isinstance(body["dynamic"][0]["egress"]["for_each"], Expression)


@pytest.mark.parametrize("name", ["ref", "template", "computed", "wrapped"])
def test_anything_not_literal_is_an_expression(name: str) -> None:
    body = resource_body(BLOCK, "aws_sqs_queue", "q")
    assert body is not None and isinstance(body[name], Expression) and has_expression(body)


def test_another_resource_or_bad_syntax() -> None:
    assert resource_body(BLOCK, "aws_sqs_queue", "other") is None
    assert parses(BLOCK) and not parses('resource "a" "b" {\n  x = \n}\n')
    with pytest.raises(InputError):
        resource_body('resource "a" "b" {', "a", "b")
