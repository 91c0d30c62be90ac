//! Writing a pack: members go to the file as they are produced, so memory holds one entry at a
//! time plus the per-entry table of contents, never the archive; blobs are streamed from the
//! blob store in chunks (from S3, one blob is held: see `BlobStore::open_blob`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{
    FORMAT, Manifest, PackBlob, PackEntry, PackSummary, VERSION, member_header, padding,
    signed_body, trailer,
};
use crate::blobs::BlobRead;
use crate::entry::{LogEntry, format_time};
use crate::error::{Error, Result};
use crate::hash::{hex, sha256, sha256_ref};
use crate::ledger::Ledger;
use crate::merkle::leaf_hash;
use crate::note;
use crate::receipt::Receipt;
use crate::store::{Query, StoredCheckpoint};

/// A tar archive being written: every byte goes through the running SHA-256 the pack signature
/// signs, and every member's own digest is kept for the manifest.
struct ArchiveWriter {
    out: BufWriter<File>,
    path: PathBuf,
    archive: Sha256,
    bytes: u64,
    limit: u64,
    files: BTreeMap<String, String>,
}

impl ArchiveWriter {
    fn create(path: &Path, limit: u64) -> Result<Self> {
        let f = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(ArchiveWriter {
            out: BufWriter::with_capacity(64 * 1024, f),
            path: path.to_path_buf(),
            archive: Sha256::new(),
            bytes: 0,
            limit,
            files: BTreeMap::new(),
        })
    }

    /// Writes bytes that the pack signature covers.
    fn raw(&mut self, data: &[u8]) -> Result<()> {
        // The trailer after the signed bytes is under 2 KiB for any signing key.
        let size = self.bytes + data.len() as u64 + 2048;
        if size > self.limit {
            return Err(Error::TooLarge {
                what: "the evidence pack for this selection (narrow it by system, predicate type or time)".into(),
                size,
                limit: self.limit,
            });
        }
        self.archive.update(data);
        self.bytes += data.len() as u64;
        self.out
            .write_all(data)
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Writes one member; `listed` members get their digest in the manifest.
    fn member(&mut self, name: &str, data: &[u8], listed: bool) -> Result<()> {
        let size = data.len() as u64;
        self.raw(member_header(name, size)?.as_bytes())?;
        self.raw(data)?;
        self.raw(&vec![0u8; padding(size)])?;
        if listed {
            self.files
                .insert(name.to_string(), sha256_ref(&sha256(data)));
        }
        Ok(())
    }

    /// Writes one listed member streamed from the blob store: the blob is never held whole,
    /// and its digest (checked by [`BlobRead::copy_to`] as it is copied) is its manifest entry.
    fn member_blob(&mut self, name: &str, blob: BlobRead) -> Result<()> {
        let size = blob.size();
        self.raw(member_header(name, size)?.as_bytes())?;
        let digest = blob.copy_to(&mut |chunk| self.raw(chunk))?;
        self.raw(&vec![0u8; padding(size)])?;
        self.files.insert(name.to_string(), sha256_ref(&digest));
        Ok(())
    }

    /// Signs everything written so far, appends the trailer, and syncs the file.
    fn finish(mut self, signature_note: impl FnOnce(&[u8; 32]) -> String) -> Result<u64> {
        let hash: [u8; 32] = self.archive.clone().finalize().into();
        let tail = trailer(&signature_note(&hash))?;
        self.out
            .write_all(&tail)
            .map_err(|e| Error::io(&self.path, e))?;
        let f = self
            .out
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        f.sync_all().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.bytes + tail.len() as u64)
    }
}

/// Steps done out of a total, reported as they happen.
struct Steps<'a> {
    done: u64,
    total: u64,
    report: &'a mut dyn FnMut(u64, u64),
}

impl Steps<'_> {
    fn step(&mut self) {
        self.done += 1;
        (self.report)(self.done, self.total);
    }
}

/// What the first pass over the selected entries learns: the table of contents, who signed,
/// which blobs are attached. Entry bytes are not kept; the second pass reads them again.
struct Survey {
    /// The signed checkpoint every receipt leads to, and its size.
    checkpoint_note: String,
    checkpoint_size: u64,
    index_md: String,
    entries: Vec<PackEntry>,
    blobs: BTreeSet<String>,
    signer_keys: BTreeSet<String>,
}

