//! What every Plumbline crate needs and none should define again: hex and digests, reading
//! untrusted input text, safe XML events, escaping, CODEOWNERS-style patterns, RFC 3339 times
//! and criticality. It sits at the bottom (sha2, quick-xml, chrono, thiserror), so a crate that
//! needs one of these does not pull in the ledger's storage or the scanners' readers for it.

pub mod criticality;
pub mod escape;
pub mod glob;
pub mod input;
pub mod time;
pub mod xml;

pub use criticality::Criticality;

use sha2::{Digest, Sha256};

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// SHA-256 of bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_digests_are_lower_case_and_exact() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
