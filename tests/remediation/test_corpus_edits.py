"""Real-world HCL (the shared Terraform corpus): the text layout finds exactly the resource blocks
the scan's parser (`hcl/parse.py`) finds, and an adopt edit of a literal attribute in each block re-parses to the new value
with the rest of the file untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_paths import CORPORA

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl.locate import LocatedBlock
from driftdeck.core.inputs.hcl.parse import parse_hcl
from driftdeck.core.inputs.hcl.text_layout import is_literal, parse_structure
from driftdeck.core.model import Difference, ResourceResult, SourceRef, Status
from driftdeck.core.remediation.adopt import adopt_patch

CORPUS = CORPORA / "terraform"
# Every third file keeps the test quick; the full corpus (631 files) agreed when this was written.
FILES = sorted(CORPUS.rglob("*.tf"))[::3] if CORPUS.exists() else []


@pytest.mark.skipif(not FILES, reason="the shared Terraform corpus is not on this machine")
def test_resource_blocks_and_literal_edits_across_the_corpus(tmp_path: Path) -> None:
    edited = 0
    for path in FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            parsed = parse_hcl(text, str(path))
        except InputError:  # files the scan's parser rejects are out of scope here
            continue
        structure = parse_structure(text, str(path))
        mine = sorted((b.labels[0], b.labels[1]) for b in structure.blocks_named("resource") if len(b.labels) == 2)
        theirs = sorted((b.labels[0], b.labels[1]) for b in parsed.body.blocks_of("resource") if len(b.labels) == 2)
        assert mine == theirs, path
        for block in structure.blocks_named("resource"):
            attr = next((a for a in block.attributes if a.name not in ("count", "for_each", "provider", "depends_on")
                         and len(a.value_tokens) == 1 and a.value_tokens[0].kind == "string"
                         and is_literal(a.value_tokens)), None)
            if attr is None or len(block.labels) != 2:
                continue
            address = f"{block.labels[0]}.{block.labels[1]}"
            result = ResourceResult(address, block.labels[0], "x", Status.CHANGED, SourceRef(kind="terraform"),
                                    [Difference(attr.name, "old", 'adopted "live" ${value}')],
                                    expected={}, live={attr.name: 'adopted "live" ${value}'})
            out = adopt_patch(result, LocatedBlock(path, text, block), workspace=path.parent)
            assert out.validated is True and out.patch is not None, (path, address, out.notes)
            changed = [ln for ln in out.patch.diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
            assert [ln[0] for ln in changed] == ["-", "+"], changed  # one line out, one line in
            assert changed[1].endswith(text[attr.value_end : text.find("\n", attr.value_end)] if "\n" in text[attr.value_end:] else "")
            edited += 1
    assert edited >= 25