pub(super) fn describe(q: &Query) -> String {
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

fn blob_member(digest: &str) -> String {
    format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))
}

impl Ledger {
    /// Writes an evidence pack with the entries matching `q` to `out`. The file appears whole
    /// or not at all, and is written as it is produced (memory holds one entry at a time;
    /// blobs are streamed). A pack is at most [`super::MAX_PACK_BYTES`], the most `verify-pack` reads.
    pub fn export(&mut self, q: &Query, out: &Path, now: DateTime<Utc>) -> Result<PackSummary> {
        self.export_within(q, out, now, super::MAX_PACK_BYTES)
    }

    /// [`Ledger::export`] with a smaller size cap: past `limit` bytes the export stops with
    /// [`Error::TooLarge`] and leaves no file.
    pub fn export_within(
        &mut self,
        q: &Query,
        out: &Path,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<PackSummary> {
        self.export_with_progress(q, out, now, limit, &mut |_, _| {})
    }

    /// [`Ledger::export_within`], telling `progress` how many of the steps are done and how
    /// many there are (each selected entry read twice, once to survey and once to write, and
    /// each blob written), for a progress bar.
    pub fn export_with_progress(
        &mut self,
        q: &Query,
        out: &Path,
        now: DateTime<Utc>,
        limit: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<PackSummary> {
        self.export_pack(q, out, now, limit, None, progress)
    }

    /// [`Ledger::export_within`] with the given stored checkpoint instead of one signed now:
    /// the pack holds the selected entries it covers, and the checkpoint with the witnesses'
    /// cosignatures stored for it. A server whose witnesses are asked outside its ledger's lock
    /// picks one they cosigned, never one they were not asked about.
    pub fn export_at(
        &mut self,
        q: &Query,
        out: &Path,
        now: DateTime<Utc>,
        limit: u64,
        checkpoint: StoredCheckpoint,
    ) -> Result<PackSummary> {
        self.export_pack(q, out, now, limit, Some(checkpoint), &mut |_, _| {})
    }

    fn export_pack(
        &mut self,
        q: &Query,
        out: &Path,
        now: DateTime<Utc>,
        limit: u64,
        checkpoint: Option<StoredCheckpoint>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<PackSummary> {
        let mut q = q.clone();
        q.limit = None;
        let indexes = self.query(&q)?;
        if indexes.is_empty() {
            return Err(Error::NotFound(format!(
                "no entries match the selection ({})",
                describe(&q)
            )));
        }
        let (stored_cp, cp) = match checkpoint {
            Some(given) => self.published(given)?,
            None => {
                self.checkpoint(now)?;
                self.latest_checkpoint()?
                    .ok_or_else(|| Error::State("no checkpoint after one was made".into()))?
            }
        };
        let selected: Vec<u64> = indexes.into_iter().filter(|&i| i < cp.size).collect();
        if selected.is_empty() {
            return Err(Error::NotFound(format!(
                "no entry of the selection ({}) is covered by the checkpoint at tree size {} yet",
                describe(&q),
                cp.size
            )));
        }
        let index_md = format!(
            "# Evidence pack\n\nLog `{}`, checkpoint at tree size {}, root hash `{}`.\n\
             Created {}. Selection: {}.\n\n\
             Verify it with no network: `plumb verify-pack <this file> --trusted-key <log public key>`.\n\n\
             | index | time | system | predicate type | subjects |\n|---|---|---|---|---|\n",
            self.config().origin,
            cp.size,
            hex(&cp.root),
            format_time(now),
            describe(&q)
        );
        let mut steps = Steps {
            done: 0,
            total: 2 * selected.len() as u64,
            report: progress,
        };
        let mut survey = self.survey(&selected, index_md, &mut steps)?;
        steps.total += survey.blobs.len() as u64;
        survey.checkpoint_note = stored_cp.note;
        survey.checkpoint_size = cp.size;

        let tmp = out.with_extension(format!("partial-{}", std::process::id()));
        let written = self.write_pack(&tmp, limit, &q, now, survey, &mut steps);
        let summary = written.and_then(|s| {
            std::fs::rename(&tmp, out)
                .map_err(|e| Error::io(out, e))
                .map(|_| s)
        });
        if summary.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        summary
    }

    /// First pass: parse each entry once for its row, signers and blobs.
    fn survey(
        &mut self,
        selected: &[u64],
        mut index_md: String,
        steps: &mut Steps<'_>,
    ) -> Result<Survey> {
        let trusted = self.trusted_keys().to_vec();
        let mut s = Survey {
            checkpoint_note: String::new(),
            checkpoint_size: 0,
            index_md: String::new(),
            entries: Vec::with_capacity(selected.len()),
            blobs: BTreeSet::new(),
            signer_keys: BTreeSet::new(),
        };
        for &i in selected {
            steps.step();
            let stored = self.entry(i)?;
            let parsed = LogEntry::parse(&stored.bytes)?;
            for k in parsed.envelope.verify(&trusted)? {
                s.signer_keys.insert(k.to_text());
            }
            for b in &parsed.blobs {
                s.blobs.insert(b.digest.clone());
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
            s.entries.push(PackEntry {
                index: i,
                leaf_hash: hex(&leaf_hash(&stored.bytes)),
                file: member_name("entries", i, "json"),
                proof: member_name("proofs", i, "tlog-proof"),
                predicate_type: stored.predicate_type,
                system: stored.system,
                time: stored.time,
            });
        }
        s.index_md = index_md;
        Ok(s)
    }

    /// Second pass: the members in their fixed order, then the manifest and the signature.
    fn write_pack(
        &mut self,
        tmp: &Path,
        limit: u64,
        q: &Query,
        now: DateTime<Utc>,
        survey: Survey,
        steps: &mut Steps<'_>,
    ) -> Result<PackSummary> {
        let (checkpoint_note, checkpoint_size) =
            (survey.checkpoint_note.as_str(), survey.checkpoint_size);
        let origin = self.config().origin.clone();
        let mut w = ArchiveWriter::create(tmp, limit.min(super::MAX_PACK_BYTES))?;
        w.member("INDEX.md", survey.index_md.as_bytes(), true)?;
        w.member("checkpoint", checkpoint_note.as_bytes(), true)?;
        let log_key = format!("{}\n", self.public_key().to_text());
        w.member("keys/log.pub", log_key.as_bytes(), true)?;
        for (n, k) in survey.signer_keys.iter().enumerate() {
            w.member(
                &format!("keys/signer-{n}.pub"),
                format!("{k}\n").as_bytes(),
                true,
            )?;
        }
        for e in &survey.entries {
            steps.step();
            let stored = self.entry(e.index)?;
            if hex(&leaf_hash(&stored.bytes)) != e.leaf_hash {
                return Err(Error::State(format!(
                    "entry {} changed while the pack was written",
                    e.index
                )));
            }
            let proof = Receipt {
                index: e.index,
                proof: self.inclusion_proof(e.index, checkpoint_size)?,
                checkpoint: checkpoint_note.to_string(),
            };
            w.member(&e.file, &stored.bytes, true)?;
            w.member(&e.proof, proof.to_text().as_bytes(), true)?;
        }
        let mut blobs = Vec::with_capacity(survey.blobs.len());
        for d in &survey.blobs {
            steps.step();
            let file = blob_member(d);
            let blob = self.blobs().open_blob(d)?;
            w.member_blob(&file, blob)?;
            blobs.push(PackBlob {
                digest: d.clone(),
                file,
            });
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            version: VERSION,
            origin: origin.clone(),
            created: format_time(now),
            selection: describe(q),
            checkpoint_size,
            files: std::mem::take(&mut w.files),
            entries: survey.entries,
            blobs,
        };
        let manifest_bytes = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| Error::State(format!("manifest: {e}")))?;
        w.member("manifest.json", &manifest_bytes, false)?;
        let key = self.signing_key();
        let bytes = w.finish(|hash| note::sign(&signed_body(&origin, hash), key))?;
        Ok(PackSummary {
            entries: manifest.entries.len(),
            blobs: manifest.blobs.len(),
            checkpoint_size,
            bytes,
        })
    }
}
