"""Any failure exits 2 with one line naming what failed, never 1 (drift) and never a bare traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from driftdeck.tui.cli import main

QUEUE = {"mode": "managed", "type": "aws_sqs_queue", "name": "q", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"id": "http://127.0.0.1/123456789012/q", "name": "q"}}]}


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize(("opening", "depth"), [("[", 200), ("{ a = ", 200), ("(", 600)])
def test_hcl_nested_200_levels_is_a_clear_error_not_a_recursion_crash(
    opening: str, depth: int, aws_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closing = {"[": "]", "(": ")", "{ a = ": "}"}[opening]
    (tmp_path / "main.tf").write_text(f"locals {{\n  x = {opening * depth}1{closing * depth}\n}}\n")
    assert main(["scan", str(tmp_path), "--no-audit", "--cloudformation", "off"]) == 2
    (line,) = _errors(capsys.readouterr().err)
    assert "main.tf:2: expression nested too deeply" in line


def test_nesting_as_deep_as_real_modules_get_and_more_still_evaluates(aws_env, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.tf").write_text(
        "locals {\n  x = " + "[" * 100 + "1" + "]" * 100 + "\n  y = " + "{ a = " * 60 + "1" + "}" * 60 + "\n}\n"
        'resource "aws_sqs_queue" "q" {\n  name = "q"\n  tags = { x = jsonencode(local.x), y = jsonencode(local.y) }\n}\n')
    assert main(["scan", str(tmp_path), "--no-audit", "--cloudformation", "off"]) == 1  # missing: drift
    assert "aws_sqs_queue.q" in capsys.readouterr().out


def test_a_state_nested_beyond_the_json_parser_names_the_file(aws_env, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    depth = 100_000
    queue = json.dumps(QUEUE).replace('"name": "q"}', '"name": "q", "tags": ' + "[" * depth + "]" * depth + "}")
    state = tmp_path / "terraform.tfstate"
    state.write_text('{"version": 4, "serial": 1, "lineage": "l", "resources": [' + queue + "]}")
    assert main(["scan", str(tmp_path), "--no-audit", "--cloudformation", "off"]) == 2
    (line,) = _errors(capsys.readouterr().err)
    assert line == f"driftdeck: error: {state}: state JSON is nested too deeply to read"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to make writes fail with ENOSPC")
@pytest.mark.parametrize("debug", [False, True])
def test_a_full_disk_while_writing_output_is_exit_2_with_one_line(debug: bool, aws_env, tmp_path: Path) -> None:
    (tmp_path / "terraform.tfstate").write_text(json.dumps(
        {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": [QUEUE]}))
    command = [sys.executable, "-m", "driftdeck.tui.cli", "scan", str(tmp_path), "--no-audit", "--cloudformation", "off"]
    with open("/dev/full", "w") as full:
        proc = subprocess.run([*command, *(["--debug"] if debug else [])], stdout=full, stderr=subprocess.PIPE,
                              text=True, env=dict(os.environ), timeout=300)
    assert proc.returncode == 2, proc.stderr
    last = _errors(proc.stderr)[-1]
    assert last.startswith("driftdeck: error: scan failed unexpectedly: OSError: [Errno 28] No space left on device")
    assert last.endswith("(run again with --debug for the traceback)")
    assert ("Traceback (most recent call last)" in proc.stderr) is debug
