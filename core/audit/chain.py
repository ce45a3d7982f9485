"""Hash-chain analysis: turns a stream of stored lines into findings with exact locations.

The fast path only checks that each line links to the one before (`prev` = hash of the previous
line, `seq` + 1). At the first irregularity the checker collects a *region* (the last `RECENT`
good lines plus everything up to a run of `RESYNC` cleanly linked lines) and explains it:

- the chain that reaches the end of the region is followed backwards by `prev` links: it is the
  authoritative history; lines on it out of file order are REORDERED;
- other linked pieces are placed by their seq between the start and that chain; a break between
  two pieces is EDITED (no seq missing: the earlier line's bytes no longer match the hash its
  successor committed to) or MISSING (exact count of seqs absent);
- lines that fit nowhere are INSERTED (a duplicate, a second line for a seq, a foreign entry);
- lines that do not parse are EDITED, parseable but non-canonical ones NONCANONICAL;
- a linked line whose seq field skips numbers is SEQ_GAP (entries removed and the chain rebuilt).

Memory is bounded: the region is capped and only small maps of recent hashes are kept.
"""

from __future__ import annotations

import bisect
import copy
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RECENT = 64
RESYNC = 4
MAX_REGION = 20_000
MAX_REMEMBERED_MISSING = 100_000


@dataclass
class Finding:
    """One verifier finding. `seq_end` is set when the finding covers a range of seqs."""

    code: str
    detail: str
    segment: str | None = None
    line: int | None = None
    seq: int | None = None
    seq_end: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "segment": self.segment,
            "line": self.line,
            "seq": self.seq,
            "seq_end": self.seq_end,
            "detail": self.detail,
        }

    def __str__(self) -> str:
        where = f"{self.segment}:{self.line}" if self.segment and self.line else (self.segment or "-")
        seqs = "" if self.seq is None else f" seq {self.seq}" + (
            f"..{self.seq_end}" if self.seq_end is not None and self.seq_end != self.seq else ""
        )
        return f"{self.code:<13} {where}{seqs}: {self.detail}"


@dataclass(eq=False, slots=True)
class Rec:
    """One stored line as the chain checker sees it."""

    idx: int  # position in file order, over the whole log
    segment: str
    line: int
    hx: str  # hex entry hash
    seq: int | None  # declared seq (None when the line could not be read)
    p: str | None  # declared prev
    problem: str | None = None  # why the line is not a valid canonical entry
    problem_code: str = "EDITED"
    eff: int = -1  # seq implied by its position on a chain
    value: Any = field(default=None, repr=False)


