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

from driftdeck.core.inputs.hcl.locate import locate_block
from driftdeck.core.model import ChangeKind, Difference, ResourceResult, SourceRef, Status
from driftdeck.core.remediation import Direction, PlanOptions, build_plans, render_document
from driftdeck.core.remediation.adopt import adopt_patch
from driftdeck.core.remediation.importing import import_block, resource_block

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
    # manual work is left: the check never promises "no change"
    checks = [c.effect for c in adopt.commands if c.effect.startswith("check:")]
    assert checks == ["check: Terraform should now report changes only for what is left for manual work (tags.Env) "
                      "until that is done by hand"]
    assert "should now report no change" not in md


def test_an_adopt_with_nothing_patchable_is_marked_manual(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_sqs_queue" "jobs" {\n'
        '  name = "dd-jobs"\n'
        '  tags = merge(var.common, { Env = "prod" })\n'
        '}\n'
    )
    (tmp_path / "terraform.tfstate").write_text("{}")
    result = _result("aws_sqs_queue.jobs", [Difference("tags.Env", "prod", "staging")],
                     {"tags": {"Env": "prod"}}, {"tags": {"Env": "staging"}}, root=tmp_path)
    (plan,) = build_plans([result], PlanOptions(workspace=tmp_path, directions=frozenset({Direction.ADOPT})))
    adopt = plan.direction(Direction.ADOPT)
    assert adopt is not None and not adopt.patches and adopt.unanswered == ["tags.Env"]
    assert "manual: nothing could be patched (1 attribute to change by hand)" in adopt.summary
    md = render_document([plan]).markdown
    assert "manual: nothing could be patched" in md and "should now report no change" not in md


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


def test_bucket_versioning_drift_is_planned_once_on_the_resource_that_manages_it(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "logs" {\n  bucket = "dd-logs"\n  tags = {\n    Env = "prod"\n  }\n}\n\n'
        'resource "aws_s3_bucket_versioning" "logs" {\n  bucket = aws_s3_bucket.logs.id\n'
        '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n'
    )
    (tmp_path / "terraform.tfstate").write_text("{}")
    mirror = Difference("versioning[0].enabled", True, False)
    bucket = ResourceResult(
        address="aws_s3_bucket.logs", type="aws_s3_bucket", id="dd-logs", status=Status.CHANGED,
        source=SourceRef(kind="terraform", state=str(tmp_path / "terraform.tfstate")), differences=[mirror],
        expected={"bucket": "dd-logs", "versioning": [{"enabled": True}]}, live={"bucket": "dd-logs", "versioning": [{"enabled": False}]})
    versioning = ResourceResult(
        address="aws_s3_bucket_versioning.logs", type="aws_s3_bucket_versioning", id="dd-logs", status=Status.CHANGED,
        source=SourceRef(kind="terraform", state=str(tmp_path / "terraform.tfstate")),
        differences=[Difference("versioning_configuration[0].status", "Enabled", "Suspended")],
        expected={"bucket": "dd-logs", "versioning_configuration": [{"status": "Enabled"}]},
        live={"bucket": "dd-logs", "versioning_configuration": [{"status": "Suspended"}]})
    plans = build_plans([bucket, versioning], PlanOptions(workspace=tmp_path))
    assert [p.key for p in plans] == ["aws_s3_bucket_versioning.logs"]  # not reported a second time on the bucket
    revert = plans[0].direction(Direction.REVERT)
    assert revert is not None
    commands = "\n".join(c.text for c in revert.commands)
    assert "-target=aws_s3_bucket_versioning.logs" in commands and "-target=aws_s3_bucket.logs" not in commands
    assert [c.operation for c in revert.aws_calls] == ["put_bucket_versioning"]
    # With drift of its own the bucket keeps a plan, for that drift only, and says where versioning went.
    bucket.differences.append(Difference("tags.Env", "prod", "dev"))
    bucket.expected["tags"], bucket.live["tags"] = {"Env": "prod"}, {"Env": "dev"}  # type: ignore[index]
    plans = build_plans([bucket, versioning], PlanOptions(workspace=tmp_path))
    assert [p.key for p in plans] == ["aws_s3_bucket_versioning.logs", "aws_s3_bucket.logs"]
    bucket_revert = plans[1].direction(Direction.REVERT)
    assert bucket_revert is not None and bucket_revert.answered == ["tags.Env"]
    assert all(c.operation != "put_bucket_versioning" for c in bucket_revert.aws_calls)
    assert any("versioning[0].enabled only mirror aws_s3_bucket_versioning.logs" in n for n in bucket_revert.notes)
    # Planned alone (the dashboard's `p`), the bucket still answers its own versioning difference.
    (alone,) = build_plans([bucket], PlanOptions(workspace=tmp_path))
    assert "versioning[0].enabled" in alone.direction(Direction.REVERT).answered  # type: ignore[union-attr]
