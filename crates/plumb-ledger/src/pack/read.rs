//! Verifying a pack from a seekable reader. One pass over the archive hashes every member and
//! keeps only the small ones the checks need (manifest, checkpoint, keys, signature); entries
//! and receipts are then read back one at a time by position, and a last pass hashes the bytes
//! the signature covers. Memory is bounded by the manifest, never by the pack.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Component;

use sha2::{Digest, Sha256};

use super::{
    Cosignature, FORMAT, MAX_HELD_MEMBER_BYTES, MAX_MANIFEST_BYTES, MAX_MEMBERS, MAX_PACK_BYTES,
    Manifest, PackReport, SIGNATURE_MEMBER, VERSION, VerifiedEntry, fail, signed_body, trailer,
};
use crate::checkpoint::Checkpoint;
use crate::cosigners::WitnessPolicy;
use crate::entry::LogEntry;
use crate::error::Result;
use crate::hash::{Hash, hex, parse_hash_hex, sha256_ref};
use crate::keys::PublicKey;
use crate::merkle::{leaf_hash, verify_inclusion};
use crate::note;
use crate::receipt::Receipt;

/// Where one member's data is, and its digest.
struct Place {
    offset: u64,
    size: u64,
    digest: Hash,
}

/// What the pass over the archive found.
struct Scan {
    /// Member names in archive order.
    order: Vec<String>,
    places: BTreeMap<String, Place>,
    /// The members kept in memory, by name.
    held: BTreeMap<String, Vec<u8>>,
    /// Offset of the `SIGNATURE` member's header.
    signature_at: u64,
}

/// Whether a member is small and needed whole by the checks.
fn held(name: &str) -> bool {
    name == "manifest.json"
        || name == "checkpoint"
        || name == SIGNATURE_MEMBER
        || name.starts_with("keys/")
}

/// Verifies an evidence pack held in memory; see [`verify_pack_from`].
pub fn verify_pack(bytes: &[u8], trusted_log_keys: &[PublicKey]) -> Result<PackReport> {
    verify_pack_from(Cursor::new(bytes), trusted_log_keys)
}

/// Verifies an evidence pack with only the trusted log key(s): no database, no network.
/// Any changed byte anywhere in the file makes it fail, with the reason. Reads from `r`
/// (a file, typically) without holding the pack in memory.
pub fn verify_pack_from<R: Read + Seek>(
    r: R,
    trusted_log_keys: &[PublicKey],
) -> Result<PackReport> {
    verify(
        r,
        trusted_log_keys,
        &WitnessPolicy::default(),
        None,
        &mut |_, _| {},
    )
}

/// Verifies a pack like [`verify_pack_from`] and also demands that its checkpoint carries the
/// cosignatures `witnesses` asks for: a pack whose checkpoint the witnesses did not see (a
/// fork shown only to this verifier) fails.
pub fn verify_pack_witnessed<R: Read + Seek>(
    r: R,
    trusted_log_keys: &[PublicKey],
    witnesses: &WitnessPolicy,
) -> Result<PackReport> {
    verify(r, trusted_log_keys, witnesses, None, &mut |_, _| {})
}

/// [`verify_pack_witnessed`], telling `progress` how many of the pack's entries are verified
/// and how many there are, for a progress bar.
pub fn verify_pack_with_progress<R: Read + Seek>(
    r: R,
    trusted_log_keys: &[PublicKey],
    witnesses: &WitnessPolicy,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PackReport> {
    verify(r, trusted_log_keys, witnesses, None, progress)
}

/// Verifies a pack like [`verify_pack_from`] and also returns its entries, parsed, in log
/// order: what an auditor computes from (for example the delivery measures, offline). The
/// entries are returned only when the whole pack verifies.
pub fn read_verified_entries<R: Read + Seek>(
    r: R,
    trusted_log_keys: &[PublicKey],
) -> Result<(PackReport, Vec<(u64, LogEntry)>)> {
    let mut entries = Vec::new();
    let report = verify(
        r,
        trusted_log_keys,
        &WitnessPolicy::default(),
        Some(&mut entries),
        &mut |_, _| {},
    )?;
    Ok((report, entries))
}

fn verify<R: Read + Seek>(
    mut r: R,
    trusted_log_keys: &[PublicKey],
    witnesses: &WitnessPolicy,
    mut keep: Option<&mut Vec<(u64, LogEntry)>>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PackReport> {
    let len = r
        .seek(SeekFrom::End(0))
        .map_err(|e| fail(format!("pack cannot be read: {e}")))?;
    if len > MAX_PACK_BYTES {
        return Err(fail(format!(
            "pack is {len} bytes, over the {MAX_PACK_BYTES}-byte limit"
        )));
    }
    rewind(&mut r, 0)?;
    let scan = scan(&mut r)?;
    let manifest = check_manifest(&scan)?;
    let note_text = utf8(get(&scan, "checkpoint")?, "checkpoint")?;
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
    let cosigned_by = witnesses
        .check(note_text)?
        .into_iter()
        .map(|(witness, time)| Cosignature { witness, time })
        .collect();
    // Signer keys shipped in the pack: used to say who signed each envelope. Their authenticity
    // comes from the pack signature and from the log having checked them on ingest.
    let mut signer_keys = Vec::new();
    for (name, data) in scan.held.iter().filter(|(n, _)| n.starts_with("keys/")) {
        let text = utf8(data, name)?;
        signer_keys.push(PublicKey::parse(text).map_err(|e| fail(format!("{name}: {e}")))?);
    }
    let mut entries = Vec::with_capacity(manifest.entries.len());
    let total = manifest.entries.len() as u64;
    for (n, e) in manifest.entries.iter().enumerate() {
        let (verified, entry) = verify_entry(&mut r, &scan, e, note_text, &cp, &signer_keys)?;
        progress(n as u64 + 1, total);
        entries.push(verified);
        // Held only when asked for; the caller gets them only if the whole pack verifies.
        if let Some(k) = keep.as_mut() {
            k.push((e.index, entry));
        }
    }
    check_signature(&mut r, &scan, &manifest.origin, trusted_log_keys)?;
    Ok(PackReport {
        origin: manifest.origin,
        checkpoint_size: cp.size,
        root_hash: hex(&cp.root),
        created: manifest.created,
        blobs: manifest.blobs.len(),
        entries,
        cosigned_by,
    })
}

fn rewind<R: Seek>(r: &mut R, at: u64) -> Result<()> {
    r.seek(SeekFrom::Start(at))
        .map(|_| ())
        .map_err(|e| fail(format!("pack cannot be read: {e}")))
}

fn utf8<'a>(data: &'a [u8], name: &str) -> Result<&'a str> {
    std::str::from_utf8(data).map_err(|_| fail(format!("{name} is not UTF-8")))
}

