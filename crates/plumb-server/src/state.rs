//! Server state: a reader connection to the store, the group-commit writer, the signing key for
//! audit statements, tokens, UI sessions, the failed-authentication limiter and metrics.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use plumb_ledger::Ledger;
use plumb_ledger::commit::{BatchOptions, GroupCommit};
use plumb_ledger::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use plumb_ledger::entry::{Annotations, prepare_envelope};
use plumb_ledger::keys::{KeyPair, PublicKey};
use plumb_ledger::statement::{Statement, Subject};

use crate::tokens::{TokenRecord, Tokens};
use plumb_records::audit::AuditEvent;

/// Predicate type of audit records.
pub const AUDIT: &str = <AuditEvent as plumb_records::Record>::PREDICATE_TYPE;
/// Predicate types only the server writes, signed with the store key: incident events, audit
/// records (which include token and session events), gate decisions, model checks,
/// resilience tests, post-deployment verifications and register packages. An
/// envelope of one of these types is refused on `POST /v1/entries` whoever signed it (a
/// store-signed one could be a replay from an export), and readers believe such records only
/// when the store key signed them.
pub const RESERVED_TYPES: &[&str] = &[
    plumb_incident::event::PREDICATE_TYPE,
    plumb_incident::store::THREAT,
    AUDIT,
    plumb_gate::decision::PREDICATE_TYPE,
    plumb_model::check::PREDICATE_TYPE,
    <plumb_records::resilience::ResilienceTest as plumb_records::Record>::PREDICATE_TYPE,
    <plumb_records::verification::Verification as plumb_records::Record>::PREDICATE_TYPE,
    <plumb_records::register::RegisterPackage as plumb_records::Record>::PREDICATE_TYPE,
];

/// Failed authentications allowed per client address per window.
pub const MAX_FAILURES: u32 = 10;
/// The failed-authentication window.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Client addresses the failure limiter remembers at most; the oldest are forgotten first, so
/// a flood of addresses cannot exhaust memory.
pub const MAX_LIMITED_CLIENTS: usize = 10_000;
/// Longest a request may take by default, body included (a blob upload too).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// UI sessions held at most; the least recently used is ended first.
pub const MAX_SESSIONS: usize = 10_000;
/// Live UI sessions one token may hold; logging in again past it ends the token's oldest.
pub const MAX_SESSIONS_PER_TOKEN: usize = 16;
/// Default idle timeout of a UI session.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
/// Longest a UI session lives, idle or not.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);

/// Locks a mutex, recovering it if a thread panicked while holding it: the data behind the
/// server's locks (a reader connection, counters, sessions) stays usable, and one bad request
/// must not turn every later one into a 500.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// [`lock`] if no one holds `m`, else `None` (a poisoned lock is taken as [`lock`] takes it).
pub fn try_lock<T>(m: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match m.try_lock() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

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
    /// Requests refused for their role or scope.
    pub forbidden: AtomicU64,
    /// Handlers that panicked (answered 500).
    pub panics: AtomicU64,
    /// Connections closed on arrival because the connection cap was reached.
    pub connections_refused: AtomicU64,
    /// Requests that ran past the request timeout (answered 408).
    pub timeouts: AtomicU64,
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
    /// Public id (a hash prefix of the cookie value), for listing and revoking.
    pub id: String,
    /// The token behind it, as it was at login; checked again on every request.
    pub token: TokenRecord,
    /// CSRF token for its forms.
    pub csrf: String,
    /// When it began (RFC 3339).
    pub created: String,
    /// Hard expiry.
    pub expires: DateTime<Utc>,
    /// Last request.
    pub last_seen: DateTime<Utc>,
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
    /// Failed authentications by client address (bounded, see [`MAX_LIMITED_CLIENTS`]).
    pub failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    /// Failed authentications per client per window before it is held back.
    pub max_failures: u32,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Idle timeout of UI sessions.
    pub session_idle: Duration,
    /// Routine access, counted and summarised.
    pub access: crate::audit::AccessLog,
    /// Counters.
    pub metrics: Metrics,
    /// Whether cookies are marked Secure (TLS).
    pub secure_cookies: bool,
    /// Incident handling, when configured.
    pub incidents: Option<crate::incidents::IncidentSetup>,
    /// The architecture model given at start (`--model`): the reference for resilience, which
    /// no pipeline can move.
    pub model: Option<plumb_model::Model>,
    /// The gate configuration of every system: pipelines send inputs, the server decides how
    /// strict the gate is.
    pub gate_configs: plumb_gate::held::HeldConfigs,
    /// The post-deployment watch of every system (`--watch-config`), when configured.
    pub watch_config: Option<plumb_resilience::watch::config::WatchConfig>,
    /// The watches the server runs or ran.
    pub watches: crate::watches::Watches,
    /// The overview page's figures, read incrementally (lock it before the reader).
    pub overview: Mutex<crate::overview::Overview>,
    /// Longest a request may take, body included.
    pub request_timeout: Duration,
    /// The clock every handler reads.
    pub clock: Clock,
    /// The witnesses asked to cosign each checkpoint (`--witness`), asked outside the reader's
    /// lock ([`crate::witness::checkpoint_and_cosign`]).
    pub witnesses: Option<crate::witness::LogWitnesses>,
    /// Entries a downloaded evidence pack may hold.
    pub max_pack_entries: u64,
    /// A second store connection for reads that go through a whole record type (see
    /// [`AppState::analyse`]); opened with the others.
    pub analysis: Mutex<Option<Ledger>>,
    /// Incidents as their events make them, read incrementally (lock it inside
    /// [`AppState::analyse`]).
    pub incident_cache: Mutex<plumb_incident::cache::IncidentCache>,
    /// The delivery measures' evidence, read incrementally (lock it inside
    /// [`AppState::analyse`], before the incident cache).
    pub facts_cache: Mutex<plumb_metrics::facts::FactsCache>,
}

