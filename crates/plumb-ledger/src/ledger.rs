//! A store on disk: configuration, keys, blobs and the log backend, and the operations the CLI
//! and server run against it.
//!
//! ```text
//! <dir>/plumb-store.json   format, version, origin, database
//! <dir>/ledger.db          the SQLite log (when no PostgreSQL URL is configured)
//! <dir>/keys/signing.key   the store's Ed25519 key, mode 0600
//! <dir>/keys/signing.pub   its public half, to hand to auditors
//! <dir>/trusted/*.pub      further keys whose envelopes the store accepts
//! <dir>/blobs/             content-addressed raw evidence
//! ```

use std::cell::RefCell;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::blobs::s3::S3Config;
use crate::blobs::{BlobStore, DEFAULT_MAX_BLOB};
use crate::checkpoint::Checkpoint;
use crate::cosigners::{CosignLog, Cosigners, Outcome};
use crate::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::entry::{Annotations, BlobRef, DEFAULT_MAX_ENVELOPE, NewEntry, format_time, prepare};
use crate::error::{Error, Result};
use crate::keys::{KeyPair, PublicKey, check_key_name};
use crate::merkle::{consistency_proof, inclusion_proof, root, verify_consistency};
use crate::receipt::Receipt;
use crate::statement::Statement;
use crate::store::postgres::PostgresBackend;
use crate::store::sqlite::SqliteBackend;
use crate::store::{
    Backend, BackendNodes, Query, STORE_VERSION, StoredCheckpoint, StoredCosignature, StoredEntry,
};

const CONFIG_FILE: &str = "plumb-store.json";
const CONFIG_FORMAT: &str = "plumb-store";
/// Environment variable that overrides the configured database URL (keeps passwords out of files).
pub const DATABASE_ENV: &str = "PLUMB_DATABASE_URL";

/// The store's configuration file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Always `plumb-store`.
    pub format: String,
    /// Layout version ([`STORE_VERSION`]).
    pub version: u32,
    /// The log's origin line, also the signing key's name.
    pub origin: String,
    /// `sqlite` or a `postgres://` URL.
    pub database: String,
    /// Cap on one envelope in bytes.
    pub max_envelope_bytes: usize,
    /// Cap on one blob in bytes.
    pub max_blob_bytes: u64,
    /// Blobs in S3-compatible object storage instead of `<dir>/blobs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blobs: Option<S3Config>,
}

/// Options for creating a store.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Log origin; defaults to `plumb.local/<directory name>`.
    pub origin: Option<String>,
    /// PostgreSQL URL; SQLite when absent.
    pub database: Option<String>,
    /// PostgreSQL role to grant SELECT and INSERT (and nothing else) on the log tables.
    pub grant_role: Option<String>,
    /// Blobs in S3 (checked before the store is created).
    pub blobs: Option<S3Config>,
}

/// What `plumb record` records.
#[derive(Debug, Clone, Default)]
pub struct RecordRequest {
    /// Artifacts the statement is about.
    pub subjects: Vec<crate::statement::Subject>,
    /// Predicate type URI.
    pub predicate_type: String,
    /// Predicate JSON.
    pub predicate: serde_json::Value,
    /// System label.
    pub system: Option<String>,
    /// Pipeline run label.
    pub run: Option<String>,
    /// Files to store as blobs and reference from the entry.
    pub attachments: Vec<PathBuf>,
}

