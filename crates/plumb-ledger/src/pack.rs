//! Evidence packs: one tar file an auditor can verify with no database and no network.
//!
//! Members, in order: `INDEX.md` (for people), `checkpoint` (signed note), `keys/*.pub`,
//! `entries/<index>.json` (the exact leaf data), `proofs/<index>.tlog-proof` (inclusion receipts
//! to that checkpoint), `blobs/sha256/<hex>`, `manifest.json` (what is inside, with the SHA-256
//! of every member), and last `SIGNATURE`: a signed note by the log key over the SHA-256 of all
//! archive bytes before it. The archive is written deterministically (fixed modes, owners and
//! times), so the verifier can rebuild the trailing bytes exactly: no byte of the file is
//! outside what the signature or that reconstruction covers.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};
use std::path::{Component, Path};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::entry::{LogEntry, format_time};
use crate::error::{Error, Result};
use crate::hash::{hex, parse_hash_hex, sha256, sha256_ref};
use crate::keys::PublicKey;
use crate::ledger::{Ledger, write_file};
use crate::merkle::{leaf_hash, verify_inclusion};
use crate::note;
use crate::receipt::Receipt;
use crate::store::Query;

const FORMAT: &str = "plumb-evidence-pack";
const VERSION: u32 = 1;
const SIGNATURE_MEMBER: &str = "SIGNATURE";
const SIGNATURE_HEADER: &str = "plumb-evidence-pack/v1";
/// Largest pack `verify_pack` reads.
pub const MAX_PACK_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Most members a pack may have.
const MAX_MEMBERS: usize = 1_000_000;

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

/// One tar member, encoded deterministically (header, data, padding).
fn member(path: &str, data: &[u8]) -> Result<Vec<u8>> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)
        .map_err(|e| Error::State(format!("pack member {path}: {e}")))?;
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut out = Vec::with_capacity(512 + data.len() + 512);
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    Ok(out)
}

fn describe(q: &Query) -> String {
    let mut parts = Vec::new();
    let fields = [
        ("subject", &q.subject),
        ("system", &q.system),
        ("predicate type", &q.predicate_type),
        ("run", &q.run),
        ("since", &q.since),
        ("until", &q.until),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            parts.push(format!("{k} {v}"));
        }
    }
    if let Some(list) = &q.systems_in {
        parts.push(format!("systems {}", list.join(", ")));
    }
    if parts.is_empty() {
        "all entries".into()
    } else {
        parts.join(", ")
    }
}

fn member_name(kind: &str, index: u64, ext: &str) -> String {
    format!("{kind}/{index:012}.{ext}")
}

