"""Adopt patches laid out as `terraform fmt` would (aligned `=` groups, one-line blocks opened up), notes
that render expressions with their separators, validation that claims only what it checked, and
plurals in plan documents."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from driftdeck.core.model import ChangeKind, Difference, ResourceResult, SourceRef, Status
from driftdeck.core.remediation import Direction, PlanOptions, build_plans, render_document
from driftdeck.core.remediation.adopt import adopt_patch
from driftdeck.core.remediation.hclalign import one_line, realign
from driftdeck.core.remediation.importing import import_block, resource_block
from driftdeck.core.remediation.locate import locate_block

FMT_CLEAN_TF = """\
resource "aws_s3_bucket" "data" {
  bucket = "dd-data"

  tags = {
    Env   = "prod" # environment
    Owner = "data" # team
  }
}

resource "aws_sqs_queue" "jobs" {
  name          = "dd-jobs"
  delay_seconds = 0
}
"""


def _result(address: str, diffs: list[Difference], expected: dict[str, Any], live: dict[str, Any],
            root: Path | None = None) -> ResourceResult:
    state = str(root / "terraform.tfstate") if root is not None else None
    return ResourceResult(address=address, type=address.split(".")[0], id="x", status=Status.CHANGED,
                          source=SourceRef(kind="terraform", state=state), differences=diffs, expected=expected, live=live)


def _adopt(root: Path, result: ResourceResult) -> Any:
    located = locate_block(root, result.address or "")
    assert located is not None
    return adopt_patch(result, located, workspace=root)


def _bucket_drift() -> ResourceResult:
    return _result(
        "aws_s3_bucket.data",
        [Difference("tags.DeployedBy", None, "ci", ChangeKind.ADDED), Difference("tags.Env", "prod", "staging")],
        {"tags": {"Env": "prod", "Owner": "data"}},
        {"tags": {"Env": "staging", "Owner": "data", "DeployedBy": "ci"}},
    )


def test_inserted_key_realigns_its_group_like_terraform_fmt(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(FMT_CLEAN_TF)
    out = _adopt(tmp_path, _bucket_drift())
    assert out.validated is True and out.unanswered == []
    lines = out.patch.patched.splitlines()
    assert '    Env        = "staging" # environment' in lines
    assert '    Owner      = "data"    # team' in lines
    assert '    DeployedBy = "ci"' in lines
    # the other resource and the bucket's own group are untouched
    assert '  bucket = "dd-data"' in lines and '  delay_seconds = 0' in lines
    assert hcl2.loads(out.patch.patched)["resource"][0]['"aws_s3_bucket"']['"data"']["tags"]["DeployedBy"] == '"ci"'


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


def test_expression_tags_are_manual_and_validation_claims_only_what_was_adopted(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_sqs_queue" "jobs" {\n'
        '  name          = "dd-jobs"\n'
        '  delay_seconds = 0\n'
        '  tags = merge(var.common, {\n'
        '    Env      = "prod"\n'
        '    ApiToken = var.api_token\n'
        '  })\n'
        '}\n'
    )
    (tmp_path / "terraform.tfstate").write_text("{}")
    result = _result("aws_sqs_queue.jobs",
                     [Difference("delay_seconds", 0, 5), Difference("tags.Env", "prod", "staging")],
                     {"delay_seconds": 0, "tags": {"Env": "prod"}}, {"delay_seconds": 5, "tags": {"Env": "staging"}},
                     root=tmp_path)
    (plan,) = build_plans([result], PlanOptions(workspace=tmp_path, directions=frozenset({Direction.ADOPT})))
    adopt = plan.direction(Direction.ADOPT)
    assert adopt is not None
    assert adopt.unanswered == ["tags.Env"]
    assert adopt.validated is False and adopt.validated_paths == ["delay_seconds"]
    assert adopt.to_json()["validated_paths"] == ["delay_seconds"]
    md = render_document([plan]).markdown
    assert "Validated: yes" not in md
    assert "Validated: partly" in md and "`delay_seconds`" in md and "left for manual work: `tags.Env`" in md
    # the expression in the note is readable HCL: items separated
    assert 'merge(var.common, { Env = "prod", ApiToken' in md


def test_plan_documents_use_correct_plurals(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(FMT_CLEAN_TF)
    (tmp_path / "terraform.tfstate").write_text("{}")
    one = _result("aws_sqs_queue.jobs", [Difference("delay_seconds", 0, 5)], {"delay_seconds": 0, "url": "u"},
                  {"delay_seconds": 5}, root=tmp_path)
    md = render_document(build_plans([one], PlanOptions(workspace=tmp_path))).markdown
    assert "(1 attribute)" in md and "(s)" not in md
    bucket = _bucket_drift()
    bucket.source = one.source
    md = render_document(build_plans([bucket], PlanOptions(workspace=tmp_path))).markdown
    assert "(2 attributes)" in md and "(s)" not in md


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on this machine")
def test_terraform_fmt_accepts_patched_files(tmp_path: Path, tf_env: dict[str, str]) -> None:
    (tmp_path / "main.tf").write_text(FMT_CLEAN_TF)
    check = subprocess.run(["terraform", "fmt", "-check", "-diff", "main.tf"], cwd=tmp_path, env=tf_env,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout  # the fixture itself is fmt-clean

    out = _adopt(tmp_path, _bucket_drift())
    (tmp_path / "main.tf").write_text(out.patch.patched)
    check = subprocess.run(["terraform", "fmt", "-check", "-diff", "main.tf"], cwd=tmp_path, env=tf_env,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout

    one_line_block = tmp_path / "q"
    one_line_block.mkdir()
    (one_line_block / "main.tf").write_text('resource "aws_sqs_queue" "q" { name = "q" }\n')
    queue = _result("aws_sqs_queue.q", [Difference("delay_seconds", 0, 5)], {"delay_seconds": 0}, {"delay_seconds": 5})
    out = _adopt(one_line_block, queue)
    (one_line_block / "main.tf").write_text(out.patch.patched)
    check = subprocess.run(["terraform", "fmt", "-check", "-diff", "main.tf"], cwd=one_line_block, env=tf_env,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    # a generated import file: groups end at multi-line values
    generated = tmp_path / "imp"
    generated.mkdir()
    body = resource_block("aws_sqs_queue", "q", {"name": "q", "visibility_timeout_seconds": 45,
                                                 "tags": {"Owner": "ops", "CostCenter": "x"},
                                                 "policy": '{"Version":"2012-10-17","Statement":[]}', "delay_seconds": 3})
    (generated / "import_q.tf").write_text(import_block("aws_sqs_queue.q", "u") + "\n" + body)
    check = subprocess.run(["terraform", "fmt", "-check", "-diff", "import_q.tf"], cwd=generated, env=tf_env,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
