"""The append side of the audit log: one `AuditLog` per process and workspace.

Appends are serialised across processes by a file lock; whoever takes the lock first reads any
lines other processes added since (`_sync`), so the chain never forks. An append outside a batch
is written to the OS before it returns (a kill -9 cannot lose it); inside `with log.batch():`
lines are buffered and reach the OS every 256 lines and when the batch exits, which is when the
batch counts as committed. fsync happens in group commits (bounded by `commit_entries` /
`commit_seconds`; `committed_seq` tells how far) and at once for remediation and config events,
which are also checkpointed immediately. Checkpoints are signed only after an fsync.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from blake3 import blake3
from filelock import FileLock

from driftdeck.core.audit import layout
from driftdeck.core.audit.actor import default_actor
from driftdeck.core.audit.anchor import Anchor, AnchorError, anchor_from_config
from driftdeck.core.audit.authn import Authenticator
from driftdeck.core.audit.canonical import (
    NonCanonicalError,
    _dumps,
    canonical_bytes,
    check_value,
    dumps_checked,
    parse_canonical,
)
from driftdeck.core.audit.entry import (
    DURABLE_KINDS,
    FORMAT_VERSION,
    INTERNAL_KINDS,
    KIND_RE,
    KINDS,
    SUBJECT_KEYS,
    Entry,
)
from driftdeck.core.audit.hashing import blob_address, entry_hash, origin_prev
from driftdeck.core.audit.layout import peek
from driftdeck.core.audit.location import AuditConfig
from driftdeck.core.audit.merkle import MerkleFrontier
from driftdeck.core.audit.signed_note import NoteError, Signer, parse_checkpoint, sign_checkpoint
from driftdeck.core.audit.signing_key import create_signer, load_signer
from driftdeck.core.audit.witness import Witness
from driftdeck.core.errors import InputError

_T = TypeVar("_T")
_ABSENT: Any = object()
WRITER_STATE = "writer-state.json"
_SUBJECT_KEYS = frozenset(SUBJECT_KEYS)
_BUFFER_LINES = 256


def origin_line(origin: str) -> str:
    """The first line of every checkpoint note of this log."""
    return f"driftdeck.audit/{origin}"


class _Clock:
    """RFC 3339 UTC millisecond timestamps, never going backwards within the log."""

    def __init__(self) -> None:
        self._sec = -1
        self._prefix = ""
        self.last = ""

    def now(self) -> str:
        t = time.time()
        sec = int(t)
        if sec != self._sec:
            self._sec = sec
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        ts = f"{self._prefix}.{int((t - sec) * 1000):03d}Z"
        if ts < self.last:
            ts = self.last
        self.last = ts
        return ts


class AuditWriteError(InputError):
    """The log could not be written (disk full, I/O error). What was committed stays; the log object
    refuses further writes, and the next open continues from what is on disk."""


def _io(what: str) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
    """Turn an OSError of a write path into one clear AuditWriteError (exit 2, never a traceback)."""

    def decorate(method: Callable[..., _T]) -> Callable[..., _T]:
        @functools.wraps(method)
        def wrapper(self: AuditLog, *args: Any, **kwargs: Any) -> _T:
            try:
                return method(self, *args, **kwargs)
            except (AuditWriteError, InputError):
                raise
            except layout.UnsafeFileError as exc:
                raise InputError(f"audit log file {exc.strerror}: refused", file=exc.filename) from None
            except OSError as exc:
                raise self._fail(exc, what) from exc

        return wrapper

    return decorate


class _Unauthenticated:
    """Where reading met the first line no key holder wrote, and the writer's state just before it."""

    def __init__(self, path: Path, first: int, offset: int, index: int, reason: str, frontier: MerkleFrontier,
                 prev: str, last_line: bytes) -> None:
        self.path, self.first, self.offset, self.index, self.reason = path, first, offset, index, reason
        self.frontier, self.prev, self.last_line = frontier, prev, last_line


