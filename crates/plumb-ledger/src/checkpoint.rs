//! Checkpoints in the C2SP tlog-checkpoint format, carried in a C2SP signed note:
//!
//! ```text
//! <origin>
//! <tree size>
//! <base64 root hash>
//!
//! — <key name> <base64(4-byte key id || Ed25519 signature)>
//! ```
//!
//! The signature covers the note text (the three lines, each ending in a newline).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::keys::{KeyPair, PublicKey};
use crate::note;

/// A tree head: the log's identity, its size and its root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log origin (its unique name).
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root hash of the first `size` leaves.
    pub root: Hash,
}

impl Checkpoint {
    /// The note text that is signed.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Signs the checkpoint, producing the whole signed note.
    pub fn sign(&self, key: &KeyPair) -> String {
        note::sign(&self.body(), key)
    }

    /// Parses a signed note and verifies it against the trusted keys. At least one trusted key
    /// must have signed; signatures by unknown keys are ignored as the spec requires.
    pub fn open(note: &str, trusted: &[PublicKey]) -> Result<(Checkpoint, Vec<String>)> {
        let (body, signers) = note::open(note, trusted, "checkpoint")?;
        Ok((Self::parse_body(body)?, signers))
    }

    /// Parses the note body (origin, size, root; extension lines are rejected).
    pub fn parse_body(body: &str) -> Result<Checkpoint> {
        let bad = |why: &str| Error::Malformed(format!("checkpoint: {why}"));
        let lines: Vec<&str> = body
            .strip_suffix('\n')
            .ok_or_else(|| bad("body must end in a newline"))?
            .split('\n')
            .collect();
        if lines.len() != 3 {
            return Err(bad(
                "body must have exactly three lines: origin, tree size, root hash",
            ));
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(bad("empty origin"));
        }
        let size_s = lines[1];
        if size_s.is_empty()
            || !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(bad("tree size must be decimal without leading zeros"));
        }
        let size = size_s.parse().map_err(|_| bad("tree size out of range"))?;
        let root: Hash = B64
            .decode(lines[2])
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| bad("root hash must be base64 of 32 bytes"))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::EMPTY_ROOT;

    #[test]
    fn sign_and_open_round_trip() {
        let k = KeyPair::from_seed("example.com/log", [3; 32]).unwrap();
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size: 12,
            root: EMPTY_ROOT,
        };
        let note = cp.sign(&k);
        assert!(note.starts_with("example.com/log\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\u{2014} example.com/log "));
        let (back, signers) = Checkpoint::open(&note, &[k.public()]).unwrap();
        assert_eq!(back, cp);
        assert_eq!(signers, vec!["example.com/log".to_string()]);
    }

    #[test]
    fn tampered_or_unsigned_notes_are_rejected() {
        let k = KeyPair::from_seed("log", [3; 32]).unwrap();
        let other = KeyPair::from_seed("log", [4; 32]).unwrap();
        let cp = Checkpoint {
            origin: "log".into(),
            size: 5,
            root: [9; 32],
        };
        let note = cp.sign(&k);
        let t = [k.public()];
        assert!(Checkpoint::open(&note.replacen("\n5\n", "\n6\n", 1), &t).is_err());
        assert!(
            Checkpoint::open(&note, &[other.public()]).is_err(),
            "unknown key only"
        );
        assert!(Checkpoint::open(&note.replace('\u{2014}', "-"), &t).is_err());
        assert!(Checkpoint::open("log\n05\nAAAA\n\n", &t).is_err());
        assert!(Checkpoint::open(&note.replacen("log\n", "log\x07\n", 1), &t).is_err());
        assert!(Checkpoint::parse_body("log\n1\nAAAA\n").is_err());
        assert!(Checkpoint::parse_body("log\n1\n").is_err());
        // An extra signature by an unknown key is ignored.
        let extra = format!("{note}\u{2014} witness AAAAAAAAAAAA\n");
        assert!(Checkpoint::open(&extra, &t).is_ok());
    }
}
