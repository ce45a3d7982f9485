"""Code-side attribution: git author/commit/message for committed IaC edits, the OS user otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from driftdeck.core.attribution import git_authorship
from driftdeck.core.attribution.gitinfo import os_user

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str, author: str = "Pat Example <pat@example.com>") -> str:
    name, email = author[:-1].split(" <")
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME=name,
        GIT_AUTHOR_EMAIL=email,
        GIT_COMMITTER_NAME=name,
        GIT_COMMITTER_EMAIL=email,
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text('resource "aws_s3_bucket" "logs" {}\n')
    (tmp_path / ".gitignore").write_text("*.tfvars\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "Add logs bucket")
    (tmp_path / "infra" / "main.tf").write_text('resource "aws_s3_bucket" "logs" { bucket = "acme" }\n')
    _git(
        tmp_path,
        "commit",
        "-q",
        "-am",
        "Name the logs bucket\n\nTicket OPS-42",
        author="Sam Coder <sam@example.com>",
    )
    return tmp_path


def test_committed_edit_names_the_last_author_commit_and_message(repo: Path) -> None:
    info = git_authorship(repo / "infra" / "main.tf")
    head = _git(repo, "rev-parse", "HEAD").strip()
    assert info["committed"] is True
    assert (info["author"], info["email"], info["commit"]) == ("Sam Coder", "sam@example.com", head)
    assert info["message"] == "Name the logs bucket\n\nTicket OPS-42"
    assert info["summary"] == f"Sam Coder in {head[:12]}: Name the logs bucket"
    assert Path(info["repo"]).resolve() == repo.resolve()


def test_uncommitted_edit_is_attributed_to_the_local_user(repo: Path) -> None:
    (repo / "infra" / "main.tf").write_text('resource "aws_s3_bucket" "logs" { bucket = "other" }\n')
    info = git_authorship(repo / "infra" / "main.tf")
    assert info["committed"] is False
    assert info["summary"] == f"uncommitted local edit by {os_user()}"
    assert info["reason"] == "modified since the last commit"


def test_untracked_and_ignored_files_are_uncommitted(repo: Path) -> None:
    (repo / "infra" / "new.tf").write_text("")
    (repo / "infra" / "prod.tfvars").write_text("")
    assert git_authorship(repo / "infra" / "new.tf")["reason"] == "untracked"
    assert git_authorship(repo / "infra" / "prod.tfvars")["reason"] == "ignored by git"


def test_file_outside_any_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "loose"
    outside.mkdir()
    (outside / "main.tf").write_text("")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # never walk up into an enclosing repository
    info = git_authorship(outside / "main.tf")
    assert info["committed"] is False and info["reason"] == "not in a git repository"
    assert info["author"] == os_user()
