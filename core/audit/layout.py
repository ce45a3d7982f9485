"""File layout of one audit log directory, and streaming access to its lines.

    <log dir>/seg-<first seq, 12 digits>.jsonl   entries, one canonical JSON object per line
    <log dir>/checkpoints/<tree size, 12 digits>.note   signed checkpoints
    <log dir>/blobs/<2 hex>/<64 hex>             large before/after documents (plain BLAKE3 name)
    <log dir>/audit.lock                         cross-process append lock
    <log dir>/index/                             derived caches, rebuilt from the log, never trusted
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEGMENT_RE = re.compile(r"^seg-(\d{12})\.jsonl$")
NOTE_RE = re.compile(r"^(\d{12})\.note$")
BLOB_RE = re.compile(r"^[0-9a-f]{64}$")
LOCK_NAME = "audit.lock"
INDEX_DIR = "index"
CHECKPOINT_DIR = "checkpoints"
BLOB_DIR = "blobs"
TMP_PREFIX = ".tmp-"


def segment_name(first_seq: int) -> str:
    return f"seg-{first_seq:012d}.jsonl"


def note_name(size: int) -> str:
    return f"{size:012d}.note"


def blob_path(log_dir: Path, address: str) -> Path:
    return log_dir / BLOB_DIR / address[:2] / address


def segments(log_dir: Path) -> list[tuple[int, Path]]:
    """Segment files sorted by the first seq in their name."""
    out = []
    try:
        names = os.listdir(log_dir)
    except FileNotFoundError:
        return []
    for name in names:
        m = SEGMENT_RE.match(name)
        if m:
            out.append((int(m.group(1)), log_dir / name))
    out.sort()
    return out


def notes(log_dir: Path) -> list[tuple[int, Path]]:
    out = []
    try:
        names = os.listdir(log_dir / CHECKPOINT_DIR)
    except FileNotFoundError:
        return []
    for name in names:
        m = NOTE_RE.match(name)
        if m:
            out.append((int(m.group(1)), log_dir / CHECKPOINT_DIR / name))
    out.sort()
    return out


@dataclass(frozen=True)
class Location:
    """Where a line lives: segment file name and 1-based line number."""

    segment: str
    line: int

    def __str__(self) -> str:
        return f"{self.segment}:{self.line}"


def iter_lines(log_dir: Path) -> Iterator[tuple[str, int, bytes, bool]]:
    """Every stored line in order: (segment name, line number, bytes without newline, complete).

    `complete` is False only for a final fragment with no newline (a torn write).
    """
    for _, path in segments(log_dir):
        try:
            f = open_lines(path)
        except UnsafeFileError:
            continue  # refused; the verifier reports it as UNKNOWN_FILE
        with f:
            number = 0
            for raw in f:
                number += 1
                if raw.endswith(b"\n"):
                    yield path.name, number, raw[:-1], True
                else:
                    yield path.name, number, raw, False


def read_lines_reverse(path: Path, chunk: int = 1 << 16) -> Iterator[tuple[int, bytes]]:
    """Complete lines of one file, last first, as (line number, bytes); memory bounded by `chunk`.

    A torn fragment after the last newline is skipped: it is not a line.
    """
    with open_lines(path) as f:
        total = 0
        end = 0
        offset = 0
        for buf in iter(lambda: f.read(1 << 20), b""):
            count = buf.count(b"\n")
            if count:
                total += count
                end = offset + buf.rindex(b"\n") + 1
            offset += len(buf)
        pos = end
        tail = b""
        number = total
        while pos > 0:
            step = min(chunk, pos)
            pos -= step
            f.seek(pos)
            parts = (f.read(step) + tail).split(b"\n")
            if pos + step == end:
                parts.pop()  # the empty text after the final newline
            tail = parts[0]
            for line in reversed(parts[1:]):
                yield number, line
                number -= 1
        if end:
            yield number, tail


def create_temp(directory: Path) -> tuple[int, Path]:
    """A new temporary file in `directory`, opened for writing: an unpredictable name created with
    O_CREAT|O_EXCL|O_NOFOLLOW, so nothing planted at a guessable path is ever followed or reused."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        path = directory / f"{TMP_PREFIX}{secrets.token_hex(8)}"
        try:
            return os.open(path, flags, 0o644), path
        except FileExistsError:
            continue


