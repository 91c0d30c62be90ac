//! SHA-256 digests and their text forms.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// Lowercase hexadecimal (one definition for every crate: `plumb_base::hex`).
pub use plumb_base::hex;

/// Parses hexadecimal (either case) into bytes.
pub fn unhex(s: &str) -> Result<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return Err(Error::Malformed(format!(
            "hex value {s:?} has an odd number of digits"
        )));
    }
    b.chunks(2)
        .map(|p| match (nibble(p[0]), nibble(p[1])) {
            (Some(h), Some(l)) => Ok(h << 4 | l),
            _ => Err(Error::Malformed(format!("{s:?} is not hexadecimal"))),
        })
        .collect()
}

/// Parses a 64-digit hexadecimal SHA-256 digest.
pub fn parse_hash_hex(s: &str) -> Result<Hash> {
    let v = unhex(s)?;
    v.try_into()
        .map_err(|_| Error::Malformed(format!("{s:?} is not a SHA-256 digest (64 hex digits)")))
}

/// A digest written as `sha256:<hex>`, the form used for blobs and entries.
pub fn sha256_ref(h: &Hash) -> String {
    format!("sha256:{}", hex(h))
}

/// Parses `sha256:<hex>` or a bare 64-digit hex digest.
pub fn parse_sha256_ref(s: &str) -> Result<Hash> {
    parse_hash_hex(s.strip_prefix("sha256:").unwrap_or(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let h = sha256(b"abc");
        assert_eq!(
            hex(&h),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(parse_hash_hex(&hex(&h)).unwrap(), h);
        assert_eq!(parse_sha256_ref(&sha256_ref(&h)).unwrap(), h);
        assert!(unhex("abc").is_err());
        assert!(unhex("zz").is_err());
        assert!(parse_hash_hex("abcd").is_err());
    }
}
