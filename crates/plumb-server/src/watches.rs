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
    deployment: Option<u64>,
    /// When it finished, in the order watches finish (`None` while running): the oldest
    /// finished are forgotten first.
    finished: Option<u64>,
    body: Value,
}

/// The server's watches by id.
#[derive(Debug, Default)]
pub struct Watches {
    jobs: std::sync::Mutex<BTreeMap<String, Job>>,
    running: std::sync::atomic::AtomicUsize,
    finished: std::sync::atomic::AtomicU64,
}

/// Watches of one system running at once, at most: one system's pipelines cannot take every
/// slot.
const MAX_RUNNING_PER_SYSTEM: usize = 2;

/// Gives a slot back and settles the job when the watch thread ends, however it ends (a
/// panic included): a slot is never lost and a job never stays "running".
struct Slot {
    s: std::sync::Weak<AppState>,
    id: String,
    body: Option<Value>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(s) = self.s.upgrade() else { return };
        let body = self.body.take().unwrap_or_else(|| {
            json!({"status": "done", "verdict": "inconclusive",
                   "reason": "the watch stopped before its verdict (the server is stopping, or failed)"})
        });
        finish(&s, &self.id, body);
        s.watches.running.fetch_sub(1, Ordering::SeqCst);
    }
}

fn finish(s: &AppState, id: &str, mut body: Value) {
    let seq = s.watches.finished.fetch_add(1, Ordering::SeqCst);
    let mut jobs = lock(&s.watches.jobs);
    if let Some(j) = jobs.get_mut(id) {
        body["id"] = json!(id);
        if body.get("system").is_none() {
            body["system"] = json!(j.system);
        }
        j.body = body;
        j.finished = Some(seq);
    }
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
    // Which systems are configured is not told to a token scoped to others.
    let w = cfg
        .systems
        .get(&req.system)
        .ok_or_else(|| Problem::not_found(format!("the server has no watch for {:?}", req.system)))?
        .clone();
    let token = w.prometheus.token().map_err(|e| {
        eprintln!(
            "{}",
            json!({"level": "error", "msg": "watch misconfigured", "system": w.system, "error": e})
        );
        Problem::new(
            StatusCode::CONFLICT,
            "watch-misconfigured",
            "the server's watch of this system is misconfigured (see the server's log)",
        )
    })?;
    // A slot first: a refused request costs nothing more.
    if s.watches.running.fetch_add(1, Ordering::SeqCst) >= MAX_RUNNING {
        s.watches.running.fetch_sub(1, Ordering::SeqCst);
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "watches-busy",
            format!("{MAX_RUNNING} watches are running; retry later"),
        ));
    }
    let release = |s: &AppState| {
        s.watches.running.fetch_sub(1, Ordering::SeqCst);
    };
    let s2 = s.clone();
    let (system, environment, deployment) =
        (w.system.clone(), w.environment.clone(), req.deployment);
    let looked_up = blocking(move || {
        let mut l = lock(&s2.reader);
        let t =
            evidence::target(&mut l, &system, &environment, deployment).map_err(|e| match e {
                plumb_resilience::Error::Input(m) => Problem::bad_request(m),
                plumb_resilience::Error::Ledger(e) => Problem::from_ledger(e),
            })?;
        // A deployment whose watch already failed keeps that verdict: watching it again until
        // one passes would replace the verdict controllers read.
        if let Some(d) = &t
            && let Ok(Some((i, v))) = evidence::of_deployment(&mut l, &system, d.entry)
            && v.verdict == Phase::Failed
        {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "watch-already-failed",
                format!(
                    "deployment {} failed its watch (entry {i}); roll back or deploy a fix",
                    d.entry
                ),
            ));
        }
        Ok(t)
    })
    .await;
    let target = match looked_up {
        Ok(t) => t,
        Err(p) => {
            release(&s);
            return Err(p);
        }
    };
    let dep = target.as_ref().map(|d| d.entry);
    let id = crate::state::random_hex(8);
    let started = json!({
        "id": id, "system": w.system, "environment": w.environment, "status": "running",
        "deployment": dep,
        "started_at": plumb_base::time::format_seconds(s.now()),
    });
    {
        let mut jobs = lock(&s.watches.jobs);
        // One watch per deployment at a time: the same request again gets the running one.
        if let Some((k, j)) = jobs
            .iter()
            .find(|(_, j)| j.finished.is_none() && j.system == w.system && j.deployment == dep)
        {
            let body = j.body.clone();
            let _ = k;
            drop(jobs);
            release(&s);
            return Ok(json_response(StatusCode::ACCEPTED, body));
        }
        if jobs
            .values()
            .filter(|j| j.finished.is_none() && j.system == w.system)
            .count()
            >= MAX_RUNNING_PER_SYSTEM
        {
            drop(jobs);
            release(&s);
            return Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "watches-busy",
                format!(
                    "{MAX_RUNNING_PER_SYSTEM} watches of {} are running; retry later",
                    w.system
                ),
            ));
        }
        while jobs.len() >= MAX_KEPT {
            let Some(oldest) = jobs
                .iter()
                .filter_map(|(k, j)| j.finished.map(|f| (f, k.clone())))
                .min()
                .map(|(_, k)| k)
            else {
                break;
            };
            jobs.remove(&oldest);
        }
        jobs.insert(
            id.clone(),
            Job {
                system: w.system.clone(),
                deployment: dep,
                finished: None,
                body: started.clone(),
            },
        );
    }
    let mut slot = Slot {
        s: Arc::downgrade(&s),
        id: id.clone(),
        body: None,
    };
    let actor = format!("{} ({})", who.label, who.role.name());
    let weak = Arc::downgrade(&s);
    let clock = s.clock.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("watch-{id}"))
        .spawn(move || {
            slot.body = Some(run_job(&weak, &clock, &w, token, target, &actor));
            drop(slot);
        });
    if spawned.is_err() {
        // The slot moved into the closure was dropped with it: the job is settled and the
        // count given back.
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "watches-busy",
            "the server could not start the watch; retry later",
        ));
    }
    Ok(json_response(StatusCode::ACCEPTED, started))
}

