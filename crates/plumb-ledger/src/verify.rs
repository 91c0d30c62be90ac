//! `plumb verify`: recompute the whole tree from the stored entries and check everything the
//! store claims: leaf hashes, stored tree nodes, signed checkpoints, envelope signatures, the
//! index columns queries rely on, and referenced blobs. Database triggers only stop honest
//! mistakes; this is what detects a privileged user who went around them.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::checkpoint::Checkpoint;
use crate::entry::{LogEntry, NewEntry};
use crate::error::Result;
use crate::hash::{Hash, hex, sha256};
use crate::keys::PublicKey;
use crate::ledger::Ledger;
use crate::merkle::{Frontier, NewNode, leaf_hash};
use crate::store::StoredEntry;

/// Most problems listed before verification stops collecting details.
const MAX_PROBLEMS: usize = 1000;
/// Entries checked per parallel chunk.
const CHUNK: usize = 4096;

/// What to check besides the tree.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// Check every envelope signature.
    pub signatures: bool,
    /// Re-hash every referenced blob.
    pub blobs: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            signatures: true,
            blobs: true,
        }
    }
}

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The first entry involved, when there is one.
    pub index: Option<u64>,
    /// What is wrong, in words.
    pub message: String,
}

/// The outcome of a full verification.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// Envelope signatures checked.
    pub signatures_checked: u64,
    /// Distinct blobs re-hashed.
    pub blobs_checked: u64,
    /// Stored tree nodes compared.
    pub nodes_checked: u64,
    /// Problems, ordered by entry index (problems without an entry last).
    pub problems: Vec<Problem>,
    /// Time spent hashing the tree (leaf and node hashes).
    #[serde(serialize_with = "secs")]
    pub hashing: Duration,
    /// Time spent parsing entries and checking signatures.
    #[serde(serialize_with = "secs")]
    pub signatures: Duration,
    /// Wall time of the whole run.
    #[serde(serialize_with = "secs")]
    pub total: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problem with the lowest entry index.
    pub fn first_bad_entry(&self) -> Option<&Problem> {
        self.problems
            .iter()
            .find(|p| p.index.is_some())
            .or(self.problems.first())
    }

    fn add(&mut self, index: Option<u64>, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem { index, message });
        }
    }
}

/// Checks one entry's content against its stored columns and signatures (pure; run in parallel).
fn check_entry(
    e: &StoredEntry,
    trusted: &[PublicKey],
    signatures: bool,
) -> (Vec<String>, Option<LogEntry>, [u8; 8]) {
    let mut out = Vec::new();
    let derived = match NewEntry::from_stored(e.bytes.clone()) {
        Ok(d) => d,
        Err(err) => {
            return (
                vec![format!("does not parse as a log entry: {err}")],
                None,
                [0; 8],
            );
        }
    };
    let parsed = LogEntry::parse(&e.bytes).ok();
    let mismatch = |col: &str, stored: &str, actual: &str| {
        format!(
            "index column {col} says {stored:?} but the signed entry says {actual:?}: the database was edited"
        )
    };
    if derived.predicate_type != e.predicate_type {
        out.push(mismatch(
            "predicate_type",
            &e.predicate_type,
            &derived.predicate_type,
        ));
    }
    if derived.system != e.system {
        out.push(mismatch(
            "system",
            &format!("{:?}", e.system),
            &format!("{:?}", derived.system),
        ));
    }
    if derived.run != e.run {
        out.push(mismatch(
            "run",
            &format!("{:?}", e.run),
            &format!("{:?}", derived.run),
        ));
    }
    if derived.time != e.time {
        out.push(mismatch("time", &e.time, &derived.time));
    }
    if let (true, Some(p)) = (signatures, &parsed)
        && let Err(err) = p.envelope.verify(trusted)
    {
        out.push(format!("envelope {err}"));
    }
    (out, parsed, subjects_fingerprint(derived.subjects))
}

fn subjects_fingerprint(mut subjects: Vec<(String, String)>) -> [u8; 8] {
    subjects.sort();
    let mut buf = Vec::new();
    for (a, v) in subjects {
        buf.extend_from_slice(a.as_bytes());
        buf.push(0);
        buf.extend_from_slice(v.as_bytes());
        buf.push(0);
    }
    sha256(&buf)[..8].try_into().expect("8 bytes")
}

