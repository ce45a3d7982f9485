"""Lines appended or rewritten by someone who can write the folder but holds no key: found by the
verifier where the key is at hand, and never signed (or anchored) by a later writer."""

from __future__ import annotations

import json

import boto3
import pytest
from audit_kit import LogKit, edit, rechain

from driftdeck.core.audit.anchor import S3ObjectLockAnchor
from driftdeck.core.audit.hashing import entry_hash
from driftdeck.core.audit.layout import notes
from driftdeck.core.audit.merkle import reference_root
from driftdeck.core.audit.signed_note import parse_checkpoint


def _locations(result) -> list[tuple[str, str | None, int | None, int | None, int | None]]:  # type: ignore[no-untyped-def]
    return [(f.code, f.segment, f.line, f.seq, f.seq_end) for f in result.findings]


def _signed_trees(kit: LogKit) -> list[tuple[int, bytes]]:
    keys = kit.config.pinned_keys()
    return [(size, parse_checkpoint(path.read_bytes(), keys).root) for size, path in notes(kit.log_dir)]


def _assert_never_signed(kit: LogKit, authentic: list[bytes], forged: bytes) -> None:
    """Every signed note commits to lines of the log as it now is, none to a tree holding the forged line."""
    with_forged = [entry_hash(line) for line in authentic] + [entry_hash(forged)]
    current = [entry_hash(line) for line in kit.lines()]
    for size, root in _signed_trees(kit):
        assert root == reference_root(current[:size])
        assert size <= len(authentic) or root != reference_root(with_forged[:size])
    assert forged not in kit.segment().read_bytes()


def test_forged_append_is_found_by_verify_where_the_key_is(kit: LogKit) -> None:
    kit.build(3)
    forged = kit.forge_append(to="changed", key="aws_s3_bucket.fake")
    n = len(kit.lines())
    result = kit.verify_here()
    assert result.exit_code == 2
    assert _locations(result) == [("INSERTED", "seg-000000000000.jsonl", n, n - 1, None)]
    # Without the key the verifier cannot tell, and says so instead of passing silently.
    public = kit.verify()
    assert any("could not be authenticated" in note for note in public.notes)
    assert json.loads(forged)["prev"] == entry_hash(kit.lines()[-2]).hex()


def test_a_later_writer_never_signs_a_forged_append(kit: LogKit) -> None:
    kit.build(3)
    authentic = kit.lines()
    forged = kit.forge_append(to="changed", key="aws_s3_bucket.fake")
    log = kit.open()  # the next scan
    log.append("scan.completed", data={"resources": 1})
    log.close()
    assert log.chain_failures and log.chain_failures[0]["seq"] == len(authentic)
    _assert_never_signed(kit, authentic, forged)
    # Everything that is signed verifies; the forgery stays a finding at its original place,
    # for a verifier holding only the public key.
    for result in (kit.verify(), kit.verify_here()):
        assert result.exit_code == 2
        assert _locations(result) == [("INSERTED", "seg-000000000000.jsonl", len(authentic) + 1, len(authentic), None)]
        assert result.signed_through == result.entries
    lines = kit.lines()
    failed = json.loads(lines[len(authentic)])
    assert failed["kind"] == "audit.chain_failed" and failed["data"]["lines"] == 1
    blob = kit.log_dir / "blobs" / failed["data"]["removed"]["blake3"][:2] / failed["data"]["removed"]["blake3"]
    assert blob.read_bytes() == forged + b"\n"  # the evidence is kept, content-addressed


def test_forged_append_between_two_writes_of_a_running_writer(kit: LogKit) -> None:
    log = kit.open()
    log.append("operator.note", data={"i": 1})
    log.flush()
    authentic = kit.lines()
    forged = kit.forge_append(to="changed")
    log.append("operator.note", data={"i": 2})  # catches up under the lock: the forged line is foreign
    log.close()
    _assert_never_signed(kit, authentic, forged)
    result = kit.verify()
    assert _locations(result) == [("INSERTED", "seg-000000000000.jsonl", len(authentic) + 1, len(authentic), None)]


