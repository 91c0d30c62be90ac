//! Evidence packs: one tar file an auditor can verify with no database and no network.
//!
//! Members, in order: `INDEX.md` (for people), `checkpoint` (signed note), `keys/*.pub`,
//! `entries/<index>.json` (the exact leaf data), `proofs/<index>.tlog-proof` (inclusion receipts
//! to that checkpoint), `blobs/sha256/<hex>`, `manifest.json` (what is inside, with the SHA-256
//! of every member), and last `SIGNATURE`: a signed note by the log key over the SHA-256 of all
//! archive bytes before it. The archive is written deterministically (fixed modes, owners and
//! times), so the verifier can rebuild the trailing bytes exactly: no byte of the file is
//! outside what the signature or that reconstruction covers.
//!
//! Neither side holds a pack in memory: [`write`] writes members to the file as it goes and
//! [`read`] verifies from a seekable reader, keeping only the manifest, the checkpoint, the keys
//! and one entry at a time.

mod read;
mod write;

pub use read::{
    read_verified_entries, verify_pack, verify_pack_from, verify_pack_with_progress,
    verify_pack_witnessed,
};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const FORMAT: &str = "plumb-evidence-pack";
const VERSION: u32 = 1;
const SIGNATURE_MEMBER: &str = "SIGNATURE";
const SIGNATURE_HEADER: &str = "plumb-evidence-pack/v1";
/// Largest pack `verify_pack` reads and `export` writes: 64 GiB. Neither holds a pack in
/// memory (export streams entries and blobs, verification reads one member at a time), so the
/// cap bounds only the time a hostile file can take; a year of a bank's evidence with its SBOMs
/// and scanner reports can pass 4 GiB, the earlier cap.
pub const MAX_PACK_BYTES: u64 = 64 * 1024 * 1024 * 1024;
/// Most members a pack may have.
const MAX_MEMBERS: usize = 1_000_000;
/// Largest `manifest.json` the verifier holds (a million entries fit in about 400 MB).
const MAX_MANIFEST_BYTES: u64 = 512 * 1024 * 1024;
/// Largest other member the verifier holds in memory: the checkpoint, a key, `SIGNATURE`, one
/// entry or one receipt at a time. Blobs and `INDEX.md` are only hashed, never held.
const MAX_HELD_MEMBER_BYTES: u64 = 16 * 1024 * 1024;

/// The pack's table of contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `plumb-evidence-pack`.
    pub format: String,
    /// Format version.
    pub version: u32,
    /// Log origin.
    pub origin: String,
    /// When the pack was made.
    pub created: String,
    /// The selection, in words.
    pub selection: String,
    /// Size of the checkpoint all proofs lead to.
    pub checkpoint_size: u64,
    /// The entries.
    pub entries: Vec<PackEntry>,
    /// The blobs.
    pub blobs: Vec<PackBlob>,
    /// SHA-256 of every member except `manifest.json` and `SIGNATURE`.
    pub files: BTreeMap<String, String>,
}

/// One entry in a pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackEntry {
    /// Log index.
    pub index: u64,
    /// Hex leaf hash.
    pub leaf_hash: String,
    /// Member holding the entry bytes.
    pub file: String,
    /// Member holding the receipt.
    pub proof: String,
    /// Predicate type.
    pub predicate_type: String,
    /// System.
    pub system: Option<String>,
    /// Integration time.
    pub time: String,
}

/// One blob in a pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackBlob {
    /// `sha256:<hex>`.
    pub digest: String,
    /// Member holding it.
    pub file: String,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct PackSummary {
    /// Entries included.
    pub entries: usize,
    /// Blobs included.
    pub blobs: usize,
    /// Checkpoint size the proofs lead to.
    pub checkpoint_size: u64,
    /// Size of the pack file.
    pub bytes: u64,
}

/// What a successful verification established.
#[derive(Debug, Clone, Serialize)]
pub struct PackReport {
    /// Log origin.
    pub origin: String,
    /// The checkpoint the entries are proven against.
    pub checkpoint_size: u64,
    /// Hex root hash of that checkpoint.
    pub root_hash: String,
    /// When the pack was made.
    pub created: String,
    /// Each verified entry with its signers.
    pub entries: Vec<VerifiedEntry>,
    /// Number of blobs checked.
    pub blobs: usize,
    /// The trusted witnesses whose cosignature of the checkpoint was verified (empty when
    /// none were asked for).
    pub cosigned_by: Vec<Cosignature>,
}

/// A witness's verified cosignature of a pack's checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct Cosignature {
    /// The witness's name.
    pub witness: String,
    /// When it cosigned (POSIX seconds, as the witness stated).
    pub time: u64,
}

/// An entry proven to be in the log.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedEntry {
    /// Log index.
    pub index: u64,
    /// Predicate type.
    pub predicate_type: String,
    /// System.
    pub system: Option<String>,
    /// Integration time.
    pub time: String,
    /// Subjects as `alg:value`.
    pub subjects: Vec<String>,
    /// Names of the keys whose envelope signatures verified.
    pub signers: Vec<String>,
}

/// The tar header of one member, encoded deterministically (fixed mode, owner and time).
fn member_header(path: &str, size: u64) -> Result<tar::Header> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)
        .map_err(|e| Error::State(format!("pack member {path}: {e}")))?;
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    Ok(h)
}

/// Zero bytes that pad a member of `size` bytes to the tar block size.
fn padding(size: u64) -> usize {
    // Always below 512, so the cast cannot truncate.
    ((512 - size % 512) % 512) as usize
}

/// The bytes a pack ends with after everything the signature covers: the `SIGNATURE` member
/// and the two zero blocks that end a tar archive.
fn trailer(signature_note: &str) -> Result<Vec<u8>> {
    let data = signature_note.as_bytes();
    let mut out = member_header(SIGNATURE_MEMBER, data.len() as u64)?
        .as_bytes()
        .to_vec();
    out.extend_from_slice(data);
    out.resize(out.len() + padding(data.len() as u64), 0);
    out.extend_from_slice(&[0u8; 1024]);
    Ok(out)
}

/// The text the pack signature signs: the origin and the SHA-256 of every byte before
/// `SIGNATURE`.
fn signed_body(origin: &str, archive_hash: &[u8; 32]) -> String {
    format!(
        "{SIGNATURE_HEADER}\n{origin}\n{}\n",
        crate::hash::hex(archive_hash)
    )
}

fn fail(msg: impl Into<String>) -> Error {
    Error::Integrity(msg.into())
}
