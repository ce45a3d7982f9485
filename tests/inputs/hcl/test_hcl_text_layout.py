"""`hcl/text_layout.py`: byte offsets of blocks, attributes and object items, for splice edits."""

from __future__ import annotations

from hcl_samples import TRICKY

from driftdeck.core.inputs.hcl.text_layout import parse_structure, tokenize


def test_structure_ignores_braces_in_strings_heredocs_and_comments() -> None:
    root = parse_structure(TRICKY)
    assert [(b.type, b.labels) for b in root.blocks] == [("locals", []), ("resource", ["aws_s3_bucket", "real"])]
    real = root.blocks[1]
    assert TRICKY[real.close] == "}" and TRICKY[real.close + 1 :].strip() == ""
    assert [a.name for a in real.attributes] == ["bucket", "tags"]
    assert TRICKY[real.attributes[0].value_start : real.attributes[0].value_end] == '"b-${"}"}"'
    kinds = {t.kind for t in tokenize(TRICKY)}
    assert "heredoc" in kinds and "string" in kinds
