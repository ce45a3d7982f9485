"""The locator and the evaluator agree on positions with override files (the base block, as
Terraform merges an override into it), and a duplicate resource block is an error naming both."""

from __future__ import annotations

from pathlib import Path

import pytest
from hcl_helpers import write_tree

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl import load_configuration, locate_resources


def test_override_files_keep_the_base_position_in_locator_and_evaluator(tmp_path: Path) -> None:
    # "a_override.tf" sorts before "main.tf": lexical order alone would name the override file.
    write_tree(tmp_path, {
        "main.tf": 'locals { x = 1 }\n\nresource "aws_sqs_queue" "q" {\n  name = "base"\n  delay_seconds = 1\n}\n',
        "a_override.tf": 'resource "aws_sqs_queue" "q" {\n  name = "overridden"\n}\n',
    })
    config = load_configuration(tmp_path, env={})
    instance = config.instances["aws_sqs_queue.q"]
    assert instance.attributes == {"name": "overridden", "delay_seconds": 1}  # merged, as Terraform does
    assert (instance.file, instance.line) == ("main.tf", 3)
    assert locate_resources(tmp_path)["aws_sqs_queue.q"] == ("main.tf", 3)


def test_a_duplicate_resource_block_is_an_error_with_both_locations(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "a.tf": 'resource "aws_sqs_queue" "q" {\n  name = "first"\n}\n',
        "b.tf": '# again\n\nresource "aws_sqs_queue" "q" {\n  name = "second"\n}\n',
    })
    with pytest.raises(InputError) as info:
        load_configuration(tmp_path, env={})
    assert str(info.value) == "b.tf:3: duplicate resource block aws_sqs_queue.q: already declared at a.tf:1"
