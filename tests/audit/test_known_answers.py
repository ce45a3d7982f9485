"""Known-answer tests: BLAKE3 official vectors and RFC 6962 Merkle roots vs the recursive definition."""

from __future__ import annotations

import os

import pytest
from blake3 import blake3

from driftdeck.core.audit.hashing import ENTRY_TAG, ORIGIN_TAG, entry_hash, origin_prev
from driftdeck.core.audit.merkle import EMPTY_ROOT, MerkleFrontier, leaf_hash, node_hash, reference_root

# From BLAKE3-team/BLAKE3 test_vectors/test_vectors.json: input is bytes(i % 251 for i in range(n));
# "hash" is the extended output; its first 32 bytes are the default-length hash.
VECTORS = {
    0: "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262e00f03e7b69af26b7faaf09fcd333050338ddfe085b8cc869ca98b206c08243a26f5487789e8f660afe6c99ef9e0c52b92e7393024a80459cf91f476f9ffdbda7001c22e159b402631f277ca96f2defdf1078282314e763699a31c5363165421cce14d",
    1: "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213c3a6cb8bf623e20cdb535f8d1a5ffb86342d9c0b64aca3bce1d31f60adfa137b358ad4d79f97b47c3d5e79f179df87a3b9776ef8325f8329886ba42f07fb138bb502f4081cbcec3195c5871e6c23e2cc97d3c69a613eba131e5f1351f3f1da786545e5",
    1023: "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11a182d27a591b05592b15607500e1e8dd56bc6c7fc063715b7a1d737df5bad3339c56778957d870eb9717b57ea3d9fb68d1b55127bba6a906a4a24bbd5acb2d123a37b28f9e9a81bbaae360d58f85e5fc9d75f7c370a0cc09b6522d9c8d822f2f28f485",
    1024: "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af71cf8107265ecdaf8505b95d8fcec83a98a6a96ea5109d2c179c47a387ffbb404756f6eeae7883b446b70ebb144527c2075ab8ab204c0086bb22b7c93d465efc57f8d917f0b385c6df265e77003b85102967486ed57db5c5ca170ba441427ed9afa684e",
    1025: "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444f4c4a22b4b399155358a994e52bf255de60035742ec71bd08ac275a1b51cc6bfe332b0ef84b409108cda080e6269ed4b3e2c3f7d722aa4cdc98d16deb554e5627be8f955c98e1d5f9565a9194cad0c4285f93700062d9595adb992ae68ff12800ab67a",
    2048: "e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a9a60bf80001410ec9eea6698cd537939fad4749edd484cb541aced55cd9bf54764d063f23f6f1e32e12958ba5cfeb1bf618ad094266d4fc3c968c2088f677454c288c67ba0dba337b9d91c7e1ba586dc9a5bc2d5e90c14f53a8863ac75655461cea8f9",
    2049: "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b687952256303096de31d71d74103403822a2e0bc1eb193e7aecc9643a76b7bbc0c9f9c52e8783aae98764ca468962b5c2ec92f0c74eb5448d519713e09413719431c802f948dd5d90425a4ecdadece9eb178d80f26efccae630734dff63340285adec2aed3b51073ad3",
    3072: "b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd29a3f6b0b978d6608335c09dc94ccf682f9951cdfc501bfe47b9c9189a6fc7b404d120258506341a6d802857322fbd20d3e5dae05b95c88793fa83db1cb08e7d8008d1599b6209d78336e24839724c191b2a52a80448306e0daa84a3fdb566661a37e11",
    7169: "a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e781798a8b20534be1ca9eb2ae2df3fae2ea60e48c6fb0b850b1385b5de0fe460dbe9d9f9b0d8db4435da75c601156df9d047f4ede008732eb17adc05d96180f8a73548522840779e6062d643b79478a6e8dbce68927f36ebf676ffa7d72d5f68f050b119c8",
}


def _input(n: int) -> bytes:
    return bytes(i % 251 for i in range(n))


@pytest.mark.parametrize("length", sorted(VECTORS))
def test_blake3_official_vectors(length: int) -> None:
    expected = VECTORS[length]
    assert blake3(_input(length)).hexdigest() == expected[:64]
    assert blake3(_input(length)).hexdigest(length=len(expected) // 2) == expected


def test_entry_hash_is_domain_separated_blake3() -> None:
    line = b'{"seq":0}'
    assert entry_hash(line) == blake3(ENTRY_TAG + line).digest()
    assert entry_hash(line) != blake3(line).digest()
    assert origin_prev("abc") == blake3(ORIGIN_TAG + b"abc").hexdigest()
    assert origin_prev("abc") != origin_prev("abd")


def test_merkle_shape_small_trees() -> None:
    a, b, c = (bytes([i]) * 32 for i in range(3))
    assert reference_root([]) == EMPTY_ROOT
    assert reference_root([a]) == leaf_hash(a)
    assert reference_root([a, b, c]) == node_hash(node_hash(leaf_hash(a), leaf_hash(b)), leaf_hash(c))
    # Leaf and node hashes are domain separated (RFC 6962 0x00 / 0x01 prefixes).
    assert leaf_hash(a + b) != node_hash(a, b)


def test_incremental_root_matches_recursive_reference_for_1_to_2049() -> None:
    entries = [blake3(os.urandom(8)).digest() for _ in range(2049)]
    memo: dict[tuple[int, int], bytes] = {}

    def mth(start: int, n: int) -> bytes:
        # RFC 6962 MTH over entries[start:start+n], memoised so all 2049 prefixes stay cheap.
        key = (start, n)
        if key not in memo:
            if n == 1:
                memo[key] = leaf_hash(entries[start])
            else:
                k = 1
                while k * 2 < n:
                    k *= 2
                memo[key] = node_hash(mth(start, k), mth(start + k, n - k))
        return memo[key]

    frontier = MerkleFrontier()
    for n, entry in enumerate(entries, start=1):
        frontier.append(entry)
        assert frontier.root() == mth(0, n), n
    assert frontier.size == 2049
    # The memoised reference agrees with the plain recursive one.
    for n in (1, 2, 3, 5, 8, 13, 100, 257):
        assert mth(0, n) == reference_root(entries[:n])
