//! `plumb serve`: the evidence API (tokens with roles, every authentication in the audit
//! trail, RFC 9457 errors, OpenAPI) and the auditors' web UI, over one evidence store.

pub mod api;
pub mod audit;
pub mod authz;
pub mod delivery;
pub mod download;
pub mod evaluate;
pub mod incidents;
pub mod listen;
pub mod openapi;
pub mod overview;
pub mod problem;
pub mod routes;
pub mod scope;
pub mod sessions;
pub mod state;
pub mod templates;
pub mod tls;
pub mod tokens;
pub mod ui;
pub mod ui_delivery;
pub mod ui_incidents;
pub mod ui_register;
pub mod ui_resilience;
pub mod verifications;
pub mod watches;
pub mod witness;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use problem::Problem;
use state::AppState;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Store directory.
    pub store: std::path::PathBuf,
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Largest request body outside blob uploads.
    pub max_body: usize,
    /// How often a checkpoint is signed when the log has grown.
    pub checkpoint_every: Duration,
    /// TLS certificate chain and private key (PEM); plain HTTP when absent.
    pub tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    /// Incident configuration (entity, holidays, model); incident routes answer 503 without.
    pub incidents: Option<std::path::PathBuf>,
    /// Idle timeout of UI sessions.
    pub session_idle: Duration,
    /// How often the access summary is written (when anything happened).
    pub audit_every: Duration,
    /// Proxies whose `X-Forwarded-For` names the client (for the failure limiter and the
    /// access trail).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Failed authentications a client may make per minute before it is held back (429).
    pub max_auth_failures: u32,
    /// Directory of per-system gate configurations (see [`plumb_gate::held`]); without it
    /// every system is gated by the built-in default (every rule on, criticality critical).
    pub gate_config: Option<std::path::PathBuf>,
    /// The post-deployment watch configuration (`plumb serve --watch-config`): enables
    /// `POST /v1/watches`.
    pub watch_config: Option<std::path::PathBuf>,
    /// The architecture model the server judges resilience by (`plumb serve --model`); else
    /// the incident configuration's, else the latest recorded model check.
    pub model: Option<std::path::PathBuf>,
    /// Connection cap and TLS handshake and header-read timeouts.
    pub limits: listen::Limits,
    /// Longest a request may take, body included.
    pub request_timeout: Duration,
    /// Entries a downloaded evidence pack may hold ([`download::DEFAULT_MAX_PACK_ENTRIES`]).
    pub max_pack_entries: u64,
    /// The clock the server reads (the wall clock unless a test gives another).
    pub clock: state::Clock,
    /// Witnesses asked to cosign each checkpoint (`plumb serve --witness`).
    pub witnesses: Vec<plumb_ledger::cosigners::WitnessEndpoint>,
}

impl ServerConfig {
    /// A configuration with the documented defaults for everything but the store and address.
    pub fn new(store: std::path::PathBuf, addr: SocketAddr) -> Self {
        ServerConfig {
            store,
            addr,
            max_body: 1024 * 1024,
            checkpoint_every: Duration::from_secs(1),
            tls: None,
            incidents: None,
            model: None,
            session_idle: state::DEFAULT_SESSION_IDLE,
            audit_every: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
            max_auth_failures: state::MAX_FAILURES,
            gate_config: None,
            watch_config: None,
            limits: listen::Limits::default(),
            request_timeout: state::DEFAULT_REQUEST_TIMEOUT,
            max_pack_entries: download::DEFAULT_MAX_PACK_ENTRIES,
            clock: state::Clock::system(),
            witnesses: Vec::new(),
        }
    }
}

/// Security headers, a request id, a JSON log line, and metrics on every response.
async fn envelope(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = state::random_hex(8);
    let (method, uri) = (req.method().clone(), req.uri().path().to_string());
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if s.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    s.metrics.count(r.status().as_u16());
    eprintln!(
        "{}",
        json!({"ts": s.now().to_rfc3339(), "level": "info", "request_id": id, "method": method.as_str(), "path": uri, "status": r.status().as_u16(), "ms": started.elapsed().as_secs_f64() * 1000.0})
    );
    r
}

/// Turns a panic in a handler into a 500 problem (logged), so one bad request never drops the
/// connection without an answer; the locks it held recover (see [`state::lock`]).
async fn catch_panic(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .await
    {
        Ok(r) => r,
        Err(_) => {
            s.metrics
                .panics
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            eprintln!(
                "{}",
                json!({"level": "error", "msg": "a handler panicked; answered 500"})
            );
            Problem::internal().into_response()
        }
    }
}

