"""The Merkle tree is RFC 9162 section 2.1, checked against the published test vectors (the
Certificate Transparency reference tree of RFC 6962) and hand-computed small trees."""

from __future__ import annotations

import hashlib
import random

import pytest

from broker.chain import merkle

# The reference leaves and roots of Certificate Transparency's RFC 6962 test suite.
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (leaf index, tree size, audit path)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
HASHED = [merkle.leaf_hash(d) for d in LEAVES]


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_roots_match_the_rfc_6962_reference_tree(size):
    assert merkle.root(HASHED[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_reference_and_verify(index, size, path):
    proof = merkle.inclusion_proof(index, HASHED[:size])
    assert [p.hex() for p in proof] == path
    assert merkle.verify_inclusion(index, size, HASHED[index], proof, bytes.fromhex(ROOTS[size]))


def test_a_hand_computed_three_leaf_tree():
    a, b, c = (sha(b"\x00" + x) for x in (b"a", b"b", b"c"))
    expected = sha(b"\x01" + sha(b"\x01" + a + b) + c)  # RFC 9162: split at 2, then 1
    assert merkle.root([a, b, c]) == expected
    assert merkle.inclusion_proof(2, [a, b, c]) == [sha(b"\x01" + a + b)]
    assert merkle.inclusion_proof(0, [a, b, c]) == [b, c]


def test_leaf_and_node_hashes_use_their_prefixes():
    assert merkle.leaf_hash(b"x") == sha(b"\x00x")
    assert merkle.node_hash(b"l", b"r") == sha(b"\x01lr")


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 9, 16, 17, 33])
def test_every_leaf_proves_in_every_shape_and_a_wrong_leaf_or_position_does_not(size):
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(size)]
    top = merkle.root(leaves)
    for index in range(size):
        proof = merkle.inclusion_proof(index, leaves)
        assert merkle.verify_inclusion(index, size, leaves[index], proof, top)
        assert not merkle.verify_inclusion(index, size, merkle.leaf_hash(b"forged"), proof, top)
        if size > 1:
            other = (index + 1) % size
            assert not merkle.verify_inclusion(other, size, leaves[index], proof, top)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 64, 100, 1025])
def test_the_incremental_tree_keeps_the_rfc_9162_root_and_proofs(size):  # noqa: ANN001
    """Growing the tree by appends and changing leaves in place, rehashing only their paths,
    gives the same root and inclusion proofs as hashing every leaf again."""
    rng = random.Random(size)
    leaves = [merkle.leaf_hash(rng.randbytes(8)) for _ in range(size)]
    kept: dict[tuple[int, int], bytes] = {}

    def stored(level: int, indices) -> dict[int, bytes]:  # noqa: ANN001
        return {i: kept[(level, i)] for i in indices}

    built = 0
    for upto in sorted({max(1, size // 3), max(1, 2 * size // 3), size}):
        root, nodes = merkle.update(upto, {i: leaves[i] for i in range(built, upto)}, stored)
        kept.update(nodes)
        built = upto
        assert root == merkle.root(leaves[:built])
    for _ in range(5):
        changed = {rng.randrange(size): merkle.leaf_hash(rng.randbytes(8)) for _ in range(3)}
        leaves = [changed.get(i, h) for i, h in enumerate(leaves)]
        root, nodes = merkle.update(size, changed, stored)
        kept.update(nodes)
        assert root == merkle.root(leaves)
        assert len(nodes) <= len(changed) * (merkle.height(size) + 1)  # the paths, no more
    for index in range(0, size, max(1, size // 9)):
        assert merkle.stored_inclusion_proof(index, size, stored) == merkle.inclusion_proof(
            index, leaves
        )
