//! `plumb witness`: a C2SP tlog-witness over HTTP. `POST /add-checkpoint` takes the old size,
//! a consistency proof and a signed checkpoint, and answers with the witness's cosignature or
//! the protocol's refusal (`plumb_ledger::witness` decides); `GET /healthz` says it is up.
//! Requests are bounded in size and in time: a witness answers anyone who asks.
//!
//! The log side too: [`checkpoint_and_cosign`] asks the witnesses `plumb serve --witness`
//! names, and [`http_transport`] is how it reaches them.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Mutex;

use plumb_ledger::Ledger;
use plumb_ledger::cosigners::{
    CosignLog, Cosigners, Outcome, Reply, Transport, WitnessEndpoint, WitnessPolicy,
};
use plumb_ledger::store::StoredCheckpoint;
use plumb_ledger::witness::{MAX_REQUEST, Witness};

use crate::state::{AppState, lock, try_lock};

/// Requests judged at once.
static BUSY: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// The longest a request may take, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The witness's routes.
pub fn router(w: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(DefaultBodyLimit::max(MAX_REQUEST))
        .layer(axum::middleware::from_fn(deadline))
        .with_state(w)
}

async fn deadline(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "request took too long\n").into_response(),
    }
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: Bytes) -> Response {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    // The witness syncs its memory to disk before it answers: off the async threads, a few
    // at a time (the memory's lock serialises them anyway), so a flood queues here instead
    // of piling up blocking tasks.
    let Ok(_permit) = BUSY.acquire().await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    };
    let answer = match tokio::task::spawn_blocking(move || w.add_checkpoint(&body, now)).await {
        Ok(a) => a,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response(),
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (status, answer.body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(answer.content_type),
    );
    r
}

/// The longest the log waits for one witness's answer. The checkpoint is signed before the
/// witnesses are asked, and a witness that fails is left alone for a while, so a slow or dead
/// witness delays readers by at most this, now and then.
pub const ASK_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest witness answer read.
const MAX_ANSWER: u64 = 64 * 1024;

/// How the log reaches its witnesses (`plumb serve --witness`, `plumb checkpoint --witness`):
/// `POST <url>/add-checkpoint`, each answer awaited at most `timeout`.
pub fn http_transport(timeout: Duration) -> Transport {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .new_agent();
    Box::new(move |url: &str, body: &str| {
        let mut r = agent
            .post(url)
            .content_type("text/plain; charset=utf-8")
            .send(body)
            .map_err(|e| format!("{url} unreachable: {e}"))?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(|e| format!("reading the answer of {url}: {e}"))?;
        Ok(Reply { status, body })
    })
}

/// Writes what the witnesses answered as JSON log lines: a cosignature at info, a refusal or
/// an unreachable witness at warn (a refusal to cosign can mean the log was forked).
pub fn log_report(report: Vec<(String, Outcome)>) {
    for (name, outcome) in report {
        let line = match outcome {
            Outcome::Cosigned => {
                serde_json::json!({"level": "info", "msg": "checkpoint cosigned", "witness": name})
            }
            Outcome::Failed(why) => {
                serde_json::json!({"level": "warn", "msg": "witness did not cosign", "witness": name, "error": why})
            }
            Outcome::Skipped => continue,
        };
        eprintln!("{line}");
    }
}

/// The witnesses `plumb serve --witness` names: the collector, which one caller at a time
/// uses (it keeps each witness's back-off), and what a checkpoint must carry to count as
/// cosigned by all of them.
pub struct LogWitnesses {
    /// The collector; the ticker waits for it, a download only takes it when it is free.
    pub asking: Mutex<Cosigners>,
    /// Every configured witness, to judge a checkpoint's stored cosignatures by.
    pub all: WitnessPolicy,
}

impl LogWitnesses {
    /// The witnesses at `endpoints`, asked over HTTP with [`ASK_TIMEOUT`].
    pub fn new(endpoints: Vec<WitnessEndpoint>) -> Result<Self, plumb_ledger::Error> {
        let all = WitnessPolicy::all_of(endpoints.iter().map(|e| e.key.clone()).collect());
        let asking = Cosigners::new(endpoints, http_transport(ASK_TIMEOUT))?;
        Ok(LogWitnesses {
            asking: Mutex::new(asking),
            all,
        })
    }
}