fn get<'a>(scan: &'a Scan, name: &str) -> Result<&'a [u8]> {
    scan.held
        .get(name)
        .map(Vec::as_slice)
        .ok_or_else(|| fail(format!("pack has no {name}")))
}

/// Reads every member strictly (regular files, relative paths, no duplicates, nothing after
/// `SIGNATURE`), hashing each and keeping the small ones the checks need.
fn scan<R: Read>(r: &mut R) -> Result<Scan> {
    let mut s = Scan {
        order: Vec::new(),
        places: BTreeMap::new(),
        held: BTreeMap::new(),
        signature_at: 0,
    };
    let mut signature_at = None;
    let mut archive = tar::Archive::new(r);
    let entries = archive
        .entries()
        .map_err(|e| fail(format!("pack is not a readable tar archive: {e}")))?;
    for item in entries {
        let mut item =
            item.map_err(|e| fail(format!("pack is not a readable tar archive: {e}")))?;
        if s.order.len() >= MAX_MEMBERS {
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
        if s.places.contains_key(&name) {
            return Err(fail(format!("member {name} appears twice")));
        }
        let size = item.size();
        let cap = match name.as_str() {
            "manifest.json" => MAX_MANIFEST_BYTES,
            _ if held(&name) => MAX_HELD_MEMBER_BYTES,
            _ => u64::MAX,
        };
        if size > cap {
            return Err(fail(format!(
                "member {name} is {size} bytes, over the {cap}-byte limit for it"
            )));
        }
        let place = Place {
            offset: item.raw_file_position(),
            size,
            digest: [0; 32],
        };
        if name == SIGNATURE_MEMBER {
            signature_at = Some(item.raw_header_position());
        }
        let digest = if held(&name) {
            let mut data = Vec::new();
            item.read_to_end(&mut data)
                .map_err(|e| fail(format!("member {name} is truncated: {e}")))?;
            let d: Hash = Sha256::digest(&data).into();
            s.held.insert(name.clone(), data);
            d
        } else {
            let mut h = Sha256::new();
            std::io::copy(&mut item, &mut h)
                .map_err(|e| fail(format!("member {name} is truncated: {e}")))?;
            h.finalize().into()
        };
        s.places.insert(name.clone(), Place { digest, ..place });
        s.order.push(name);
    }
    s.signature_at = signature_at
        .ok_or_else(|| fail("pack has no SIGNATURE: it is incomplete or not an evidence pack"))?;
    Ok(s)
}

/// Parses the manifest and checks it lists exactly the members there are, with their digests.
fn check_manifest(scan: &Scan) -> Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(get(scan, "manifest.json")?)
        .map_err(|e| fail(format!("manifest.json does not parse: {e}")))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(fail(format!(
            "manifest says {} version {}; this plumb verifies {FORMAT} version {VERSION}",
            manifest.format, manifest.version
        )));
    }
    for name in &scan.order {
        if name == "manifest.json" || name == SIGNATURE_MEMBER {
            continue;
        }
        let want = manifest.files.get(name).ok_or_else(|| {
            fail(format!(
                "member {name} is not listed in the manifest: it was added"
            ))
        })?;
        let got = scan.places.get(name).map(|p| sha256_ref(&p.digest));
        if got.as_ref() != Some(want) {
            return Err(fail(format!(
                "member {name} does not match its digest in the manifest: it was modified"
            )));
        }
    }
    for name in manifest.files.keys() {
        if !scan.places.contains_key(name) {
            return Err(fail(format!(
                "member {name} listed in the manifest is missing"
            )));
        }
    }
    Ok(manifest)
}

