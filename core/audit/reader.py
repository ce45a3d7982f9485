"""Read API for front ends: newest-first listing, one entry with before/after, polling, and a
verification state that is updated incrementally (only new lines are checked on each refresh).

Entries are parsed with the verifier's own strict parser, so what a screen shows is exactly what
the verifier checked; lines it cannot read are left out here and reported by `state()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftdeck.core.audit import layout
from driftdeck.core.audit.canonical import parse_canonical
from driftdeck.core.audit.chain import ChainChecker, Finding, Rec
from driftdeck.core.audit.entry import Entry, schema_problem
from driftdeck.core.audit.hashing import blob_address, entry_hash, origin_prev
from driftdeck.core.audit.location import AuditConfig
from driftdeck.core.audit.log import origin_line, require_log_dir
from driftdeck.core.audit.merkle import MerkleFrontier
from driftdeck.core.audit.signed_note import NoteError, VerifierKey, parse_checkpoint
from driftdeck.core.audit.verify import _read_genesis_origin

_BISECT_MIN = 1 << 16


def _entry(line: bytes, segment: str | None = None, number: int | None = None) -> Entry | None:
    value, reason = parse_canonical(line)
    if value is None or reason or schema_problem(value):
        return None
    return Entry.from_json(value, entry_hash(line).hex(), segment, number)


@dataclass
class VerificationState:
    """What the TUI shows in its status bar: cheap to ask for on every refresh."""

    status: str  # "verified" | "tampered" | "unverified"
    verified_through: int | None = None  # highest seq whose chain link checked out
    signed_through: int = 0  # size of the newest checkpoint whose signature and root checked out
    tampered_at: int | None = None  # first bad seq, when tampered
    findings: list[Finding] = field(default_factory=list)

    # Spellings other front ends look for.
    @property
    def verified_up_to(self) -> int | None:
        return self.verified_through

    @property
    def first_finding(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def reason(self) -> str:
        return "" if self.status != "unverified" else "nothing verified yet"

    def summary(self) -> str:
        if self.status == "tampered":
            return f"tampered at seq {self.tampered_at}"
        if self.status == "verified":
            return f"verified up to seq {self.verified_through} (signed through {self.signed_through})"
        return "not verified"


class _Incremental:
    """Chain + Merkle state carried across refreshes; reset when an already-read file changes."""

    def __init__(self, log_dir: Path, trusted: list[VerifierKey]) -> None:
        self.log_dir = log_dir
        self.trusted = trusted
        self.reset()

    def reset(self) -> None:
        origin = _read_genesis_origin(self.log_dir)
        self.origin = origin
        self.chain = ChainChecker(origin_prev(origin) if origin else None)
        self.frontier = MerkleFrontier()
        self.pending_roots: dict[int, bytes] = {}
        self.signed_through = 0
        self.read: dict[str, tuple[int, int]] = {}  # segment -> (bytes read, mtime_ns when finished)
        self.idx = 0
        self.broken = False

    def refresh(self) -> None:
        segs = layout.segments(self.log_dir)
        names = [p.name for _, p in segs]
        for name, (size, _mtime) in self.read.items():
            path = self.log_dir / name
            try:
                st = path.stat()
            except FileNotFoundError:
                self.reset()
                break
            if st.st_size < size or name not in names:
                self.reset()  # something already checked was cut or removed: start over
                break
        for _, path in segs:
            start = self.read.get(path.name, (0, 0))[0]
            try:
                opened = layout.open_lines(path)
            except OSError:
                continue  # a symlink, FIFO or device is never read (the verifier names it)
            with opened as f:
                f.seek(start)
                offset = start
                for raw in f:
                    if not raw.endswith(b"\n"):
                        break  # a write in progress (or a torn tail): look again next time
                    line = raw[:-1]
                    self._feed(path.name, line)
                    offset += len(raw)
            self.read[path.name] = (offset, 0)
        self._check_notes()

    def _feed(self, segment: str, line: bytes) -> None:
        digest = entry_hash(line)
        rec = Rec(self.idx, segment, 0, digest.hex(), None, None)
        value, reason = parse_canonical(line)
        problem = schema_problem(value) if value is not None else None
        if value is None or reason or problem:
            rec.problem = reason or problem
            if isinstance(value, dict) and not problem:
                rec.seq, rec.p = value["seq"], value["prev"]
        else:
            rec.seq, rec.p = value["seq"], value["prev"]
        self.chain.feed(rec)
        self.frontier.append(digest)
        self.idx += 1
        if isinstance(value, dict) and value.get("kind") == "audit.checkpoint":
            self.pending_roots[self.frontier.size] = self.frontier.root()

    def _check_notes(self) -> None:
        if not self.trusted:
            self.pending_roots.clear()  # nothing pinned: signatures cannot be judged either way
            return
        for size in sorted(self.pending_roots):
            path = self.log_dir / layout.CHECKPOINT_DIR / layout.note_name(size)
            if not path.exists():
                continue
            root = self.pending_roots.pop(size)
            try:
                cp = parse_checkpoint(layout.read_regular(path, limit=1 << 16), self.trusted)
            except (NoteError, OSError):
                self.broken = True
                continue
            if cp.root != root or (self.origin and cp.origin != origin_line(self.origin)):
                self.broken = True
            elif size > self.signed_through:
                self.signed_through = size
        # Keep the map small: only the newest few checkpoints can still be waiting for a note.
        for size in sorted(self.pending_roots)[:-8]:
            del self.pending_roots[size]

    def state(self) -> VerificationState:
        chain = self.chain
        if chain.findings or chain._region or self.broken:
            findings, bad = chain.peek_findings() if chain._region else (list(chain.findings), chain.first_bad_seq)
            tip = chain._tip.seq if chain._tip.seq is not None and chain._tip.seq >= 0 else None
            return VerificationState("tampered", tip, self.signed_through, bad, findings)
        if chain._tip.seq < 0:
            return VerificationState("unverified")
        return VerificationState("verified", chain._tip.seq, self.signed_through)


class AuditReader:
    """Read-only access to one log directory. Safe while other processes append."""

    def __init__(self, log_dir: Path, trusted: list[VerifierKey] | None = None) -> None:
        self.log_dir = Path(log_dir)
        self._trusted = trusted or []
        self._incremental: _Incremental | None = None

    @classmethod
    def for_workspace(cls, workspace: Path, config: AuditConfig | None = None) -> AuditReader:
        config = config or AuditConfig.load()
        return cls(require_log_dir(Path(workspace), config), config.pinned_keys())

    # ------------------------------------------------------------------ listing
    def iter_entries(self, *, kinds: Iterable[str] | None = None, resource: str | None = None,
                     actor: str | None = None, since: str | None = None, until: str | None = None,
                     limit: int | None = None) -> Iterator[Entry]:
        """Entries newest first, filtered.

        `resource` matches the subject's address or provider id exactly; `actor` is a substring
        of any actor field; `since`/`until` are RFC 3339 prefixes compared as text (UTC).
        """
        wanted = set(kinds) if kinds else None
        count = 0
        for _, path in reversed(layout.segments(self.log_dir)):
            for number, line in layout.read_lines_reverse(path):
                entry = _entry(line, path.name, number)
                if entry is None:
                    continue
                if until is not None and entry.ts[: len(until)] > until:
                    continue
                if since is not None and entry.ts[: len(since)] < since:
                    return
                if wanted is not None and entry.kind not in wanted:
                    continue
                if resource is not None and resource not in (
                    entry.subject.get("address"), entry.subject.get("provider_id")
                ):
                    continue
                if actor is not None and not any(actor in str(v) for v in entry.actor.values()):
                    continue
                yield entry
                count += 1
                if limit is not None and count >= limit:
                    return

    # ------------------------------------------------------------------ one entry
    def _locate(self, seq: int) -> tuple[Path, int] | None:
        """(segment, byte offset of a line at or before `seq`) by bisecting on byte offsets."""
        segs = layout.segments(self.log_dir)
        candidates = [p for first, p in segs if first <= seq]
        if not candidates:
            return None
        path = candidates[-1]
        lo, hi = 0, path.stat().st_size
        with layout.open_lines(path) as f:
            while hi - lo > _BISECT_MIN:
                mid = (lo + hi) // 2
                f.seek(mid)
                f.readline()
                start = f.tell()
                peeked = layout.peek(f.readline().rstrip(b"\n"))
                if peeked is None or peeked[0] >= seq:
                    hi = mid
                else:
                    lo = start
        return path, lo

    def _scan_from(self, seq: int, kinds: Iterable[str] | None = None) -> Iterator[Entry]:
        # Kinds are matched on the raw bytes first, so skipped lines are never parsed.
        needles = [b'"kind":"%s"' % k.encode() for k in kinds] if kinds else None
        located = self._locate(seq)
        if located is None:
            return
        path, offset = located
        segs = [p for _, p in layout.segments(self.log_dir)]
        for seg in segs[segs.index(path):]:
            with layout.open_lines(seg) as f:
                f.seek(offset if seg == path else 0)
                for raw in f:
                    if not raw.endswith(b"\n"):
                        break
                    if needles is not None and not any(n in raw for n in needles):
                        continue
                    peeked = layout.peek(raw[:-1])
                    if peeked is None or peeked[0] < seq:
                        continue
                    entry = _entry(raw[:-1], seg.name)
                    if needles is not None and entry is not None and entry.kind not in kinds:  # type: ignore[operator]
                        continue
                    if entry is not None:
                        yield entry

    def get(self, seq: int) -> Entry | None:
        """One entry with `before`/`after` loaded from blobs when stored there (None if absent)."""
        for entry in self._scan_from(seq):
            if entry.seq != seq:
                return None
            for name in ("before", "after"):
                ref = getattr(entry, f"{name}_ref")
                if ref is not None:
                    setattr(entry, name, self._load_blob(ref))
            return entry
        return None

    def _load_blob(self, ref: dict[str, Any]) -> Any:
        address = str(ref.get("blake3", ""))
        size = ref.get("bytes")
        try:
            data = layout.read_regular(layout.blob_path(self.log_dir, address),
                                       limit=size if isinstance(size, int) and size > 0 else 0)
        except (FileNotFoundError, ValueError):
            return {"unavailable": f"blob {address[:16]} is missing"}
        except OSError as exc:
            return {"unavailable": f"blob {address[:16]} {exc.strerror}"}
        if blob_address(data) != address:
            return {"unavailable": f"blob {address[:16]} does not match its hash"}
        value, reason = parse_canonical(data)
        return value if reason is None else {"unavailable": f"blob {address[:16]}: {reason}"}

    def entries_since(self, seq: int, limit: int | None = None, *, kinds: Iterable[str] | None = None) -> list[Entry]:
        """Entries with seq > `seq`, oldest first (poll this to follow new appends); `kinds` filters."""
        out = []
        for entry in self._scan_from(seq + 1, set(kinds) if kinds else None):
            out.append(entry)
            if limit is not None and len(out) >= limit:
                break
        return out

    def last_seq(self) -> int:
        for entry in self.iter_entries(limit=1):
            return entry.seq
        return -1

    # ------------------------------------------------------------------ verification state
    def state(self) -> VerificationState:
        """Chain and checkpoint state, checking only what was appended since the last call.

        Local evidence only (no anchor round trip): use `verify_workspace` for the full verdict.
        """
        if self._incremental is None:
            self._incremental = _Incremental(self.log_dir, self._trusted)
        self._incremental.refresh()
        return self._incremental.state()

