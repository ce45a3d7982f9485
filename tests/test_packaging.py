"""What an install pulls in: the emulator (moto's server, Flask and friends) only with the `demo` and
`test` extras, and the README's and CI's install commands asking for what they run."""

from __future__ import annotations

import re
import tomllib

from repo_paths import REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_a_plain_install_does_not_carry_the_aws_emulator() -> None:
    assert not {"moto", "flask", "werkzeug"} & _names(PROJECT["dependencies"])


def test_the_demo_and_test_extras_ask_for_the_same_emulator() -> None:
    extras = PROJECT["optional-dependencies"]
    demo = [r for r in extras["demo"] if r.startswith("moto")]
    test = [r for r in extras["test"] if r.startswith("moto")]
    assert demo == test == ["moto[server]>=5.0"]


def test_readme_installs_the_demo_extra_and_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv")]
    assert "pip install -q '.[demo]'" in commands[0] and "driftdeck demo" in commands[0]
    test_command = next(line for line in commands if "pytest" in line)
    assert "'.[test]'" in test_command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()
