"""Watching the IaC files: a debounced watchfiles source, a test source, and file snapshots for diffs."""

from __future__ import annotations

import asyncio
import difflib
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from watchfiles import Change, awatch

# Code the operator edits: a change is recorded as `config.changed` with the diff.
CODE_SUFFIXES = frozenset({".tf", ".tfvars", ".hcl", ".yaml", ".yml", ".template"})
# Files whose change means "scan again" (code, plus state written by terraform).
WATCHED_SUFFIXES = CODE_SUFFIXES | {".tfstate", ".json", ".driftignore"}
_SKIP_DIRS = frozenset({".terraform", ".git", ".driftdeck", "node_modules", ".venv", "__pycache__"})
DEBOUNCE_MS = 700
MAX_SNAPSHOT_BYTES = 1_000_000

# A source yields sets of changed paths until `stop` is set.
WatchSource = Callable[[Path, asyncio.Event], AsyncIterator[set[Path]]]


def is_watched(path: Path) -> bool:
    if any(part in _SKIP_DIRS for part in path.parts):
        return False
    return path.suffix in WATCHED_SUFFIXES or path.name == ".driftignore"


def is_code(path: Path) -> bool:
    return path.suffix in CODE_SUFFIXES


async def watchfiles_source(root: Path, stop: asyncio.Event) -> AsyncIterator[set[Path]]:
    """watchfiles.awatch, debounced, filtered to IaC files."""

    def keep(_change: Change, path: str) -> bool:
        return is_watched(Path(path))

    async for changes in awatch(root, watch_filter=keep, debounce=DEBOUNCE_MS, stop_event=stop):
        yield {Path(p) for _, p in changes}


class QueueSource:
    """A source the caller feeds by hand: tests drive the watcher deterministically with it."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[set[Path]] = asyncio.Queue()

    def put(self, paths: set[Path]) -> None:
        self.queue.put_nowait(paths)

    async def __call__(self, root: Path, stop: asyncio.Event) -> AsyncIterator[set[Path]]:
        while not stop.is_set():
            getter = asyncio.ensure_future(self.queue.get())
            stopper = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                stopper.cancel()
                yield getter.result()
            else:
                getter.cancel()
                return


@dataclass(frozen=True)
class FileChange:
    path: Path
    before: str | None  # None: file did not exist
    after: str | None  # None: file deleted
    diff: str

    @property
    def counts(self) -> tuple[int, int]:
        added = sum(1 for line in self.diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in self.diff.splitlines() if line.startswith("-") and not line.startswith("---"))
        return added, removed


class CodeSnapshot:
    """The last seen text of every code file under the workspace, to diff what a change did."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.texts: dict[Path, str] = {}

    def load(self) -> None:
        root = self.root
        if root.is_file():
            self._read_into(root)
            return
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
            for name in filenames:
                path = Path(dirpath) / name
                if is_code(path):
                    self._read_into(path)

    def _read_into(self, path: Path) -> None:
        text = _read(path)
        if text is not None:
            self.texts[path.resolve()] = text

    def update(self, paths: set[Path]) -> list[FileChange]:
        """Re-read only `paths`; return a FileChange for each code file whose text really changed."""
        out: list[FileChange] = []
        for path in sorted(paths):
            if not is_code(path):
                continue
            key = path.resolve()
            before = self.texts.get(key)
            after = _read(path)
            if before == after:
                continue
            if after is None:
                self.texts.pop(key, None)
            else:
                self.texts[key] = after
            rel = self.relative(path)
            diff = "".join(
                difflib.unified_diff(
                    (before or "").splitlines(keepends=True),
                    (after or "").splitlines(keepends=True),
                    f"a/{rel}",
                    f"b/{rel}",
                )
            )
            out.append(FileChange(path, before, after, diff))
        return out

    def relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)


def _read(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_SNAPSHOT_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