class ChainChecker:
    """Feed lines in file order with `feed`, then call `finish()`; findings land in `findings`."""

    def __init__(self, origin_prev: str | None, on_confirmed: Callable[[Rec], None] | None = None) -> None:
        # The origin binds entry 0; when it is unknown the first line's prev is taken on trust
        # and the genesis check happens elsewhere.
        self.findings: list[Finding] = []
        self._origin_prev = origin_prev
        self._base = Rec(-1, "", 0, origin_prev or "", -1, None, eff=-1)
        self._tip = self._base
        self._recent: deque[Rec] = deque()
        self._region: list[Rec] | None = None
        self._clean = 0
        self._missing: dict[str, Finding] = {}  # expected hash of a missing entry -> its finding
        self._inserted: dict[str, Finding] = {}  # hash of a line found out of place -> its finding
        self._linked_to: set[str] = set()  # prevs named in the region being resolved
        self._on_confirmed = on_confirmed
        self.count = 0
        self._finishing = False
        self.ambiguous_tail: tuple[Finding, Rec] | None = None
        self.first_bad_seq: int | None = None
        self.first_bad_idx: int | None = None  # first line (file order) carrying a finding

    @property
    def logical_size(self) -> int:
        """Entries the log claims to hold: the seq after the newest one on the chain."""
        return max(self.count, self._tip.eff + 1)

    # ------------------------------------------------------------------ streaming
    def feed(self, rec: Rec) -> None:
        self.count += 1
        tip = self._tip
        if self._region is None:
            if rec.problem is None and rec.p == tip.hx and rec.seq == (tip.seq if tip.seq is not None else -1) + 1 and (
                tip is not self._base or self._origin_prev is not None
            ):
                rec.eff = rec.seq
                self._confirm(rec)
                return
            if tip is self._base and self._origin_prev is None and rec.problem is None and rec.seq == 0:
                # No origin to check against (no genesis and no trusted note): accept entry 0.
                rec.eff = 0
                self._base.hx = rec.p or ""
                self._confirm(rec)
                return
            self._region = []
            self._clean = 0
        region = self._region
        last = region[-1] if region else None
        if last is not None and rec.problem is None and last.problem is None and rec.p == last.hx and (
            rec.seq == (last.seq or 0) + 1
        ):
            self._clean += 1
        else:
            self._clean = 0
        region.append(rec)
        if self._clean >= RESYNC or len(region) >= MAX_REGION:
            self._resolve()

    def resume(self, recent: list[tuple[str, int, str, int, str]], first_idx: int) -> None:
        """Take over after a fast path that confirmed lines itself.

        `recent` holds the last good lines as (segment, line, hash, seq, prev), the first of them
        at position `first_idx` (0 when they reach back to the log's first line).
        """
        if recent and first_idx > 0:
            _, _, _, seq, prev = recent[0]
            self._base = Rec(-2, "", 0, prev, seq - 1, None, eff=seq - 1)
            self._tip = self._base
        for k, (segment, line, hx, seq, prev) in enumerate(recent):
            rec = Rec(first_idx + k, segment, line, hx, seq, prev, eff=seq)
            self._confirm(rec)
        self.count = first_idx + len(recent)

    def _confirm(self, rec: Rec) -> None:
        self._tip = rec
        self._recent.append(rec)
        if len(self._recent) > RECENT:
            self._base = self._recent.popleft()
        if self._on_confirmed is not None:
            self._on_confirmed(rec)

    def peek_findings(self) -> tuple[list[Finding], int | None]:
        """Findings and first bad seq as if the log ended here, leaving this checker untouched."""
        twin = copy.copy(self)
        twin.findings = list(self.findings)
        twin._recent = deque(self._recent)
        twin._region = list(self._region) if self._region is not None else None
        twin._missing = dict(self._missing)
        twin._inserted = dict(self._inserted)
        twin.finish()
        return twin.findings, twin.first_bad_seq

    def finish(self) -> None:
        self._finishing = True
        if self._region:
            self._resolve()
        self.findings.sort(key=lambda f: (f.seq if f.seq is not None else -1, f.line or 0))

    # ------------------------------------------------------------------ region analysis
    def _report(self, code: str, rec: Rec | None, detail: str, seq: int | None, seq_end: int | None = None) -> Finding:
        finding = Finding(code, detail, rec.segment if rec else None, rec.line if rec else None, seq, seq_end)
        self.findings.append(finding)
        if rec is not None and rec.idx >= 0 and (self.first_bad_idx is None or rec.idx < self.first_bad_idx):
            self.first_bad_idx = rec.idx
        if seq is not None and (self.first_bad_seq is None or seq < self.first_bad_seq):
            self.first_bad_seq = seq
        return finding

    def _resolve(self) -> None:
        base = self._base
        recs = list(self._recent) + (self._region or [])
        self._region = None
        self._recent.clear()
        reported: set[int] = set()  # ids of recs that already carry a finding
        self._linked_to = {r.p for r in recs if r.p}

        # Duplicates and unreadable lines first.
        by_hash: dict[str, Rec] = {}
        graph: list[Rec] = []
        junk: list[Rec] = []
        for rec in recs:
            if rec.hx in by_hash:
                self._report("INSERTED", rec, f"duplicate of the line for seq {by_hash[rec.hx].seq}", by_hash[rec.hx].seq)
                reported.add(id(rec))
                continue
            by_hash[rec.hx] = rec
            if rec.seq is None or rec.p is None:
                junk.append(rec)
            else:
                graph.append(rec)

        # The authoritative chain: backwards from the last linked line of the region.
        chain: list[Rec] = []
        complete = False
        if graph:
            cur = graph[-1]
            on_chain = {id(cur)}
            chain.append(cur)
            while True:
                if cur.p == base.hx and base.hx:
                    complete = True
                    break
                pred = by_hash.get(cur.p or "")
                if pred is None or id(pred) in on_chain or pred.seq is None:
                    break
                chain.append(pred)
                on_chain.add(id(pred))
                cur = pred
            chain.reverse()
        on_chain_ids = {id(r) for r in chain}

        # Other linked pieces, grouped by prev links, in seq order.
        rest = sorted((r for r in graph if id(r) not in on_chain_ids), key=lambda r: (r.seq, r.idx))
        tail_of: dict[int, list[Rec]] = {}
        pieces: list[list[Rec]] = []
        for rec in rest:
            pred = by_hash.get(rec.p or "")
            piece = tail_of.pop(id(pred), None) if pred is not None else None
            if piece is None:
                piece = []
                pieces.append(piece)
            piece.append(rec)
            tail_of[id(rec)] = piece
        pieces.sort(key=lambda pc: (pc[0].seq, pc[0].idx))

        def set_eff(piece: list[Rec], start: int) -> None:
            eff = start
            for i, rec in enumerate(piece):
                rec.eff = eff
                if i and rec.seq != eff and rec.seq is not None and (rec.seq - eff) != ((piece[i - 1].seq or 0) - piece[i - 1].eff):
                    if id(rec) not in reported:
                        self._report("SEQ_GAP", rec, f"seq field says {rec.seq}; the chain puts this entry at {eff}", eff)
                        reported.add(id(rec))
                eff += 1

        chain_start = base.eff + 1
        if chain and not complete and chain[0].seq is not None:
            chain_start = chain[0].seq
        if chain and complete and chain[0].seq != chain_start and id(chain[0]) not in reported:
            self._report("SEQ_GAP", chain[0], f"seq field says {chain[0].seq}; the chain puts this entry at {chain_start}", chain_start)
            reported.add(id(chain[0]))
        if chain:
            set_eff(chain, chain_start)

        # Lay the pieces between the base and the chain, then explain each break.
        end: Rec = base
        placed: list[list[Rec]] = []
        for piece in pieces:
            head = piece[0]
            head_seq = head.seq if head.seq is not None else -1
            fits = not complete and head_seq > end.eff and (not chain or head_seq < chain[0].eff)
            if fits:
                set_eff(piece, end.eff + 1 if head.p == end.hx else head_seq)
                placed.append(piece)
                end = piece[-1]
            else:
                for rec in piece:
                    self._misplaced(rec, reported)
        spine: list[list[Rec]] = [[base], *placed]
        if chain and not complete:
            spine.append(chain)

        def broken_without_gap(a: Rec, x: Rec) -> bool:
            return x.p != a.hx and x.seq == a.eff + 1

        # A piece cut off on both sides with no seq missing was replaced wholesale (e.g. entries
        # spliced in from another log): one finding for the range, not two misplaced blames.
        replaced: set[int] = set()
        for i in range(1, len(spine) - 1):
            piece = spine[i]
            if broken_without_gap(spine[i - 1][-1], piece[0]) and broken_without_gap(piece[-1], spine[i + 1][0]):
                replaced.add(i)
                count = len(piece)
                self._report("EDITED", piece[0], f"{count} entr{'y' if count == 1 else 'ies'} replaced: "
                             "not linked to the chain on either side", piece[0].eff,
                             piece[-1].eff if count > 1 else None)
                reported.update(id(r) for r in piece)
        for i in range(1, len(spine)):
            if i in replaced or (i - 1) in replaced:
                continue
            a, x = spine[i - 1][-1], spine[i][0]
            if x.p != a.hx:
                self._explain_break(a, x, junk, reported)

        # Lines on a chain but out of file order were moved.
        for piece in [chain, *placed]:
            for rec in _out_of_order(piece):
                if id(rec) not in reported:
                    self._report("REORDERED", rec, f"entry seq {rec.eff} is out of place (moved in the file)", rec.eff)
                    reported.add(id(rec))

        # Unreadable lines: seq inferred from the line before them in file order.
        by_idx = sorted(recs, key=lambda r: r.idx)
        prev_eff = base.eff
        for rec in by_idx:
            if rec.seq is not None and rec.p is not None and rec.eff >= 0:
                prev_eff = rec.eff
            elif rec in junk:
                rec.eff = prev_eff + 1
                prev_eff = rec.eff
        next_eff: dict[int, int] = {}
        upcoming = None
        for rec in reversed(by_idx):
            if rec in junk:
                if upcoming is not None:
                    next_eff[id(rec)] = upcoming
            elif rec.seq is not None and rec.eff >= 0:
                upcoming = rec.eff
        for rec in junk:
            if id(rec) in next_eff and next_eff[id(rec)] <= rec.eff:
                # The next entry takes this seq itself: the unreadable line is an addition.
                self._report("INSERTED", rec, f"unreadable line that holds no entry ({rec.problem})", rec.eff)
            else:
                self._report(rec.problem_code, rec, rec.problem or "unreadable line", rec.eff)
            reported.add(id(rec))
        for rec in graph:
            if rec.problem is not None and id(rec) not in reported:
                self._report(rec.problem_code, rec, rec.problem, rec.eff)
                reported.add(id(rec))

        # Continue the fast path from the end of the authoritative chain.
        if chain:
            self._tip = chain[-1]
            for rec in chain[-RECENT:]:
                self._recent.append(rec)
            if len(chain) > RECENT:
                self._base = chain[-RECENT - 1]
            elif complete:
                self._base = base
            else:
                # The chain's start links to nothing seen: stand in for its predecessor.
                self._base = Rec(-2, "", 0, chain[0].p or "", chain[0].eff - 1, None, eff=chain[0].eff - 1)
            if self._on_confirmed is not None:
                for rec in chain:
                    if rec.problem is None:
                        self._on_confirmed(rec)
        else:
            self._base = base

    def _at_end(self, x: Rec) -> bool:
        return self._finishing and x.idx == self.count - 1

    def _misplaced(self, rec: Rec, reported: set[int]) -> None:
        if id(rec) in reported:
            return
        reported.add(id(rec))
        missing = self._missing.pop(rec.hx, None)
        if missing is not None:
            self._shrink_missing(missing, rec.seq)
            self._report("REORDERED", rec, f"entry seq {rec.seq} was moved here from its place", rec.seq)
            return
        finding = self._report("INSERTED", rec, f"entry claiming seq {rec.seq} does not belong to the chain", rec.seq)
        if len(self._inserted) < MAX_REMEMBERED_MISSING:
            self._inserted[rec.hx] = finding

    def _shrink_missing(self, finding: Finding, seq: int | None) -> None:
        if finding.seq is None or seq is None:
            return
        if finding.seq_end is None or finding.seq == finding.seq_end:
            self.findings.remove(finding)
            return
        # Only the entry just before the gap's end can be recognised by hash, so shrink from there.
        if seq == finding.seq_end:
            finding.seq_end -= 1
        count = finding.seq_end - finding.seq + 1
        finding.detail = f"{count} entr{'y' if count == 1 else 'ies'} missing"

    def _explain_break(self, a: Rec, x: Rec, junk: list[Rec], reported: set[int]) -> None:
        """`x` does not link to `a` (the end of the previous piece)."""
        assert x.seq is not None
        if x.seq == a.eff + 1:
            if a.idx >= 0 and id(a) not in reported and x.hx not in self._linked_to and not self._at_end(x):
                # Nothing links to x either: one change to x (its prev) explains both breaks.
                self._report(x.problem_code if x.problem else "EDITED", x,
                             x.problem or f"entry does not link to seq {a.eff} and nothing links to it", x.eff)
                reported.add(id(x))
                return
            if a.idx < 0:
                if id(x) not in reported:
                    detail = ("prev is not bound to this log's origin (spliced or edited)" if a.idx == -1
                              else "entry does not link to the entry before it")
                    self._report("EDITED", x, detail, x.eff)
                    reported.add(id(x))
            elif id(a) not in reported:
                if a.problem is not None:
                    code, detail = a.problem_code, a.problem
                else:
                    code, detail = "EDITED", f"content no longer matches the hash committed by seq {x.seq}"
                finding = self._report(code, a, detail, a.eff)
                reported.add(id(a))
                if self._at_end(x):
                    # Could equally be x's prev that changed; the verifier settles it with the note.
                    self.ambiguous_tail = (finding, x)
            return
        if x.seq <= a.eff:
            if id(x) not in reported:
                self._report("SEQ_GAP", x, f"seq {x.seq} repeats or goes backwards after seq {a.eff}", x.seq)
                reported.add(id(x))
            return
        # Unreadable lines between a and x in the file stand in for the seqs right after a.
        covered = {a.eff + 1 + i for i, r in enumerate(sorted((r for r in junk if a.idx < r.idx < x.idx), key=lambda r: r.idx))}
        run_start: int | None = None
        for s in range(a.eff + 1, x.seq + 1):
            if s < x.seq and s not in covered:
                if run_start is None:
                    run_start = s
                continue
            if run_start is not None:
                count = s - run_start
                finding = self._report(
                    "MISSING", x, f"{count} entr{'y' if count == 1 else 'ies'} missing", run_start, s - 1
                )
                if s == x.seq and x.p:
                    moved = self._inserted.pop(x.p, None)
                    if moved is not None:
                        # The "inserted" line seen earlier is this entry, moved up the file.
                        self.findings.remove(moved)
                        moved.code = "REORDERED"
                        moved.detail = f"entry seq {s - 1} was moved here from its place"
                        moved.seq = s - 1
                        self.findings.append(moved)
                        self._shrink_missing(finding, s - 1)
                    elif len(self._missing) < MAX_REMEMBERED_MISSING:
                        self._missing[x.p] = finding
                run_start = None


def _out_of_order(piece: list[Rec]) -> list[Rec]:
    """Records not on a longest increasing run of file positions (patience sorting)."""
    if len(piece) < 2:
        return []
    tails: list[int] = []
    tail_index: list[int] = []
    parent = [-1] * len(piece)
    for i, rec in enumerate(piece):
        k = bisect.bisect_left(tails, rec.idx)
        if k == len(tails):
            tails.append(rec.idx)
            tail_index.append(i)
        else:
            tails[k] = rec.idx
            tail_index[k] = i
        parent[i] = tail_index[k - 1] if k else -1
    keep = set()
    i = tail_index[-1]
    while i >= 0:
        keep.add(i)
        i = parent[i]
    return [rec for i, rec in enumerate(piece) if i not in keep]
