"""The last seen content of every watched IaC file, so a change can be recorded with before and after.

`driftdeck watch` keeps one of these: when watchfiles reports a file, `update` re-reads it and
returns what changed (or nothing when the text is the same, e.g. an editor rewriting a file).
Files that may hold secrets (`*.tfvars`, state files) are tracked by BLAKE3 digest only: their
change is still evidence, their content never enters the audit log.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import blake3

# Code: a change is recorded with its text before and after, and a unified diff.
CONTENT_SUFFIXES = (".tf", ".tf.json", ".hcl", ".yaml", ".yml", ".template", ".json")
# May carry secrets (variable values, sensitive state attributes): digests only.
DIGEST_ONLY_SUFFIXES = (".tfvars", ".tfvars.json", ".tfstate", ".tfstate.backup")
SKIP_DIRS = frozenset({".terraform", ".git", ".driftdeck", "node_modules", ".venv", "__pycache__"})
MAX_BYTES = 1_000_000


def digest_only(path: Path) -> bool:
    name = path.name
    return name.endswith(DIGEST_ONLY_SUFFIXES) or ".tfstate" in name


def is_iac(path: Path) -> bool:
    """A file whose change matters to a scan (code, variables or state), outside tool folders."""
    if any(part in SKIP_DIRS for part in path.parts):
        return False
    return digest_only(path) or path.name.endswith(CONTENT_SUFFIXES) or path.name == ".driftignore"


@dataclass(frozen=True)
class FileChange:
    path: Path
    file: str  # relative to the cache root when inside it
    change: str  # "added" | "modified" | "deleted"
    before: str | None  # None: absent, or content withheld
    after: str | None
    diff: str
    before_blake3: str | None
    after_blake3: str | None
    content_recorded: bool

    @property
    def counts(self) -> tuple[int, int]:
        lines = self.diff.splitlines()
        added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
        return added, removed

    def audit_data(self) -> dict[str, Any]:
        """The `data` of a `config.changed` event (before/after texts travel separately)."""
        data: dict[str, Any] = {"file": self.file, "change": self.change,
                                "before_blake3": self.before_blake3, "after_blake3": self.after_blake3}
        if self.content_recorded:
            added, removed = self.counts
            data.update(diff=self.diff, added=added, removed=removed)
        else:
            data["content"] = "withheld: the file may hold secrets"
        return data


class IacContentCache:
    """Texts (or digests) of the IaC files under `root`, plus any extra files registered."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._texts: dict[Path, str] = {}
        self._digests: dict[Path, str] = {}

    def load(self) -> None:
        if self.root.is_file():
            self.track(self.root)
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                path = Path(dirpath) / name
                if is_iac(path):
                    self.track(path)

    def track(self, path: Path) -> None:
        """Remember the current content of `path` (a file outside `root`, e.g. the config file, too)."""
        key = path.resolve()
        raw = _read(key)
        if raw is None:
            return
        self._digests[key] = blake3.blake3(raw).hexdigest()
        if not digest_only(key):
            self._texts[key] = raw.decode("utf-8", errors="replace")

    def text(self, path: Path) -> str | None:
        return self._texts.get(path.resolve())

    def update(self, path: Path) -> FileChange | None:
        """Re-read `path`; the change since the last read, or None when its bytes are the same."""
        key = path.resolve()
        raw = _read(key)
        old_digest = self._digests.get(key)
        new_digest = blake3.blake3(raw).hexdigest() if raw is not None else None
        if old_digest == new_digest:
            return None
        change = "added" if old_digest is None else "deleted" if new_digest is None else "modified"
        if new_digest is None:
            self._digests.pop(key, None)
        else:
            self._digests[key] = new_digest
        rel = self.relative(key)
        if digest_only(key):
            return FileChange(key, rel, change, None, None, "", old_digest, new_digest, False)
        before = self._texts.get(key)
        after = raw.decode("utf-8", errors="replace") if raw is not None else None
        if after is None:
            self._texts.pop(key, None)
        else:
            self._texts[key] = after
        diff = "".join(difflib.unified_diff((before or "").splitlines(keepends=True),
                                            (after or "").splitlines(keepends=True), f"a/{rel}", f"b/{rel}"))
        return FileChange(key, rel, change, before, after, diff, old_digest, new_digest, True)

    def relative(self, path: Path) -> str:
        base = self.root if self.root.is_dir() else self.root.parent
        try:
            return path.resolve().relative_to(base).as_posix()
        except ValueError:
            return str(path)


def _read(path: Path) -> bytes | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None