/// Reads one member back by position; only entries and receipts, which are capped.
fn read_member<R: Read + Seek>(r: &mut R, scan: &Scan, name: &str) -> Result<Vec<u8>> {
    let place = scan
        .places
        .get(name)
        .ok_or_else(|| fail(format!("pack has no {name}")))?;
    if place.size > MAX_HELD_MEMBER_BYTES {
        return Err(fail(format!(
            "member {name} is {} bytes, over the {MAX_HELD_MEMBER_BYTES}-byte limit for it",
            place.size
        )));
    }
    rewind(r, place.offset)?;
    let mut data = Vec::new();
    Read::by_ref(r)
        .take(place.size)
        .read_to_end(&mut data)
        .map_err(|e| fail(format!("member {name} is truncated: {e}")))?;
    // The scan hashed these bytes; reading them again must give the same ones.
    let digest: Hash = Sha256::digest(&data).into();
    if digest != place.digest {
        return Err(fail(format!("member {name} changed while it was verified")));
    }
    Ok(data)
}

/// Checks one listed entry: its leaf hash, its receipt against the checkpoint, its envelope's
/// signers and its attached blobs.
fn verify_entry<R: Read + Seek>(
    r: &mut R,
    scan: &Scan,
    e: &super::PackEntry,
    note_text: &str,
    cp: &Checkpoint,
    signer_keys: &[PublicKey],
) -> Result<(VerifiedEntry, LogEntry)> {
    let data = read_member(r, scan, &e.file)?;
    let lh = leaf_hash(&data);
    if parse_hash_hex(&e.leaf_hash).ok() != Some(lh) {
        return Err(fail(format!(
            "entry {}: {} does not hash to the manifest's leaf hash",
            e.index, e.file
        )));
    }
    let receipt_bytes = read_member(r, scan, &e.proof)?;
    let receipt = Receipt::parse(utf8(&receipt_bytes, &e.proof)?)
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
    let parsed = LogEntry::parse(&data).map_err(|err| fail(format!("entry {}: {err}", e.index)))?;
    let st = parsed
        .statement()
        .map_err(|err| fail(format!("entry {}: {err}", e.index)))?;
    let signers = parsed
        .envelope
        .verify(signer_keys)
        .map_err(|err| fail(format!("entry {}: envelope {err}", e.index)))?
        .into_iter()
        .map(|k| k.name.clone())
        .collect();
    for b in &parsed.blobs {
        let file = format!("blobs/sha256/{}", b.digest.trim_start_matches("sha256:"));
        let place = scan.places.get(&file).ok_or_else(|| {
            fail(format!(
                "entry {}: attached blob {} is missing",
                e.index, b.name
            ))
        })?;
        if sha256_ref(&place.digest) != b.digest {
            return Err(fail(format!(
                "entry {}: attached blob {} does not match its digest",
                e.index, b.name
            )));
        }
    }
    Ok((
        VerifiedEntry {
            index: e.index,
            predicate_type: st.predicate_type,
            system: parsed.system.clone(),
            time: parsed.time.clone(),
            subjects: st
                .subject
                .iter()
                .flat_map(|s| s.digest.iter().map(|(a, v)| format!("{a}:{v}")))
                .collect(),
            signers,
        },
        parsed,
    ))
}

/// The whole file: the signature over every byte before `SIGNATURE`, and exactly the expected
/// bytes after it.
fn check_signature<R: Read + Seek>(
    r: &mut R,
    scan: &Scan,
    origin: &str,
    trusted_log_keys: &[PublicKey],
) -> Result<()> {
    let sig_text = utf8(get(scan, SIGNATURE_MEMBER)?, SIGNATURE_MEMBER)?;
    let (body, _) = note::open(sig_text, trusted_log_keys, "pack signature").map_err(|e| {
        fail(format!(
            "the pack signature does not verify with the trusted key: {e}"
        ))
    })?;
    rewind(r, 0)?;
    let mut h = Sha256::new();
    let copied = std::io::copy(&mut Read::by_ref(r).take(scan.signature_at), &mut h)
        .map_err(|e| fail(format!("pack cannot be read: {e}")))?;
    if copied != scan.signature_at {
        return Err(fail("pack is shorter than its members say"));
    }
    let archive_hash: Hash = h.finalize().into();
    if body != signed_body(origin, &archive_hash) {
        return Err(fail(
            "the pack signature does not cover these bytes: the archive was modified after export",
        ));
    }
    let want = trailer(sig_text)?;
    let mut tail = Vec::with_capacity(want.len() + 1);
    // One byte more than expected, to see anything appended.
    Read::by_ref(r)
        .take(want.len() as u64 + 1)
        .read_to_end(&mut tail)
        .map_err(|e| fail(format!("pack cannot be read: {e}")))?;
    if tail != want {
        return Err(fail(
            "bytes after the pack signature were modified or appended",
        ));
    }
    Ok(())
}