/// Signs a checkpoint of the log if it grew, then asks the configured witnesses that have not
/// cosigned the latest checkpoint, and logs what they answered (the ticker, every second).
///
/// The reader's lock is held only for each store step (signing, a proof, keeping a
/// cosignature), never while a witness is asked: a witness that is slow or down (up to
/// [`ASK_TIMEOUT`] per request) holds up no query or proof.
pub fn checkpoint_and_cosign(s: &AppState) -> Result<(), plumb_ledger::Error> {
    lock(&s.reader).checkpoint(s.now())?;
    if let Some(w) = &s.witnesses {
        let mut asking = lock(&w.asking);
        // The time is read once the collector is ours: waiting for it must not shorten a
        // witness's back-off.
        let now = s.now();
        log_report(asking.cosign_latest(now, &mut LockedLog(&s.reader))?);
    }
    Ok(())
}

/// How many of the latest checkpoints a download looks through for one every witness cosigned.
const RECENT_CHECKPOINTS: u64 = 64;

/// The checkpoint a download packs when witnesses are configured, through the download's own
/// connection `l`: a checkpoint of the log as it is is signed and, if no one else is asking
/// the witnesses right now, they are asked (a download never queues behind another round);
/// then the newest of the recent checkpoints whose stored cosignatures verify for every
/// configured witness is taken, or failing that the newest (its pack verifies with the log's
/// key and says which witnesses are missing). Several servers of one log sign and ask
/// concurrently, so the newest is not always cosigned yet.
pub fn pack_checkpoint(
    s: &AppState,
    w: &LogWitnesses,
    l: &mut Ledger,
) -> Result<StoredCheckpoint, plumb_ledger::Error> {
    l.checkpoint(s.now())?;
    if let Some(mut asking) = try_lock(&w.asking) {
        let now = s.now();
        log_report(asking.cosign_latest(now, &mut l.cosign_log())?);
    }
    let recent = l.recent_checkpoints(RECENT_CHECKPOINTS)?;
    for stored in recent.iter().rev() {
        let (published, _) = l.published(stored.clone())?;
        if w.all.check(&published.note).is_ok() {
            return Ok(stored.clone());
        }
    }
    recent
        .last()
        .cloned()
        .ok_or_else(|| plumb_ledger::Error::State("the log has no checkpoint".into()))
}

/// The reader's store as the witnesses' collector uses it, locked for each call only.
struct LockedLog<'a>(&'a std::sync::Mutex<plumb_ledger::Ledger>);

impl CosignLog for LockedLog<'_> {
    fn latest(&mut self) -> plumb_ledger::Result<Option<(u64, String)>> {
        lock(self.0).cosign_log().latest()
    }

    fn has(&mut self, size: u64, witness: &str) -> plumb_ledger::Result<bool> {
        lock(self.0).cosign_log().has(size, witness)
    }

    fn last(&mut self, witness: &str) -> plumb_ledger::Result<Option<u64>> {
        lock(self.0).cosign_log().last(witness)
    }

    fn proof(&mut self, old: u64, new: u64) -> plumb_ledger::Result<Vec<plumb_ledger::hash::Hash>> {
        lock(self.0).cosign_log().proof(old, new)
    }

    fn store(
        &mut self,
        size: u64,
        witness: &str,
        line: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> plumb_ledger::Result<()> {
        lock(self.0).cosign_log().store(size, witness, line, now)
    }
}

/// Serves the witness on `listener` until `shutdown` resolves.
/// The connection limits and timeouts are the evidence server's (`listen`): a capped number
/// of connections, a header-read timeout against slow clients.
pub async fn serve(
    w: Arc<Witness>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    crate::listen::serve(
        listener,
        None,
        router(w),
        Box::new(|| {}),
        crate::listen::Limits::default(),
        shutdown,
        Duration::from_secs(5),
    )
    .await;
    Ok(())
}