def replace_file(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to a new temp file beside `path` and rename it over `path` (atomic).

    `durable`: fsync the file before the rename and the directory after it. The rename replaces a
    symlink at `path` itself, never the file it points to.
    """
    fd, tmp = create_temp(path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


class UnsafeFileError(OSError):
    """A log file that is a symlink, FIFO, device or someone else's: refused, never read or written."""


def file_problem(st: os.stat_result, *, directory: bool = False) -> str | None:
    """Why a file (lstat result) must not be used by the log, or None."""
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if stat.S_ISFIFO(mode):
        return "is a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    if directory and not stat.S_ISDIR(mode):
        return "is not a directory"
    if not directory and not stat.S_ISREG(mode):
        return "is not a regular file"
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return f"is owned by another user (uid {st.st_uid})"
    return None


def path_problem(path: Path, *, directory: bool = False) -> str | None:
    """`file_problem` of `path` by lstat (never follows a symlink); None when it does not exist."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return file_problem(st, directory=directory)


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def open_regular(path: Path, flags: int = _READ_FLAGS) -> tuple[int, int]:
    """(fd, size at open) of a regular file of ours. Opened with O_NOFOLLOW|O_NONBLOCK, so a
    symlink, FIFO or device is refused (UnsafeFileError) without blocking or following it."""
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EMLINK):
            raise UnsafeFileError(exc.errno, path_problem(path) or "is not a regular file", str(path)) from None
        raise
    st = os.fstat(fd)
    problem = file_problem(st)
    if problem is not None:
        os.close(fd)
        raise UnsafeFileError(errno.EINVAL, problem, str(path))
    return fd, st.st_size


class _Bounded(io.RawIOBase):
    """Raw reads of one file that stop at its size at open (a growing file is read as it was)."""

    def __init__(self, fd: int, size: int) -> None:
        self._fd, self._size, self._pos = fd, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, self._size)[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self._size - self._pos)
        if count <= 0:
            return 0
        data = os.pread(self._fd, count, self._pos)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def open_lines(path: Path, buffering: int = 1 << 20) -> io.BufferedReader:
    """A binary reader of a log file, refusing non-regular files (`open_regular`) and bounded by
    the size at open. Iterate it for lines."""
    fd, size = open_regular(path)
    return io.BufferedReader(_Bounded(fd, size), buffering)


def unsafe_files(log_dir: Path) -> list[tuple[Path, str]]:
    """Files of a log directory the writer would read or write that are not safe to touch:
    the directory itself, segments, the lock, the subdirectories and checkpoint notes (by lstat).
    Index files are read only through `read_regular`, blobs are never read by the writer."""
    out: list[tuple[Path, str]] = []
    problem = path_problem(log_dir, directory=True)
    if problem is not None:
        return [(log_dir, problem)]
    subdirs = {CHECKPOINT_DIR, INDEX_DIR, BLOB_DIR}
    for name in sorted(os.listdir(log_dir)):
        path = log_dir / name
        if name in subdirs:
            problem = path_problem(path, directory=True)
            if problem is None and name == CHECKPOINT_DIR:
                # Only the notes: stray files elsewhere are never opened (temp names are random).
                out += [(path / inner, p) for inner in sorted(os.listdir(path))
                        if NOTE_RE.match(inner) and (p := path_problem(path / inner)) is not None]
        elif SEGMENT_RE.match(name) or name == LOCK_NAME:
            problem = path_problem(path)
        else:
            continue  # not the log's; the verifier reports it
        if problem is not None:
            out.append((path, problem))
    return out


def read_regular(path: Path, *, limit: int) -> bytes:
    """The bytes of a regular file, refusing symlinks, FIFOs and devices (never blocks on them)
    and reading no more than its size at open, capped at `limit`. Raises OSError."""
    fd, size = open_regular(path)
    try:
        if size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
        chunks = []
        left = size
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def peek(line: bytes) -> tuple[int, bytes] | None:
    """(seq, prev hex bytes) of a stored line without parsing the JSON, or None if not found.

    Keys are sorted and only the flat `subject` follows `prev`, so the last `"prev":"` in the
    line is the top-level one (inside strings the quotes would be escaped).
    """
    i = line.rfind(b'"prev":"')
    if i < 0:
        return None
    j = i + 8
    if line[j + 64 : j + 72] != b'","seq":':
        return None
    k = line.find(b",", j + 72)
    try:
        return int(line[j + 72 : k]), line[j : j + 64]
    except ValueError:
        return None
