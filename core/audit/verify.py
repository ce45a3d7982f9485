"""The verifier: every finding with a code and a location, and an exit status.

Trust inputs are only the pinned public keys and the anchor, both from the operator's
configuration. The local log, its notes and any cache are evidence to be checked, never trusted.

Exit status: 0 verified, 2 tampered (any finding other than TORN_TAIL), 3 cannot verify (no pinned
key, a configured anchor that could not be read, a torn tail awaiting `driftdeck audit recover`).
"""

from __future__ import annotations

import calendar
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blake3 import blake3

from driftdeck.core.audit import layout
from driftdeck.core.audit.anchor import Anchor, AnchorError
from driftdeck.core.audit.authn import Authenticator
from driftdeck.core.audit.canonical import parse_canonical, parse_entry
from driftdeck.core.audit.chain import RECENT, ChainChecker, Finding, Rec
from driftdeck.core.audit.entry import schema_problem
from driftdeck.core.audit.hashing import ENTRY_TAG, origin_prev
from driftdeck.core.audit.merkle import MerkleFrontier
from driftdeck.core.audit.signed_note import Checkpoint, NoteError, VerifierKey, parse_checkpoint
from driftdeck.core.audit.witness import Witness, Witnessed
from driftdeck.core.text import printable

NOT_TAMPERING = frozenset({"TORN_TAIL"})
ORIGIN_PREFIX = "driftdeck.audit/"
HEARTBEAT_TOLERANCE = 1.5


@dataclass
class VerifyResult:
    log_dir: str
    entries: int = 0
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why it cannot be fully verified
    notes: list[str] = field(default_factory=list)  # informational
    origin: str | None = None
    signed_through: int = 0  # size of the newest checkpoint that verified and matches the log
    anchored_through: int | None = None  # size of the newest anchored checkpoint (None: no anchor)
    anchor: str | None = None
    hash_only: bool = False
    witness: str | None = None  # the local witness file consulted (None: not consulted)
    witnessed_through: int | None = None  # size of this log's checkpoint in the witness

    @property
    def tampered(self) -> bool:
        return any(f.code not in NOT_TAMPERING for f in self.findings)

    @property
    def exit_code(self) -> int:
        if self.tampered:
            return 2
        if self.problems or self.findings:
            return 3
        return 0

    @property
    def status(self) -> str:
        return {0: "verified", 2: "tampered", 3: "cannot_verify"}[self.exit_code]

    @property
    def unanchored_from(self) -> int | None:
        """First seq not covered by an anchored checkpoint (None when everything is anchored)."""
        start = self.anchored_through or 0
        return start if start < self.entries else None

    @property
    def unsigned_from(self) -> int | None:
        return self.signed_through if self.signed_through < self.entries else None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "log_dir": self.log_dir,
            "origin": self.origin,
            "entries": self.entries,
            "mode": "hash-only" if self.hash_only else "full",
            "signed_through": self.signed_through,
            "anchor": self.anchor,
            "anchored_through": self.anchored_through,
            "witness": self.witness,
            "witnessed_through": self.witnessed_through,
            "unanchored_window": None
            if self.unanchored_from is None
            else {"first_seq": self.unanchored_from, "last_seq": self.entries - 1},
            "findings": [f.to_json() for f in self.findings],
            "problems": self.problems,
            "notes": self.notes,
        }


def _epoch(ts: str) -> float:
    try:
        whole = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return 0.0
    frac = ts[19:-1]
    return whole + (float("0" + frac) if frac.startswith(".") else 0.0)


def log_origin(log_dir: Path) -> str | None:
    """The origin named by the log's genesis entry (evidence, not trusted: the verifier checks it
    against the signed notes)."""
    return _read_genesis_origin(log_dir)


def _first_line(log_dir: Path) -> Any:
    """The log's first entry, parsed (None when there is none or it cannot be read)."""
    segs = layout.segments(log_dir)
    if not segs:
        return None
    try:
        with layout.open_lines(segs[0][1]) as f:
            value, _ = parse_canonical(f.readline().rstrip(b"\n"))
    except OSError:
        return None
    return value