/// What the pass over the entries found, for the later passes.
struct EntryPass {
    /// Roots of the recomputed tree at each checkpoint's size.
    roots: Vec<(u64, Hash)>,
    /// Every tree node recomputed from the entries.
    computed: Vec<NewNode>,
    /// Each entry's subjects, fingerprinted, in log order.
    fingerprints: Vec<[u8; 8]>,
    /// Entries read: later passes ignore rows written since (a live store).
    bound: u64,
}

/// Checks a chunk of entries in parallel (content against index columns, signatures) and
/// their attached blobs once each.
struct ChunkChecker<'a> {
    trusted: &'a [PublicKey],
    opts: VerifyOptions,
    threads: usize,
    blob_store: crate::blobs::BlobStore,
    blobs_seen: HashSet<String>,
}

impl ChunkChecker<'_> {
    fn check(
        &mut self,
        chunk: &mut Vec<StoredEntry>,
        rep: &mut VerifyReport,
        fingerprints: &mut Vec<[u8; 8]>,
    ) {
        let t = Instant::now();
        let per = chunk.len().div_ceil(self.threads).max(1);
        let (trusted, signatures) = (self.trusted, self.opts.signatures);
        let results: Vec<(Vec<String>, Option<LogEntry>, [u8; 8])> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .chunks(per)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|e| check_entry(e, trusted, signatures))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("verification thread"))
                .collect()
        });
        rep.signatures += t.elapsed();
        for (e, (msgs, parsed, fp)) in chunk.iter().zip(results) {
            if signatures && parsed.is_some() {
                rep.signatures_checked += 1;
            }
            for m in msgs {
                rep.add(Some(e.index), format!("entry {}: {m}", e.index));
            }
            fingerprints.push(fp);
            if self.opts.blobs {
                for b in parsed.iter().flat_map(|p| p.blobs.iter()) {
                    if self.blobs_seen.insert(b.digest.clone()) {
                        rep.blobs_checked += 1;
                        if let Err(err) = self.blob_store.check(&b.digest) {
                            rep.add(
                                Some(e.index),
                                format!("entry {}: attached blob {:?}: {err}", e.index, b.name),
                            );
                        }
                    }
                }
            }
        }
        chunk.clear();
    }
}

impl Ledger {
    /// Verifies the whole store. Errors mean verification could not run (database unreachable);
    /// anything wrong with the data is reported in [`VerifyReport::problems`].
    pub fn verify(&mut self, opts: VerifyOptions) -> Result<VerifyReport> {
        self.verify_with_progress(opts, &mut |_| {})
    }