impl Ledger {
    /// Writes an evidence pack with the entries matching `q` to `out`. The file appears whole
    /// or not at all.
    pub fn export(&mut self, q: &Query, out: &Path, now: DateTime<Utc>) -> Result<PackSummary> {
        let mut q = q.clone();
        q.limit = None;
        let indexes = self.query(&q)?;
        if indexes.is_empty() {
            return Err(Error::NotFound(format!(
                "no entries match the selection ({})",
                describe(&q)
            )));
        }
        self.checkpoint(now)?;
        let (stored_cp, cp) = self
            .latest_checkpoint()?
            .expect("a checkpoint was just ensured");
        let origin = self.config().origin.clone();
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut entries = Vec::new();
        let mut blob_digests = BTreeSet::new();
        let mut signer_keys: BTreeSet<String> = BTreeSet::new();
        let mut index_md = format!(
            "# Evidence pack\n\nLog `{origin}`, checkpoint at tree size {}, root hash `{}`.\n\
             Created {}. Selection: {}.\n\n\
             Verify it with no network: `plumb verify-pack <this file> --trusted-key <log public key>`.\n\n\
             | index | time | system | predicate type | subjects |\n|---|---|---|---|---|\n",
            cp.size,
            hex(&cp.root),
            format_time(now),
            describe(&q)
        );
        let trusted = self.trusted_keys().to_vec();
        for &i in indexes.iter().filter(|&&i| i < cp.size) {
            let stored = self.entry(i)?;
            let parsed = LogEntry::parse(&stored.bytes)?;
            for k in parsed.envelope.verify(&trusted)? {
                signer_keys.insert(k.to_text());
            }
            for b in &parsed.blobs {
                blob_digests.insert(b.digest.clone());
            }
            let subjects: Vec<String> = self
                .subjects(i)?
                .into_iter()
                .map(|(a, v)| format!("{a}:{v}"))
                .collect();
            index_md.push_str(&format!(
                "| {i} | {} | {} | {} | {} |\n",
                parsed.time,
                parsed.system.as_deref().unwrap_or("-"),
                stored.predicate_type,
                subjects.join(", ")
            ));
            let proof = Receipt {
                index: i,
                proof: self.inclusion_proof(i, cp.size)?,
                checkpoint: stored_cp.note.clone(),
            };
            let (file, proof_file) = (
                member_name("entries", i, "json"),
                member_name("proofs", i, "tlog-proof"),
            );
            entries.push(PackEntry {
                index: i,
                leaf_hash: hex(&leaf_hash(&stored.bytes)),
                file: file.clone(),
                proof: proof_file.clone(),
                predicate_type: stored.predicate_type,
                system: stored.system,
                time: stored.time,
            });
            files.push((file, stored.bytes));
            files.push((proof_file, proof.to_text().into_bytes()));
        }
        let mut blobs = Vec::new();
        for d in &blob_digests {
            let data = self.blobs().get(d)?;
            let file = format!("blobs/sha256/{}", d.trim_start_matches("sha256:"));
            blobs.push(PackBlob {
                digest: d.clone(),
                file: file.clone(),
            });
            files.push((file, data));
        }
        let mut head: Vec<(String, Vec<u8>)> = vec![
            ("INDEX.md".into(), index_md.into_bytes()),
            ("checkpoint".into(), stored_cp.note.clone().into_bytes()),
            (
                "keys/log.pub".into(),
                format!("{}\n", self.public_key().to_text()).into_bytes(),
            ),
        ];
        for (n, k) in signer_keys.iter().enumerate() {
            head.push((
                format!("keys/signer-{n}.pub"),
                format!("{k}\n").into_bytes(),
            ));
        }
        head.append(&mut files);
        let manifest = Manifest {
            format: FORMAT.into(),
            version: VERSION,
            origin: origin.clone(),
            created: format_time(now),
            selection: describe(&q),
            checkpoint_size: cp.size,
            files: head
                .iter()
                .map(|(p, d)| (p.clone(), sha256_ref(&sha256(d))))
                .collect(),
            entries,
            blobs,
        };
        head.push((
            "manifest.json".into(),
            serde_json::to_vec_pretty(&manifest).expect("manifest serialises"),
        ));
        let mut archive = Vec::new();
        for (p, d) in &head {
            archive.extend(member(p, d)?);
        }
        let body = format!("{SIGNATURE_HEADER}\n{origin}\n{}\n", hex(&sha256(&archive)));
        archive.extend(member(
            SIGNATURE_MEMBER,
            note::sign(&body, self.signing_key()).as_bytes(),
        )?);
        archive.extend_from_slice(&[0u8; 1024]);

        let tmp = out.with_extension(format!("partial-{}", std::process::id()));
        write_file(&tmp, &archive)?;
        std::fs::rename(&tmp, out).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(out, e)
        })?;
        Ok(PackSummary {
            entries: manifest.entries.len(),
            blobs: manifest.blobs.len(),
            checkpoint_size: cp.size,
            bytes: archive.len() as u64,
        })
    }
}

fn fail(msg: impl Into<String>) -> Error {
    Error::Integrity(msg.into())
}