class AuditLog:
    """An open audit log. Use `AuditLog.open(workspace)`; call `close()` (or use `with`) at the end."""

    def __init__(self, log_dir: Path, workspace: Path, config: AuditConfig, signers: list[Signer],
                 anchor: Anchor | None, actor: dict[str, Any], tool: str) -> None:
        self.log_dir = log_dir
        self.workspace = workspace
        self._workspace_text = str(workspace)
        self._subject_texts: dict[tuple[tuple[str, Any], ...], str] = {}
        self.config = config
        self.anchor = anchor
        self.actor = actor
        self.tool = tool
        self.origin = ""
        self.anchor_error: str | None = None  # last anchoring failure, for the UI to show
        self._signers = signers
        self._auth = Authenticator(signers)
        # Lines at or past this index are authenticated as they are read (see `_sync`).
        self._auth_from = 0
        self._note_roots: dict[int, bytes] = {}  # own signed checkpoints to match while re-reading
        self._unauthenticated: _Unauthenticated | None = None
        self._last_line = b""
        self.chain_failures: list[dict[str, Any]] = []  # audit.chain_failed data written by this process
        self._filelock = FileLock(str(log_dir / layout.LOCK_NAME), thread_local=False)
        self._mutex = threading.RLock()
        self._depth = 0
        self._clock = _Clock()
        self._frontier = MerkleFrontier()
        self._next_seq = 0
        self._prev = ""
        self._last_kind = ""
        self._seg_first = -1
        self._seg_path: Path | None = None
        self._fd = -1
        self._end = 0  # bytes of the current segment we have read or written
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._unsynced = 0
        self._unsynced_blobs: list[Path] = []
        self._last_sync = time.monotonic()
        self._since_checkpoint = 0
        self._last_append = time.monotonic()
        self.committed_seq = -1  # highest seq known to be fsync'd
        self.recovered: list[Entry] = []  # audit.recovered entries written by this open
        self._heartbeat_thread: threading.Thread | None = None
        self._closed = False
        self._failed: AuditWriteError | None = None

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, workspace: Path, *, config: AuditConfig | None = None, anchor: Anchor | None = _ABSENT,
             actor: dict[str, Any] | None = None, tool: str = "driftdeck") -> AuditLog:
        """Open (creating on first use) the audit log of `workspace`.

        Creates the signing key (0600, in the user config dir) and pins its public key when none
        exists. Repairs a torn tail left by a crash and logs `audit.recovered`.
        """
        config = config or AuditConfig.load()
        workspace = Path(workspace).resolve()
        try:
            return cls._open(workspace, config, anchor, actor, tool)
        except OSError as exc:
            raise AuditWriteError(f"cannot open the audit log: {exc.strerror or exc}",
                                  file=str(exc.filename or config.log_dir_for(workspace))) from exc

    @classmethod
    def _open(cls, workspace: Path, config: AuditConfig, anchor: Anchor | None, actor: dict[str, Any] | None,
              tool: str) -> AuditLog:
        log_dir = config.log_dir_for(workspace)
        if layout.path_problem(log_dir, directory=True) is None:
            log_dir.mkdir(parents=True, exist_ok=True)
        unsafe = layout.unsafe_files(log_dir)
        if unsafe:
            path, problem = unsafe[0]
            raise InputError(f"audit log file {problem}: refused (run `driftdeck audit verify`; the log "
                             "directory must hold only regular files and directories of this user)", file=str(path))
        key_path = config.key_path()
        if key_path.exists():
            signer = load_signer(key_path, log_dir=log_dir)
        else:
            signer = create_signer(key_path, log_dir=log_dir)
            config.pin(signer.verifier)
        from_config = anchor is _ABSENT
        if from_config:
            anchor = None  # resolved from the log's origin before the first note is published
        actor = actor or default_actor()
        check_value(actor, "actor")
        log = cls(log_dir, workspace, config, [signer], anchor, actor, tool)
        log._anchor_from_config = from_config
        try:
            with log._hold():
                if log._next_seq == 0:
                    log._genesis()
                else:
                    log._repair()
        except BaseException:
            log._failed = log._failed or AuditWriteError("not opened", file=str(log_dir))
            log.close()
            raise
        return log

    def _repair(self) -> None:
        """Finish what a crash interrupted, logging `audit.recovered` where something was lost."""
        if self._last_kind == "audit.checkpoint":
            size = self._next_seq
            if not (self.log_dir / layout.CHECKPOINT_DIR / layout.note_name(size)).exists():
                # Killed between fsyncing the checkpoint entry and writing its note: sign it now.
                self._write_note(size, self._frontier.root())
        gap = _age_seconds(self._clock.last)
        if self._pending_recovery is None and self._heartbeat_last and (
            gap > 1.5 * self.config.heartbeat_seconds
        ):
            # The session that promised heartbeats ended without its closing checkpoint.
            self._pending_recovery = {"reason": "unclean shutdown", "idle_seconds": int(gap)}
        if self._pending_recovery is not None:
            pending, self._pending_recovery = self._pending_recovery, None
            self.recovered.append(self._write_entry("audit.recovered", subject={}, data=pending))
            self._checkpoint("recovery")

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def size(self) -> int:
        """Number of entries (the next seq)."""
        return self._next_seq

    @property
    def head(self) -> str:
        """Hex hash of the newest entry."""
        return self._prev

    # ----------------------------------------------------------------- locking and catching up
    @contextlib.contextmanager
    def _hold(self) -> Iterator[None]:
        with self._mutex:
            if self._closed:
                raise RuntimeError("audit log is closed")
            if self._failed is not None:
                raise self._failed
            outer = self._depth == 0
            if outer:
                self._lock()
                try:
                    self._sync()
                except BaseException:
                    self._filelock.release()
                    raise
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if outer:
                    try:
                        self._write_buffer()
                        self._maybe_commit()
                    finally:
                        self._filelock.release()

    def _fail(self, exc: OSError, what: str) -> AuditWriteError:
        """Record a write failure: cut a partly written buffer back to whole lines, refuse more writes."""
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._end)  # frees space; never below what was written whole
        self._buffer.clear()
        reason = exc.strerror or str(exc)
        self._failed = AuditWriteError(
            f"cannot write the audit log ({what}: {reason}); entries through seq {self.committed_seq} are "
            "committed and kept, later ones of this run were not recorded; the next run continues once "
            "this is fixed", file=str(exc.filename or self._seg_path or self.log_dir))
        return self._failed

    def _lock(self) -> None:
        path = self.log_dir / layout.LOCK_NAME
        problem = layout.path_problem(path)
        if problem is None:
            try:
                self._filelock.acquire()
                return
            except OSError as exc:
                problem = f"cannot be locked ({exc.strerror or exc})"
        raise InputError(f"audit lock file {problem}: refused", file=str(path))

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Hold the lock and buffer writes: many appends, one write and group-commit decision."""
        with self._hold():
            self._buffered += 1
            try:
                yield
            finally:
                self._buffered -= 1

    @_io("reading")
    def _sync(self) -> None:
        """Catch up with lines other processes appended since we last held the lock.

        Every line this process did not write is authenticated before anything is signed over it:
        lines read since the last sync, or, on a first read without a valid state cache, lines
        after the newest checkpoint signed by our key whose root matches the log. Reading stops
        trusting at the first line that fails (`_quarantine`).
        """
        if self._fd >= 0 and os.fstat(self._fd).st_size == self._end and not self._segment_full():
            return
        if self._seg_path is None and not self._load_state():
            newest = self._own_notes(newest_only=True)
            top = max(newest, default=0)
            self._auth_from = top
            self._note_roots = newest
            self._matched = 0
            self._read_segments()
            if top and self._matched < top:
                # The newest signed checkpoint does not match the log (or is beyond its end): read
                # again, authenticating every line not covered by a matching signed checkpoint.
                self._restart_reading()
                self._auth_from = 0
                self._note_roots = self._own_notes()
                self._read_segments()
            self._note_roots = {}
        else:
            self._auth_from = self._frontier.size
            self._read_segments()
        if self._unauthenticated is not None:
            self._quarantine()
        self.committed_seq = max(self.committed_seq, self._next_seq - 1)  # what others wrote is on disk

    _matched = 0

    def _own_notes(self, *, newest_only: bool = False) -> dict[int, bytes]:
        """Roots of the checkpoint notes in the log directory that our own key(s) signed, by size
        (`newest_only`: just the newest such note, so a normal open checks one signature)."""
        keys = [s.verifier for s in self._signers]
        out: dict[int, bytes] = {}
        for size, path in reversed(layout.notes(self.log_dir)):
            try:
                out[size] = parse_checkpoint(layout.read_regular(path, limit=1 << 16), keys).root
            except (OSError, NoteError):
                continue
            if newest_only:
                break
        return out

    def _restart_reading(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = -1
        self._seg_path = None
        self._seg_first = -1
        self._end = 0
        self._frontier = MerkleFrontier()
        self._next_seq = 0
        self._prev = ""
        self._last_line = b""
        self._last_kind = ""
        self._unauthenticated = None
        self.origin = ""

    def _read_segments(self) -> None:
        segs = layout.segments(self.log_dir)
        if self._seg_path is not None:
            segs = [(first, p) for first, p in segs if first >= self._seg_first]
        for index, (first, path) in enumerate(segs):
            start = self._end if path == self._seg_path else 0
            self._read_from(path, first, start, last=index == len(segs) - 1)

    @_io("writing the writer cache")
    def _save_state(self) -> None:
        """Cache where the writer stands, so the next open need not re-hash the whole log.

        Not a trust input: the verifier never reads it. A forged cache can only make the writer
        sign a wrong tree head, which the verifier then reports.
        """
        if self._seg_path is None:
            return
        state = {
            "v": 1,
            "segment": self._seg_path.name,
            "seg_first": self._seg_first,
            "offset": self._end,
            "next_seq": self._next_seq,
            "head": self._prev,
            "tree_size": self._frontier.size,
            "subtrees": [h.hex() for h in self._frontier.subtree_roots()],
            "ts": self._clock.last,
            "last_kind": self._last_kind,
            "heartbeat_last": self._heartbeat_last,
        }
        # Authenticated: a forged cache could otherwise make the writer skip (and sign) forged lines.
        state["mac"] = self._auth.state_mac(json.dumps(state, sort_keys=True).encode())
        directory = self.log_dir / layout.INDEX_DIR
        directory.mkdir(exist_ok=True)
        layout.replace_file(directory / WRITER_STATE, json.dumps(state).encode(), durable=False)

    def _load_state(self) -> bool:
        """Resume from the cached writer state when its head still matches the log's bytes."""
        try:
            state = json.loads(layout.read_regular(self.log_dir / layout.INDEX_DIR / WRITER_STATE, limit=1 << 20))
            mac = state.pop("mac")
            if not isinstance(mac, str) or not self._auth.check_state(json.dumps(state, sort_keys=True).encode(), mac):
                return False
            path = self.log_dir / state["segment"]
            offset = int(state["offset"])
            if layout.segment_name(int(state["seg_first"])) != path.name or path.stat().st_size < offset:
                return False
            with layout.open_lines(path) as f:
                start = max(0, offset - (1 << 16))
                f.seek(start)
                chunk = f.read(offset - start)
            if not chunk.endswith(b"\n"):
                return False
            line = chunk[:-1].rsplit(b"\n", 1)[-1]
            if entry_hash(line).hex() != state["head"]:
                return False
            frontier = MerkleFrontier.restore(int(state["tree_size"]), [bytes.fromhex(h) for h in state["subtrees"]])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return False
        self._frontier = frontier
        self._prev = state["head"]
        self._next_seq = int(state["next_seq"])
        self._clock.last = str(state["ts"])
        self._last_kind = str(state["last_kind"])
        self._heartbeat_last = bool(state["heartbeat_last"])
        segs = layout.segments(self.log_dir)
        if segs and segs[0][0] == 0:
            self._load_origin(segs[0][1])
        self._open_segment(path, int(state["seg_first"]), offset)
        self.resumed_from_cache = True
        return True

    resumed_from_cache = False

    def _read_from(self, path: Path, first: int, start: int, *, last: bool) -> None:
        frontier = self._frontier
        note_roots = self._note_roots
        with layout.open_lines(path) as f:
            f.seek(start)
            offset = start
            last_line = b""
            for raw in f:
                if not raw.endswith(b"\n"):
                    if last:
                        self._recover_torn(path, first, offset, raw)
                    break
                line = raw[:-1]
                index = frontier.size
                if index >= self._auth_from and self._unauthenticated is None:
                    reason = self._authenticate(line, index)
                    if reason is not None:
                        self._unauthenticated = _Unauthenticated(
                            path, first, offset, index, reason, frontier.copy(), self._prev,
                            last_line or self._last_line)
                h = entry_hash(line)
                frontier.append(h)
                if note_roots and frontier.size in note_roots and frontier.root() == note_roots[frontier.size]:
                    self._matched = frontier.size
                    if self._unauthenticated is not None and self._unauthenticated.index < frontier.size:
                        self._unauthenticated = None  # covered by a checkpoint our key signed
                self._prev = h.hex()
                self._next_seq += 1
                offset += len(raw)
                last_line = line
        if last_line:
            self._last_line = last_line
            self._take_tail(last_line)
        if not self.origin and first == 0 and start == 0:
            self._load_origin(path)
        self._open_segment(path, first, offset)

    def _authenticate(self, line: bytes, index: int) -> str | None:
        """Why a line read from the file cannot be signed over, or None when a key holder wrote it here."""
        if index > 0:
            peeked = peek(line)
            if peeked is None:
                return "line has no readable seq and prev"
            if peeked[0] != index or peeked[1] != self._prev.encode():
                return f"line does not link to the entry before it (seq {peeked[0]}, expected {index})"
        if not self._auth.check(line):
            return "line carries no valid authenticator: not written by a holder of the signing key"
        return None

    def _take_tail(self, last_line: bytes) -> None:
        """Clock, last kind and heartbeat promise from the newest line read."""
        value, _ = parse_canonical(last_line)
        if isinstance(value, dict):
            self._clock.last = max(self._clock.last, str(value.get("ts", "")))
            self._last_kind = str(value.get("kind", ""))
            data = value.get("data")
            self._heartbeat_last = self._last_kind == "audit.heartbeat" or (
                self._last_kind == "audit.checkpoint" and isinstance(data, dict) and data.get("reason") == "heartbeat"
            )
            if value.get("kind") == "audit.genesis":
                self.origin = str(value.get("data", {}).get("origin", ""))
            if isinstance(value.get("seq"), int):
                self._next_seq = value["seq"] + 1

    @_io("quarantining")
    def _quarantine(self) -> None:
        """Take lines no key holder wrote out of the chain, keep them as evidence, and say so.

        The log is cut back to the last authenticated line; the removed bytes (that line on, with
        any later segments) are stored as a content-addressed blob, and an `audit.chain_failed`
        entry naming their location (finding INSERTED) is appended and checkpointed. Nothing the
        writer could not authenticate is ever covered by a signature.
        """
        bad, self._unauthenticated = self._unauthenticated, None
        assert bad is not None
        if bad.index == 0:
            raise InputError("the audit log's first line was not written by a holder of the signing key; "
                             "run `driftdeck audit verify`", file=str(bad.path))
        later = [path for first, path in layout.segments(self.log_dir) if first > bad.first]
        address, size, lines = self._stash_removed(bad.path, bad.offset, later)
        _truncate(bad.path, bad.offset)
        for path in later:
            path.unlink()
        layout.fsync_dir(self.log_dir)
        self._frontier = bad.frontier
        self._prev = bad.prev
        self._next_seq = bad.index
        self._clock.last = ""
        self._last_line = bad.last_line
        self._take_tail(bad.last_line)
        self._next_seq = bad.index
        self._open_segment(bad.path, bad.first, bad.offset)
        data = {"finding": "INSERTED", "reason": bad.reason, "seq": bad.index, "segment": bad.path.name,
                "line": bad.index - bad.first + 1, "lines": lines,
                "removed": {"blake3": address, "bytes": size}}
        self.chain_failures.append(data)
        self._write_entry("audit.chain_failed", subject={}, data=data)
        self._checkpoint("chain failed")

    def _stash_removed(self, path: Path, offset: int, later: list[Path]) -> tuple[str, int, int]:
        """Copy the bytes from `offset` in `path`, then the `later` segments, into a blob."""
        hasher = blake3()
        size = lines = 0
        directory = self.log_dir / layout.BLOB_DIR
        directory.mkdir(exist_ok=True)
        fd, tmp = layout.create_temp(directory)
        try:
            with os.fdopen(fd, "wb") as out:
                for index, source in enumerate([path, *later]):
                    with layout.open_lines(source) as f:
                        if index == 0:
                            f.seek(offset)
                        for chunk in iter(lambda f=f: f.read(1 << 20), b""):  # type: ignore[misc]
                            hasher.update(chunk)
                            out.write(chunk)
                            size += len(chunk)
                            lines += chunk.count(b"\n")
                out.flush()
                os.fsync(out.fileno())
            address = hasher.hexdigest()
            final = layout.blob_path(self.log_dir, address)
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        layout.fsync_dir(final.parent)
        return address, size, lines

    def _load_origin(self, path: Path) -> None:
        with layout.open_lines(path) as f:
            value, _ = parse_canonical(f.readline().rstrip(b"\n"))
        if isinstance(value, dict) and value.get("kind") == "audit.genesis":
            self.origin = str(value["data"].get("origin", ""))

    def _open_segment(self, path: Path, first: int, end: int) -> None:
        if self._seg_path != path:
            if self._fd >= 0:
                os.close(self._fd)
            self._fd = _open_append(path)
            self._seg_path = path
            self._seg_first = first
        self._end = end

    def _segment_full(self) -> bool:
        return self._next_seq - self._seg_first >= self.config.segment_entries

    def _recover_torn(self, path: Path, first: int, offset: int, fragment: bytes) -> None:
        """A final line without its newline: a write cut short by a crash. Cut it off and say so."""
        _truncate(path, offset)
        self._open_segment(path, first, offset)
        self._pending_recovery = {
            "reason": "torn tail",
            "segment": path.name,
            "offset": offset,
            "discarded_bytes": len(fragment),
            "discarded_blake3": blob_address(fragment),
            "discarded_b64": base64.b64encode(fragment[:4096]).decode(),
        }

    _pending_recovery: dict[str, Any] | None = None
    _anchor_from_config = False
    _heartbeat_last = False  # the newest entry is a heartbeat (or its checkpoint)

    # ----------------------------------------------------------------- writing
    def _genesis(self) -> None:
        self.origin = uuid.uuid4().hex
        self._prev = origin_prev(self.origin)
        self._write_entry(
            "audit.genesis",
            subject={},
            data={
                "origin": self.origin,
                "format": f"driftdeck.audit/v{FORMAT_VERSION}",
                "hash": "blake3",
                "key": self._signers[0].verifier.encode(),
            },
        )
        self._checkpoint("genesis")

    def append(self, kind: str, *, subject: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
               before: Any = None, after: Any = None, actor: dict[str, Any] | None = None,
               durable: bool = False) -> Entry:
        """Append one event and return it (with `seq` and `hash`).

        `subject` keys: tool, workspace, address, provider_id, resource_type (strings). `before`
        and `after` are JSON values, None meaning "not recorded" (larger ones go to blobs). Values must be canonical:
        no floats, integers within +-(2^53-1), NFC text; otherwise NonCanonicalError. `durable`
        (implied for remediation and config kinds) fsyncs and checkpoints before returning.
        """
        if kind in INTERNAL_KINDS or (kind not in KINDS and not KIND_RE.match(kind)):
            raise ValueError(f"audit event kind {kind!r} is reserved or not a dotted lower-case name")
        with self._mutex:
            if self._depth and not self._closed:
                # Inside batch(): the file lock is already held, skip the context-manager round trip.
                return self._append_locked(kind, subject, data, before, after, actor, durable)
        with self._hold():
            return self._append_locked(kind, subject, data, before, after, actor, durable)

    def _append_locked(self, kind: str, subject: dict[str, Any] | None, data: dict[str, Any] | None, before: Any,
                       after: Any, actor: dict[str, Any] | None, durable: bool) -> Entry:
        entry = self._write_entry(kind, subject=subject or {}, data=data or {}, before=before, after=after,
                                  actor=actor)
        if durable or kind in DURABLE_KINDS:
            self._checkpoint(kind)
        elif self._since_checkpoint >= self.config.checkpoint_entries:
            self._checkpoint("periodic")
        elif self._buffered:
            self._maybe_commit()  # a long batch still commits in groups
        return entry

    def _write_entry(self, kind: str, *, subject: dict[str, Any], data: dict[str, Any], before: Any = _ABSENT,
                     after: Any = _ABSENT, actor: dict[str, Any] | None = None) -> Entry:
        if self._heartbeat_last and kind != "audit.recovered" and self._pending_recovery is None:
            idle = _age_seconds(self._clock.last)
            if idle > 1.5 * self.config.heartbeat_seconds:
                # Heartbeats were promised but none came (machine suspended, process stalled):
                # say so, rather than leave a gap that reads as deleted entries.
                self._pending_recovery = {"reason": "heartbeats missed (suspended or stalled)",
                                          "idle_seconds": int(idle)}
        if self._pending_recovery is not None and kind != "audit.recovered":
            pending, self._pending_recovery = self._pending_recovery, None
            self.recovered.append(self._write_entry("audit.recovered", subject={}, data=pending))
        seq = self._next_seq
        if self._seg_path is None or seq - self._seg_first >= self.config.segment_entries:
            self._rotate(seq)
        full_subject: dict[str, str | None] = {"tool": self.tool, "workspace": self._workspace_text}
        for key, item in subject.items():
            if key not in _SUBJECT_KEYS:
                raise ValueError(f"subject key {key!r} is not one of {SUBJECT_KEYS}")
            if item is not None and type(item) is not str:
                raise ValueError(f"subject {key!r} must be a string")
            full_subject[key] = item
        # Only caller-supplied parts need the (costly) value walk; the rest is built here.
        check_value(data, "data")
        if actor is None:
            actor = self.actor
            own_actor = True
        else:
            check_value(actor, "actor")
            own_actor = False
        prev = self._prev
        value: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "seq": seq,
            "ts": self._clock.now(),
            "kind": kind,
            "actor": actor,
            "subject": full_subject,
            "data": data,
            "prev": prev,
        }
        plain = before is _ABSENT or before is None
        if not plain or not (after is _ABSENT or after is None):
            self._attach_documents(value, before, after)
            plain = False
        try:
            text = self._encode(value, own_actor and plain).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise NonCanonicalError(f"text is not valid Unicode: {exc.reason}") from exc
        line, value["mac"] = self._auth.seal(text)
        digest = entry_hash(line)
        self._buffer.append(line + b"\n")
        if not self._buffered or len(self._buffer) >= _BUFFER_LINES:
            self._write_buffer()
        self._frontier.append(digest)
        self._prev = hx = digest.hex()
        self._next_seq = seq + 1
        self._last_kind = kind
        self._heartbeat_last = kind == "audit.heartbeat" or (
            kind == "audit.checkpoint" and data.get("reason") == "heartbeat")
        self._unsynced += 1
        self._since_checkpoint += 1
        self._last_append = time.monotonic()
        if plain:
            return Entry(seq, value["ts"], kind, actor, full_subject, data, prev, hx, None, None, None, None,
                         self._seg_path.name if self._seg_path else None, None, value)
        return Entry(seq, value["ts"], kind, actor, full_subject, data, prev, hx, value.get("before"),
                     value.get("after"), value.get("before_ref"), value.get("after_ref"),
                     self._seg_path.name if self._seg_path else None, None, value)

    def _attach_documents(self, value: dict[str, Any], before: Any, after: Any) -> None:
        """before/after inline when small, else as content-addressed blobs referenced by hash."""
        for name, doc in (("before", before), ("after", after)):
            if doc is _ABSENT or doc is None:
                continue
            body = canonical_bytes(doc)
            if len(body) > self.config.inline_limit:
                address = self._store_blob(body)
                value[f"{name}_ref"] = {"blake3": address, "bytes": len(body)}
            else:
                value[name] = doc

    def _encode(self, value: dict[str, Any], default_actor: bool) -> str:
        """Canonical text of an entry, assembled from canonical parts in sorted key order.

        Same bytes as `canonical_text(value)` (the verifier re-canonicalises every line and the
        tests compare the two); the log's own actor is encoded once, not per entry.
        """
        if not default_actor:
            return dumps_checked(value)
        if self._actor_text is None:
            self._actor_text = dumps_checked(self.actor)
        key = tuple(value["subject"].items())
        subject_text = self._subject_texts.get(key)
        if subject_text is None:
            subject_text = _dumps(value["subject"])
            if len(self._subject_texts) >= 4096:
                self._subject_texts.clear()  # bounded: a long session touching many resources
            self._subject_texts[key] = subject_text
        text = (f'{{"actor":{self._actor_text},"data":{_dumps(value["data"])},"kind":"{value["kind"]}",'
                f'"prev":"{value["prev"]}","seq":{value["seq"]},"subject":{subject_text},'
                f'"ts":"{value["ts"]}","v":{FORMAT_VERSION}}}')
        if not text.isascii() and not unicodedata.is_normalized("NFC", text):
            raise NonCanonicalError("text is not in Unicode NFC form; normalise it before logging")
        return text

    _actor_text: str | None = None

    @_io("appending")
    def _write_buffer(self) -> None:
        if not self._buffer:
            return
        data = b"".join(self._buffer)
        self._buffer.clear()
        view = memoryview(data)
        while view:
            written = _write_fd(self._fd, view)
            view = view[written:]
        self._end += len(data)

    @_io("starting a segment")
    def _rotate(self, first_seq: int) -> None:
        self._write_buffer()
        if self._fd >= 0:
            os.fsync(self._fd)
        path = self.log_dir / layout.segment_name(first_seq)
        if os.path.lexists(path):
            # Nobody else writes while we hold the lock: this file was planted. Never append after
            # (and sign over) lines we have not authenticated; the next open authenticates it.
            self._failed = AuditWriteError(
                f"segment {path.name} appeared while this writer held the lock: refused, nothing written to it; "
                "the next run authenticates it (run `driftdeck audit verify`)", file=str(path))
            raise self._failed
        self._open_segment(path, first_seq, 0)
        layout.fsync_dir(self.log_dir)

    @_io("writing a blob")
    def _store_blob(self, body: bytes) -> str:
        address = blob_address(body)
        path = layout.blob_path(self.log_dir, address)
        if not os.path.lexists(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            # Fsync'd with the next group commit, before any checkpoint signs the entry naming it.
            layout.replace_file(path, body, durable=False)
            self._unsynced_blobs.append(path)
        return address

    def _maybe_commit(self) -> None:
        if self._unsynced and (
            self._unsynced >= self.config.commit_entries
            or time.monotonic() - self._last_sync >= self.config.commit_seconds
        ):
            self._fsync()

    @_io("syncing")
    def _fsync(self) -> None:
        self._write_buffer()
        for path in self._unsynced_blobs:
            fd, _ = layout.open_regular(path)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self._unsynced_blobs.clear()
        if self._fd >= 0:
            os.fsync(self._fd)
        self._unsynced = 0
        self._last_sync = time.monotonic()
        self.committed_seq = self._next_seq - 1

    def flush(self) -> int:
        """Write and fsync everything appended so far; returns the highest committed seq."""
        with self._hold():
            self._fsync()
            return self.committed_seq

    # ----------------------------------------------------------------- checkpoints
    def checkpoint(self, reason: str = "requested") -> int:
        """Append `audit.checkpoint`, fsync, sign the tree head, store and anchor it; returns its size."""
        with self._hold():
            return self._checkpoint(reason)

    def _checkpoint(self, reason: str) -> int:
        size = self._next_seq + 1  # the checkpoint entry is itself covered by the note
        self._write_entry("audit.checkpoint", subject={}, data={"reason": reason, "tree_size": size})
        self._fsync()  # never sign what is not on disk
        self._write_note(size, self._frontier.root())
        self._since_checkpoint = 0
        self._save_state()
        return size

    @_io("writing a checkpoint")
    def _write_note(self, size: int, root: bytes) -> None:
        note = sign_checkpoint(origin_line(self.origin), size, root, self._signers)
        directory = self.log_dir / layout.CHECKPOINT_DIR
        directory.mkdir(exist_ok=True)
        layout.replace_file(directory / layout.note_name(size), note)
        Witness(self.config.witness_path()).record(self.origin, size, root, self.log_dir)
        if self.anchor is None and self._anchor_from_config:
            self.anchor = anchor_from_config(self.config.anchor, self.origin)
        if self.anchor is not None:
            try:
                self.anchor.publish(size, note)
                self.anchor_error = None
            except AnchorError as exc:
                # The log must keep working when S3 is down; the verifier shows the unanchored window.
                self.anchor_error = str(exc)

    def heartbeat(self) -> None:
        """Append `audit.heartbeat` and re-sign: an idle log still proves it is alive and whole."""
        with self._hold():
            self._write_entry("audit.heartbeat", subject={}, data={"interval_s": self.config.heartbeat_seconds})
            self._checkpoint("heartbeat")

    def start_heartbeat(self) -> None:
        """Run `heartbeat()` from a daemon thread whenever the log has been idle for the interval."""
        if self._heartbeat_thread is not None:
            return

        def loop() -> None:
            interval = self.config.heartbeat_seconds
            while not self._closed:
                time.sleep(min(60.0, interval / 4))
                if not self._closed and time.monotonic() - self._last_append >= interval:
                    with contextlib.suppress(RuntimeError):
                        self.heartbeat()

        self._heartbeat_thread = threading.Thread(target=loop, name="audit-heartbeat", daemon=True)
        self._heartbeat_thread.start()

    def rotate_key(self, new: Signer) -> None:
        """Switch signing keys: logs `audit.key.rotated` and a checkpoint signed by old and new key.

        Pin the new key (`AuditConfig.pin`) on every verifier before the old one is revoked.
        """
        with self._hold():
            old = self._signers[0]
            self._write_entry("audit.key.rotated", subject={},
                              data={"old": old.verifier.encode(), "new": new.verifier.encode()})
            self._signers = [old, new]
            self._auth = Authenticator(self._signers)
            self._checkpoint("key rotation")
            self._signers = [new]
            self._auth = Authenticator(self._signers)

    def close(self) -> None:
        """Session end: write a closing checkpoint, release files.

        After a write failure (already raised to the caller) it only releases the files."""
        with self._mutex:
            if self._closed:
                return
            try:
                if self._failed is None:
                    with self._hold():
                        self._checkpoint("session end")
            finally:
                self._closed = True
                if self._fd >= 0:
                    os.close(self._fd)
                    self._fd = -1


_write_fd = os.write  # the one call that appends to segments (tests wrap it to inject faults)
_WRITE_FLAGS = os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_append(path: Path) -> int:
    """Open (creating) a segment for appending; never through a symlink, never a FIFO or device."""
    fd, _ = layout.open_regular(path, _WRITE_FLAGS | os.O_APPEND | os.O_CREAT)
    return fd


def _truncate(path: Path, size: int) -> None:
    fd, _ = layout.open_regular(path, _WRITE_FLAGS)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def _age_seconds(ts: str) -> float:
    """Seconds since an RFC 3339 UTC timestamp written by `_Clock` (0 when unparsable)."""
    import calendar

    try:
        whole = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return 0.0
    return max(0.0, time.time() - whole)


def require_log_dir(workspace: Path, config: AuditConfig) -> Path:
    """The log directory of `workspace`; InputError when there is no log there."""
    log_dir = config.log_dir_for(Path(workspace).resolve())
    if not layout.segments(log_dir):
        raise InputError("no audit log here (it is created by the first scan)", file=str(log_dir))
    return log_dir
