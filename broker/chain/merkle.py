"""A Merkle tree hash and its inclusion proofs, exactly as RFC 9162 section 2.1 defines them.

Leaf hash SHA-256(0x00 || data), interior node SHA-256(0x01 || left || right), the empty tree
SHA-256(""). A tree of n leaves splits at k, the largest power of two smaller than n
(section 2.1.1). An inclusion proof is the audit path of section 2.1.3.1, verified with the
algorithm of section 2.1.3.2. Nothing here is ours: any RFC 6962 / 9162 implementation computes
the same roots and proofs (tests/proof/test_merkle.py checks the published test vectors).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

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


# The same tree kept incrementally (the checkpointer's, broker/chain/checkpoints.py): leaves stay at
# fixed positions (a new one is appended), and every node is kept as (level, index), level 0
# being the leaf hashes. Node (L, i) is MTH of leaves [i * 2**L, min((i + 1) * 2**L, n)), which
# is what the bottom-up pairing in `root` computes (a level's odd last node is carried up
# unchanged), so changing k leaves rehashes only their k paths: O(k log n), not O(n).

NodeGetter = Callable[[int, Iterable[int]], Mapping[int, bytes]]


def width(size: int, level: int) -> int:
    """How many nodes a tree of `size` leaves has at `level`."""
    return (size + (1 << level) - 1) >> level


def height(size: int) -> int:
    """The level of the root (0 for a single leaf)."""
    return (size - 1).bit_length() if size > 1 else 0


def update(
    size: int, changed: Mapping[int, bytes], stored: NodeGetter
) -> tuple[bytes | None, dict[tuple[int, int], bytes]]:
    """Rehash the paths of the `changed` leaves (index -> leaf hash) in a tree of `size` leaves
    (after any appends), fetching unchanged siblings with `stored(level, indices)`.

    Returns (root, every new node by (level, index)); root None when nothing changed."""
    nodes: dict[tuple[int, int], bytes] = {(0, i): h for i, h in changed.items()}
    current = dict(changed)
    if not current:
        return None, nodes
    for level in range(height(size)):
        count = width(size, level)
        parents = sorted({i >> 1 for i in current})
        missing = {c for p in parents for c in (2 * p, 2 * p + 1) if c < count and c not in current}
        known = {**stored(level, sorted(missing)), **current} if missing else current
        upper: dict[int, bytes] = {}
        for p in parents:
            left, right = 2 * p, 2 * p + 1
            upper[p] = node_hash(known[left], known[right]) if right < count else known[left]
            nodes[(level + 1, p)] = upper[p]
        current = upper
    return current[0], nodes


def stored_inclusion_proof(index: int, size: int, stored: NodeGetter) -> list[bytes]:
    """PATH(index, D[size]) read from the kept nodes: each level's sibling, bottom up."""
    if not 0 <= index < size:
        raise IndexError(f"leaf {index} is not in a tree of {size}")
    wanted = []
    i = index
    for level in range(height(size)):
        if (i ^ 1) < width(size, level):
            wanted.append((level, i ^ 1))
        i >>= 1
    return [stored(level, [i])[i] for level, i in wanted]
