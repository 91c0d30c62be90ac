//! Server state: a reader connection to the store, the group-commit writer, the signing key for
//! audit statements, tokens, UI sessions, the failed-authentication limiter and metrics.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use plumb_ledger::Ledger;
use plumb_ledger::commit::{BatchOptions, GroupCommit};
use plumb_ledger::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use plumb_ledger::entry::{Annotations, prepare_envelope};
use plumb_ledger::keys::{KeyPair, PublicKey};
use plumb_ledger::statement::{Statement, Subject};

use crate::tokens::{TokenRecord, Tokens};

/// Predicate type of audit records.
pub const AUDIT: &str = "https://plumbline.dev/attestation/audit/v1";
/// Failed authentications allowed per client address per window.
pub const MAX_FAILURES: u32 = 10;
/// The failed-authentication window.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Counters for /metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests answered, by status class 2xx..5xx (index 0..3).
    pub responses: [AtomicU64; 4],
    /// Entries appended through the API.
    pub appends: AtomicU64,
    /// Failed authentications.
    pub auth_failures: AtomicU64,
    /// Requests refused by the limiter.
    pub rate_limited: AtomicU64,
}

impl Metrics {
    /// Counts a response.
    pub fn count(&self, status: u16) {
        if (200..600).contains(&status) {
            self.responses[(status / 100 - 2) as usize].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A logged-in UI session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token behind it.
    pub token: TokenRecord,
    /// CSRF token for its forms.
    pub csrf: String,
    /// Expiry.
    pub expires: Instant,
}

/// Everything the handlers share.
pub struct AppState {
    /// Store directory.
    pub store: PathBuf,
    /// Reader connection (queries, proofs, exports).
    pub reader: Mutex<Ledger>,
    /// The single writer.
    pub writer: GroupCommit,
    /// Store key, for audit statements.
    pub key: KeyPair,
    /// Keys whose envelopes are accepted.
    pub trusted: Vec<PublicKey>,
    /// Envelope size cap.
    pub max_envelope: usize,
    /// Blob size cap.
    pub max_blob: u64,
    /// The blob store: content-addressed files, used without the reader's lock.
    pub blobs: plumb_ledger::blobs::BlobStore,
    /// Log origin.
    pub origin: String,
    /// Tokens.
    pub tokens: Mutex<Tokens>,
    /// UI sessions by id.
    pub sessions: Mutex<HashMap<String, Session>>,
    /// Failed authentications by client address.
    pub failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    /// Counters.
    pub metrics: Metrics,
    /// Whether cookies are marked Secure (TLS).
    pub secure_cookies: bool,
    /// Incident handling, when configured.
    pub incidents: Option<crate::incidents::IncidentSetup>,
}

/// Random hex of `n` bytes.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::getrandom(&mut b).expect("randomness");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl AppState {
    /// Opens the store: a reader, a writer (group commit) and the key.
    pub fn open(store: PathBuf, secure_cookies: bool) -> Result<Self, String> {
        let reader = Ledger::open(&store).map_err(|e| e.to_string())?;
        let writer = Ledger::open(&store).map_err(|e| e.to_string())?;
        let key =
            KeyPair::read_private(&store.join("keys/signing.key")).map_err(|e| e.to_string())?;
        let tokens = Tokens::load(&store)?;
        Ok(AppState {
            trusted: reader.trusted_keys().to_vec(),
            max_envelope: reader.config().max_envelope_bytes,
            max_blob: reader.config().max_blob_bytes,
            blobs: reader.blobs().clone(),
            origin: reader.config().origin.clone(),
            store,
            reader: Mutex::new(reader),
            writer: GroupCommit::start(writer, BatchOptions::default()),
            key,
            tokens: Mutex::new(tokens),
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            metrics: Metrics::default(),
            secure_cookies,
            incidents: None,
        })
    }

    /// Whether a client address is over its failed-authentication budget.
    pub fn limited(&self, ip: IpAddr) -> bool {
        let mut f = self.failures.lock().expect("lock");
        match f.get(&ip) {
            Some((n, since)) if since.elapsed() < FAILURE_WINDOW => *n >= MAX_FAILURES,
            Some(_) => {
                f.remove(&ip);
                false
            }
            None => false,
        }
    }

    /// Counts a failed authentication.
    pub fn failed(&self, ip: IpAddr) {
        self.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
        let mut f = self.failures.lock().expect("lock");
        let e = f.entry(ip).or_insert((0, Instant::now()));
        if e.1.elapsed() >= FAILURE_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    /// Appends an audit statement signed by the store key. `wait` makes the call return only
    /// once it is durable (token management); authentication events are not waited for.
    pub fn audit(
        &self,
        subject_name: &str,
        subject_sha256: &str,
        predicate: serde_json::Value,
        wait: bool,
    ) -> Result<(), String> {
        let st = Statement::new(
            vec![Subject {
                name: subject_name.into(),
                digest: [("sha256".to_string(), subject_sha256.to_string())].into(),
            }],
            AUDIT,
            predicate,
        );
        let t = self
            .submit_statement(
                &st,
                Annotations {
                    system: Some("plumb-server".into()),
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())?;
        if wait {
            t.wait().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Signs statements with the store key, appends them and returns their indexes once all
    /// are durable; counted as API appends.
    pub fn append_signed(
        &self,
        items: impl IntoIterator<Item = (Statement, Annotations)>,
    ) -> Result<Vec<u64>, plumb_ledger::Error> {
        let tickets = items
            .into_iter()
            .map(|(st, ann)| self.submit_statement(&st, ann))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(tickets.len());
        for t in tickets {
            out.push(t.wait()?);
            self.metrics.appends.fetch_add(1, Ordering::Relaxed);
        }
        Ok(out)
    }

    /// Signs `st` with the store key and submits it for appending; wait on the ticket for
    /// its index once durable.
    pub fn submit_statement(
        &self,
        st: &Statement,
        ann: Annotations,
    ) -> Result<plumb_ledger::commit::Ticket, plumb_ledger::Error> {
        let env = Envelope::sign(
            IN_TOTO_PAYLOAD_TYPE,
            &serde_json::to_vec(st).expect("JSON"),
            &self.key,
        );
        let entry = prepare_envelope(env, ann, &self.trusted, Utc::now())?;
        Ok(self.writer.submit(entry))
    }
}