def test_forged_writer_cache_does_not_smuggle_a_forged_line_in(kit: LogKit) -> None:
    kit.build(3)
    authentic = kit.lines()
    forged = kit.forge_append()
    state_path = kit.log_dir / "index" / "writer-state.json"
    state = json.loads(state_path.read_text())
    state.update(offset=kit.segment().stat().st_size, head=entry_hash(forged).hex(), next_seq=len(authentic) + 1)
    state_path.write_text(json.dumps(state))
    log = kit.open()
    assert not log.resumed_from_cache
    log.close()
    _assert_never_signed(kit, authentic, forged)
    assert [f.code for f in kit.verify().findings] == ["INSERTED"]


def test_keyless_rewrite_of_the_unsigned_tail_is_never_signed(kit: LogKit) -> None:
    """Edit an entry after the newest checkpoint and re-chain everything after it (no key needed)."""
    log = kit.open()
    for i in range(4):
        log.append("operator.note", data={"i": i})
    log.flush()
    log._closed = True  # the writer dies without its closing checkpoint  # noqa: SLF001
    kit.mutate(lambda L: rechain(L[:3] + [edit(L[3], data_i=99)] + L[4:], 3))
    result = kit.verify_here()
    assert _locations(result) == [("INSERTED", "seg-000000000000.jsonl", 4, 3, 5)]
    edited = kit.lines()[3]
    log = kit.open()
    log.close()
    assert edited not in kit.segment().read_bytes()
    assert _locations(kit.verify()) == [("INSERTED", "seg-000000000000.jsonl", 4, 3, 5)]


@pytest.fixture()
def anchor(aws_env) -> S3ObjectLockAnchor:  # type: ignore[no-untyped-def]
    boto3.client("s3").create_bucket(Bucket="forgery-anchor", ObjectLockEnabledForBucket=True)
    return S3ObjectLockAnchor("forgery-anchor", "driftdeck/forgery/", retention_days=1)


def test_a_forged_append_is_never_anchored(kit: LogKit, anchor: S3ObjectLockAnchor) -> None:
    kit.build(3, anchor=anchor)
    authentic = kit.lines()
    forged = kit.forge_append(to="changed")
    assert _locations(kit.verify_here(anchor=anchor)) == [
        ("INSERTED", "seg-000000000000.jsonl", len(authentic) + 1, len(authentic), None)]
    log = kit.open(anchor=anchor)
    log.append("scan.completed", data={})
    log.close()
    _assert_never_signed(kit, authentic, forged)
    keys = kit.config.pinned_keys()
    with_forged = [entry_hash(line) for line in authentic] + [entry_hash(forged)]
    for size in anchor.sizes():
        for copy in anchor.fetch(size):
            cp = parse_checkpoint(copy.note, keys)
            assert cp.root == reference_root([entry_hash(line) for line in kit.lines()[:size]])
            assert cp.root != reference_root(with_forged[:size]) or size <= len(authentic)
    result = kit.verify(anchor=anchor)
    assert _locations(result) == [("INSERTED", "seg-000000000000.jsonl", len(authentic) + 1, len(authentic), None)]
    assert result.anchored_through == result.entries


def test_a_forged_next_segment_is_never_appended_to_nor_signed(kit: LogKit) -> None:
    from driftdeck.core.audit import AuditConfig
    from driftdeck.core.audit.canonical import canonical_bytes
    from driftdeck.core.audit.log import AuditWriteError

    kit.config = AuditConfig(config_dir=kit.config_dir, segment_entries=8)
    log = kit.open()
    log.append("operator.note", data={"i": 0})
    log.flush()
    lines = kit.lines()
    last = json.loads(lines[-1])
    last.pop("mac", None)
    last.update(seq=len(lines), kind="drift.detected", data={"to": "changed"}, prev=entry_hash(lines[-1]).hex())
    forged = canonical_bytes(last)
    planted = kit.log_dir / "seg-000000000008.jsonl"
    planted.write_bytes(forged + b"\n")
    with pytest.raises(AuditWriteError, match="appeared while this writer held the lock"):
        with log.batch():
            for i in range(20):  # fills the segment while the lock is held: rotation meets the planted file
                log.append("operator.note", data={"i": i})
    log.close()
    assert planted.read_bytes() == forged + b"\n"
    later = kit.open()  # a fresh open reads every segment and authenticates the planted one
    later.close()
    assert forged not in planted.read_bytes()
    result = kit.verify()
    assert [(f.code, f.segment, f.line, f.seq) for f in result.findings] == [
        ("INSERTED", "seg-000000000008.jsonl", 1, 8)]
