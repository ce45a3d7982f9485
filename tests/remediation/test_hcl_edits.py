"""Text-level HCL edits behind adopt/forget/import: offsets that respect strings, heredocs and comments;
patches that touch only the drifted lines; expressions left alone; exact AWS CLI parameter names."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

import botocore.session
import hcl2
from hcl_samples import TRICKY
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from driftdeck.core.inputs.hcl.literals import as_terraform_holds, resource_body
from driftdeck.core.inputs.hcl.locate import locate_block
from driftdeck.core.model import ChangeKind, Difference, ResourceResult, SourceRef, Status
from driftdeck.core.remediation import Direction, PlanOptions, build_plans, combined_patch
from driftdeck.core.remediation.adopt import adopt_patch
from driftdeck.core.remediation.importing import resource_block, resource_name
from driftdeck.core.remediation.revert import revert_calls


def _result(address: str, diffs: list[Difference], expected: dict[str, Any], live: dict[str, Any]) -> ResourceResult:
    return ResourceResult(address=address, type=address.split(".")[0], id="x", status=Status.CHANGED,
                          source=SourceRef(kind="terraform"), differences=diffs, expected=expected, live=live)


def _adopt(tmp_path: Path, text: str, result: ResourceResult, **kw: Any) -> Any:
    (tmp_path / "main.tf").write_text(text)
    located = locate_block(tmp_path, result.address or "")
    assert located is not None
    return adopt_patch(result, located, workspace=tmp_path, **kw)


def test_patch_touches_only_the_drifted_lines(tmp_path: Path) -> None:
    text = TRICKY
    result = _result("aws_s3_bucket.real", [Difference("tags.a.b/c", "x", "y"), Difference("tags.New", None, "z", ChangeKind.ADDED)],
                     {"tags": {"a.b/c": "x"}}, {"tags": {"a.b/c": "y", "New": "z"}})
    out = _adopt(tmp_path, text, result)
    assert out.validated is True and out.unanswered == []
    removed = [ln for ln in out.patch.diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln for ln in out.patch.diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert removed == ['-    "a.b/c" = "x" // quoted key']
    assert added == ['+    "a.b/c" = "y" // quoted key', '+    New     = "z"']
    body = resource_body(out.patch.patched, "aws_s3_bucket", "real")
    assert body is not None and body["tags"] == {"a.b/c": "y", "New": "z"}


def test_expressions_are_left_for_manual_work(tmp_path: Path) -> None:
    text = ('resource "aws_sqs_queue" "q" {\n  name = "q"\n  visibility_timeout_seconds = var.timeout\n'
            '  tags = merge(local.tags, { Env = "prod" })\n}\n')
    result = _result("aws_sqs_queue.q", [Difference("visibility_timeout_seconds", 30, 60), Difference("tags.Env", "prod", "dev")],
                     {}, {"visibility_timeout_seconds": 60, "tags": {"Env": "dev"}})
    out = _adopt(tmp_path, text, result)
    assert out.patch is None
    assert sorted(out.unanswered) == ["tags.Env", "visibility_timeout_seconds"]
    assert any("var.timeout" in n for n in out.notes) and any("merge(local.tags" in n for n in out.notes)


def test_default_tags_are_not_invented_and_one_line_blocks_open_up(tmp_path: Path) -> None:
    text = 'resource "aws_sqs_queue" "q" { name = "q" }\n'
    result = _result("aws_sqs_queue.q", [Difference("tags.ManagedBy", "terraform", None, ChangeKind.REMOVED),
                                         Difference("delay_seconds", 0, 5)],
                     {"tags_all": {"ManagedBy": "terraform"}}, {"tags": {}, "delay_seconds": 5})
    out = _adopt(tmp_path, text, result)
    assert out.unanswered == ["tags.ManagedBy"] and any("default_tags" in n for n in out.notes)
    # only what was adopted is claimed as validated: tags.ManagedBy is manual work
    assert out.validated is False and out.validated_paths == ["delay_seconds"]
    assert out.patch.patched == 'resource "aws_sqs_queue" "q" {\n  name          = "q"\n  delay_seconds = 5\n}\n'
    hcl2.loads(out.patch.patched)


def test_two_resources_in_one_file_merge_into_one_patch(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_sqs_queue" "a" {\n  name = "a"\n  delay_seconds = 1\n}\n\n'
        'resource "aws_sqs_queue" "b" {\n  name = "b"\n  delay_seconds = 1\n}\n'
    )
    results = [_result(f"aws_sqs_queue.{n}", [Difference("delay_seconds", 1, v)], {"delay_seconds": 1}, {"delay_seconds": v})
               for n, v in (("a", 7), ("b", 9))]
    plans = build_plans(results, PlanOptions(workspace=tmp_path, directions=frozenset({Direction.ADOPT})))
    patch = combined_patch(plans)
    assert patch.count("--- a/main.tf") == 1
    (tmp_path / "p.patch").write_text(patch)
    proc = subprocess.run(["git", "apply", "p.patch"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "main.tf").read_text()
    assert resource_body(text, "aws_sqs_queue", "a")["delay_seconds"] == 7  # type: ignore[index]
    assert resource_body(text, "aws_sqs_queue", "b")["delay_seconds"] == 9  # type: ignore[index]


_TAG_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@", min_size=1, max_size=12)
_TAG_VALUE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.dictionaries(_TAG_KEY, _TAG_VALUE, max_size=5), live=st.dictionaries(_TAG_KEY, _TAG_VALUE, max_size=5))
@example(code={}, live={"0": "\U0002f800"})  # a compatibility ideograph: NFC makes it U+4E3D, in code and in Terraform
def test_adopted_tags_reparse_to_exactly_the_live_tags(tmp_path: Path, code: dict[str, str], live: dict[str, str]) -> None:
    from driftdeck.core.compare.state_vs_live import compare_attributes
    from driftdeck.core.inputs.hcl.render import hcl_value

    text = f'# tags under test\nresource "aws_s3_bucket" "t" {{\n  bucket = "t" # keep me\n  tags = {hcl_value(code, "  ")}\n}}\n'
    diffs = compare_attributes({"tags": code}, {"tags": live})
    if not diffs:
        return
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    out = _adopt(work, text, _result("aws_s3_bucket.t", diffs, {"tags": code}, {"tags": live}))
    assert out.unanswered == [] and out.validated is True, out.notes
    body = resource_body(out.patch.patched, "aws_s3_bucket", "t")
    assert body is not None
    # Terraform holds every string in NFC (cty), the live tags included: compare them as it does.
    assert not compare_attributes({"tags": body.get("tags") or {}}, {"tags": as_terraform_holds(live)})
    assert "# keep me" in out.patch.patched and "# tags under test" in out.patch.patched


def test_import_block_names_and_rejected_values() -> None:
    taken: set[str] = set()
    assert resource_name("https://sqs/123/My-Queue.fifo", taken) == "my_queue_fifo"
    assert resource_name("https://sqs/123/my_queue.fifo", taken) == "my_queue_fifo_2"
    assert resource_name("123abc") == "r_123abc"
    block = resource_block("aws_sqs_queue", "q", {"name": "q", "max_message_size": 1048576, "delay_seconds": 3})
    assert "  # max_message_size = 1048576  # live value" in block
    assert hcl2.loads(block)["resource"][0]['"aws_sqs_queue"']['"q"']["delay_seconds"] == 3


def test_aws_cli_lines_use_the_service_models_parameter_names() -> None:
    """Every generated call is valid for botocore's model, and each CLI flag is a real input member."""
    from botocore import xform_name
    from botocore.validate import validate_parameters

    sg_rule = {"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 443, "ipv6_cidr_blocks": [], "prefix_list_ids": [],
               "protocol": "tcp", "security_groups": [], "self": False, "to_port": 443}
    cases = [
        ResourceResult("aws_s3_bucket.b", "aws_s3_bucket", "b", Status.CHANGED, None, [Difference("tags.Env", "prod", "dev")],
                       expected={"bucket": "b", "tags_all": {"Env": "prod"}}),
        ResourceResult("aws_security_group.g", "aws_security_group", "sg-1", Status.CHANGED, None,
                       [Difference("ingress[1]", None, sg_rule, ChangeKind.ADDED), Difference("tags.X", None, "y", ChangeKind.ADDED)],
                       expected={}),
        ResourceResult("aws_s3_bucket_public_access_block.p", "aws_s3_bucket_public_access_block", "b", Status.CHANGED, None,
                       [Difference("block_public_acls", True, False)], expected={"bucket": "b", "block_public_acls": True}),
        ResourceResult("aws_s3_bucket_versioning.v", "aws_s3_bucket_versioning", "b", Status.CHANGED, None,
                       [Difference("versioning_configuration[0].status", "Enabled", "Suspended")], expected={"bucket": "b"}),
        ResourceResult("aws_sqs_queue.q", "aws_sqs_queue", "https://q", Status.CHANGED, None,
                       [Difference("delay_seconds", 0, 5), Difference("tags.A", None, "b", ChangeKind.ADDED)], expected={"url": "https://q"}),
        ResourceResult("aws_iam_role.r", "aws_iam_role", "r", Status.CHANGED, None,
                       [Difference("tags.A", "1", "2"), Difference("assume_role_policy", {}, {"V": 1})],
                       expected={"name": "r", "tags_all": {"A": "1"}, "assume_role_policy": '{"Version":"2012-10-17"}'}),
        ResourceResult("aws_sns_topic.t", "aws_sns_topic", "arn:aws:sns:us-east-1:1:t", Status.CHANGED, None,
                       [Difference("display_name", "a", "b"), Difference("tags.A", None, "b", ChangeKind.ADDED)],
                       expected={"arn": "arn:aws:sns:us-east-1:1:t", "display_name": "a"}),
    ]
    session = botocore.session.get_session()
    seen: set[str] = set()
    for result in cases:
        for call in revert_calls(result).calls:
            model = session.get_service_model(call.service).operation_model(
                next(n for n in session.get_service_model(call.service).operation_names if xform_name(n) == call.operation))
            validate_parameters(call.params, model.input_shape)
            members = {xform_name(m, "-") for m in model.input_shape.members}
            flags = [p[2:] for p in call.cli().split() if p.startswith("--") and p != "--region"]
            assert all(f in members or f.removeprefix("no-") in members for f in flags), (call.cli(), members)
            seen.add(call.operation)
    assert seen == {"put_bucket_tagging", "revoke_security_group_ingress", "delete_tags", "put_public_access_block",
                    "put_bucket_versioning", "set_queue_attributes", "untag_queue", "tag_role", "update_assume_role_policy",
                    "set_topic_attributes", "untag_resource"}


