//! C2SP signed notes: a UTF-8 text ending in a newline, a blank line, and signature lines
//! `— <key name> <base64(4-byte key id || signature)>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::{Error, Result};
use crate::keys::{KeyPair, PublicKey};

/// Signature lines accepted in one note; the spec asks verifiers to accept at least 16.
const MAX_SIGNATURES: usize = 100;
/// Longest note parsed.
const MAX_NOTE_LEN: usize = 1 << 16;

/// Signs `body` (which must end in a newline) and returns the whole note.
pub fn sign(body: &str, key: &KeyPair) -> String {
    debug_assert!(body.ends_with('\n'));
    let mut blob = key.public().note_key_id().to_vec();
    blob.extend_from_slice(&key.sign(body.as_bytes()));
    format!("{body}\n\u{2014} {} {}\n", key.name(), B64.encode(blob))
}

/// Parses a note and checks its signatures. Returns the body and the names of the trusted keys
/// that signed it. Signatures by unknown keys are ignored; a bad signature by a trusted key, or
/// no trusted signature at all, is an error.
pub fn open<'a>(
    note: &'a str,
    trusted: &[PublicKey],
    what: &str,
) -> Result<(&'a str, Vec<String>)> {
    let bad = |why: String| Error::Malformed(format!("{what}: {why}"));
    if note.len() > MAX_NOTE_LEN {
        return Err(bad(format!(
            "note is {} bytes, over {MAX_NOTE_LEN}",
            note.len()
        )));
    }
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(bad("note contains control characters".into()));
    }
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| bad("no blank line before the signatures".into()))?;
    let (body, sigs) = (&note[..split + 1], &note[split + 2..]);
    if !sigs.ends_with('\n') {
        return Err(bad("the signature block must end with a newline".into()));
    }
    let lines: Vec<&str> = sigs.trim_end_matches('\n').split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(bad(format!(
            "{} signature lines, more than {MAX_SIGNATURES}",
            lines.len()
        )));
    }
    let mut signers = Vec::new();
    for line in lines {
        let rest = line.strip_prefix("\u{2014} ").ok_or_else(|| {
            bad(format!(
                "signature line {line:?} does not start with an em dash"
            ))
        })?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| bad(format!("signature line {line:?} has no signature")))?;
        let blob = B64
            .decode(b64)
            .map_err(|_| bad("a signature is not base64".into()))?;
        if blob.len() < 5 {
            return Err(bad("a signature is too short".into()));
        }
        for k in trusted
            .iter()
            .filter(|k| k.name == name && blob[..4] == k.note_key_id())
        {
            if !k.verify(body.as_bytes(), &blob[4..]) {
                return Err(Error::Signature(format!(
                    "{what} signature by {name} does not verify"
                )));
            }
            signers.push(name.to_string());
        }
    }
    if signers.is_empty() {
        return Err(Error::Signature(format!(
            "{what} is not signed by any trusted key"
        )));
    }
    Ok((body, signers))
}