def log_key(log_dir: Path) -> str | None:
    """The verifier key the log's genesis entry names (a hint for the operator, never trusted)."""
    value = _first_line(log_dir)
    key = value.get("data", {}).get("key") if isinstance(value, dict) and isinstance(value.get("data"), dict) else None
    return printable(key) if isinstance(key, str) else None


def _read_genesis_origin(log_dir: Path) -> str | None:
    value = _first_line(log_dir)
    if isinstance(value, dict) and value.get("kind") == "audit.genesis" and value.get("seq") == 0:
        origin = value.get("data", {}).get("origin")
        return origin if isinstance(origin, str) else None
    return None


def _recent_records(ring: deque[tuple[str, int, bytes]], idx: int, first_prev: str
                    ) -> tuple[list[tuple[str, int, str, int, str]], int]:
    """The fast path's last good lines as (segment, line, hash, seq, prev) and the first one's index.

    Lines are consecutive and linked, so seq and prev follow from their order; when the ring is not
    full it reaches back to entry 0, whose prev is the origin's.
    """
    items = list(ring)
    if len(items) > RECENT:
        prev, items = items[0][2].decode(), items[1:]
    else:
        prev = first_prev
    first_idx = idx - len(items)
    out = []
    for k, (segment, number, hxb) in enumerate(items):
        hx = hxb.decode()
        out.append((segment, number, hx, first_idx + k, prev))
        prev = hx
    return out, first_idx