def test_module_resources_are_found_in_the_module_and_instances_warned(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "queues" {\n  source = "./modules/queues"\n}\n')
    (tmp_path / "terraform.tfstate").write_text("{}")
    module = tmp_path / "modules" / "queues"
    module.mkdir(parents=True)
    (module / "sqs.tf").write_text('resource "aws_sqs_queue" "q" {\n  count = 2\n  name  = "q-${count.index}"\n'
                                   "  delay_seconds = 0 # same for every queue\n}\n")
    result = ResourceResult(
        address="module.queues.aws_sqs_queue.q[1]", type="aws_sqs_queue", id="u", status=Status.CHANGED,
        source=SourceRef(kind="terraform", module="module.queues", state=str(tmp_path / "terraform.tfstate")),
        differences=[Difference("delay_seconds", 0, 4)], expected={"delay_seconds": 0}, live={"delay_seconds": 4},
    )
    plans = build_plans([result], PlanOptions(workspace=tmp_path))
    adopt = plans[0].direction(Direction.ADOPT)
    assert adopt is not None and adopt.validated is True
    assert adopt.patches[0].file == "modules/queues/sqs.tf"
    assert "+  delay_seconds = 4 # same for every queue" in adopt.patch_text
    assert any("count/for_each" in r.text for r in adopt.risks)

    missing = ResourceResult(address="module.queues.aws_sqs_queue.q[1]", type="aws_sqs_queue", id="u",
                             status=Status.MISSING, source=result.source)
    forget = build_plans([missing], PlanOptions(workspace=tmp_path))[0].direction(Direction.FORGET)
    assert forget is not None and forget.patches == []  # one instance: state rm only, explained
    assert any(c.text == "terraform state rm 'module.queues.aws_sqs_queue.q[1]'" for c in forget.commands)
    assert any("count/for_each" in n for n in forget.notes)


def _apply_unified(original: str, diff: str) -> str:
    """A minimal unified-diff applier (exact context), to check diffs independently of difflib."""
    import re

    lines = original.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    body = diff.splitlines(keepends=True)[2:]
    i = 0
    while i < len(body):
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", body[i])
        assert m, body[i]
        count = int(m.group(2)) if m.group(2) is not None else 1
        start = int(m.group(1)) - (1 if count else 0)
        out.extend(lines[pos:start])
        pos = start
        i += 1
        while i < len(body) and not body[i].startswith("@@"):
            tag, text = body[i][0], body[i][1:]
            if i + 1 < len(body) and body[i + 1].startswith("\\"):
                text = text.rstrip("\n")
                i += 1
            if tag in " -":
                assert lines[pos] == text, (lines[pos], text)
                pos += 1
            if tag in " +":
                out.append(text)
            i += 1
    out.extend(lines[pos:])
    return "".join(out)


@settings(max_examples=200, deadline=None)
@given(a=st.lists(st.sampled_from(["}\n", "\n", "  x = 1\n", "  }\n", "y\n"]), max_size=40),
       edits=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3), st.lists(st.sampled_from(["}\n", "z\n", "\n"]), max_size=3)),
                      max_size=3))
