//! Ed25519 keys in the text formats of the C2SP signed-note ecosystem, so checkpoints signed by
//! plumb can be checked by existing note verifiers:
//!
//! * verifier key: `<name>+<8 hex key id>+<base64(0x01 || public key)>`
//! * signer key:   `PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || seed)>`
//!
//! The note key id is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key).
//! DSSE signatures name their key by `keyid` = hex SHA-256 of the raw public key.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::error::{Error, Result};
use crate::hash::{hex, sha256};

const ED25519_TYPE: u8 = 0x01;

/// Checks a key name against the signed-note rules (non-empty, no spaces, no `+`).
pub fn check_key_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.contains('+')
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::Malformed(format!(
            "key name {name:?} is not valid: it must be non-empty and contain no spaces, control characters or '+'"
        )));
    }
    Ok(())
}

/// A named Ed25519 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// Key name (for checkpoints: the log origin).
    pub name: String,
    /// The key.
    pub key: VerifyingKey,
}

impl PublicKey {
    /// The 4-byte key id of the signed-note format.
    pub fn note_key_id(&self) -> [u8; 4] {
        let mut data = Vec::with_capacity(self.name.len() + 34);
        data.extend_from_slice(self.name.as_bytes());
        data.push(b'\n');
        data.push(ED25519_TYPE);
        data.extend_from_slice(self.key.as_bytes());
        let h = sha256(&data);
        [h[0], h[1], h[2], h[3]]
    }

    /// The DSSE `keyid`: hex SHA-256 of the raw public key.
    pub fn dsse_key_id(&self) -> String {
        hex(&sha256(self.key.as_bytes()))
    }

    /// The verifier-key text form.
    pub fn to_text(&self) -> String {
        let mut raw = vec![ED25519_TYPE];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex(&self.note_key_id()),
            B64.encode(raw)
        )
    }

    /// Parses the verifier-key text form, checking the embedded key id.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let bad = |why: &str| {
            Error::Malformed(format!(
                "public key {:?} is not a verifier key ({why}); expected <name>+<keyid>+<base64>",
                truncate(text, 80)
            ))
        };
        let parts: Vec<&str> = text.splitn(3, '+').collect();
        let [name, id, key] = parts[..] else {
            return Err(bad("wrong number of '+'-separated fields"));
        };
        check_key_name(name)?;
        let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        if raw.len() != 33 || raw[0] != ED25519_TYPE {
            return Err(bad("only Ed25519 keys (type 0x01, 32 bytes) are supported"));
        }
        let key = VerifyingKey::from_bytes(raw[1..].try_into().expect("32 bytes"))
            .map_err(|_| bad("not a valid Ed25519 point"))?;
        let pk = PublicKey {
            name: name.to_string(),
            key,
        };
        if hex(&pk.note_key_id()) != id.to_ascii_lowercase() {
            return Err(bad("key id does not match the name and key"));
        }
        Ok(pk)
    }

    /// Verifies an Ed25519 signature (strict verification: no malleable encodings).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        self.key.verify_strict(msg, &sig).is_ok()
    }
}

/// A named Ed25519 signing key.
pub struct KeyPair {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// Generates a new key from the operating system's random source.
    pub fn generate(name: &str) -> Result<Self> {
        check_key_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed)
            .map_err(|e| Error::State(format!("no randomness for key generation: {e}")))?;
        Ok(KeyPair {
            name: name.to_string(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Builds a key from a fixed seed (tests and reproducible fixtures only).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self> {
        check_key_name(name)?;
        Ok(KeyPair {
            name: name.to_string(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            name: self.name.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// Signs a message.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }

    /// The signer-key text form (secret).
    pub fn to_text(&self) -> String {
        let mut raw = vec![ED25519_TYPE];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex(&self.public().note_key_id()),
            B64.encode(raw)
        )
    }

    /// Parses the signer-key text form.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::Malformed(format!(
                "private key is not a signer key ({why}); expected PRIVATE+KEY+<name>+<keyid>+<base64>"
            ))
        };
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("missing prefix"))?;
        let parts: Vec<&str> = rest.splitn(3, '+').collect();
        let [name, id, key] = parts[..] else {
            return Err(bad("wrong number of fields"));
        };
        let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        if raw.len() != 33 || raw[0] != ED25519_TYPE {
            return Err(bad("only Ed25519 keys are supported"));
        }
        let kp = KeyPair::from_seed(name, raw[1..].try_into().expect("32 bytes"))?;
        if hex(&kp.public().note_key_id()) != id.to_ascii_lowercase() {
            return Err(bad("key id does not match"));
        }
        Ok(kp)
    }

    /// Writes the private key to a new file readable only by its owner (mode 0600).
    pub fn write_private(&self, path: &Path) -> Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        f.write_all(format!("{}\n", self.to_text()).as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| Error::io(path, e))
    }

    /// Reads a private key file, refusing one that others can read.
    pub fn read_private(path: &Path) -> Result<Self> {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(Error::State(format!(
                "{} is readable by other users (mode {:o}); run chmod 600 on it",
                path.display(),
                meta.permissions().mode() & 0o777
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        KeyPair::parse(&text)
    }
}

pub(crate) fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_texts_round_trip_and_reject_tampering() {
        let kp = KeyPair::from_seed("log.example/bank", [7; 32]).unwrap();
        let again = KeyPair::parse(&kp.to_text()).unwrap();
        assert_eq!(again.public(), kp.public());
        let pk = PublicKey::parse(&kp.public().to_text()).unwrap();
        assert_eq!(pk, kp.public());
        // A renamed key no longer matches its key id.
        let renamed = kp
            .public()
            .to_text()
            .replacen("log.example/bank", "other", 1);
        assert!(PublicKey::parse(&renamed).is_err());
        assert!(PublicKey::parse("nonsense").is_err());
        assert!(PublicKey::parse("a+00000000+!!!").is_err());
        assert!(KeyPair::generate("has space").is_err());
        let sig = kp.sign(b"m");
        assert!(pk.verify(b"m", &sig));
        assert!(!pk.verify(b"n", &sig));
        assert!(!pk.verify(b"m", &sig[..63]));
    }

    #[test]
    fn private_key_file_is_0600_and_loose_modes_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        let kp = KeyPair::generate("k").unwrap();
        kp.write_private(&p).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(KeyPair::read_private(&p).unwrap().public(), kp.public());
        assert!(kp.write_private(&p).is_err(), "never overwrites a key");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(KeyPair::read_private(&p).is_err());
    }
}
