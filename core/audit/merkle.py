"""RFC 6962-shaped Merkle tree over entry hashes, with BLAKE3 and 0x00/0x01 leaf/node prefixes.

`MerkleFrontier` keeps only the roots of the perfect subtrees (one per set bit of the size), so
appending is O(1) amortised and memory is O(log n). `reference_root` is the recursive definition
from RFC 6962 section 2.1, kept for tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from blake3 import blake3

EMPTY_ROOT = blake3(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return blake3(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return blake3(b"\x01" + left + right).digest()


class MerkleFrontier:
    """Incremental tree head: `append(entry_hash)`, then `root()` at any size."""

    __slots__ = ("size", "_stack")

    def __init__(self) -> None:
        self.size = 0
        # Roots of perfect subtrees, largest (leftmost) first; sizes follow the bits of self.size.
        self._stack: list[bytes] = []

    def append(self, entry: bytes) -> None:
        node = blake3(b"\x00" + entry).digest()
        stack = self._stack
        size = self.size
        # Each trailing 1-bit of the old size is a perfect subtree of equal height to merge with.
        while size & 1:
            node = blake3(b"\x01" + stack.pop() + node).digest()
            size >>= 1
        stack.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node

    @classmethod
    def restore(cls, size: int, stack: list[bytes]) -> MerkleFrontier:
        """Rebuild from `size` and `subtree_roots()` (as saved by the writer's state cache)."""
        if size < 0 or len(stack) != bin(size).count("1") or any(len(h) != 32 for h in stack):
            raise ValueError("frontier does not match its size")
        frontier = cls()
        frontier.size = size
        frontier._stack = list(stack)
        return frontier

    def subtree_roots(self) -> list[bytes]:
        return list(self._stack)

    def copy(self) -> MerkleFrontier:
        twin = MerkleFrontier()
        twin.size = self.size
        twin._stack = list(self._stack)
        return twin


def reference_root(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 6962 defines it: split at the largest power of two below n."""
    n = len(entries)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hash(entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(reference_root(entries[:k]), reference_root(entries[k:]))
