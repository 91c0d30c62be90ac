//! RFC 6962 / RFC 9162 Merkle tree hashing, proof construction and proof verification.
//!
//! Proofs are built from *perfect subtrees*: the node at `(level, index)` is the hash of leaves
//! `[index << level, (index + 1) << level)`. Those nodes never change once complete, so a store
//! can keep them and answer any proof with O(log n) look-ups ([`NodeSource`]).

use crate::error::Result;
use crate::hash::{Hash, sha256};
use sha2::{Digest, Sha256};

/// Hash of the empty tree: SHA-256 of the empty string.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Leaf hash: SHA-256(0x00 || entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// Interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    sha256(&buf)
}

/// Where proof construction finds perfect-subtree hashes.
pub trait NodeSource {
    /// The hash of the perfect subtree at `level` (0 = leaves) and `index`.
    fn node(&self, level: u32, index: u64) -> Result<Hash>;
}

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The index or sizes are impossible (index beyond the tree, old size beyond new size).
    #[error("{0}")]
    BadRange(String),
    /// The proof has the wrong number of hashes for the given sizes.
    #[error("proof has the wrong length for these tree sizes")]
    WrongLength,
    /// The proof hashes to a different root.
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
}

/// Largest power of two strictly smaller than `n` (n >= 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[start..end]) for a range that occurs in the RFC 6962 recursion.
pub fn subtree_hash(src: &dyn NodeSource, start: u64, end: u64) -> Result<Hash> {
    let n = end - start;
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return src.node(n.trailing_zeros(), start >> n.trailing_zeros());
    }
    let k = split(n);
    Ok(node_hash(
        &subtree_hash(src, start, start + k)?,
        &subtree_hash(src, start + k, end)?,
    ))
}

/// The root of the tree of the first `size` leaves.
pub fn root(src: &dyn NodeSource, size: u64) -> Result<Hash> {
    if size == 0 {
        Ok(EMPTY_ROOT)
    } else {
        subtree_hash(src, 0, size)
    }
}

/// Inclusion proof (RFC 6962 §2.1.1 PATH) for leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof(src: &dyn NodeSource, index: u64, size: u64) -> Result<Vec<Hash>> {
    assert!(index < size, "inclusion proof for a leaf outside the tree");
    let mut out = Vec::new();
    path(src, index, 0, size, &mut out)?;
    Ok(out)
}

fn path(src: &dyn NodeSource, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) -> Result<()> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(src, m, start, start + k, out)?;
        out.push(subtree_hash(src, start + k, end)?);
    } else {
        path(src, m - k, start + k, end, out)?;
        out.push(subtree_hash(src, start, start + k)?);
    }
    Ok(())
}

/// Consistency proof (RFC 6962 §2.1.2 PROOF) between the trees of `old` and `new` leaves.
/// Empty when `old` is 0 or equal to `new`.
pub fn consistency_proof(src: &dyn NodeSource, old: u64, new: u64) -> Result<Vec<Hash>> {
    assert!(old <= new, "consistency proof to a smaller tree");
    let mut out = Vec::new();
    if old > 0 && old < new {
        subproof(src, old, 0, new, true, &mut out)?;
    }
    Ok(out)
}

fn subproof(
    src: &dyn NodeSource,
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<()> {
    let n = end - start;
    if m == n {
        if !complete {
            out.push(subtree_hash(src, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(src, m, start, start + k, complete, out)?;
        out.push(subtree_hash(src, start + k, end)?);
    } else {
        subproof(src, m - k, start + k, end, false, out)?;
        out.push(subtree_hash(src, start, start + k)?);
    }
    Ok(())
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::BadRange(format!(
            "leaf {index} is not in a tree of {size} leaves"
        )));
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2) between an old and a new tree.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::BadRange(format!(
            "old tree size {old_size} is larger than new tree size {new_size}"
        )));
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if old_size == 0 {
        // Every tree extends the empty tree; there is nothing to prove.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != old_root || &sr != new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Positions `(level, index)` of the perfect subtrees that make up a tree of `size` leaves,
/// largest first: the "right edge" a writer needs before appending.
pub fn frontier_positions(size: u64) -> Vec<(u32, u64)> {
    (0..64u32)
        .rev()
        .filter(|l| size >> l & 1 == 1)
        .map(|l| (l, (size >> l) - 1))
        .collect()
}

/// A perfect-subtree node that became complete during an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewNode {
    /// Level above the leaves (always >= 1).
    pub level: u32,
    /// Index within the level.
    pub index: u64,
    /// Its hash.
    pub hash: Hash,
}

/// The right edge of a tree (its perfect subtrees, largest first), enough to append leaves
/// and compute the root without the rest of the tree.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    /// Rebuilds the frontier of a tree of `size` leaves from its stored nodes.
    pub fn load(src: &dyn NodeSource, size: u64) -> Result<Self> {
        let nodes = frontier_positions(size)
            .into_iter()
            .map(|(l, i)| src.node(l, i))
            .collect::<Result<_>>()?;
        Ok(Frontier { size, nodes })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash, pushing every perfect subtree it completes into `completed`.
    pub fn push(&mut self, leaf: Hash, completed: &mut Vec<NewNode>) {
        let mut h = leaf;
        let mut index = self.size;
        let mut level = 0;
        while index & 1 == 1 {
            let left = self
                .nodes
                .pop()
                .expect("frontier holds one node per set bit of the size");
            h = node_hash(&left, &h);
            level += 1;
            index >>= 1;
            completed.push(NewNode {
                level,
                index,
                hash: h,
            });
        }
        self.nodes.push(h);
        self.size += 1;
    }

    /// The root hash of the tree so far.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        match it.next() {
            None => EMPTY_ROOT,
            Some(last) => it.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }
}

/// A whole tree in memory: every perfect subtree at every level. Used by verification,
/// evidence packs and tests.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// Builds the tree over the given leaf hashes.
    pub fn from_leaves(leaves: Vec<Hash>) -> Self {
        let mut t = MemoryTree {
            levels: vec![leaves],
        };
        t.fill();
        t
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let row = &self.levels[level];
            let h = node_hash(&row[row.len() - 2], &row[row.len() - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(h);
            level += 1;
        }
    }

    fn fill(&mut self) {
        let mut level = 0;
        while self.levels[level].len() >= 2 {
            let next: Vec<Hash> = self.levels[level]
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
            self.levels.push(next);
            level += 1;
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        root(self, self.size()).expect("memory tree has every node")
    }

    /// Perfect subtree nodes at `level` (0 = leaf hashes).
    pub fn level(&self, level: u32) -> &[Hash] {
        self.levels
            .get(level as usize)
            .map_or(&[], |v| v.as_slice())
    }
}

impl NodeSource for MemoryTree {
    fn node(&self, level: u32, index: u64) -> Result<Hash> {
        self.levels
            .get(level as usize)
            .and_then(|l| l.get(index as usize))
            .copied()
            .ok_or_else(|| crate::error::Error::NotFound(format!("tree node {level}/{index}")))
    }
}

#[cfg(test)]
mod tests;
