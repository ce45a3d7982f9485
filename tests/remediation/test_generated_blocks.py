"""The resource block written from a provider-generated configuration: attributes in name order
aligned as terraform fmt does, nested blocks in block syntax (single, list, labelled map), JSON
documents as jsonencode, sensitive values (nested ones too) as typed variables, refused live values
as comments. Schemas are built by hand here; tests/live/provider/test_import_generation.py runs the same
code against the real provider and terraform."""

from __future__ import annotations

from driftdeck.core.cty import BOOL, NUMBER, STRING, list_of, map_of, object_of
from driftdeck.core.live.provider.generate import (
    GeneratedConfig,
    JsonDocument,
    Sensitive,
    body_from_live,
    config_values,
    in_written_order,
    terraform_jsonencode,
)
from driftdeck.core.live.provider.schema import AttributeSchema, BlockSchema, NestedBlockSchema
from driftdeck.core.remediation.importing import generated_resource_text

CREDENTIALS = BlockSchema(attributes={
    "user": AttributeSchema("user", STRING, required=True),
    "password": AttributeSchema("password", STRING, optional=True, sensitive=True),
})
RULE = BlockSchema(attributes={"port": AttributeSchema("port", NUMBER, required=True),
                               "open": AttributeSchema("open", BOOL, optional=True)})
BLOCK = BlockSchema(
    attributes={
        "id": AttributeSchema("id", STRING, optional=True, computed=True),
        "name": AttributeSchema("name", STRING, required=True),
        "arn": AttributeSchema("arn", STRING, computed=True),
        "policy": AttributeSchema("policy", STRING, optional=True),
        "size": AttributeSchema("size", NUMBER, optional=True),
        "old": AttributeSchema("old", STRING, optional=True, deprecated=True),
        "tags": AttributeSchema("tags", map_of(STRING), optional=True),
        "tags_all": AttributeSchema("tags_all", map_of(STRING), optional=True, computed=True),
        "ports": AttributeSchema("ports", list_of(object_of({"from": NUMBER, "to": NUMBER})), optional=True),
        "token": AttributeSchema("token", map_of(STRING), optional=True, sensitive=True),
        "note": AttributeSchema("note", STRING, optional=True),
    },
    blocks={
        "credentials": NestedBlockSchema(1, CREDENTIALS),
        "rule": NestedBlockSchema(2, RULE),
        "site": NestedBlockSchema(4, BlockSchema(attributes={"path": AttributeSchema("path", STRING, optional=True)})),
    },
)
LIVE = {
    "id": "x-1", "name": "orders", "arn": "arn:aws:x:::orders", "policy": '{"Version": "2012-10-17", "Statement": []}',
    "size": 0, "old": "legacy", "tags": {"Env": "prod"}, "tags_all": {"Env": "prod"},
    "ports": [{"from": 80, "to": 80}], "token": {"k": "secret-token"}, "note": "",
    "credentials": {"user": "app", "password": "hunter2"},
    "rule": [{"port": 443, "open": True}, {"port": 22, "open": False}],
    "site": {"main": {"path": "/"}},
}


def test_arguments_are_the_configurable_set_values() -> None:
    body = body_from_live(BLOCK, LIVE, top=True)
    # computed-only, deprecated, the SDK's id, tags_all and null/zero values are not configuration
    assert sorted(body) == ["credentials", "name", "policy", "ports", "rule", "site", "tags", "token"]
    assert body["policy"] == JsonDocument({"Version": "2012-10-17", "Statement": []}, LIVE["policy"])
    assert body["credentials"]["password"] == Sensitive("hunter2", STRING)
    assert body["rule"] == [{"port": 443, "open": True}, {"port": 22}]
    # what Terraform evaluates: jsonencode's compact sorted text, the variables' values
    values = config_values(BLOCK, body)
    assert values["policy"] == '{"Statement":[],"Version":"2012-10-17"}'
    assert values["credentials"] == {"user": "app", "password": "hunter2"}


def test_jsonencode_escapes_as_terraform_does() -> None:
    assert terraform_jsonencode({"b": "<a&b>", "a": 1.0}) == '{"a":1,"b":"\\u003ca\\u0026b\\u003e"}'


def test_rendered_block() -> None:
    arguments = in_written_order(BLOCK, body_from_live(BLOCK, LIVE, top=True))
    generated = GeneratedConfig("aws_thing", "x-1", arguments, BLOCK, LIVE, "provider 1.0", verified=True,
                                rejected={"size": "expected size to be in the range (1 - 10), got 0"})
    text, variables = generated_resource_text("orders", generated)
    assert variables == ["orders_token", "orders_credentials_password"]
    assert "hunter2" not in text and "secret-token" not in text
    assert text == '''variable "orders_token" {
  type      = map(string)
  sensitive = true
}

variable "orders_credentials_password" {
  type      = string
  sensitive = true
}

resource "aws_thing" "orders" {
  name = "orders"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = []
  })
  ports = [
    {
      from = 80
      to   = 80
    },
  ]
  tags = {
    Env = "prod"
  }
  token = var.orders_token
  # size = 0  # live value, refused by the provider: expected size to be in the range (1 - 10), got 0

  credentials {
    password = var.orders_credentials_password
    user     = "app"
  }

  rule {
    open = true
    port = 443
  }

  rule {
    port = 22
  }

  site "main" {
    path = "/"
  }
}
'''
