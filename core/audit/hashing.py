"""BLAKE3 with domain separation: entry hashes, the origin-bound first `prev`, blob addresses."""

from __future__ import annotations

from blake3 import blake3

# Distinct prefixes so an entry hash can never be confused with an origin seed or a Merkle node.
ENTRY_TAG = b"driftdeck/audit/entry/v1\n"
ORIGIN_TAG = b"driftdeck/audit/origin/v1\n"


def entry_hash(line: bytes) -> bytes:
    """E_i = BLAKE3(ENTRY_TAG || line_i), over the stored line without its newline."""
    return blake3(ENTRY_TAG + line).digest()


def origin_prev(origin: str) -> str:
    """The `prev` of entry 0: binds the chain to the log's origin id, so chains cannot be spliced."""
    return blake3(ORIGIN_TAG + origin.encode("utf-8")).hexdigest()


def blob_address(data: bytes) -> str:
    """Plain BLAKE3 hex of a blob's bytes, so `b3sum` on the blob file prints the same value."""
    return blake3(data).hexdigest()
