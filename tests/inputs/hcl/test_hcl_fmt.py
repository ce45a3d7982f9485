"""`hcl/fmt.py`: terraform fmt's layout for the lines a patch touches."""

from __future__ import annotations

from driftdeck.core.inputs.hcl.fmt import one_line, realign


def test_realign_leaves_untouched_groups_and_heredocs_alone() -> None:
    original = 'x {\n  a = 1\n  bb = 2\n\n  p = <<EOT\n  k = v\n  EOT\n  cc = 3\n}\n'
    patched = original.replace("  cc = 3\n", "  cc = 3\n  dddd = 4\n")
    out = realign(original, patched)
    assert "  a = 1\n  bb = 2\n" in out  # not touched by the change: left as it was
    assert "  k = v\n" in out  # heredoc content is text, not attributes
    assert "  cc   = 3\n  dddd = 4\n" in out


def test_one_line_renderings_keep_separators() -> None:
    assert one_line('{\n  Env      = "staging"\n  ApiToken = var.api_token # secret\n}') == \
        '{ Env = "staging", ApiToken = var.api_token }'
    assert one_line('merge(\n  var.common,\n  {\n    Env = "x",\n  }\n)') == 'merge(var.common, { Env = "x" })'