/// Bounds a whole request, body included: past the server's request timeout it is answered
/// 408 and its work dropped, so a client trickling a body cannot hold a worker for ever.
async fn deadline(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(s.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            s.metrics
                .timeouts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Problem::new(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                format!(
                    "the request took longer than {} s",
                    s.request_timeout.as_secs()
                ),
            )
            .into_response()
        }
    }
}

async fn not_found() -> Problem {
    Problem::not_found("no such route; the API is described at /v1/openapi.json")
}

/// The whole application.
pub fn router(s: Arc<AppState>, max_body: usize) -> Router {
    let api = Router::new()
        .route("/v1/entries", post(api::append).get(api::list))
        .route("/v1/entries/{index}", get(api::get_entry))
        .route("/v1/entries/{index}/proof", get(api::proof))
        .route("/v1/checkpoint", get(api::checkpoint))
        .route("/v1/consistency", get(api::consistency))
        .route("/v1/blobs/{digest}", get(api::get_blob))
        .route("/v1/export", get(api::export))
        .route("/v1/gate", post(evaluate::gate))
        .route("/v1/model/check", post(evaluate::model_check))
        .route("/v1/alerts/alertmanager", post(incidents::alertmanager))
        .route("/v1/alerts", post(incidents::generic))
        .route("/v1/incidents", get(incidents::list).post(incidents::open))
        .route("/v1/verifications/latest", get(verifications::latest))
        .route("/v1/flagger/gate", post(verifications::flagger_gate))
        .route(
            "/v1/flagger/rollback",
            post(verifications::flagger_rollback),
        )
        .route("/v1/watches", axum::routing::post(watches::start))
        .route("/v1/watches/{id}", get(watches::get))
        .route(
            "/v1/incidents/{id}",
            get(incidents::show).post(incidents::operate),
        )
        .route("/v1/incidents/{id}/reports/{stage}", get(incidents::report))
        .route(
            "/v1/threats",
            get(incidents::threats).post(incidents::record_threat),
        )
        .route(
            "/v1/recurring",
            get(incidents::recurring).post(incidents::open_recurring),
        )
        .route("/v1/tokens", get(api::list_tokens).post(api::create_token))
        .route("/v1/tokens/{id}", axum::routing::delete(api::revoke_token))
        .route("/v1/sessions", get(api::list_sessions))
        .route(
            "/v1/sessions/{id}",
            axum::routing::delete(api::revoke_session),
        )
        .layer(DefaultBodyLimit::max(max_body))
        .route(
            "/v1/blobs",
            post(api::put_blob).layer(DefaultBodyLimit::disable()),
        );
    // The route table decides who may call what before routing: authorise is the outer layer
    // of every route and of the fallbacks, so nothing reaches a handler unchecked.
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .route("/v1/openapi.json", get(api::openapi))
        .route("/v1/schemas/{name}", get(api::schema))
        .merge(api)
        .merge(ui::router())
        .fallback(not_found)
        .method_not_allowed_fallback(|| async {
            Problem::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this route does not take that method",
            )
        })
        .layer(middleware::from_fn_with_state(s.clone(), catch_panic))
        .layer(middleware::from_fn_with_state(s.clone(), deadline))
        .layer(middleware::from_fn_with_state(s.clone(), authz::authorise))
        .layer(middleware::from_fn_with_state(s.clone(), envelope))
        .with_state(s)
}

/// Signs a checkpoint whenever the log has grown, so proofs become available shortly after an
/// append, and writes the access summary every `audit_every`.
fn spawn_checkpointer(
    s: Arc<AppState>,
    every: Duration,
    audit_every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_summary = Instant::now();
        loop {
            tokio::time::sleep(every).await;
            let s2 = s.clone();
            let summary_due = last_summary.elapsed() >= audit_every;
            if summary_due {
                last_summary = Instant::now();
            }
            let _ = tokio::task::spawn_blocking(move || {
                if summary_due {
                    s2.flush_access(true);
                }
                if let Err(e) = witness::checkpoint_and_cosign(&s2) {
                    eprintln!("{}", json!({"level": "error", "msg": "checkpoint failed", "error": e.to_string()}));
                }
            })
            .await;
        }
    })
}

