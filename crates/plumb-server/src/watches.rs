//! `POST /v1/watches` and `GET /v1/watches/{id}`: the post-deployment watch run by the server,
//! from the server's own watch configuration (`plumb serve --watch-config`; a request names
//! only the system and the deployment), against Prometheus as the server reaches it, recorded
//! signed by the store key, a failed watch opening its incident. The pipeline
//! (`plumb watch --server`) starts it, polls it, and runs its rollback itself: it holds the
//! cluster credentials, the server does not. Jobs live in memory: a restarted server has lost
//! them, and a pipeline polling one gets 404, which it reports as inconclusive.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use plumb_ledger::entry::Annotations;
use plumb_ledger::statement::Statement;
use plumb_records::verification::Phase;
use plumb_resilience::watch::{config::SystemWatch, evidence, prometheus::Client, run};

use crate::api::{blocking, in_scope, json_response, require_json};
use crate::problem::Problem;
use crate::scope::Scope;
use crate::state::{AppState, lock};
use crate::tokens::TokenRecord;

/// Watches running at once, at most.
pub const MAX_RUNNING: usize = 8;
/// Finished watches remembered, at most (the oldest are forgotten first).
const MAX_KEPT: usize = 256;

/// One watch the server runs or ran.
#[derive(Debug, Clone)]
pub struct Job {
    system: String,
    body: Value,
}

/// The server's watches by id.
#[derive(Debug, Default)]
pub struct Watches {
    jobs: std::sync::Mutex<BTreeMap<String, Job>>,
    running: std::sync::atomic::AtomicUsize,
}

/// What a pipeline asks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    system: String,
    #[serde(default)]
    deployment: Option<u64>,
}

/// Starts a watch: 202 with its id.
pub async fn start(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    require_json(&headers)?;
    let req: StartRequest = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request(format!("not a watch request: {e}")))?;
    in_scope(&who, Some(&req.system))?;
    let cfg = s.watch_config.as_ref().ok_or_else(|| {
        Problem::new(
            StatusCode::CONFLICT,
            "watch-not-configured",
            "this server has no watch configuration: start plumb serve with --watch-config FILE",
        )
    })?;
    let w = cfg.system(&req.system).map_err(Problem::not_found)?.clone();
    let token = w
        .prometheus
        .token()
        .map_err(|e| Problem::new(StatusCode::CONFLICT, "watch-misconfigured", e))?;
    let s2 = s.clone();
    let (system, environment, deployment) =
        (w.system.clone(), w.environment.clone(), req.deployment);
    let target = blocking(move || {
        evidence::target(&mut lock(&s2.reader), &system, &environment, deployment).map_err(|e| {
            match e {
                plumb_resilience::Error::Input(m) => Problem::bad_request(m),
                plumb_resilience::Error::Ledger(e) => Problem::from_ledger(e),
            }
        })
    })
    .await?;
    if s.watches.running.fetch_add(1, Ordering::SeqCst) >= MAX_RUNNING {
        s.watches.running.fetch_sub(1, Ordering::SeqCst);
        return Err(Problem::busy());
    }
    let id = crate::state::random_hex(8);
    let started = json!({
        "id": id, "system": w.system, "status": "running",
        "deployment": target.as_ref().map(|d| d.entry),
        "started_at": plumb_base::time::format_seconds(s.now()),
    });
    {
        let mut jobs = lock(&s.watches.jobs);
        while jobs.len() >= MAX_KEPT {
            let Some(oldest) = jobs
                .iter()
                .filter(|(_, j)| j.body["status"] != "running")
                .map(|(k, _)| k.clone())
                .next()
            else {
                break;
            };
            jobs.remove(&oldest);
        }
        jobs.insert(
            id.clone(),
            Job {
                system: w.system.clone(),
                body: started.clone(),
            },
        );
    }
    let s3 = s.clone();
    let id2 = id.clone();
    std::thread::spawn(move || {
        let body = run_job(&s3, &w, token, target);
        let mut jobs = lock(&s3.watches.jobs);
        if let Some(j) = jobs.get_mut(&id2) {
            let mut b = body;
            b["id"] = json!(id2);
            j.body = b;
        }
        s3.watches.running.fetch_sub(1, Ordering::SeqCst);
    });
    Ok(json_response(StatusCode::ACCEPTED, started))
}

/// Runs one watch to its verdict and records it; the job's final answer.
fn run_job(
    s: &Arc<AppState>,
    w: &SystemWatch,
    token: Option<String>,
    target: Option<plumb_incident::store::DeploymentRecord>,
) -> Value {
    let client = Client::new(&w.prometheus.url, token, w.timeout);
    let now = || s.now();
    let sleep = std::thread::sleep;
    let deployed_at = target
        .as_ref()
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(&d.time).ok())
        .map_or_else(|| s.now(), |t| t.with_timezone(&chrono::Utc));
    let v = run::watch(
        w,
        &client,
        &run::Clock {
            now: &now,
            sleep: &sleep,
        },
        &run::Target {
            deployment: target.as_ref().map(|d| d.entry),
            deployed_at,
        },
        &mut |_, _, _| {},
    );
    let commit = target.as_ref().and_then(|d| d.commit.clone());
    let req = evidence::verification_request(&v, commit.as_deref());
    let st = Statement::new(req.subjects, &req.predicate_type, req.predicate);
    let entry = s
        .append_signed([(
            st,
            Annotations {
                system: req.system,
                ..Default::default()
            },
        )])
        .map_err(|e| e.to_string());
    let incident = if v.verdict == Phase::Failed && w.incident {
        crate::incidents::open_for_watch(s, &v, target.as_ref()).map_err(|p| p.detail)
    } else {
        Ok(None)
    };
    json!({
        "system": v.system,
        "status": "done",
        "verdict": v.verdict,
        "reason": v.reason,
        "deployment": v.deployment,
        "commit": commit,
        "entry": entry.as_ref().ok().and_then(|e| e.first()),
        "record_error": entry.err(),
        "incident": incident.as_ref().ok().cloned().flatten(),
        "incident_error": incident.err(),
        "started_at": v.started_at,
        "ended_at": v.ended_at,
    })
}

/// A watch's state: running, or done with its verdict. A watch outside the token's systems is
/// answered as unknown (404), like one that does not exist.
pub async fn get(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let unknown =
        || Problem::not_found("no such watch (a restarted server has forgotten its watches)");
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unknown());
    }
    let job = lock(&s.watches.jobs)
        .get(&id)
        .cloned()
        .ok_or_else(unknown)?;
    if !Scope::of(&who).allows(Some(&job.system)) {
        return Err(unknown());
    }
    Ok(json_response(StatusCode::OK, job.body))
}