class Verifier:
    """One verification run over a log directory."""

    def __init__(self, log_dir: Path, trusted: list[VerifierKey], *, revoked: frozenset[bytes] = frozenset(),
                 anchor: Anchor | None = None, hash_only: bool = False,
                 authenticator: Authenticator | None = None, witness: Witness | None = None,
                 heartbeat_seconds: int | None = None,
                 anchor_for_origin: Callable[[str], Anchor | None] | None = None) -> None:
        self.log_dir = log_dir
        self.anchor_for_origin = anchor_for_origin
        self.authenticator = authenticator
        self.witness = witness
        self.heartbeat_seconds = heartbeat_seconds
        self.trusted = trusted
        self.revoked = revoked
        self.anchor = anchor
        self.hash_only = hash_only
        self.result = VerifyResult(str(log_dir), hash_only=hash_only, anchor=anchor.description if anchor else None)
        self._refused: set[str] = set()  # special files already reported
        self._signed_sizes: list[int] = []

    def _find(self, code: str, detail: str, segment: str | None = None, line: int | None = None,
              seq: int | None = None, seq_end: int | None = None) -> Finding:
        finding = Finding(code, detail, segment, line, seq, seq_end)
        self.result.findings.append(finding)
        return finding

    def run(self) -> VerifyResult:
        res = self.result
        problem = layout.path_problem(self.log_dir, directory=True)
        if problem is not None:
            self._find("UNKNOWN_FILE", f"the log directory {problem}: refused, not read", str(self.log_dir))
            return res
        if not self.trusted:
            res.problems.append("no pinned public key in the configuration: signatures cannot be checked")
        notes = self._local_notes()
        origin = self._origin(notes)
        res.origin = origin
        if self.anchor is None and self.anchor_for_origin is not None:
            if origin is None:
                res.problems.append("an anchor is configured but the log's origin is unknown: cannot find its "
                                    "anchored checkpoints")
            else:
                self.anchor = self.anchor_for_origin(origin)
                res.anchor = self.anchor.description if self.anchor else None
        anchored_sizes = self._anchored_sizes()
        witnessed = self._witnessed(origin, notes)
        wanted = set(notes) | set(anchored_sizes or []) | ({witnessed.size} if witnessed else set())
        # Lines after the newest signed checkpoint are covered by no signature: with the signing
        # key at hand their authenticators are checked; without it that tail is only hash-chained.
        self._auth_from = max(notes, default=0) if self.authenticator is not None else 1 << 62
        self._unauthenticated: list[tuple[str, int, int]] = []
        roots, locs, chain, last_loc = self._stream(origin, wanted)
        res.findings.extend(chain.findings)
        self._report_unauthenticated(chain.findings)
        if self.authenticator is None and max(notes, default=0) < res.entries:
            res.notes.append(f"the signing key is not available here: entries from seq {max(notes, default=0)} on "
                             "(after the newest signed checkpoint) could not be authenticated")
        self._logical_size = chain.logical_size
        if not self.hash_only:
            self._check_notes(notes, roots, chain)
            self._settle_ambiguous_tail(chain, notes)
            self._check_files()
        else:
            res.notes.append("hash-only: chain links and the anchored size checked; JSON, local checkpoints, "
                             "blobs and the anchored root not checked")
        if witnessed is not None:
            self._check_witness(witnessed, roots, locs, last_loc, notes, chain)
        if not self.hash_only:
            self._check_unsigned_tail(last_loc)
        if anchored_sizes is not None:
            self._check_anchor(anchored_sizes, roots, locs, last_loc, origin)
        res.findings.sort(key=lambda f: (f.seq if f.seq is not None else res.entries, f.code))
        return res

    def _report_unauthenticated(self, chain_findings: list[Finding]) -> None:
        """One INSERTED finding per run of unsigned lines that carry no valid authenticator."""
        flagged = {(f.segment, f.line) for f in chain_findings}
        run: list[tuple[str, int, int]] = []

        def close() -> None:
            if run:
                seg, number, idx = run[0]
                count = len(run)
                self._find("INSERTED", f"{count} line{'s' if count > 1 else ''} after the newest signed checkpoint "
                           "not written by a holder of the signing key (forged, or edited and re-chained)",
                           seg, number, idx, run[-1][2] if count > 1 else None)
                run.clear()

        for item in self._unauthenticated:
            if (item[0], item[1]) in flagged or (run and item[2] != run[-1][2] + 1):
                close()
            if (item[0], item[1]) not in flagged:
                run.append(item)
        close()

    # ------------------------------------------------------------------ local witness, unsigned tail
    def _witnessed(self, origin: str | None, notes: dict[int, Checkpoint]) -> Witnessed | None:
        if self.witness is None or origin is None:
            return None
        res = self.result
        res.witness = str(self.witness.path)
        try:
            witnessed = self.witness.get(origin)
        except (OSError, ValueError) as exc:
            res.problems.append(f"local witness {self.witness.path} unreadable: {exc}")
            return None
        if witnessed is None:
            if notes:
                res.notes.append(f"the local witness ({self.witness.path}) has no record of this log: first "
                                 "verification on this machine, or the log was moved or copied here")
            return None
        res.witnessed_through = witnessed.size
        return witnessed

    def _check_witness(self, witnessed: Witnessed, roots: dict[int, bytes], locs: dict[int, tuple[str, int]],
                       last_loc: tuple[str, int] | None, notes: dict[int, Checkpoint], chain: ChainChecker) -> None:
        """Compare the log with the newest checkpoint this machine signed for it."""
        n, m = self._logical_size, witnessed.size
        seg, line = last_loc if last_loc else (None, None)
        seen = f"the local witness saw a signed checkpoint of {m} entries ({witnessed.ts})"
        if n < m:
            older = notes.get(n)
            if older is not None and roots.get(n) == older.root and not chain.findings:
                self._find("ROLLED_BACK", f"{seen}; the log is an older signed state of {n} entries "
                           f"({m - n} newer entries and their checkpoints are gone)", seg, line, n, m - 1)
            else:
                self._find("TRUNCATED", f"{seen}; the log has {n}", seg, line, n, m - 1)
            return
        if self.hash_only or roots.get(m) == witnessed.root:
            return
        if chain.first_bad_seq is not None and chain.first_bad_seq < m:
            return  # the chain findings already locate the change
        where = locs.get(m, (seg, line))
        self._find("FORKED", f"{seen}; the log's first {m} entries differ from it (history rewritten and "
                   "re-chained)", where[0], where[1], m - 1)

    def _check_unsigned_tail(self, last_loc: tuple[str, int] | None) -> None:
        """Entries no checkpoint covers, older than the heartbeat promise: a finding, not a silent pass."""
        res = self.result
        if self.heartbeat_seconds is None or res.signed_through >= res.entries or not self._prev_ts:
            return
        age = time.time() - _epoch(self._prev_ts)
        if age <= HEARTBEAT_TOLERANCE * self.heartbeat_seconds:
            return
        count = res.entries - res.signed_through
        seg, line = last_loc if last_loc else (None, None)
        self._find("HEARTBEAT_GAP", f"{count} entr{'y' if count == 1 else 'ies'} after the newest signed checkpoint "
                   f"never signed; the newest is {int(age)} s old (heartbeat interval {self.heartbeat_seconds} s): "
                   "the writer stopped without signing them, or they were added without the key",
                   seg, line, res.signed_through, res.entries - 1)

    # ------------------------------------------------------------------ notes and origin
    def _local_notes(self) -> dict[int, Checkpoint]:
        valid: dict[int, Checkpoint] = {}
        for size, path in layout.notes(self.log_dir):
            where = f"{layout.CHECKPOINT_DIR}/{path.name}"
            try:
                cp = parse_checkpoint(layout.read_regular(path, limit=1 << 16), self.trusted, self.revoked)
            except OSError as exc:
                self._find("UNKNOWN_FILE", f"note {exc.strerror or exc}: refused, not read", where, None,
                           size - 1 if size else None)
                self._refused.add(where)
                continue
            except NoteError as exc:
                if self.trusted:
                    self._find(exc.code, exc.detail, where, None, size - 1 if size else None)
                continue
            if cp.size != size:
                self._find("EDITED", f"note is named for size {size} but signs size {cp.size}", where, None, size - 1)
                continue
            valid[size] = cp
        self._signed_sizes = list(valid)
        return valid

    def _origin(self, notes: dict[int, Checkpoint]) -> str | None:
        genesis = _read_genesis_origin(self.log_dir)
        signed = {cp.origin for cp in notes.values()}
        if len(signed) > 1:
            self._find("FORKED", f"signed checkpoints name different origins: {sorted(signed)}", layout.CHECKPOINT_DIR)
        if signed:
            line = sorted(signed)[0]
            origin = line[len(ORIGIN_PREFIX):] if line.startswith(ORIGIN_PREFIX) else line
            if genesis is not None and genesis != origin:
                segs = layout.segments(self.log_dir)
                self._find("FORKED", f"genesis names origin {genesis}, signed checkpoints name {origin}",
                           segs[0][1].name if segs else None, 1, 0)
            return origin
        return genesis

    def _anchored_sizes(self) -> list[int] | None:
        if self.anchor is None:
            return None
        try:
            return self.anchor.sizes()
        except AnchorError as exc:
            self.result.problems.append(f"anchor unreachable: {exc}")
            return None

    # ------------------------------------------------------------------ the stream
    def _stream(self, origin: str | None, wanted: set[int]) -> tuple[dict[int, bytes], dict[int, tuple[str, int]],
                                                                      ChainChecker, tuple[str, int] | None]:
        """One pass over every line. While each line links to the one before, a fast path checks it
        with no per-line objects; from the first irregularity on, every line goes through the
        `ChainChecker`, which is handed the last `RECENT` good lines to explain the damage."""
        res = self.result
        first_prev = origin_prev(origin) if origin else None
        chain = ChainChecker(first_prev)
        frontier = MerkleFrontier()
        roots: dict[int, bytes] = {}
        locs: dict[int, tuple[str, int]] = {}
        self._checkpoint_entries: list[tuple[int, int, str, int]] = []  # seq, tree_size, segment, line
        self._blob_refs: set[str] = set()
        self._prev_ts, self._prev_seq, self._prev_kind, self._prev_interval = "", -2, "", 0.0
        segs = layout.segments(self.log_dir)
        hash_only = self.hash_only
        fast = first_prev is not None
        expect_prev = (first_prev or "").encode()
        next_seq = 0
        seq_text = b"0,"
        # The last good lines (segment, line number, hash), one more than the chain checker keeps.
        ring: deque[tuple[str, int, bytes]] = deque(maxlen=RECENT + 1)
        ring_append = ring.append
        idx = 0
        last_loc: tuple[str, int] | None = None
        tag = ENTRY_TAG
        auth_from, authenticator, unauthenticated = self._auth_from, self.authenticator, self._unauthenticated
        for seg_index, (_, path) in enumerate(segs):
            segment = path.name
            last_segment = seg_index == len(segs) - 1
            try:
                opened = layout.open_lines(path)
            except OSError as exc:
                # A symlink (to /dev/zero, say), FIFO or device is never read: no hang, no memory blow-up.
                self._find("UNKNOWN_FILE", f"segment {exc.strerror or exc}: refused, not read", segment)
                self._refused.add(segment)
                continue
            with opened as f:
                number = 0
                for raw in f:
                    number += 1
                    if fast:
                        # A line that links to the one before: seq + 1 and prev = its hash.
                        i = raw.rfind(b'"prev":"')
                        if (i >= 0 and raw.startswith(expect_prev, i + 8) and raw.startswith(b'","seq":', i + 72)
                                and raw.startswith(seq_text, i + 80) and raw.endswith(b"\n")):
                            line = raw[:-1]
                            if idx >= auth_from and not authenticator.check(line):  # type: ignore[union-attr]
                                unauthenticated.append((segment, number, idx))
                            if hash_only:
                                # Tightest loop: chain links only, no parsing, no Merkle.
                                hxb = blake3(tag + line).digest().hex().encode()
                                ring_append((segment, number, hxb))
                                expect_prev = hxb
                                next_seq += 1
                                seq_text = b"%d," % next_seq
                                idx += 1
                                continue
                            value = parse_entry(line)
                            if value is not None:
                                digest = blake3(tag + line).digest()
                                frontier.append(digest)
                                if frontier.size in wanted:
                                    roots[frontier.size] = frontier.root()
                                    locs[frontier.size] = (segment, number)
                                self._entry_checks(value, segment, number)
                                hxb = digest.hex().encode()
                                ring_append((segment, number, hxb))
                                expect_prev = hxb
                                next_seq += 1
                                seq_text = b"%d," % next_seq
                                idx += 1
                                continue
                        # Leave the fast path for good: the chain checker takes over from here.
                        fast = False
                        chain.resume(*_recent_records(ring, idx, first_prev or ""))
                    complete = raw.endswith(b"\n")
                    line = raw[:-1] if complete else raw
                    if not complete and last_segment:
                        self._find("TORN_TAIL", f"final line has no newline ({len(line)} bytes, an interrupted "
                                   "write); run `driftdeck audit recover`", segment, number, idx)
                        continue
                    digest = blake3(tag + line).digest()
                    if idx >= auth_from and not authenticator.check(line):  # type: ignore[union-attr]
                        unauthenticated.append((segment, number, idx))
                    rec = Rec(idx, segment, number, digest.hex(), None, None)
                    if hash_only:
                        peeked = layout.peek(line)
                        if peeked is None:
                            rec.problem = "line has no readable seq/prev"
                        else:
                            rec.seq, rec.p = peeked[0], peeked[1].decode("ascii", "replace")
                    else:
                        parsed, reason = parse_canonical(line)
                        problem = schema_problem(parsed) if parsed is not None else None
                        if parsed is None or problem:
                            rec.problem = reason or problem or "unreadable line"
                        else:
                            rec.seq, rec.p = parsed["seq"], parsed["prev"]
                            if reason:
                                rec.problem, rec.problem_code = reason, "NONCANONICAL"
                            rec.value = parsed
                        if not complete:
                            rec.problem, rec.problem_code = "line has no newline in the middle of the log", "EDITED"
                        frontier.append(digest)
                        if frontier.size in wanted:
                            roots[frontier.size] = frontier.root()
                            locs[frontier.size] = (segment, number)
                        if rec.value is not None and rec.problem is None:
                            self._entry_checks(rec.value, segment, number)
                    chain.feed(rec)
                    idx += 1
            if number:
                last_loc = (segment, number)
        if fast:
            chain.resume(*_recent_records(ring, idx, first_prev or ""))
        chain.finish()
        res.entries = idx
        return roots, locs, chain, last_loc

    def _entry_checks(self, value: dict[str, Any], segment: str, number: int) -> None:
        """Per-entry checks beyond the chain: time order, heartbeat promises, checkpoints, blobs."""
        ts, kind, seq, data = value["ts"], value["kind"], value["seq"], value["data"]
        if seq == self._prev_seq + 1:
            if ts < self._prev_ts:
                self._find("REORDERED", f"timestamp {ts} is earlier than the previous entry's {self._prev_ts}",
                           segment, number, seq)
            elif self._prev_kind == "audit.heartbeat" and kind != "audit.recovered" and self._prev_interval and (
                _epoch(ts) - _epoch(self._prev_ts) > HEARTBEAT_TOLERANCE * self._prev_interval
            ):
                self._find("HEARTBEAT_GAP", f"{int(_epoch(ts) - _epoch(self._prev_ts))} s since the heartbeat "
                           f"before (interval {int(self._prev_interval)} s)", segment, number, seq)
        if kind == "audit.chain_failed" and data.get("finding") == "INSERTED" and isinstance(data.get("seq"), int):
            # A writer found lines no key holder wrote and took them out of the chain unsigned.
            count = data.get("lines") if isinstance(data.get("lines"), int) else 1
            first = data["seq"]
            self._find("INSERTED", f"{count} line{'s' if count != 1 else ''} not written by a holder of the signing "
                       f"key (forged) found by a writer at seq {first} and never signed; kept as evidence in "
                       f"a blob ({data.get('reason', '')}); this entry: {segment}:{number} seq {seq}",
                       str(data.get("segment")), data.get("line") if isinstance(data.get("line"), int) else None,
                       first, first + count - 1 if count > 1 else None)
            if "removed" in data:
                self._check_blob(data["removed"], "removed", segment, number, seq)
        effective = kind
        if kind == "audit.checkpoint":
            if data.get("reason") == "heartbeat":
                effective = "audit.heartbeat"  # the heartbeat's own checkpoint keeps its promise
            if isinstance(data.get("tree_size"), int):
                self._checkpoint_entries.append((seq, data["tree_size"], segment, number))
        elif kind == "audit.heartbeat":
            interval = data.get("interval_s")
            self._prev_interval = float(interval) if isinstance(interval, int) else 0.0
        self._prev_ts, self._prev_seq, self._prev_kind = ts, seq, effective
        if "before_ref" in value:
            self._check_blob(value["before_ref"], "before_ref", segment, number, seq)
        if "after_ref" in value:
            self._check_blob(value["after_ref"], "after_ref", segment, number, seq)

    def _check_blob(self, ref: Any, name: str, segment: str, number: int, seq: int) -> None:
        address = ref.get("blake3") if isinstance(ref, dict) else None
        if not isinstance(address, str) or not layout.BLOB_RE.match(address):
            self._find("EDITED", f"{name} is not a blob reference", segment, number, seq)
            return
        self._blob_refs.add(address)
        path = layout.blob_path(self.log_dir, address)
        expected = ref.get("bytes") if isinstance(ref.get("bytes"), int) else 0
        try:
            data = layout.read_regular(path, limit=max(0, expected))
        except FileNotFoundError:
            self._find("MISSING", f"{name} blob {address[:16]}… is missing", segment, number, seq)
            return
        except layout.UnsafeFileError as exc:
            self._find("UNKNOWN_FILE", f"{name} blob {address[:16]}… {exc.strerror}: refused, not read",
                       f"{layout.BLOB_DIR}/{address[:2]}/{address}", None, seq)
            return
        except OSError:
            data = b""  # larger than the entry says: does not match
        if blake3(data).hexdigest() != address or len(data) != ref.get("bytes"):
            self._find("EDITED", f"{name} blob {address[:16]}… does not match its hash", segment, number, seq)

    # ------------------------------------------------------------------ checkpoints
    def _check_notes(self, notes: dict[int, Checkpoint], roots: dict[int, bytes], chain: ChainChecker) -> None:
        res = self.result
        n = chain.logical_size
        good_before = 0
        truncated_reported = False
        for size in sorted(notes):
            cp = notes[size]
            where = f"{layout.CHECKPOINT_DIR}/{layout.note_name(size)}"
            if size > n:
                if not truncated_reported:
                    biggest = max(notes)
                    self._find("TRUNCATED", f"signed checkpoint covers {biggest} entries but the log has {n}",
                               where, None, n, biggest - 1)
                    truncated_reported = True
                continue
            if roots.get(size) != cp.root:
                explained = (chain.first_bad_seq is not None and chain.first_bad_seq < size) or (
                    chain.first_bad_idx is not None and chain.first_bad_idx < size
                )
                if not explained:
                    self._find("EDITED", f"entries do not match the signed checkpoint of size {size} "
                               "(changed and re-chained)", where, None, good_before, size - 1)
                continue
            if chain.first_bad_seq is None or chain.first_bad_seq >= size:
                res.signed_through = max(res.signed_through, size)
                good_before = size
        # Every checkpoint entry promises a note; only the newest may be missing after a crash.
        newest = max((e[0] for e in self._checkpoint_entries), default=-1)
        present = {size for size, _ in layout.notes(self.log_dir)}
        for seq, tree_size, segment, number in self._checkpoint_entries:
            if tree_size in present:
                continue
            if seq == newest:
                res.notes.append(f"checkpoint at seq {seq} has no note (interrupted checkpoint); "
                                 "the next open re-signs it")
            else:
                self._find("MISSING", f"checkpoint note for size {tree_size} was deleted", segment, number, seq)

    def _settle_ambiguous_tail(self, chain: ChainChecker, notes: dict[int, Checkpoint]) -> None:
        """The last line's prev disagrees with the line before: which of the two changed?

        The signed note settles it: if the tree with the hash the last line committed to reproduces
        the signed root, the line before was edited; otherwise the last line's prev was. (Rare, so
        the leaves are simply read again.)
        """
        if chain.ambiguous_tail is None:
            return
        finding, x = chain.ambiguous_tail
        n = self.result.entries
        cp = notes.get(n)
        if cp is None or x.p is None or n < 2:
            return
        trial = MerkleFrontier()
        last = b""
        for index, (_, _, line, _complete) in enumerate(layout.iter_lines(self.log_dir)):
            if index < n - 2:
                trial.append(blake3(ENTRY_TAG + line).digest())
            elif index == n - 1:
                last = blake3(ENTRY_TAG + line).digest()
        try:
            trial.append(bytes.fromhex(x.p))
        except ValueError:
            return
        trial.append(last)
        if trial.root() != cp.root:
            finding.segment, finding.line, finding.seq = x.segment, x.line, x.eff
            finding.detail = "entry's prev was changed (it no longer links to the entry before it)"

    # ------------------------------------------------------------------ anchor
    def _check_anchor(self, sizes: list[int], roots: dict[int, bytes], locs: dict[int, tuple[str, int]],
                      last_loc: tuple[str, int] | None, origin: str | None) -> None:
        assert self.anchor is not None
        res = self.result
        n = self._logical_size
        chosen: Checkpoint | None = None
        # The newest anchored note that verifies; junk written to the bucket is reported, not trusted.
        for size in reversed(sizes[-64:]):
            try:
                copies = self.anchor.fetch(size)
            except AnchorError as exc:
                res.problems.append(f"anchor unreachable: {exc}")
                return
            valid: list[Checkpoint] = []
            for copy in copies:
                if not copy.locked:
                    res.problems.append(f"{copy.where} is not under COMPLIANCE retention: not a write-once anchor")
                try:
                    valid.append(parse_checkpoint(copy.note, self.trusted, self.revoked))
                except NoteError as exc:
                    self._find(exc.code, f"anchored note: {exc.detail}", copy.where, None, size - 1 if size else None)
            if {cp.root for cp in valid} and len({cp.root for cp in valid}) > 1:
                self._find("FORKED", f"the anchor holds different signed roots for size {size}", copies[0].where,
                           None, size - 1)
            if valid:
                chosen = valid[-1]
                break
        if chosen is None:
            if len(sizes) > 64:
                res.problems.append("none of the 64 newest anchored notes verifies")
            res.anchored_through = 0
            signed = max(self._signed_sizes, default=0)
            if signed:
                # A log with signed checkpoints must have some at its anchor: anchoring always failed,
                # or the anchor was emptied or is the wrong one. Never a silent pass.
                res.problems.append(f"the anchor ({self.anchor.description}) holds no checkpoint of this log although "
                                    f"it has signed checkpoints up to {signed} entries")
            else:
                res.notes.append("nothing verifiable is anchored yet")
            return
        m = chosen.size
        res.anchored_through = m
        if origin is not None and chosen.origin != ORIGIN_PREFIX + origin:
            self._find("FORKED", f"anchored checkpoint is for origin {chosen.origin}, the log is {origin}",
                       self.anchor.description, None, 0)
            return
        seg, line = last_loc if last_loc else (None, None)
        if n < m:
            rolled = False
            if n in sizes and n in roots:
                try:
                    older = [parse_checkpoint(c.note, self.trusted, self.revoked) for c in self.anchor.fetch(n)]
                except (AnchorError, NoteError):
                    older = []
                rolled = any(cp.root == roots[n] for cp in older)
            if rolled:
                self._find("ROLLED_BACK", f"the log is the state anchored at size {n}; the anchor has {m} entries "
                           f"({m - n} newer entries are gone)", seg, line, n, m - 1)
            else:
                self._find("TRUNCATED", f"the anchor commits to {m} entries but the log has {n}", seg, line, n, m - 1)
            return
        if not self.hash_only and roots.get(m) != chosen.root:
            where = locs.get(m, (seg, line))
            self._find("FORKED", f"the log's first {m} entries differ from the anchored checkpoint "
                       "(rewritten history)", where[0], where[1], m - 1)

    # ------------------------------------------------------------------ stray files
    def _check_files(self) -> None:
        for root, dirs, files in os.walk(self.log_dir):
            rel = Path(root).relative_to(self.log_dir)
            parts = rel.parts
            for name in list(dirs):
                problem = layout.path_problem(Path(root) / name, directory=True)
                if problem is not None:
                    dirs.remove(name)
                    self._find("UNKNOWN_FILE", f"{problem}: refused, not read", str(rel / name) if parts else name)
            if parts and parts[0] == layout.INDEX_DIR:
                dirs[:] = []
                continue
            for name in files:
                relname = str(rel / name) if parts else name
                problem = layout.path_problem(Path(root) / name)
                if problem is not None:
                    if relname not in self._refused:
                        self._find("UNKNOWN_FILE", f"{problem}: refused, not read", relname)
                    continue
                if name.startswith(layout.TMP_PREFIX):
                    self.result.notes.append(f"leftover temporary file {relname} (interrupted write)")
                    continue
                if not parts and (layout.SEGMENT_RE.match(name) or name == layout.LOCK_NAME):
                    continue
                if parts == (layout.CHECKPOINT_DIR,) and layout.NOTE_RE.match(name):
                    continue
                if len(parts) == 2 and parts[0] == layout.BLOB_DIR and name in self._blob_refs:
                    continue
                self._find("UNKNOWN_FILE", "file is not part of the log (no entry refers to it)", relname)


def verify(log_dir: Path, trusted: list[VerifierKey], *, revoked: frozenset[bytes] = frozenset(),
           anchor: Anchor | None = None, hash_only: bool = False,
           authenticator: Authenticator | None = None, witness: Witness | None = None,
           heartbeat_seconds: int | None = None,
           anchor_for_origin: Callable[[str], Anchor | None] | None = None) -> VerifyResult:
    """Verify one log directory; see `VerifyResult.exit_code`.

    `authenticator` (from the signing key, when it is at hand) also checks the line authenticators
    of the entries after the newest signed checkpoint; `witness` (the local witness file) catches
    truncation, rollback and rewrites of signed history without an anchor; `heartbeat_seconds` makes
    an unsigned tail older than the heartbeat promise a HEARTBEAT_GAP finding.
    """
    return Verifier(log_dir, trusted, revoked=revoked, anchor=anchor, hash_only=hash_only,
                    authenticator=authenticator, witness=witness, heartbeat_seconds=heartbeat_seconds,
                    anchor_for_origin=anchor_for_origin).run()