/// Runs the server until `shutdown` resolves; in-flight requests finish, and every
/// acknowledged append was durable before it was acknowledged.
pub async fn serve(
    cfg: ServerConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    // Store clients block (the PostgreSQL client runs its own runtime): open them off the
    // async threads, as every handler does.
    let store = cfg.store.clone();
    let secure = cfg.tls.is_some();
    let incidents = cfg.incidents.clone();
    let gate_config = cfg.gate_config.clone();
    let watch_config = cfg.watch_config.clone();
    let model = cfg.model.clone();
    let witnesses = cfg.witnesses.clone();
    let request_timeout = cfg.request_timeout;
    let max_pack_entries = cfg.max_pack_entries;
    let clock = cfg.clock.clone();
    let (idle, proxies, max_failures) = (
        cfg.session_idle,
        cfg.trusted_proxies.clone(),
        cfg.max_auth_failures,
    );
    let s = Arc::new(
        tokio::task::spawn_blocking(move || -> Result<AppState, String> {
            let mut st = AppState::open(store, secure, clock)?;
            st.session_idle = idle;
            st.trusted_proxies = proxies;
            st.max_failures = max_failures;
            st.request_timeout = request_timeout;
            st.max_pack_entries = max_pack_entries;
                        if let Some(p) = incidents {
                st.incidents = Some(incidents::IncidentSetup::load(&p)?);
            }
            if !witnesses.is_empty() {
                // The witnesses are asked outside the reader's lock (the ticker, downloads);
                // a download packs a checkpoint they cosigned (witness::pack_checkpoint).
                st.witnesses = Some(
                    witness::LogWitnesses::new(witnesses)
                        .map_err(|e| format!("--witness: {e}"))?,
                );
            }
                        if let Some(m) = model {
                st.model = Some(
                    plumb_model::load(&m).map_err(|e| format!("model {}: {e}", m.display()))?,
                );
            }
            if let Some(d) = gate_config {
                st.gate_configs = plumb_gate::held::HeldConfigs::load(&d)
                    .map_err(|e| format!("gate configuration: {e}"))?;
            }
            if let Some(w) = watch_config {
                let c = plumb_resilience::watch::config::WatchConfig::load(&w)
                    .map_err(|e| format!("watch configuration: {e}"))?;
                // A failed watch opens an incident unless the system says otherwise: that
                // needs incident handling, checked now rather than when a watch fails.
                if st.incidents.is_none()
                    && let Some(sys) = c.systems.values().find(|x| x.incident)
                {
                    return Err(format!(
                        "watch configuration: a failed watch of {} opens an incident; start plumb serve with --incidents FILE, or set `incident: false` for the system",
                        sys.system
                    ));
                }
                st.watch_config = Some(c);
            }
            Ok(st)
        })
        .await
        .map_err(|e| e.to_string())??,
    );
    let ticker = spawn_checkpointer(s.clone(), cfg.checkpoint_every, cfg.audit_every);
    // The overview's first read covers the whole log: begun now, a step at a time, so the
    // first page after a start does not wait for all of it, and a shutdown is not held up
    // (the state is only borrowed for a step).
    let weak = Arc::downgrade(&s);
    tokio::task::spawn_blocking(move || {
        while let Some(s) = weak.upgrade() {
            if state::lock(&s.overview).read_some(&s.store, overview::STEP) {
                break;
            }
        }
    });
    let tls = match &cfg.tls {
        Some((cert, key)) => Some(tls::acceptor(cert, key)?),
        None => None,
    };
    let app = router(s.clone(), cfg.max_body);
    let counted = s.clone();
    listen::serve(
        listener,
        tls,
        app,
        Box::new(move || {
            counted
                .metrics
                .connections_refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }),
        cfg.limits,
        shutdown,
        Duration::from_secs(30),
    )
    .await;
    // Drain the writer: the last access summary and queued audit records are written before
    // the process ends.
    ticker.abort();
    let _ = ticker.await;
    {
        let s2 = s.clone();
        let _ = tokio::task::spawn_blocking(move || s2.flush_access(true)).await;
    }
    let mut s = s;
    for _ in 0..100 {
        match Arc::try_unwrap(s) {
            Ok(state) => {
                return tokio::task::spawn_blocking(move || {
                    let now = state.now();
                    let (mut ledger, _) = state.writer.finish();
                    ledger
                        .checkpoint(now)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| e.to_string())?;
            }
            Err(again) => {
                s = again;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    Err("requests were still running after shutdown".into())
}
