"""shape_block: plain provider arguments shaped to a schema block the way Terraform sends them,
on the real AWS provider's own provider block (where the binary is on this machine) and on a
hand-built block of the same shape (always)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from provider_support import require_aws_provider

from driftdeck.core.cty import NUMBER, STRING, CtyType, decode, encode, map_of, set_of, values_equal
from driftdeck.core.live.provider.client import ProviderClient
from driftdeck.core.live.provider.process import ProviderProcess
from driftdeck.core.live.provider.schema import AttributeSchema, BlockSchema, NestedBlockSchema
from driftdeck.core.live.provider.shaping import ShapeError, shape_block
from driftdeck.core.unknown import UNKNOWN

_SINGLE, _LIST, _SET, _MAP = 1, 2, 3, 4


def _attrs(**types: CtyType) -> dict[str, AttributeSchema]:
    return {name: AttributeSchema(name=name, type=t, optional=True) for name, t in types.items()}


def hand_built_provider_block() -> BlockSchema:
    """A small provider block shaped like hashicorp/aws's (list, set and map nestings)."""
    return BlockSchema(
        attributes=_attrs(region=STRING, max_retries=NUMBER, allowed_account_ids=set_of(STRING)),
        blocks={
            "assume_role": NestedBlockSchema(_LIST, BlockSchema(attributes=_attrs(
                role_arn=STRING, session_name=STRING, policy_arns=set_of(STRING)))),
            "default_tags": NestedBlockSchema(_LIST, BlockSchema(attributes=_attrs(tags=map_of(STRING))),
                                              max_items=1),
            "endpoints": NestedBlockSchema(_SET, BlockSchema(attributes=_attrs(sqs=STRING, s3=STRING, sts=STRING))),
            "ignore_tags": NestedBlockSchema(_LIST, BlockSchema(attributes=_attrs(keys=set_of(STRING))), max_items=1),
            "labelled": NestedBlockSchema(_MAP, BlockSchema(attributes=_attrs(value=STRING))),
            "single": NestedBlockSchema(_SINGLE, BlockSchema(attributes=_attrs(value=STRING))),
        },
    )


@pytest.fixture(scope="session")
def aws_provider_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real AWS provider executable (the test skips where this machine has none)."""
    return require_aws_provider(tmp_path_factory)


@pytest.fixture(scope="module")
def aws_provider_block(aws_provider_binary: Path) -> Iterator[BlockSchema]:
    """The real provider's own configuration block (GetSchema on one short-lived process)."""
    process = ProviderProcess(aws_provider_binary)
    process.start()
    try:
        yield ProviderClient(process).schema.provider.block
    finally:
        process.kill()


@pytest.fixture(params=["aws", "hand-built"])
def block(request: pytest.FixtureRequest) -> BlockSchema:
    if request.param == "aws":
        found: BlockSchema = request.getfixturevalue("aws_provider_block")
        return found
    return hand_built_provider_block()


def test_real_schema_has_the_blocks_under_test(block: BlockSchema) -> None:
    """(The shapes the other tests rely on.)"""
    assert block.blocks["endpoints"].nesting in (_LIST, _SET)
    assert block.blocks["assume_role"].nesting == _LIST
    assert "region" in block.attributes and "sqs" in block.blocks["endpoints"].block.attributes


def test_shapes_a_complete_object(block: BlockSchema) -> None:
    """Every attribute present (None where unset), the endpoints block given as a list of one dict
    completed, a missing assume_role an empty list."""
    shaped = shape_block(block, {"region": "us-east-1", "endpoints": [{"sqs": "http://127.0.0.1:4566"}]})
    assert set(shaped) == set(block.attributes) | set(block.blocks)
    assert shaped["region"] == "us-east-1"
    assert all(shaped[name] is None for name in block.attributes if name != "region")
    (endpoints,) = shaped["endpoints"]
    assert set(endpoints) == set(block.blocks["endpoints"].block.attributes)
    assert endpoints["sqs"] == "http://127.0.0.1:4566"
    assert all(v is None for k, v in endpoints.items() if k != "sqs")
    assert shaped["assume_role"] == []
    assert shaped["default_tags"] == []


def test_a_single_dict_is_one_block(block: BlockSchema) -> None:
    """HCL's evaluator may hand one block as a bare dict: it is the list of that one block."""
    shaped = shape_block(block, {"default_tags": {"tags": {"team": "drift"}}})
    assert shaped["default_tags"] == [{"tags": {"team": "drift"}}]


def test_misspelled_argument_is_named(block: BlockSchema) -> None:
    with pytest.raises(ShapeError, match="regoin"):
        shape_block(block, {"regoin": "us-east-1"})
    with pytest.raises(ShapeError, match=r"endpoints\[0\]\.sqss"):
        shape_block(block, {"endpoints": [{"sqss": "http://127.0.0.1:4566"}]})


@pytest.mark.parametrize("given", [["http://127.0.0.1:4566"], "http://127.0.0.1:4566", 3])
def test_a_block_that_is_not_an_object_is_a_shape_error(block: BlockSchema, given: object) -> None:
    """`endpoints = ["http://..."]` is a configuration mistake, reported as one naming the block
    (a bare ValueError would escape the session's handling and leak the started provider)."""
    with pytest.raises(ShapeError, match="endpoints"):
        shape_block(block, {"endpoints": given})


def test_unknown_values_pass_through(block: BlockSchema) -> None:
    """A value not known yet stays unknown, as an argument, a whole block or one block of a list."""
    shaped = shape_block(block, {"region": UNKNOWN, "assume_role": UNKNOWN,
                                 "endpoints": [UNKNOWN, {"sqs": "http://127.0.0.1:4566"}]})
    assert shaped["region"] is UNKNOWN
    assert shaped["assume_role"] is UNKNOWN
    assert shaped["endpoints"][0] is UNKNOWN
    assert shaped["endpoints"][1]["sqs"] == "http://127.0.0.1:4566"
    encode(shaped, block.implied_type())


def test_shaped_value_encodes_to_the_block_type(block: BlockSchema) -> None:
    """What shape_block makes is a value of the block's implied type: it encodes (as Configure
    sends it) and decodes back equal."""
    values = {
        "region": "eu-west-1",
        "max_retries": 5,
        "allowed_account_ids": ["123456789012"],
        "endpoints": [{"sqs": "http://127.0.0.1:4566", "sts": "http://127.0.0.1:4566"}],
        "assume_role": [{"role_arn": "arn:aws:iam::123456789012:role/read", "session_name": "drift"}],
        "default_tags": [{"tags": {"owner": "platform"}}],
    }
    shaped = shape_block(block, values)
    ty = block.implied_type()
    wire = encode(shaped, ty)
    assert values_equal(decode(wire, ty), shaped, ty)
    assert ty.kind == "object"


def test_map_and_single_nesting() -> None:
    """Map blocks merge their labelled bodies; absent single blocks are null, absent map blocks {}."""
    block = hand_built_provider_block()
    assert shape_block(block, {})["labelled"] == {}
    assert shape_block(block, {})["single"] is None
    shaped = shape_block(block, {"labelled": [{"a": {"value": "1"}}, {"b": {}}], "single": [{"value": "x"}]})
    assert shaped["labelled"] == {"a": {"value": "1"}, "b": {"value": None}}
    assert shaped["single"] == {"value": "x"}
    with pytest.raises(ShapeError, match="single: at most one block"):
        shape_block(block, {"single": [{}, {}]})