    /// [`Ledger::verify`], telling `progress` how many entries have been checked after each
    /// chunk (a few thousand) and at the end, so a long verification can show how far it is.
    pub fn verify_with_progress(
        &mut self,
        opts: VerifyOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<VerifyReport> {
        let started = Instant::now();
        let mut rep = VerifyReport::default();
        // Checkpoints first: their roots are what the recomputed tree must match.
        let cps = self.verify_checkpoint_notes(&mut rep)?;
        let pass = self.verify_entries(opts, &cps, &mut rep, progress)?;
        // The log may be growing while it is verified (a running server): everything below is
        // checked against the entries read above, and rows written since are left for the next
        // verification.
        self.verify_subjects(&pass, &mut rep)?;
        let EntryPass {
            roots,
            computed,
            bound,
            ..
        } = pass;
        self.verify_nodes(bound, computed, &mut rep)?;
        for cp in &cps {
            match roots.iter().find(|(s, _)| *s == cp.size) {
                Some((_, r)) if *r == cp.root => {}
                Some(_) => rep.add(None, format!(
                    "checkpoint at size {} does not match the stored entries: entries below index {} were changed, reordered, removed or inserted",
                    cp.size, cp.size)),
                None => rep.add(None, format!(
                    "checkpoint at size {} covers more entries than the log holds ({}): entries were removed", cp.size, rep.entries)),
            }
        }
        rep.problems.sort_by_key(|p| p.index.unwrap_or(u64::MAX));
        rep.total = started.elapsed();
        Ok(rep)
    }

    /// Opens every stored checkpoint note with the log key.
    fn verify_checkpoint_notes(&mut self, rep: &mut VerifyReport) -> Result<Vec<Checkpoint>> {
        let log_key = self.public_key();
        let origin = self.config().origin.clone();
        let mut cps: Vec<Checkpoint> = Vec::new();
        for stored in self.checkpoints()? {
            rep.checkpoints += 1;
            match Checkpoint::open(&stored.note, std::slice::from_ref(&log_key)) {
                Ok((cp, _)) if cp.origin != origin => rep.add(None, format!(
                    "checkpoint at size {}: origin {:?} is not this log ({origin:?})", stored.size, cp.origin)),
                Ok((cp, _)) if cp.size != stored.size => rep.add(None, format!(
                    "checkpoint row for size {} holds a note for size {}: the checkpoint table was edited", stored.size, cp.size)),
                Ok((cp, _)) => cps.push(cp),
                Err(e) => rep.add(None, format!("checkpoint at size {}: {e}", stored.size)),
            }
        }
        Ok(cps)
    }

    /// One pass over the entries: numbering, leaf hashes, the recomputed tree and its roots at
    /// the checkpoints' sizes, and each entry checked in parallel chunks.
    fn verify_entries(
        &mut self,
        opts: VerifyOptions,
        cps: &[Checkpoint],
        rep: &mut VerifyReport,
        progress: &mut dyn FnMut(u64),
    ) -> Result<EntryPass> {
        let want_sizes: HashSet<u64> = cps.iter().map(|c| c.size).collect();
        let trusted = self.trusted_keys().to_vec();
        let mut checker = ChunkChecker {
            trusted: &trusted,
            opts,
            threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(8),
            blob_store: self.blobs().clone(),
            blobs_seen: HashSet::new(),
        };
        let mut frontier = Frontier::default();
        // A checkpoint signed while the log was empty (a server's first tick) is of the empty
        // tree.
        let mut roots: Vec<(u64, Hash)> = if want_sizes.contains(&0) {
            vec![(0, frontier.root())]
        } else {
            Vec::new()
        };
        let mut computed: Vec<NewNode> = Vec::new();
        let mut fingerprints: Vec<[u8; 8]> = Vec::new();
        let mut expected = 0u64;
        let mut chunk: Vec<StoredEntry> = Vec::with_capacity(CHUNK);
        self.backend_mut().scan(0, &mut |e: StoredEntry| {
            if e.index != expected {
                rep.add(Some(expected), format!(
                    "entry {expected} is missing: stored rows jump from {} to {} (rows were deleted or renumbered)",
                    expected.wrapping_sub(1) as i64, e.index));
            }
            expected = e.index + 1;
            let t = Instant::now();
            let lh = leaf_hash(&e.bytes);
            frontier.push(lh, &mut computed);
            if want_sizes.contains(&frontier.size()) {
                roots.push((frontier.size(), frontier.root()));
            }
            rep.hashing += t.elapsed();
            if lh != e.leaf_hash {
                rep.add(Some(e.index), format!(
                    "entry {}: its bytes do not match the stored leaf hash (the entry was changed after it was written)", e.index));
            }
            rep.entries += 1;
                        chunk.push(e);
            if chunk.len() == CHUNK {
                checker.check(&mut chunk, rep, &mut fingerprints);
                progress(rep.entries);
            }
            Ok(())
        })?;
        checker.check(&mut chunk, rep, &mut fingerprints);
        progress(rep.entries);
        Ok(EntryPass {
            roots,
            computed,
            fingerprints,
            bound: expected,
        })
    }

    /// Subject rows must say exactly what the signed statements say.
    fn verify_subjects(&mut self, pass: &EntryPass, rep: &mut VerifyReport) -> Result<()> {
        let bound = pass.bound;
        let mut current: Option<(u64, Vec<(String, String)>)> = None;
        let mut stored_fps: Vec<(u64, [u8; 8])> = Vec::new();
        self.backend_mut().scan_subjects(&mut |idx, alg, value| {
            if idx >= bound {
                return Ok(());
            }
            match &mut current {
                Some((i, v)) if *i == idx => v.push((alg, value)),
                _ => {
                    if let Some((i, v)) = current.take() {
                        stored_fps.push((i, subjects_fingerprint(v)));
                    }
                    current = Some((idx, vec![(alg, value)]));
                }
            }
            Ok(())
        })?;
        if let Some((i, v)) = current.take() {
            stored_fps.push((i, subjects_fingerprint(v)));
        }
        let mut by_index = stored_fps.into_iter().peekable();
        let empty = subjects_fingerprint(Vec::new());
        let mut row = 0u64;
        self.backend_mut().scan(0, &mut |e: StoredEntry| {
            if e.index >= bound {
                return Ok(());
            }
            let fp = pass.fingerprints.get(row as usize).copied().unwrap_or(empty);
            row += 1;
            while let Some((i, _)) = by_index.next_if(|(i, _)| *i < e.index) {
                rep.add(Some(i), format!("subject rows exist for entry {i}, which is not in the log"));
            }
            let stored = by_index
                .next_if(|(i, _)| *i == e.index)
                .map_or(empty, |(_, f)| f);
            if stored != fp {
                rep.add(Some(e.index), format!(
                    "entry {}: the subject index does not match the signed statement's subjects (the subjects table was edited)", e.index));
            }
            Ok(())
        })
    }

    /// Stored tree nodes must equal the recomputed ones. A wrong node is only reported when no
    /// narrower problem inside its range already explains it, so the report names the first
    /// bad entry rather than the widest subtree above it.
    fn verify_nodes(
        &mut self,
        bound: u64,
        mut computed: Vec<NewNode>,
        rep: &mut VerifyReport,
    ) -> Result<()> {
        let mut node_problems: Vec<(u64, u64, String)> = Vec::new();
        computed.sort_by_key(|n| (n.level, n.index));
        let mut want = computed.into_iter().peekable();
        self.backend_mut().scan_nodes(&mut |level, index, hash| {
            // The entries under a stored node, in checked arithmetic: the row is the store's,
            // and a node over entries written after the first pass is newer than this check.
            let Some((first, last)) = node_entries(level, index).filter(|(_, last)| *last < bound)
            else {
                return Ok(());
            };
            rep.nodes_checked += 1;
            while let Some(n) = want.next_if(|n| (n.level, n.index) < (level, index)) {
                // Computed nodes lie within the log, so their ranges fit.
                let (f, l) = node_entries(n.level, n.index).unwrap_or((0, 0));
                node_problems.push((f, l, format!(
                    "tree node {}/{} (entries {f}..{l}) is missing from the store", n.level, n.index)));
            }
            match want.next_if(|n| (n.level, n.index) == (level, index)) {
                Some(n) => {
                    if n.hash != hash {
                        node_problems.push((first, last, format!(
                            "entries {first}..{last} do not hash to the stored tree node {level}/{index}: entries in that range were changed, reordered, removed or inserted")));
                    }
                }
                None => node_problems.push((first, last, format!(
                    "stored tree node {level}/{index} ({}) has no entries under it: rows were removed", hex(&hash[..4])))),
            }
            Ok(())
        })?;
        for n in want {
            node_problems.push((
                n.index << n.level,
                ((n.index + 1) << n.level) - 1,
                format!(
                    "tree node {}/{} is missing from the store",
                    n.level, n.index
                ),
            ));
        }
        let entry_problems: Vec<u64> = rep.problems.iter().filter_map(|p| p.index).collect();
        let narrower = |a: u64, b: u64| {
            entry_problems.iter().any(|i| (a..=b).contains(i))
                || node_problems
                    .iter()
                    .any(|(x, y, _)| a <= *x && *y <= b && (x, y) != (&a, &b))
        };
        let kept: Vec<(u64, String)> = node_problems
            .iter()
            .filter(|(a, b, _)| !narrower(*a, *b))
            .map(|(a, _, m)| (*a, m.clone()))
            .collect();
        for (a, m) in kept {
            rep.add(Some(a), m);
        }
        Ok(())
    }
}

/// The first and last entry under tree node `level`/`index`, when they fit in 64 bits.
fn node_entries(level: u32, index: u64) -> Option<(u64, u64)> {
    let width = 1u64.checked_shl(level)?;
    let first = index.checked_mul(width)?;
    let end = index.checked_add(1)?.checked_mul(width)?;
    Some((first, end - 1))
}
