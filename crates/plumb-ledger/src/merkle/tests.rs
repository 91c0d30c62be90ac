//! Known-answer tests for RFC 6962 hashing and proofs.
//!
//! Vectors: the eight leaf inputs, the roots of the trees of 0..8 leaves and the perfect-subtree
//! hashes are from transparency-dev/merkle `testonly/constants.go` (they descend from the
//! Certificate Transparency reference implementation's tests). The inclusion ("audit") and
//! consistency proof vectors are from Chromium's `net/cert/ct_log_verifier_unittest.cc`
//! (`kAuditProofs`, `kConsistencyProofs`). Both use exactly RFC 6962 hashing.

use super::*;
use crate::hash::{hex, parse_hash_hex};

fn h(s: &str) -> Hash {
    parse_hash_hex(s).unwrap()
}

fn inputs() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|s| crate::hash::unhex(s).unwrap())
    .collect()
}

const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

const LEAF_HASHES: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
];

/// (leaf, tree size, proof) from Chromium's kAuditProofs.
fn audit_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (0, 1, vec![]),
        (
            0,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            5,
            8,
            vec![
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            3,
            vec![h(
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            )],
        ),
        (
            1,
            5,
            vec![
                h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
    ]
}

/// (old size, new size, proof) from Chromium's kConsistencyProofs.
fn consistency_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            5,
            vec![
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
    ]
}

fn tree(n: usize) -> MemoryTree {
    MemoryTree::from_leaves(inputs()[..n].iter().map(|d| leaf_hash(d)).collect())
}

#[test]
fn leaf_hashes_and_roots_match_published_vectors() {
    for (i, d) in inputs().iter().enumerate() {
        assert_eq!(hex(&leaf_hash(d)), LEAF_HASHES[i], "leaf {i}");
    }
    for (n, want) in ROOTS.iter().enumerate() {
        assert_eq!(hex(&tree(n).root()), *want, "root of {n} leaves");
    }
}

#[test]
fn inclusion_proofs_match_published_vectors_and_verify() {
    for (leaf, size, want) in audit_vectors() {
        let t = tree(size as usize);
        let got = inclusion_proof(&t, leaf, size).unwrap();
        assert_eq!(got, want, "proof for leaf {leaf} of {size}");
        let lh = h(LEAF_HASHES[leaf as usize]);
        let root = h(ROOTS[size as usize]);
        verify_inclusion(leaf, size, &lh, &want, &root).unwrap();
    }
}

#[test]
fn consistency_proofs_match_published_vectors_and_verify() {
    for (old, new, want) in consistency_vectors() {
        let t = tree(new as usize);
        assert_eq!(
            consistency_proof(&t, old, new).unwrap(),
            want,
            "{old} -> {new}"
        );
        verify_consistency(
            old,
            new,
            &h(ROOTS[old as usize]),
            &h(ROOTS[new as usize]),
            &want,
        )
        .unwrap();
    }
}

#[test]
fn inclusion_verification_rejects_every_wrong_variation() {
    for (leaf, size, proof) in audit_vectors().into_iter().filter(|v| !v.2.is_empty()) {
        let lh = h(LEAF_HASHES[leaf as usize]);
        let root = h(ROOTS[size as usize]);
        let bad = |i: u64, n: u64, p: &[Hash], r: &Hash| verify_inclusion(i, n, &lh, p, r).is_err();
        assert!(bad(leaf.wrapping_sub(1), size, &proof, &root));
        assert!(bad(leaf + 1, size, &proof, &root));
        assert!(bad(leaf ^ 2, size, &proof, &root));
        assert!(bad(leaf, size * 2, &proof, &root));
        assert!(bad(leaf / 2, size / 2, &proof, &root));
        assert!(bad(leaf, size / 2, &proof, &root));
        assert!(bad(leaf, size, &proof, &EMPTY_ROOT));
        for j in 0..proof.len() {
            let mut p = proof.clone();
            p[j] = EMPTY_ROOT;
            assert!(bad(leaf, size, &p, &root), "one wrong node at {j}");
        }
        let mut longer = proof.clone();
        longer.push(root);
        assert!(bad(leaf, size, &longer, &root));
        assert!(bad(leaf, size, &proof[..proof.len() - 1], &root));
        let mut prepended = vec![root];
        prepended.extend_from_slice(&proof);
        assert!(bad(leaf, size, &prepended, &root));
    }
}

#[test]
fn consistency_verification_rejects_every_wrong_variation() {
    for (old, new, proof) in consistency_vectors()
        .into_iter()
        .filter(|v| !v.2.is_empty())
    {
        let (or, nr) = (h(ROOTS[old as usize]), h(ROOTS[new as usize]));
        let bad = |m: u64, n: u64, a: &Hash, b: &Hash, p: &[Hash]| {
            verify_consistency(m, n, a, b, p).is_err()
        };
        assert!(bad(old - 1, new, &or, &nr, &proof));
        assert!(bad(old + 1, new, &or, &nr, &proof));
        assert!(bad(old ^ 2, new, &or, &nr, &proof));
        assert!(bad(old, new * 2, &or, &nr, &proof));
        assert!(bad(old, new / 2, &or, &nr, &proof));
        assert!(bad(old, new, &EMPTY_ROOT, &nr, &proof));
        assert!(bad(old, new, &or, &EMPTY_ROOT, &proof));
        assert!(bad(old, new, &nr, &or, &proof));
        assert!(bad(old, new, &or, &nr, &[]));
        for j in 0..proof.len() {
            let mut p = proof.clone();
            p[j] = EMPTY_ROOT;
            assert!(bad(old, new, &or, &nr, &p), "one wrong node at {j}");
        }
        let mut dup = proof.clone();
        dup.push(*proof.last().unwrap());
        assert!(bad(old, new, &or, &nr, &dup));
        assert!(bad(old, new, &or, &nr, &proof[..proof.len() - 1]));
        let mut first_dup = vec![proof[0]];
        first_dup.extend_from_slice(&proof);
        assert!(bad(old, new, &or, &nr, &first_dup));
    }
}

/// Every proof of every shape up to 70 leaves verifies, and the frontier agrees with the
/// full tree about roots and completed nodes.
#[test]
fn all_small_trees_are_self_consistent() {
    let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let full = MemoryTree::from_leaves(leaves.clone());
    let mut frontier = Frontier::default();
    let mut incremental = MemoryTree::default();
    let mut completed = Vec::new();
    for (i, l) in leaves.iter().enumerate() {
        frontier.push(*l, &mut completed);
        incremental.push(*l);
        let n = i as u64 + 1;
        let r = root(&full, n).unwrap();
        assert_eq!(frontier.root(), r);
        assert_eq!(incremental.root(), r);
        let reloaded = Frontier::load(&full, n).unwrap();
        assert_eq!(reloaded.root(), r);
        for m in 0..n {
            let p = inclusion_proof(&full, m, n).unwrap();
            verify_inclusion(m, n, &leaves[m as usize], &p, &r).unwrap();
            let c = consistency_proof(&full, m, n).unwrap();
            verify_consistency(m, n, &root(&full, m).unwrap(), &r, &c).unwrap();
        }
    }
    for node in completed {
        assert_eq!(full.node(node.level, node.index).unwrap(), node.hash);
    }
}
