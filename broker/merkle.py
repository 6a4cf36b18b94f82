"""A Merkle tree hash and its inclusion proofs, exactly as RFC 9162 section 2.1 defines them.

Leaf hash SHA-256(0x00 || data), interior node SHA-256(0x01 || left || right), the empty tree
SHA-256(""). A tree of n leaves splits at k, the largest power of two smaller than n
(section 2.1.1). An inclusion proof is the audit path of section 2.1.3.1, verified with the
algorithm of section 2.1.3.2. Nothing here is ours: any RFC 6962 / 9162 implementation computes
the same roots and proofs (tests/proof/test_merkle.py checks the published test vectors).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaves already hashed with leaf_hash (RFC 9162 2.1.1)."""
    if not leaf_hashes:
        return hashlib.sha256(b"").digest()
    # Bottom-up pairing gives the same tree as the recursive split: a level's odd last node is
    # carried up unchanged, which is what the split at the largest power of two does.
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the sibling hashes from leaf `index` up to the root (RFC 9162 2.1.3.1)."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise IndexError(f"leaf {index} is not in a tree of {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_proof(index, leaf_hashes[:k]), root(leaf_hashes[k:])]
    return [*inclusion_proof(index - k, leaf_hashes[k:]), root(leaf_hashes[:k])]


def root_from_inclusion_proof(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """The root that `proof` leads to from `leaf` at `index` in a tree of `size` leaves, or None
    if the proof has the wrong shape for that position (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    return root_from_inclusion_proof(index, size, leaf, proof) == expected_root
