"""Row M: random logs x random mutations. Verify fails, and the first finding covers the first
mutated seq (a finding may be a range when only a signed checkpoint can tell, e.g. the last line)."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftdeck.core.audit import AuditConfig, AuditLog
from driftdeck.core.audit.verify import verify

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1),
    st.text(max_size=20).map(lambda s: unicodedata.normalize("NFC", s)),
)
payload = st.dictionaries(st.text(min_size=1, max_size=8).map(lambda s: unicodedata.normalize("NFC", s)),
                          json_leaf, max_size=4)


@st.composite
def scenario(draw):  # type: ignore[no-untyped-def]
    events = draw(st.lists(payload, min_size=2, max_size=25))
    every = draw(st.sampled_from([0, 3, 7]))
    kind = draw(st.sampled_from(["flip", "delete", "duplicate", "swap", "move", "garbage", "truncate"]))
    return events, every, kind, draw(st.randoms(use_true_random=False))


def _build(root: Path, events: list[dict], every: int) -> tuple[Path, AuditConfig]:  # type: ignore[type-arg]
    config = AuditConfig(config_dir=root / "cfg", checkpoint_entries=every or 10_000)
    log = AuditLog.open(root / "ws", config=config)
    for data in events:
        log.append("operator.note", data=data)
    log.close()
    return config.log_dir_for((root / "ws").resolve()), config


def _mutate(lines: list[bytes], kind: str, rnd) -> tuple[list[bytes], int, int]:  # type: ignore[no-untyped-def]
    """Apply one mutation; returns the new lines and the range of seqs it touched."""
    n = len(lines)
    i = rnd.randrange(n)
    if kind == "flip":
        blob = bytearray(b"".join(line + b"\n" for line in lines))
        start = sum(len(line) + 1 for line in lines[:i])
        pos = start + rnd.randrange(len(lines[i]) + 1)
        blob[pos] ^= 1 << rnd.randrange(8)
        return [bytes(blob)], i, i  # returned as one raw chunk (may change line structure)
    if kind == "delete":
        return lines[:i] + lines[i + 1:], i, i
    if kind == "duplicate":
        return lines[: i + 1] + [lines[i]] + lines[i + 1:], i, i + 1
    if kind == "swap":
        i = min(i, n - 2)
        return lines[:i] + [lines[i + 1], lines[i]] + lines[i + 2:], i, i + 1
    if kind == "move":
        j = rnd.randrange(n)
        if i == j:
            j = (i + 1) % n
        moved = lines[:i] + lines[i + 1:]
        moved.insert(j, lines[i])
        return moved, min(i, j), max(i, j)
    if kind == "garbage":
        junk = bytes(rnd.randrange(32, 127) for _ in range(rnd.randrange(1, 40))).replace(b"\n", b" ")
        return lines[:i] + [junk] + lines[i:], i, i
    k = rnd.randrange(1, n)  # truncate to k lines
    return lines[:k], k, k


@settings(max_examples=int(os.environ.get("AUDIT_PROPERTY_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_random_mutations_are_found_where_they_happened(case) -> None:  # type: ignore[no-untyped-def]
    events, every, kind, rnd = case
    with tempfile.TemporaryDirectory() as tmp:
        log_dir, config = _build(Path(tmp), events, every)
        segment = log_dir / "seg-000000000000.jsonl"
        lines = segment.read_bytes().split(b"\n")[:-1]
        mutated, lo, hi = _mutate(lines, kind, rnd)
        if kind == "flip":
            segment.write_bytes(mutated[0])
        else:
            segment.write_bytes(b"".join(line + b"\n" for line in mutated))
        if segment.read_bytes() == b"".join(line + b"\n" for line in lines):
            return  # a no-op mutation (e.g. swapping equal lines) must verify; checked below anyway
        result = verify(log_dir, config.pinned_keys())
        assert result.exit_code != 0, (kind, lo, hi)
        first = min(result.findings, key=lambda f: (f.seq if f.seq is not None else 10**9))
        assert first.seq is not None
        end = first.seq_end if first.seq_end is not None else first.seq
        assert first.seq <= hi and end >= lo, (kind, lo, hi, [str(f) for f in result.findings])


json_value = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(json_value)
def test_canonical_encoder_is_json_dumps_with_jcs_settings(value) -> None:  # type: ignore[no-untyped-def]
    import json

    from driftdeck.core.audit.canonical import _dumps, parse_canonical

    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    assert _dumps(value) == expected
    if unicodedata.is_normalized("NFC", expected):
        parsed, reason = parse_canonical(expected.encode("utf-8", "surrogatepass"))
        assert reason is None and parsed == value


@st.composite
def keyless_attack(draw):  # type: ignore[no-untyped-def]
    events = draw(st.lists(payload, min_size=1, max_size=12))
    every = draw(st.sampled_from([0, 3, 5]))
    crashed = draw(st.booleans())  # the writer died before its closing checkpoint: an unsigned tail
    kind = draw(st.sampled_from(["append", "edit", "edit_rechained"]))
    k = draw(st.integers(min_value=1, max_value=3))
    forged = draw(st.lists(payload, min_size=k, max_size=k))
    return events, every, crashed, kind, forged, draw(st.randoms(use_true_random=False))


@settings(max_examples=int(os.environ.get("AUDIT_PROPERTY_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(keyless_attack())
def test_lines_written_without_the_key_are_never_signed_by_a_later_writer(case) -> None:  # type: ignore[no-untyped-def]
    """An attacker without the key appends or edits k lines (re-chaining or not); the next writers
    never sign a tree containing any of them, and the verifier (public key only) reports it."""
    import json

    from audit_kit import rechain

    from driftdeck.core.audit.canonical import canonical_bytes
    from driftdeck.core.audit.hashing import entry_hash
    from driftdeck.core.audit.layout import notes
    from driftdeck.core.audit.merkle import reference_root
    from driftdeck.core.audit.signed_note import parse_checkpoint

    events, every, crashed, kind, forged_data, rnd = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = AuditConfig(config_dir=root / "cfg", checkpoint_entries=every or 10_000)
        log = AuditLog.open(root / "ws", config=config)
        for data in events:
            log.append("operator.note", data=data)
        if crashed:
            log.flush()
            log._closed = True  # noqa: SLF001  (killed: no closing checkpoint)
        else:
            log.close()
        log_dir = config.log_dir_for((root / "ws").resolve())
        segment = log_dir / "seg-000000000000.jsonl"
        lines = segment.read_bytes().split(b"\n")[:-1]
        if kind == "append":
            for data in forged_data:
                last = json.loads(lines[-1])
                last.pop("mac", None)
                last.update(seq=last["seq"] + 1, kind="drift.detected", data=data, prev=entry_hash(lines[-1]).hex())
                lines.append(canonical_bytes(last))
        else:
            start = rnd.randrange(1, len(lines))
            for i in range(start, min(len(lines), start + len(forged_data))):
                value = json.loads(lines[i])
                value["data"] = {**value["data"], "forged": i}
                lines[i] = canonical_bytes(value)
            if kind == "edit_rechained":
                lines = rechain(lines, start)
        attacker_lines = {line for line in lines} - set(segment.read_bytes().split(b"\n"))
        signed_before = {size for size, _ in notes(log_dir)}
        segment.write_bytes(b"".join(line + b"\n" for line in lines))

        for _ in range(2):  # two later sessions
            later = AuditLog.open(root / "ws", config=config)
            later.append("scan.completed", data={})
            later.close()

        keys = config.pinned_keys()
        current = segment.read_bytes().split(b"\n")[:-1]
        assert not attacker_lines & set(current)
        leaves = [entry_hash(line) for line in current]
        for size, path in notes(log_dir):
            if size in signed_before:
                continue
            assert parse_checkpoint(path.read_bytes(), keys).root == reference_root(leaves[:size]), size
        result = verify(log_dir, keys)
        assert result.exit_code == 2
        assert "INSERTED" in {f.code for f in result.findings}, [str(f) for f in result.findings]