/// An open store.
pub struct Ledger {
    dir: PathBuf,
    config: StoreConfig,
    backend: Box<dyn Backend>,
    blobs: BlobStore,
    key: KeyPair,
    trusted: Vec<PublicKey>,
    /// Witnesses asked to cosign each checkpoint, if configured.
    witnesses: Option<Cosigners>,
    /// What the witnesses answered since the report was last taken.
    witness_report: Vec<(String, Outcome)>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("dir", &self.dir)
            .field("origin", &self.config.origin)
            .finish_non_exhaustive()
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl Ledger {
    /// Creates a store in `dir` (which must be absent or empty) with a new signing key.
    pub fn init(dir: &Path, opts: InitOptions) -> Result<Ledger> {
        if dir.exists()
            && fs::read_dir(dir)
                .map_err(|e| Error::io(dir, e))?
                .next()
                .is_some()
        {
            return Err(Error::State(format!(
                "{} is not empty; choose a new directory for the store",
                dir.display()
            )));
        }
        let origin = match opts.origin {
            Some(o) => o,
            None => {
                let name = dir
                    .canonicalize()
                    .ok()
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_else(|| "store".into());
                format!(
                    "plumb.local/{}",
                    name.replace(|c: char| c.is_whitespace() || c == '+', "-")
                )
            }
        };
        check_key_name(&origin)?;
        if let Some(b) = &opts.blobs {
            // The bucket is checked (reachable, versioned, locked if asked) before anything
            // is written.
            crate::blobs::s3::S3Blobs::open(b)?;
        }
        let database = opts.database.unwrap_or_else(|| "sqlite".into());
        if database != "sqlite" && !is_postgres(&database) {
            return Err(Error::Malformed(format!(
                "database {database:?} must be `sqlite` or a postgres:// URL"
            )));
        }
        // Build everything in a staging directory, then rename: a failed init leaves nothing.
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let staging = parent.join(format!(
            ".{}.init-{}",
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&staging);
        let result = (|| {
            fs::create_dir_all(staging.join("keys")).map_err(|e| Error::io(&staging, e))?;
            fs::create_dir_all(staging.join("trusted")).map_err(|e| Error::io(&staging, e))?;
            let key = KeyPair::generate(&origin)?;
            key.write_private(&staging.join("keys/signing.key"))?;
            write_file(
                &staging.join("keys/signing.pub"),
                format!("{}\n", key.public().to_text()).as_bytes(),
            )?;
            let config = StoreConfig {
                format: CONFIG_FORMAT.into(),
                version: STORE_VERSION,
                origin: origin.clone(),
                database: database.clone(),
                max_envelope_bytes: DEFAULT_MAX_ENVELOPE,
                max_blob_bytes: DEFAULT_MAX_BLOB,
                blobs: opts.blobs.clone(),
            };
            let json = serde_json::to_vec_pretty(&config).expect("config serialises");
            write_file(&staging.join(CONFIG_FILE), &json)?;
            if database == "sqlite" {
                SqliteBackend::create(&staging.join("ledger.db"), &origin)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        if dir.exists() {
            fs::remove_dir(dir).map_err(|e| Error::io(dir, e))?;
        }
        fs::rename(&staging, dir).map_err(|e| Error::io(dir, e))?;
        if is_postgres(&database) {
            let url = std::env::var(DATABASE_ENV).unwrap_or(database);
            if let Err(e) = PostgresBackend::create(&url, &origin, opts.grant_role.as_deref()) {
                let _ = fs::remove_dir_all(dir);
                return Err(e);
            }
        }
        Ledger::open(dir)
    }

    /// Opens an existing store.
    pub fn open(dir: &Path) -> Result<Ledger> {
        let cfg_path = dir.join(CONFIG_FILE);
        let raw = fs::read(&cfg_path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound(format!(
                "no plumb store at {} (missing {CONFIG_FILE}); create one with `plumb init`",
                dir.display()
            )),
            _ => Error::io(&cfg_path, e),
        })?;
        let value: serde_json::Value = serde_json::from_slice(&raw)
            .map_err(|e| Error::Malformed(format!("{}: {e}", cfg_path.display())))?;
        if value.get("format").and_then(|v| v.as_str()) != Some(CONFIG_FORMAT) {
            return Err(Error::Malformed(format!(
                "{} is not a plumb store configuration",
                cfg_path.display()
            )));
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(STORE_VERSION) => {}
            other => {
                return Err(Error::StoreVersion {
                    found: other.map_or("missing".into(), |v| v.to_string()),
                    supported: STORE_VERSION,
                });
            }
        }
        let config: StoreConfig = serde_json::from_value(value)
            .map_err(|e| Error::Malformed(format!("{}: {e}", cfg_path.display())))?;
        let key = KeyPair::read_private(&dir.join("keys/signing.key"))?;
        let mut trusted = vec![key.public()];
        let tdir = dir.join("trusted");
        if tdir.exists() {
            let mut files: Vec<_> = fs::read_dir(&tdir)
                .map_err(|e| Error::io(&tdir, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "pub"))
                .collect();
            files.sort();
            for f in files {
                let text = fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?;
                let pk = PublicKey::parse(&text)
                    .map_err(|e| Error::Malformed(format!("{}: {e}", f.display())))?;
                trusted.push(pk);
            }
        }
        let backend: Box<dyn Backend> = if is_postgres(&config.database) {
            let url = std::env::var(DATABASE_ENV).unwrap_or_else(|_| config.database.clone());
            Box::new(PostgresBackend::open(&url)?)
        } else {
            Box::new(SqliteBackend::open(&dir.join("ledger.db"))?)
        };
        let blobs = match &config.blobs {
            Some(s3) => BlobStore::open_s3(dir.join("blobs"), config.max_blob_bytes, s3)?,
            None => BlobStore::open(dir.join("blobs"), config.max_blob_bytes)?,
        };
        let mut l = Ledger {
            dir: dir.to_path_buf(),
            config,
            backend,
            blobs,
            key,
            trusted,
            witnesses: None,
            witness_report: Vec::new(),
        };
        if let Some(o) = l.backend.meta("origin")?
            && o != l.config.origin
        {
            return Err(Error::State(format!(
                "the database belongs to log {o:?}, but this store is {:?}",
                l.config.origin
            )));
        }
        Ok(l)
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// `sqlite` or `postgres`.
    pub fn backend_kind(&self) -> &'static str {
        self.backend.kind()
    }

    /// The store's public key (signs checkpoints and `plumb record` statements).
    pub fn public_key(&self) -> PublicKey {
        self.key.public()
    }

    /// Keys whose envelopes are accepted.
    pub fn trusted_keys(&self) -> &[PublicKey] {
        &self.trusted
    }

    /// The blob store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// Adds a signer's public key to the trusted set.
    pub fn trust_key(&mut self, pk: PublicKey) -> Result<PathBuf> {
        if self.trusted.contains(&pk) {
            return Err(Error::State(format!("key {} is already trusted", pk.name)));
        }
        let file = self.dir.join("trusted").join(format!(
            "{}-{}.pub",
            pk.name.replace(['/', '\\', ':'], "_"),
            crate::hash::hex(&pk.note_key_id())
        ));
        write_file(&file, format!("{}\n", pk.to_text()).as_bytes())?;
        self.trusted.push(pk);
        Ok(file)
    }

    /// Stores a file as a blob and returns the reference to put in an entry.
    pub fn attach(&self, path: &Path) -> Result<BlobRef> {
        let (digest, size) = self.blobs.put_file(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(BlobRef { name, digest, size })
    }

    /// Signs a statement with the store's key.
    pub fn sign_statement(&self, st: &Statement) -> Result<Envelope> {
        st.validate()?;
        let payload = serde_json::to_vec(st).expect("statement serialises");
        Ok(Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &payload, &self.key))
    }

    /// Validates an envelope (size, shape, signature, statement) into an entry, writing nothing.
    pub fn prepare(
        &self,
        envelope_json: &[u8],
        ann: Annotations,
        now: DateTime<Utc>,
    ) -> Result<NewEntry> {
        for b in &ann.blobs {
            self.blobs.check(&b.digest)?;
        }
        prepare(
            envelope_json,
            ann,
            &self.trusted,
            self.config.max_envelope_bytes,
            now,
        )
    }

    /// Appends prepared entries as one durable batch; returns the first index.
    pub fn append(&mut self, batch: &[NewEntry]) -> Result<u64> {
        if batch.is_empty() {
            return Err(Error::State("nothing to append".into()));
        }
        self.backend.append(batch)
    }

    /// Number of entries.
    pub fn size(&mut self) -> Result<u64> {
        self.backend.size()
    }

    /// One entry.
    pub fn entry(&mut self, index: u64) -> Result<StoredEntry> {
        self.backend
            .entry(index)?
            .ok_or_else(|| Error::NotFound(format!("entry {index} does not exist")))
    }

    /// The predicate of entry `index` when the store key signed it, it parses and its type is
    /// `predicate_type`; `None` otherwise. Readers of Plumbline's own records use this: the
    /// store holds hostile data, and only what Plumbline itself signed is its evidence.
    pub fn store_signed_predicate(
        &mut self,
        index: u64,
        predicate_type: &str,
    ) -> Result<Option<serde_json::Value>> {
        let entry = self.entry(index)?;
        let Ok(e) = crate::entry::LogEntry::parse(&entry.bytes) else {
            return Ok(None);
        };
        if e.envelope.verify(&[self.public_key()]).is_err() {
            return Ok(None);
        }
        Ok(e.statement()
            .ok()
            .filter(|st| st.predicate_type == predicate_type)
            .map(|st| st.predicate))
    }

    /// Subject digests stored for an entry.
    pub fn subjects(&mut self, index: u64) -> Result<Vec<(String, String)>> {
        self.backend.subjects(index)
    }

    /// Indexes of matching entries.
    pub fn query(&mut self, q: &Query) -> Result<Vec<u64>> {
        self.backend.query(q)
    }

    /// All checkpoints, oldest first.
    pub fn checkpoints(&mut self) -> Result<Vec<StoredCheckpoint>> {
        self.backend.checkpoints()
    }

    /// The `n` latest checkpoints, oldest first (as signed by the log, without cosignatures).
    pub fn recent_checkpoints(&mut self, n: u64) -> Result<Vec<StoredCheckpoint>> {
        self.backend.last_checkpoints(n)
    }

    /// The latest checkpoint, verified with the store's key, its note carrying the witnesses'
    /// cosignatures stored for it (as published: receipts, packs, the API).
    pub fn latest_checkpoint(&mut self) -> Result<Option<(StoredCheckpoint, Checkpoint)>> {
        match self.backend.last_checkpoints(1)?.pop() {
            Some(last) => self.published(last).map(Some),
            None => Ok(None),
        }
    }

    /// A stored checkpoint as published: verified with the store's key, its note carrying the
    /// witnesses' cosignatures stored for it.
    pub fn published(
        &mut self,
        mut stored: StoredCheckpoint,
    ) -> Result<(StoredCheckpoint, Checkpoint)> {
        let (cp, _) = Checkpoint::open(&stored.note, &[self.key.public()])?;
        // The signed size, not the row's: the row is the store's to misstate.
        for c in self.backend.cosignatures(cp.size)? {
            stored.note.push_str(&c.line);
        }
        Ok((stored, cp))
    }

    /// Asks `witnesses` to cosign every checkpoint this ledger signs from now on (and the
    /// latest one, at the next [`Ledger::checkpoint`]).
    pub fn set_witnesses(&mut self, witnesses: Cosigners) {
        self.witnesses = Some(witnesses);
    }

    /// What the witnesses answered since this was last called (name and outcome).
    pub fn take_witness_report(&mut self) -> Vec<(String, Outcome)> {
        std::mem::take(&mut self.witness_report)
    }

    /// The stored cosignatures of the checkpoint at `size`.
    pub fn cosignatures(&mut self, size: u64) -> Result<Vec<StoredCosignature>> {
        self.backend.cosignatures(size)
    }

    /// Asks the configured witnesses that have not yet cosigned the latest checkpoint.
    fn collect_cosignatures(&mut self, now: DateTime<Utc>) -> Result<()> {
        let Some(mut witnesses) = self.witnesses.take() else {
            return Ok(());
        };
        let report = witnesses.cosign_latest(now, &mut self.cosign_log());
        self.witnesses = Some(witnesses);
        self.witness_report.extend(report?);
        Ok(())
    }

    /// The store as [`Cosigners::cosign_latest`] reads and writes it, for a caller that asks
    /// the witnesses itself instead of through [`Ledger::set_witnesses`] (a server, which
    /// must not hold its ledger while a witness answers).
    pub fn cosign_log(&mut self) -> LedgerCosignLog<'_> {
        LedgerCosignLog {
            key: self.key.public(),
            backend: self.backend.as_mut(),
        }
    }

    /// Signs a checkpoint for the current tree, unless the latest one already covers it.
    ///
    /// The new tree is first proven consistent with the previous checkpoint; if it is not (the
    /// stored tree was rewritten), nothing is signed.
    pub fn checkpoint(&mut self, now: DateTime<Utc>) -> Result<(StoredCheckpoint, bool)> {
        let size = self.backend.size()?;
        let previous = self.latest_checkpoint()?;
        if let Some((stored, cp)) = &previous {
            if cp.size == size {
                if self.witnesses.is_none() {
                    return Ok((stored.clone(), false));
                }
                // Witnesses that missed it (down, or added since) are asked again.
                self.collect_cosignatures(now)?;
                let (stored, _) = self
                    .latest_checkpoint()?
                    .ok_or_else(|| Error::Integrity("the latest checkpoint disappeared".into()))?;
                return Ok((stored, false));
            }
            if cp.size > size {
                return Err(Error::Integrity(format!(
                    "the latest checkpoint covers {} entries but the log holds only {size}: entries were removed",
                    cp.size
                )));
            }
        }
        let key_pub = self.key.public();
        let origin = self.config.origin.clone();
        let nodes = BackendNodes(RefCell::new(self.backend.as_mut()));
        let new_root = root(&nodes, size)?;
        if let Some((_, old)) = &previous {
            let proof = consistency_proof(&nodes, old.size, size)?;
            verify_consistency(old.size, size, &old.root, &new_root, &proof).map_err(|e| {
                Error::Integrity(format!(
                    "refusing to sign: the tree of {size} entries is not consistent with the checkpoint at {} ({e}); run `plumb verify`",
                    old.size
                ))
            })?;
        }
        debug_assert_eq!(key_pub.name, origin);
        let note = Checkpoint {
            origin,
            size,
            root: new_root,
        }
        .sign(&self.key);
        let stored = StoredCheckpoint {
            size,
            note,
            time: format_time(now),
        };
        if let Err(e) = self.backend.add_checkpoint(&stored) {
            // Another writer of the same store (a second process or server) may have signed
            // this very size between our read and our insert. Signatures are deterministic, so
            // its note is byte for byte ours: that is the checkpoint, not a failure.
            return match self.backend.last_checkpoints(1)?.pop() {
                Some(theirs) if theirs.size == size && theirs.note == stored.note => {
                    let (published, _) = self.latest_checkpoint()?.ok_or_else(|| {
                        Error::Integrity("the latest checkpoint disappeared".into())
                    })?;
                    Ok((published, false))
                }
                _ => Err(e),
            };
        }
        if self.witnesses.is_some() {
            self.collect_cosignatures(now)?;
            if let Some((cosigned, _)) = self.latest_checkpoint()? {
                return Ok((cosigned, true));
            }
        }
        Ok((stored, true))
    }

    /// An inclusion receipt for `index` against the latest checkpoint.
    pub fn prove(&mut self, index: u64) -> Result<Receipt> {
        let (stored, cp) = self.latest_checkpoint()?.ok_or_else(|| {
            Error::State("the log has no checkpoint yet; run `plumb checkpoint` first".into())
        })?;
        if index >= cp.size {
            let size = self.backend.size()?;
            return Err(if index >= size {
                Error::NotFound(format!(
                    "entry {index} does not exist (the log has {size} entries)"
                ))
            } else {
                Error::State(format!(
                    "entry {index} is newer than the latest checkpoint ({} entries); run `plumb checkpoint` first",
                    cp.size
                ))
            });
        }
        let nodes = BackendNodes(RefCell::new(self.backend.as_mut()));
        let proof = inclusion_proof(&nodes, index, cp.size)?;
        Ok(Receipt {
            index,
            proof,
            checkpoint: stored.note,
        })
    }

    /// An inclusion proof for `index` in the tree of `size` entries (for packs).
    pub fn inclusion_proof(&mut self, index: u64, size: u64) -> Result<Vec<crate::hash::Hash>> {
        let nodes = BackendNodes(RefCell::new(self.backend.as_mut()));
        inclusion_proof(&nodes, index, size)
    }

    /// A consistency proof between two tree sizes.
    pub fn consistency_proof(&mut self, old: u64, new: u64) -> Result<Vec<crate::hash::Hash>> {
        let nodes = BackendNodes(RefCell::new(self.backend.as_mut()));
        consistency_proof(&nodes, old, new)
    }

    /// Builds, signs and appends a statement with the store's key, attaching files as blobs,
    /// then signs a checkpoint and returns the new index with its receipt.
    pub fn record(&mut self, req: RecordRequest, now: DateTime<Utc>) -> Result<(u64, Receipt)> {
        let statement = Statement::new(req.subjects, &req.predicate_type, req.predicate);
        statement.validate()?;
        let blobs = req
            .attachments
            .iter()
            .map(|p| self.attach(p))
            .collect::<Result<Vec<_>>>()?;
        let envelope = self.sign_statement(&statement)?;
        let json = serde_json::to_vec(&envelope).expect("envelope serialises");
        let entry = self.prepare(
            &json,
            Annotations {
                system: req.system,
                run: req.run,
                blobs,
            },
            now,
        )?;
        let index = self.append(std::slice::from_ref(&entry))?;
        self.checkpoint(now)?;
        Ok((index, self.prove(index)?))
    }

    pub(crate) fn backend_mut(&mut self) -> &mut dyn Backend {
        self.backend.as_mut()
    }

    pub(crate) fn signing_key(&self) -> &KeyPair {
        &self.key
    }
}

pub(crate) fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = fs::File::create(path).map_err(|e| Error::io(path, e))?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// The store as the witness collector sees it ([`Ledger::cosign_log`]): cosignatures are
/// verified before they are handed to `store`.
pub struct LedgerCosignLog<'a> {
    /// The log's key, which the latest checkpoint must be signed with.
    key: PublicKey,
    backend: &'a mut dyn Backend,
}

impl CosignLog for LedgerCosignLog<'_> {
    fn latest(&mut self) -> Result<Option<(u64, String)>> {
        let Some(stored) = self.backend.last_checkpoints(1)?.pop() else {
            return Ok(None);
        };
        let (cp, _) = Checkpoint::open(&stored.note, std::slice::from_ref(&self.key))?;
        Ok(Some((cp.size, stored.note)))
    }

    fn has(&mut self, size: u64, witness: &str) -> Result<bool> {
        Ok(self
            .backend
            .cosignatures(size)?
            .iter()
            .any(|c| c.witness == witness))
    }

    fn last(&mut self, witness: &str) -> Result<Option<u64>> {
        self.backend.last_cosigned(witness)
    }

    fn proof(&mut self, old: u64, new: u64) -> Result<Vec<crate::hash::Hash>> {
        if old == 0 || old == new {
            return Ok(Vec::new());
        }
        let nodes = BackendNodes(RefCell::new(&mut *self.backend));
        consistency_proof(&nodes, old, new)
    }

    fn store(&mut self, size: u64, witness: &str, line: &str, now: DateTime<Utc>) -> Result<()> {
        self.backend.add_cosignature(&StoredCosignature {
            size,
            witness: witness.to_string(),
            line: line.to_string(),
            time: format_time(now),
        })
    }
}