/// The one clock the server reads: every request, checkpoint, token and session takes its
/// time from here. The wall clock in production; tests give a fixed or stepped one.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Utc::now))
    }

    /// A clock that answers `f()`.
    pub fn from_fn(f: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }

    /// The time now.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// Random hex of `n` bytes from the operating system. Without randomness the server cannot
/// issue sessions or CSRF tokens safely, so a failing source is fatal rather than weak.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    #[allow(clippy::expect_used)]
    getrandom::getrandom(&mut b).expect("the operating system's random source failed");
    plumb_base::hex(&b)
}

impl AppState {
    /// Opens the store: a reader, a writer (group commit) and the key.
    pub fn open(store: PathBuf, secure_cookies: bool, clock: Clock) -> Result<Self, String> {
        let reader = Ledger::open(&store).map_err(|e| e.to_string())?;
        let writer = Ledger::open(&store).map_err(|e| e.to_string())?;
        // Opened now, not at first use: a store that cannot be reached later would otherwise
        // make each whole-type read wait a connection timeout in turn, under its lock.
        let analysis = Ledger::open(&store).map_err(|e| e.to_string())?;
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
            max_failures: MAX_FAILURES,
            trusted_proxies: Vec::new(),
            session_idle: DEFAULT_SESSION_IDLE,
            access: crate::audit::AccessLog::new(clock.now()),
            metrics: Metrics::default(),
            secure_cookies,
            incidents: None,
            model: None,
            gate_configs: Default::default(),
            watch_config: None,
            watches: Default::default(),
            overview: Default::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            clock,
            witnesses: None,
            max_pack_entries: crate::download::DEFAULT_MAX_PACK_ENTRIES,
            analysis: Mutex::new(Some(analysis)),
            incident_cache: Default::default(),
            facts_cache: Default::default(),
        })
    }

    /// Runs `f` on the server's second store connection, for reads that go through a whole
    /// record type (the delivery measures, the reporting clocks' metrics, incident lists): they
    /// take the time they take without holding the reader's lock, which queries, proofs,
    /// health checks and the checkpoint ticker need. They wait for each other instead.
    pub fn analyse<T>(&self, f: impl FnOnce(&mut Ledger) -> T) -> Result<T, String> {
        let mut held = lock(&self.analysis);
        if held.is_none() {
            *held = Some(Ledger::open(&self.store).map_err(|e| e.to_string())?);
        }
        match held.as_mut() {
            Some(l) => Ok(f(l)),
            None => Err("the store did not open".into()),
        }
    }

    /// Every incident, newest first, and the records skipped: through the second connection
    /// and the incremental cache (only events appended since the last call are read).
    pub fn incidents(
        &self,
    ) -> Result<
        (
            Vec<plumb_incident::event::Incident>,
            Vec<plumb_incident::store::Skipped>,
        ),
        String,
    > {
        self.analyse(|l| lock(&self.incident_cache).scan(l))?
            .map_err(|e| e.to_string())
    }

    /// The delivery measures' evidence: through the second connection and the incremental
    /// caches (only records appended since the last call are read).
    pub fn delivery_facts(&self) -> Result<plumb_metrics::facts::Evidence, String> {
        self.analyse(|l| lock(&self.facts_cache).read(l, &mut lock(&self.incident_cache)))?
    }

    /// The time now, from the server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The client's address: the peer, or, when the peer is a trusted proxy, the right-most
    /// address in `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client_of(&self, peer: IpAddr, headers: &axum::http::HeaderMap) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        // Walk from the right (the hop our proxy added) and stop at the first address that is not
        // a trusted proxy; a hop that does not parse ends the walk at the last trusted one, so
        // a client cannot hide behind garbage it wrote further left.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(a) if self.trusted_proxies.contains(&a) => client = a,
                Ok(a) => return a,
                Err(_) => return client,
            }
        }
        client
    }

    /// Whether a client address is over its failed-authentication budget.
    pub fn limited(&self, ip: IpAddr) -> bool {
        let mut f = lock(&self.failures);
        match f.get(&ip) {
            Some((n, since)) if since.elapsed() < FAILURE_WINDOW => *n >= self.max_failures,
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
        let mut f = lock(&self.failures);
        if f.len() >= MAX_LIMITED_CLIENTS && !f.contains_key(&ip) {
            f.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
            if f.len() >= MAX_LIMITED_CLIENTS {
                let oldest = f
                    .iter()
                    .min_by_key(|(_, (_, since))| *since)
                    .map(|(k, _)| *k);
                if let Some(k) = oldest {
                    f.remove(&k);
                }
            }
        }
        let e = f.entry(ip).or_insert((0, Instant::now()));
        if e.1.elapsed() >= FAILURE_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    /// Writes a security event (login, first use of a token, a refusal) unless this minute's
    /// cap is reached, in which case the next access summary counts it. Never blocks.
    pub fn security_event(&self, subject_name: &str, subject_sha256: &str, predicate: AuditEvent) {
        let failure = predicate.is_failure();
        if self.access.allow_event(failure)
            && let Err(e) = self.audit(subject_name, subject_sha256, predicate, false)
        {
            eprintln!(
                "{}",
                serde_json::json!({"level": "warn", "msg": "security event not written", "error": e})
            );
        }
    }

    /// Writes the access summary of the interval just ended, if anything happened in it.
    pub fn flush_access(&self, wait: bool) {
        let Some(summary) = self.access.take(self.now()) else {
            return;
        };
        let digest = plumb_ledger::hash::hex(&plumb_ledger::hash::sha256(
            format!("access summary {}", summary.from).as_bytes(),
        ));
        let name = format!("access summary {} .. {}", summary.from, summary.to);
        if let Err(e) = self.audit(&name, &digest, summary.into_event(), wait) {
            eprintln!(
                "{}",
                serde_json::json!({"level": "error", "msg": "access summary not written", "error": e})
            );
        }
    }

    /// Appends an audit statement signed by the store key. `wait` makes the call return only
    /// once it is durable (token management). Never blocks on a full queue: the record is
    /// refused instead (and the caller answers 503 where that matters).
    pub fn audit(
        &self,
        subject_name: &str,
        subject_sha256: &str,
        predicate: AuditEvent,
        wait: bool,
    ) -> Result<(), String> {
        let st = Statement::new(
            vec![Subject {
                name: subject_name.into(),
                digest: [("sha256".to_string(), subject_sha256.to_string())].into(),
            }],
            AUDIT,
            plumb_records::Record::to_predicate(&predicate),
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
        // One job: the records of one operation are written together or not at all.
        let entries = items
            .into_iter()
            .map(|(st, ann)| self.signed_entry(&st, ann))
            .collect::<Result<Vec<_>, _>>()?;
        let n = entries.len() as u64;
        if n == 0 {
            return Ok(vec![]);
        }
        let first = self.writer.try_submit_all(entries)?.wait()?;
        self.metrics.appends.fetch_add(n, Ordering::Relaxed);
        Ok((first..first + n).collect())
    }

    /// `st` signed with the store key, ready to append.
    fn signed_entry(
        &self,
        st: &Statement,
        ann: Annotations,
    ) -> Result<plumb_ledger::entry::NewEntry, plumb_ledger::Error> {
        let payload = serde_json::to_vec(st)
            .map_err(|e| plumb_ledger::Error::Malformed(format!("statement: {e}")))?;
        let env = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &payload, &self.key);
        prepare_envelope(env, ann, &self.trusted, self.now())
    }

    /// Signs `st` with the store key and submits it for appending without blocking (a full
    /// queue is [`plumb_ledger::Error::Busy`]); wait on the ticket for its index once durable.
    pub fn submit_statement(
        &self,
        st: &Statement,
        ann: Annotations,
    ) -> Result<plumb_ledger::commit::Ticket, plumb_ledger::Error> {
        self.writer.try_submit(self.signed_entry(st, ann)?)
    }
}
