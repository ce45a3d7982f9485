"""Who edited an IaC file: the git commit that last touched it, or the local user for uncommitted edits."""

from __future__ import annotations

import getpass
import os
import subprocess
from pathlib import Path
from typing import Any

_FIELD_SEP = "\x1f"


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=30, check=False
    )


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _uncommitted(path: Path, repo: str | None, reason: str) -> dict[str, Any]:
    user = os_user()
    return {
        "committed": False,
        "author": user,
        "summary": f"uncommitted local edit by {user}",
        "reason": reason,
        "repo": repo,
        "path": str(path),
    }


def git_authorship(path: Path) -> dict[str, Any]:
    """For a changed IaC file: `{committed: True, author, email, commit, message, time, summary, ...}` when
    the file is in a git repository and its current content is committed, else `{committed: False,
    author: <OS user>, summary: "uncommitted local edit by <OS user>", reason, ...}`."""
    path = Path(path).resolve()
    folder = path if path.is_dir() else path.parent
    try:
        top = _git(folder, "rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError):
        return _uncommitted(path, None, "git is not available")
    if top.returncode != 0:
        return _uncommitted(path, None, "not in a git repository")
    repo = top.stdout.strip()
    status = _git(folder, "status", "--porcelain", "--ignored", "--", str(path))
    if status.returncode != 0:
        return _uncommitted(path, repo, f"git status failed: {status.stderr.strip()}")
    if status.stdout.strip():
        code = status.stdout[:2]
        reason = {"??": "untracked", "!!": "ignored by git"}.get(code, "modified since the last commit")
        return _uncommitted(path, repo, reason)
    fmt = _FIELD_SEP.join(("%H", "%an", "%ae", "%aI", "%B"))
    log = _git(folder, "log", "-1", f"--format={fmt}", "--", str(path))
    if log.returncode != 0 or not log.stdout.strip():
        return _uncommitted(path, repo, "no commit contains this file")
    commit, author, email, when, message = log.stdout.split(_FIELD_SEP, 4)
    return {
        "committed": True,
        "author": author,
        "email": email,
        "commit": commit,
        "time": when,
        "message": message.strip(),
        "summary": f"{author} in {commit[:12]}: {message.strip().splitlines()[0] if message.strip() else ''}",
        "repo": repo,
        "path": str(path),
    }
