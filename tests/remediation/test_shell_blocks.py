"""Shell blocks in plan documents are safe for any tag key or value: `bash -n` accepts every block
and running it (with `aws`, `terraform` and `git` replaced by recorders, no PATH) calls exactly the
commands the plan intends, with exactly their arguments; nothing else runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from driftdeck.core.model import ChangeKind, Difference, ResourceResult, SourceRef, Status
from driftdeck.core.remediation.document import render_document
from driftdeck.core.remediation.planner import PlanOptions, build_plans
from driftdeck.core.text import shell_quote

_RECORDERS = r"""
aws() { printf '%s\0' CALL aws "$#" "$@"; }
terraform() { printf '%s\0' CALL terraform "$#" "$@"; }
git() { printf '%s\0' CALL git "$#" "$@"; }
command_not_found_handle() { printf '%s\0' CALL UNEXPECTED "$#" "$@"; return 127; }
"""
BASH = shutil.which("bash") or "bash"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
# argv cannot hold NUL; surrogates are not text. Everything else, control characters included.
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=24)


def _sh_blocks(markdown: str) -> list[str]:
    blocks, current = [], None
    for line in markdown.splitlines():
        if current is None and line == "```sh":
            current = []
        elif current is not None and line == "```":
            blocks.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def _run(script: str, cwd: Path) -> list[tuple[str, list[str]]]:
    proc = subprocess.run([BASH, "--norc", "--noprofile", "-c", _RECORDERS + script], capture_output=True,
                          cwd=cwd, env={"PATH": str(cwd / "no-such-dir"), "LC_ALL": "C.UTF-8"}, timeout=60)
    words = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    calls, i = [], 0
    while i < len(words) - 1:
        assert words[i] == "CALL", words
        name, count = words[i + 1], int(words[i + 2])
        calls.append((name, words[i + 3:i + 3 + count]))
        i += 3 + count
    return calls


def _queue_with_tag_drift(added_key: str, added_value: str, changed_key: str, live_value: str) -> ResourceResult:
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/q"
    return ResourceResult(
        address="aws_sqs_queue.q", type="aws_sqs_queue", id=url, status=Status.CHANGED,
        source=SourceRef(kind="terraform", state="terraform.tfstate"), region="us-east-1",
        expected={"id": url, "url": url, "name": "q", "tags": {changed_key: "state-value"}},
        differences=[Difference(f"tags.{added_key}", None, added_value, ChangeKind.ADDED),
                     Difference(f"tags.{changed_key}", "state-value", live_value, ChangeKind.UPDATED)],
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(added_key=_TEXT, added_value=_TEXT, changed_key=_TEXT, live_value=_TEXT)
@example(added_key="z\ntouch x\n#", added_value="v", changed_key="Env", live_value="dev")
@example(added_key="k", added_value="$(touch x)`touch y`", changed_key="a'b\"c\\", live_value="\x1b]0;TITLE\x07\r\n")
def test_plan_shell_blocks_run_exactly_the_intended_commands(
    added_key: str, added_value: str, changed_key: str, live_value: str, tmp_path: Path
) -> None:
    if added_key == changed_key:
        return
    plans = build_plans([_queue_with_tag_drift(added_key, added_value, changed_key, live_value)],
                        PlanOptions(workspace=tmp_path))
    intended = [("aws", call.argv()[1:]) for plan in plans for dp in plan.directions for call in dp.aws_calls]
    assert intended, "the tag drift is answered with AWS calls"
    blocks = _sh_blocks(render_document(plans).markdown)
    ran: list[tuple[str, list[str]]] = []
    for block in blocks:
        assert subprocess.run([BASH, "-n"], input=block.encode(), capture_output=True).returncode == 0, block
        assert all(line.isprintable() for line in block.splitlines()), block
        ran.extend(_run(block, tmp_path))
    assert [c for c in ran if c[0] == "aws"] == intended
    assert not [c for c in ran if c[0] == "UNEXPECTED"]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing wrote a file


@given(_TEXT)
@settings(max_examples=200, deadline=None)
def test_shell_quote_reads_back_as_one_word(text: str) -> None:
    quoted = shell_quote(text)
    assert quoted.isprintable()
    out = subprocess.run([BASH, "--norc", "-c", f"printf '%s\\0' {quoted}"], capture_output=True,
                         env={"LC_ALL": "C.UTF-8"}).stdout
    assert out.decode("utf-8", "surrogateescape") == text + "\0"


@pytest.mark.parametrize("text", ["plain", "with space", "it's", "a\nb", "\x1b[31mred", "\u202egnp.exe", "tab\there"])
def test_shell_quote_examples(text: str) -> None:
    out = subprocess.run([BASH, "--norc", "-c", f"printf '%s' {shell_quote(text)}"], capture_output=True).stdout
    assert out.decode() == text