/// Runs one watch to its verdict and records it; the job's final answer. The server's state
/// is held only to record: a stopping server is not kept waiting by a watch (its record is
/// then not written, and the job says so).
fn run_job(
    weak: &std::sync::Weak<AppState>,
    clock: &crate::state::Clock,
    w: &SystemWatch,
    token: Option<String>,
    target: Option<plumb_incident::store::DeploymentRecord>,
    actor: &str,
) -> Value {
    let client = Client::new(&w.prometheus.url, token, w.timeout);
    let now = || clock.now();
    // Sleeps in short steps so a stopping server ends the watch soon.
    let sleep = |d: std::time::Duration| {
        let end = std::time::Instant::now() + d;
        while std::time::Instant::now() < end {
            if weak.strong_count() == 0 {
                return;
            }
            std::thread::sleep(
                std::time::Duration::from_millis(200).min(end - std::time::Instant::now()),
            );
        }
    };
    let deployed_at = target
        .as_ref()
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(&d.time).ok())
        .map_or_else(|| clock.now(), |t| t.with_timezone(&chrono::Utc));
    let mut v = run::watch(
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
    // The server runs no command: its record names none.
    v.rollback = vec![];
    v.reason = format!("{} (started by {actor})", v.reason);
    let Some(s) = weak.upgrade() else {
        return json!({"status": "error", "verdict": "inconclusive", "reason": "the server stopped before recording the verdict"});
    };
    let commit = target.as_ref().and_then(|d| d.commit.clone());
    let req = evidence::verification_request(&v, commit.as_deref());
    let st = Statement::new(req.subjects, &req.predicate_type, req.predicate);
    // Not a request handler: a busy writer is waited for, a while.
    let mut entry = Err(String::new());
    for attempt in 0..20u64 {
        entry = s
            .append_signed([(
                st.clone(),
                Annotations {
                    system: req.system.clone(),
                    ..Default::default()
                },
            )])
            .map_err(|e| e.to_string());
        if entry.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250 * (attempt + 1)));
    }
    let entry = match entry {
        Ok(e) => e.first().copied(),
        Err(e) => {
            return json!({"status": "error", "verdict": v.verdict, "reason": v.reason,
                          "record_error": e, "deployment": v.deployment, "commit": commit,
                          "environment": v.environment});
        }
    };
    let incident = if v.verdict == Phase::Failed && w.incident {
        crate::incidents::open_for_watch(&s, &v, target.as_ref(), actor).map_err(|p| p.detail)
    } else {
        Ok(None)
    };
    json!({
        "system": v.system,
        "environment": v.environment,
        "status": "done",
        "verdict": v.verdict,
        "reason": v.reason,
        "deployment": v.deployment,
        "commit": commit,
        "entry": entry,
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