/// Verifies an evidence pack with only the trusted log key(s): no database, no network.
/// Any changed byte anywhere in the file makes it fail, with the reason.
pub fn verify_pack(bytes: &[u8], trusted_log_keys: &[PublicKey]) -> Result<PackReport> {
    if bytes.len() as u64 > MAX_PACK_BYTES {
        return Err(fail(format!(
            "pack is {} bytes, over the {MAX_PACK_BYTES}-byte limit",
            bytes.len()
        )));
    }
    // Read every member strictly: regular files, relative paths, no duplicates.
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut signature_at: Option<u64> = None;
    let mut archive = tar::Archive::new(Cursor::new(bytes));
    let entries = archive
        .entries()
        .map_err(|e| fail(format!("pack is not a readable tar archive: {e}")))?;
    for item in entries {
        let mut item =
            item.map_err(|e| fail(format!("pack is not a readable tar archive: {e}")))?;
        if members.len() >= MAX_MEMBERS {
            return Err(fail("pack has too many members"));
        }
        if item.header().entry_type() != tar::EntryType::Regular {
            return Err(fail("pack contains something other than regular files"));
        }
        let path = item
            .path()
            .map_err(|e| fail(format!("member name is not valid: {e}")))?
            .into_owned();
        if path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(fail(format!(
                "member {} has an unsafe path",
                path.display()
            )));
        }
        let name = path.to_string_lossy().into_owned();
        if signature_at.is_some() {
            return Err(fail(format!(
                "member {name} comes after SIGNATURE: it was added to the pack"
            )));
        }
        let position = item.raw_header_position();
        let mut data = Vec::new();
        item.read_to_end(&mut data)
            .map_err(|e| fail(format!("member {name} is truncated: {e}")))?;
        if name == SIGNATURE_MEMBER {
            signature_at = Some(position);
        }
        if members.insert(name.clone(), data).is_some() {
            return Err(fail(format!("member {name} appears twice")));
        }
        order.push(name);
    }
    let sig_pos = signature_at
        .ok_or_else(|| fail("pack has no SIGNATURE: it is incomplete or not an evidence pack"))?
        as usize;
    let get = |name: &str| {
        members
            .get(name)
            .ok_or_else(|| fail(format!("pack has no {name}")))
    };

    let manifest: Manifest = serde_json::from_slice(get("manifest.json")?)
        .map_err(|e| fail(format!("manifest.json does not parse: {e}")))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(fail(format!(
            "manifest says {} version {}; this plumb verifies {FORMAT} version {VERSION}",
            manifest.format, manifest.version
        )));
    }
    for name in &order {
        if name == "manifest.json" || name == SIGNATURE_MEMBER {
            continue;
        }
        let want = manifest.files.get(name).ok_or_else(|| {
            fail(format!(
                "member {name} is not listed in the manifest: it was added"
            ))
        })?;
        if &sha256_ref(&sha256(&members[name])) != want {
            return Err(fail(format!(
                "member {name} does not match its digest in the manifest: it was modified"
            )));
        }
    }
    for name in manifest.files.keys() {
        if !members.contains_key(name) {
            return Err(fail(format!(
                "member {name} listed in the manifest is missing"
            )));
        }
    }

    let note_text =
        std::str::from_utf8(get("checkpoint")?).map_err(|_| fail("checkpoint is not UTF-8"))?;
    let (cp, _) = Checkpoint::open(note_text, trusted_log_keys).map_err(|e| {
        fail(format!(
            "checkpoint does not verify with the trusted key: {e}"
        ))
    })?;
    if cp.origin != manifest.origin || cp.size != manifest.checkpoint_size {
        return Err(fail(
            "the manifest's origin or checkpoint size differs from the signed checkpoint",
        ));
    }

    // Signer keys shipped in the pack: used to say who signed each envelope. Their authenticity
    // comes from the pack signature and from the log having checked them on ingest.
    let mut signer_keys = Vec::new();
    for (name, data) in members.iter().filter(|(n, _)| n.starts_with("keys/")) {
        let text = std::str::from_utf8(data).map_err(|_| fail(format!("{name} is not UTF-8")))?;
        signer_keys.push(PublicKey::parse(text).map_err(|e| fail(format!("{name}: {e}")))?);
    }

    let mut verified = Vec::new();
    for e in &manifest.entries {
        let data = get(&e.file)?;
        let lh = leaf_hash(data);
        if parse_hash_hex(&e.leaf_hash).ok() != Some(lh) {
            return Err(fail(format!(
                "entry {}: {} does not hash to the manifest's leaf hash",
                e.index, e.file
            )));
        }
        let receipt_text = std::str::from_utf8(get(&e.proof)?)
            .map_err(|_| fail(format!("{} is not UTF-8", e.proof)))?;
        let receipt = Receipt::parse(receipt_text)
            .map_err(|err| fail(format!("entry {}: {err}", e.index)))?;
        if receipt.index != e.index || receipt.checkpoint != note_text {
            return Err(fail(format!(
                "entry {}: its receipt is for another index or checkpoint",
                e.index
            )));
        }
        verify_inclusion(e.index, cp.size, &lh, &receipt.proof, &cp.root).map_err(|err| {
            fail(format!(
                "entry {} is not proven to be in the log: {err}",
                e.index
            ))
        })?;
        let parsed =
            LogEntry::parse(data).map_err(|err| fail(format!("entry {}: {err}", e.index)))?;
        let st = parsed
            .statement()
            .map_err(|err| fail(format!("entry {}: {err}", e.index)))?;
        let signers = parsed
            .envelope
            .verify(&signer_keys)
            .map_err(|err| fail(format!("entry {}: envelope {err}", e.index)))?
            .into_iter()
            .map(|k| k.name.clone())
            .collect();
        for b in &parsed.blobs {
            let file = format!("blobs/sha256/{}", b.digest.trim_start_matches("sha256:"));
            let blob = get(&file).map_err(|_| {
                fail(format!(
                    "entry {}: attached blob {} is missing",
                    e.index, b.name
                ))
            })?;
            if sha256_ref(&sha256(blob)) != b.digest {
                return Err(fail(format!(
                    "entry {}: attached blob {} does not match its digest",
                    e.index, b.name
                )));
            }
        }
        verified.push(VerifiedEntry {
            index: e.index,
            predicate_type: st.predicate_type,
            system: parsed.system,
            time: parsed.time,
            subjects: st
                .subject
                .iter()
                .flat_map(|s| s.digest.iter().map(|(a, v)| format!("{a}:{v}")))
                .collect(),
            signers,
        });
    }

    // Finally the whole file: the signature over every byte before it, and the exact bytes after.
    let sig_text =
        std::str::from_utf8(get(SIGNATURE_MEMBER)?).map_err(|_| fail("SIGNATURE is not UTF-8"))?;
    let (body, _) = note::open(sig_text, trusted_log_keys, "pack signature").map_err(|e| {
        fail(format!(
            "the pack signature does not verify with the trusted key: {e}"
        ))
    })?;
    let want = format!(
        "{SIGNATURE_HEADER}\n{}\n{}\n",
        manifest.origin,
        hex(&sha256(&bytes[..sig_pos]))
    );
    if body != want {
        return Err(fail(
            "the pack signature does not cover these bytes: the archive was modified after export",
        ));
    }
    let mut trailer = member(SIGNATURE_MEMBER, sig_text.as_bytes())?;
    trailer.extend_from_slice(&[0u8; 1024]);
    if bytes[sig_pos..] != trailer[..] {
        return Err(fail(
            "bytes after the pack signature were modified or appended",
        ));
    }
    Ok(PackReport {
        origin: manifest.origin,
        checkpoint_size: cp.size,
        root_hash: hex(&cp.root),
        created: manifest.created,
        blobs: manifest.blobs.len(),
        entries: verified,
    })
}