def test_windowed_unified_diff_applies_exactly(a: list[str], edits: list[tuple[int, int, list[str]]]) -> None:
    from driftdeck.core.remediation.textdiff import unified_diff

    b = list(a)
    for at, cut, new in edits:
        at = min(at, len(b))
        b[at : at + cut] = new
    original, changed = "".join(a), "".join(b)
    diff = unified_diff(original, changed, "a/f", "b/f")
    assert (diff == "") == (original == changed)
    if diff:
        assert _apply_unified(original, diff) == changed


def test_heredoc_policy_becomes_jsonencode_of_the_live_document(tmp_path: Path) -> None:
    text = ('resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = <<EOF\n{"Version": "2012-10-17", "Statement": []}\nEOF\n}\n'
            'resource "aws_iam_role" "t" {\n  name = "t"\n  assume_role_policy = <<EOF\n{"Principal": "${var.p}"}\nEOF\n}\n')
    live_doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "ec2.amazonaws.com"}}]}
    import json

    result = _result("aws_iam_role.r", [Difference("assume_role_policy", {"Version": "2012-10-17", "Statement": []}, live_doc)],
                     {}, {"assume_role_policy": json.dumps(live_doc)})
    out = _adopt(tmp_path, text, result, json_attributes=frozenset({"assume_role_policy"}))
    assert out.validated is True and "jsonencode({" in out.patch.patched
    assert resource_body(out.patch.patched, "aws_iam_role", "r")["assume_role_policy"] == live_doc  # type: ignore[index]
    templated = _result("aws_iam_role.t", [Difference("assume_role_policy", {}, live_doc)], {},
                        {"assume_role_policy": json.dumps(live_doc)})
    out = _adopt(tmp_path, text, templated, json_attributes=frozenset({"assume_role_policy"}))
    assert out.patch is None and out.unanswered == ["assume_role_policy"]


def test_computed_note_only_when_the_code_leaves_the_attribute_out(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_security_group" "set" {\n  name = "a"\n  ingress {\n    from_port = 1\n  }\n}\n'
        'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
    )
    rule = {"from_port": 2, "to_port": 2, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}
    in_code = ResourceResult("aws_security_group.set", "aws_security_group", "sg-1", Status.CHANGED, SourceRef(kind="terraform"),
                             [Difference("ingress[1]", None, rule, ChangeKind.ADDED)], expected={}, live={})
    mirror = ResourceResult("aws_s3_bucket.b", "aws_s3_bucket", "b", Status.CHANGED, SourceRef(kind="terraform"),
                            [Difference("versioning[0].enabled", True, False)], expected={"bucket": "b"}, live={})
    plans = build_plans([in_code, mirror], PlanOptions(workspace=tmp_path, directions=frozenset({Direction.REVERT})))
    notes = {p.key: " ".join(p.directions[0].notes) for p in plans}
    assert "computed" not in notes["aws_security_group.set"]
    assert "does not set versioning" in notes["aws_s3_bucket.b"]
