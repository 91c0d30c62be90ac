//! Offline receipts in the C2SP tlog-proof format:
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! index <n>
//! <base64 proof hash>
//! ...
//!
//! <checkpoint note, verbatim>
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::keys::PublicKey;
use crate::merkle::verify_inclusion;

const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// Proof that one entry is in the log, with the checkpoint it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Entry index.
    pub index: u64,
    /// Inclusion proof hashes.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: String,
}

impl Receipt {
    /// The tlog-proof text.
    pub fn to_text(&self) -> String {
        let mut s = format!("{HEADER}\nindex {}\n", self.index);
        for h in &self.proof {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    /// Parses tlog-proof text (the `extra` line is accepted and ignored).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::Malformed(format!("receipt: {why}"));
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad(&format!("first line must be {HEADER}")));
        }
        let mut line = lines.next().ok_or_else(|| bad("no index line"))?;
        if line.starts_with("extra ") {
            line = lines.next().ok_or_else(|| bad("no index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad("index line must be `index <n>`"))?;
        let proof = lines
            .map(|l| {
                B64.decode(l)
                    .ok()
                    .and_then(|v| Hash::try_from(v).ok())
                    .ok_or_else(|| bad("proof hash is not base64 of 32 bytes"))
            })
            .collect::<Result<Vec<_>>>()?;
        if proof.len() > 64 {
            return Err(bad("proof is longer than any tree allows"));
        }
        Ok(Receipt {
            index,
            proof,
            checkpoint: checkpoint.to_string(),
        })
    }

    /// Verifies the receipt for an entry's leaf hash against trusted log keys.
    pub fn verify(&self, leaf: &Hash, trusted: &[PublicKey]) -> Result<Checkpoint> {
        let (cp, _) = Checkpoint::open(&self.checkpoint, trusted)?;
        verify_inclusion(self.index, cp.size, leaf, &self.proof, &cp.root).map_err(|e| {
            Error::Integrity(format!(
                "entry {} is not in the checkpointed tree: {e}",
                self.index
            ))
        })?;
        Ok(cp)
    }
}
