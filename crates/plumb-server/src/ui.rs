//! The auditors' web UI: server-rendered HTML from autoescaping templates (`templates.rs`),
//! no build step, no CDN, no inline script or style (the only scripts, the in-browser proof
//! check and the countdown, are served from this server). Login with a token, then a session
//! cookie (HttpOnly, SameSite=Strict, Secure under TLS); every form carries a CSRF token. Every
//! page reads through the session's scope (`scope.rs`): a reader limited to systems sees only
//! them.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use plumb_records::Record;
use plumb_records::audit::AuditEvent;
use serde_json::{Value, json};

use plumb_ledger::checkpoint::Checkpoint;
use plumb_ledger::entry::LogEntry;
use plumb_ledger::hash::hex;
use plumb_ledger::merkle::verify_consistency;
use plumb_ledger::store::Query as LogQuery;

use crate::authz::{SESSION_COOKIE as SESSION, cookie};
use crate::scope::Scope;
use crate::state::{AppState, Session, lock, random_hex};
use crate::templates::{message, query_value, render};
use crate::tokens::Role;

const PRE_CSRF: &str = "plumb_csrf";
pub(crate) use plumb_gate::decision::PREDICATE_TYPE as GATE;
use plumb_incident::store::DEPLOYMENT;
use plumb_model::check::PREDICATE_TYPE as MODEL_CHECK;

/// The stylesheet report pages link (the CSP forbids inline style).
pub const REPORT_CSS: &str = "/ui/static/app.css";

/// Entries on one page of the evidence list.
const PAGE_SIZE: u64 = 50;

/// UI routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui") }))
        .route("/ui/", get(|| async { Redirect::to("/ui") }))
        .route("/ui", get(overview))
        .route("/ui/login", get(login_form).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/entries", get(search))
        .route("/ui/entries/{index}", get(entry_page))
        .route("/ui/checkpoints", get(checkpoints))
        .route("/ui/deployments/{index}", get(deployment))
        .route("/ui/architecture", get(architecture))
        .route("/ui/export", get(export))
        .route(
            "/ui/static/app.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css")],
                    include_str!("../static/app.css"),
                )
            }),
        )
        .merge(crate::ui_incidents::router())
        .merge(crate::ui_delivery::router())
        .merge(crate::ui_resilience::router())
        .merge(crate::ui_register::router())
        .route(
            "/ui/static/proof.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript")],
                    include_str!("../static/proof.js"),
                )
            }),
        )
}

/// The live session of a request (the router's authorisation has already required one for
/// every page; handlers ask again for the session's details).
pub(crate) fn session(s: &AppState, headers: &HeaderMap) -> Option<Session> {
    s.session_of(&cookie(headers, SESSION)?)
}

/// A `Set-Cookie` value; cookie values here are hex, so this never fails in practice, and a
/// failure drops the cookie rather than the response.
fn set_cookie(r: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub(crate) fn need_login() -> Response {
    Redirect::to("/ui/login").into_response()
}

async fn login_form(State(s): State<Arc<AppState>>) -> Response {
    let csrf = random_hex(16);
    let mut r = render(
        StatusCode::OK,
        "login.html",
        "Log in",
        None,
        json!({"csrf": csrf}),
    );
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    set_cookie(
        &mut r,
        &format!("{PRE_CSRF}={csrf}; HttpOnly; SameSite=Strict; Path=/ui{secure}"),
    );
    r
}

async fn login(
    State(s): State<Arc<AppState>>,
    ConnectInfo(crate::tls::ClientAddr(addr)): ConnectInfo<crate::tls::ClientAddr>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let csrf_ok = matches!((cookie(&headers, PRE_CSRF), f.get("csrf")), (Some(a), Some(b)) if !a.is_empty() && &a == b);
    if !csrf_ok {
        return message(
            StatusCode::FORBIDDEN,
            "Log in",
            None,
            "The form expired or came from another site.",
            Some(("/ui/login", "Try again")),
        );
    }
    let client = s.client_of(addr.ip(), &headers);
    let secret = f
        .get("token")
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    let checked = {
        let mut t = lock(&s.tokens);
        let _ = t.refresh();
        t.check(&secret, s.now())
    };
    match checked {
        Ok(rec)
            if matches!(
                rec.role,
                Role::Admin | Role::Auditor | Role::IncidentManager
            ) =>
        {
            let (id, sess) = s.start_session(rec.clone());
            s.security_event(
                &format!("token {}", rec.id),
                &rec.hash,
                AuditEvent::AuthLogin {
                    via: "ui-login".into(),
                    token: rec.id.clone(),
                    role: rec.role.name().into(),
                    session: sess.id.clone(),
                    client: client.to_string(),
                },
            );
            let mut r = Redirect::to("/ui").into_response();
            let secure = if s.secure_cookies { "; Secure" } else { "" };
            set_cookie(
                &mut r,
                &format!("{SESSION}={id}; HttpOnly; SameSite=Strict; Path=/{secure}"),
            );
            r
        }
        _ if s.limited(client) => message(
            StatusCode::TOO_MANY_REQUESTS,
            "Log in",
            None,
            "Too many failed attempts; wait a minute.",
            None,
        ),
        other => {
            s.failed(client);
            let reason = match other {
                Ok(r) => format!("{} tokens cannot log in to the web UI", r.role.name()),
                Err(e) => e.to_string(),
            };
            let digest = plumb_ledger::hash::hex(&plumb_ledger::hash::sha256(secret.as_bytes()));
            s.security_event(
                &format!("client {client}"),
                &digest,
                AuditEvent::AuthFailure {
                    via: "ui-login".into(),
                    reason: reason.to_string(),
                    client: client.to_string(),
                },
            );
            message(
                StatusCode::UNAUTHORIZED,
                "Log in",
                None,
                &format!("Login refused: {reason}."),
                Some(("/ui/login", "Try again")),
            )
        }
    }
}

async fn logout(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Some(sess) = session(&s, &headers) {
        if f.get("csrf") != Some(&sess.csrf) {
            return message(
                StatusCode::FORBIDDEN,
                "Log out",
                Some(&sess),
                "Invalid form token.",
                None,
            );
        }
        if let Some(id) = cookie(&headers, SESSION) {
            s.end_session(&id);
        }
    }
    let mut r = Redirect::to("/ui/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("plumb_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict"),
    );
    r
}

/// Runs page work off the async threads. A panic inside is re-raised here, where the
/// router's panic layer answers it with a 500 (the reader lock recovers).
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => std::panic::panic_any("a page task was cancelled"),
    }
}

/// At most `n` characters of `s`, cut on a character boundary (stored values are hostile:
/// a byte slice could fall inside a character and panic).
pub(crate) fn prefix(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

pub(crate) fn predicate(l: &mut plumb_ledger::Ledger, i: u64) -> Option<(LogEntry, Value)> {
    let e = LogEntry::parse(&l.entry(i).ok()?.bytes).ok()?;
    let p = e.statement().ok()?.predicate;
    Some((e, p))
}

pub(crate) use plumb_gate::evidence::decision_before;

/// The gate decision shown on deployment and incident pages: its entry, predicate, signer,
/// the approvals it read and its test totals.
pub(crate) fn decision_view(l: &mut plumb_ledger::Ledger, d: u64) -> Option<Value> {
    let r = plumb_gate::evidence::read_decision(l, d)?;
    let signer = r
        .entry
        .envelope
        .signatures
        .first()
        .map(|s| s.keyid.clone())
        .unwrap_or_default();
    let (blob, approvals) = plumb_gate::evidence::approvals_of(l, &r.entry).unwrap_or_else(|| {
        (
            plumb_ledger::entry::BlobRef {
                name: String::new(),
                digest: String::new(),
                size: 0,
            },
            vec![],
        )
    });
    Some(json!({
        "index": d,
        "result": r.decision.result,
        "signer": signer,
        "approvals": approvals,
        "approvals_blob": {"name": blob.name, "digest": blob.digest},
        "tests": r.decision.tests,
        "predicate": r.decision,
    }))
}

/// A refusal for a page asked of something outside the reader's scope or absent: the same
/// answer for both.
fn not_found(title: &str, sess: &Session, what: &str) -> Response {
    message(StatusCode::NOT_FOUND, title, Some(sess), what, None)
}

async fn overview(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let scope = Scope::of(&sess.token);
    let ctx = blocking(move || {
        let mut o = lock(&s.overview);
        o.catch_up(&s.store);
        let mut l = lock(&s.reader);
        let systems: Vec<Value> = o
            .systems(&scope)
            .map(|(name, row)| json!({"name": name, "query": query_value(name), "latest": row.latest, "gate": row.gate}))
            .collect();
        let model = o.model_check(&scope).and_then(|i| {
            let (_, p) = predicate(&mut l, i)?;
            let rep = plumb_model::check::Report::from_predicate(&p).ok()?;
            let errors = rep.errors();
            Some(json!({"index": i, "errors": errors, "warnings": rep.findings.len() - errors, "findings": rep.findings}))
        });
        json!({
            "size": o.size(),
            "origin": s.origin,
            "systems": systems,
            "model": model,
            "scoped": scope != Scope::All,
        })
    })
    .await;
    let mut ctx = ctx;
    ctx["can_export"] = json!(matches!(sess.token.role, Role::Admin | Role::Auditor));
    render(
        StatusCode::OK,
        "overview.html",
        "Overview",
        Some(&sess),
        ctx,
    )
}

/// One row of the evidence list.
fn entry_row(l: &mut plumb_ledger::Ledger, i: u64) -> Option<Value> {
    let (e, _) = predicate(l, i)?;
    let st = e.statement().ok()?;
    let subjects: Vec<String> = st
        .subject
        .iter()
        .flat_map(|x| {
            x.digest
                .iter()
                .map(|(a, v)| format!("{a}:{}", prefix(v, 12)))
        })
        .collect();
    let kind = st
        .predicate_type
        .trim_end_matches('/')
        .rsplit('/')
        .nth(1)
        .unwrap_or("")
        .to_string();
    Some(json!({
        "index": i,
        "time": e.time,
        "system": e.system,
        "predicate_type": st.predicate_type,
        "subjects": subjects,
        "kind": kind,
    }))
}

async fn search(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let term = q.get("q").cloned().unwrap_or_default();
    let after = q.get("after").and_then(|a| a.parse::<u64>().ok());
    let digest_like = |x: &str| {
        x.split(':')
            .next_back()
            .is_some_and(|h| h.len() >= 40 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let mut query = LogQuery {
        newest_first: true,
        limit: Some(PAGE_SIZE),
        after,
        ..Default::default()
    };
    if digest_like(&term) {
        query.subject = Some(term.clone());
    } else if !term.is_empty() {
        query.system = Some(term.clone());
    }
    if let Err(p) = Scope::of(&sess.token).narrow(&mut query) {
        return message(
            StatusCode::FORBIDDEN,
            "Evidence",
            Some(&sess),
            &p.detail,
            None,
        );
    }
    let rows = blocking(move || {
        let mut l = lock(&s.reader);
        let ids = l.query(&query).unwrap_or_default();
        let next = (ids.len() as u64 == PAGE_SIZE)
            .then(|| ids.last().copied())
            .flatten();
        let rows: Vec<Value> = ids.iter().filter_map(|i| entry_row(&mut l, *i)).collect();
        (rows, next)
    })
    .await;
    let title = if term.is_empty() {
        "Evidence"
    } else {
        "Evidence search"
    };
    render(
        StatusCode::OK,
        "entries.html",
        title,
        Some(&sess),
        json!({"q": term, "q_query": query_value(&term), "rows": rows.0, "next_after": rows.1}),
    )
}

/// The entry page's values for entry `i`, if `scope` may read it.
fn entry_context(s: &AppState, scope: &Scope, i: u64) -> Result<Value, String> {
    let mut l = lock(&s.reader);
    let e = scope.entry(&mut l, i).map_err(|p| p.detail)?;
    let stored = l.entry(i).map_err(|e| e.to_string())?;
    let st = e.statement().map_err(|e| e.to_string())?;
    let signed = e.envelope.verify(&s.trusted).map(|k| {
        k.iter()
            .map(|k| k.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let subjects: Vec<Value> = st
        .subject
        .iter()
        .flat_map(|sub| {
            sub.digest.iter().map(|(a, v)| {
                let d = format!("{a}:{v}");
                json!({"name": sub.name, "digest": d, "query": query_value(&d)})
            })
        })
        .collect();
    let proof = l.prove(i).map_err(|e| e.to_string()).and_then(|r| {
        let (cp, _) =
            Checkpoint::open(&r.checkpoint, &[s.key.public()]).map_err(|e| e.to_string())?;
        let data = json!({"index": i, "size": cp.size, "root": hex(&cp.root), "proof": r.proof.iter().map(|x| hex(x)).collect::<Vec<_>>(), "entry_b64": base64::engine::general_purpose::STANDARD.encode(&stored.bytes)});
        // The page embeds this JSON in a data block, which the browser does not entity-decode:
        // it goes in unescaped (`safe`), with every `<` written as \u003c so nothing in it can
        // close the element.
        Ok(json!({"data": data.to_string().replace('<', "\\u003c"), "receipt": r.to_text()}))
    });
    let is_gate = st.predicate_type == GATE;
    Ok(json!({
        "index": i,
        "time": e.time,
        "system": e.system,
        "run": e.run,
        "predicate_type": st.predicate_type,
        "signed_by": signed.as_ref().ok(),
        "signature_error": signed.as_ref().err().map(|e| e.to_string()),
        "leaf_hash": hex(&stored.leaf_hash),
        "subjects": subjects,
        // Read through the type; a record that does not fit is shown only as its statement.
        "decision": is_gate
            .then(|| plumb_gate::Decision::from_predicate(&st.predicate).ok())
            .flatten(),
        "signer": e.envelope.signatures.first().map(|s| s.keyid.clone()),
        "is_deployment": st.predicate_type == DEPLOYMENT,
        "statement": serde_json::to_string_pretty(&st.predicate).unwrap_or_default(),
        "blobs": e.blobs,
        "proof": proof.as_ref().ok(),
        "proof_error": proof.as_ref().err(),
    }))
}

async fn entry_page(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let Ok(i) = raw.parse::<u64>() else {
        return message(
            StatusCode::BAD_REQUEST,
            "Entry",
            Some(&sess),
            "Not an entry index.",
            None,
        );
    };
    let scope = Scope::of(&sess.token);
    match blocking(move || entry_context(&s, &scope, i)).await {
        Ok(ctx) => render(
            StatusCode::OK,
            "entry.html",
            &format!("Entry {i}"),
            Some(&sess),
            ctx,
        ),
        Err(e) => not_found("Entry", &sess, &e),
    }
}

async fn checkpoints(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let rows = blocking(move || {
        let mut l = lock(&s.reader);
        let cps = l.recent_checkpoints(200).unwrap_or_default();
        let key = [s.key.public()];
        let mut rows = Vec::new();
        let mut prev: Option<Checkpoint> = None;
        for c in &cps {
            let opened = Checkpoint::open(&c.note, &key).ok().map(|x| x.0);
            let consistency = match (&opened, &prev) {
                (None, _) => "",
                (Some(_), None) => "first",
                (Some(cp), Some(p)) => match l.consistency_proof(p.size, cp.size) {
                    Ok(proof)
                        if verify_consistency(p.size, cp.size, &p.root, &cp.root, &proof)
                            .is_ok() =>
                    {
                        "consistent"
                    }
                    Ok(_) => "inconsistent",
                    Err(_) => "no-proof",
                },
            };
            rows.push(json!({"size": c.size, "time": c.time, "signature_ok": opened.is_some(), "consistency": consistency}));
            prev = opened;
        }
        rows
    })
    .await;
    render(
        StatusCode::OK,
        "checkpoints.html",
        "Checkpoints",
        Some(&sess),
        json!({ "rows": rows }),
    )
}

async fn export(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    if !matches!(sess.token.role, Role::Admin | Role::Auditor) {
        return message(
            StatusCode::FORBIDDEN,
            "Export",
            Some(&sess),
            "Only auditors and administrators export evidence packs.",
            None,
        );
    }
    let mut query = LogQuery {
        system: q.get("system").cloned().filter(|x| !x.is_empty()),
        ..Default::default()
    };
    if let Err(p) = Scope::of(&sess.token).narrow(&mut query) {
        return message(
            StatusCode::FORBIDDEN,
            "Export",
            Some(&sess),
            &p.detail,
            None,
        );
    }
    match crate::download::export(s, query).await {
        Ok(r) => r,
        Err(p) => not_found("Export", &sess, &p.detail),
    }
}

/// The deployment page's values for entry `i`.
fn deployment_context(s: &AppState, scope: &Scope, i: u64) -> Result<Value, String> {
    let mut l = lock(&s.reader);
    let dep = scope.entry(&mut l, i).map_err(|p| p.detail)?;
    let st = dep.statement().map_err(|e| e.to_string())?;
    if st.predicate_type != DEPLOYMENT {
        return Err(format!("entry {i} is not a deployment record"));
    }
    let dp = <plumb_records::deployment::Deployment as plumb_records::Record>::from_predicate(
        &st.predicate,
    )?;
    let commit = st
        .subject
        .iter()
        .find_map(|x| x.digest.get("gitCommit").cloned());
    let system = dep.system.clone().unwrap_or_default();
    // The gate decision for the same system and commit, before the deployment.
    let named = dp.gate_decision;
    let decision = commit
        .as_deref()
        .and_then(|c| decision_before(&mut l, &system, c, named, i))
        .and_then(|d| decision_view(&mut l, d));
    // What happened afterwards: later evidence for the same system.
    let later_ids = l
        .query(&LogQuery {
            system: Some(system.clone()),
            after: Some(i),
            limit: Some(50),
            ..Default::default()
        })
        .unwrap_or_default();
    let mut later = Vec::new();
    for j in later_ids {
        if let Some((e, p)) = predicate(&mut l, j) {
            let pt = e.statement().map(|x| x.predicate_type).unwrap_or_default();
            let what = match pt.as_str() {
                DEPLOYMENT => "next deployment".to_string(),
                GATE => match plumb_records::gate::Decision::from_predicate(&p) {
                    Ok(d) => format!("gate decision: {}", d.result.name()),
                    Err(_) => "gate decision (unreadable)".to_string(),
                },
                other => other.rsplit('/').nth(1).unwrap_or(other).to_string(),
            };
            later.push(json!({"index": j, "time": e.time, "what": what}));
        }
    }
    let (watch, rollbacks) = watch_of(&mut l, &system, i);
    Ok(json!({
        "index": i,
        "system": system,
        "watch": watch,
        "rollbacks": rollbacks,
        "environment": dp.environment,
        "status": dp.status,
        "time": dep.time,
        "change_id": dp.change_id,
        "commit": commit,
        "decision": decision,
        "later": later,
    }))
}

/// The latest store-signed post-deployment verification of deployment `i`, with a small chart of
/// each query's samples (the first series of each measurement; failed ones marked), and the
/// rollbacks recorded as remedying it.
fn watch_of(l: &mut plumb_ledger::Ledger, system: &str, i: u64) -> (Value, Vec<Value>) {
    use plumb_metrics::chart::{Bar, bars};
    use plumb_records::verification::Phase;
    let watch = plumb_resilience::watch::evidence::of_deployment(l, system, i)
        .ok()
        .flatten()
        .map(|(entry, v)| {
            let queries: Vec<Value> = v
                .queries
                .iter()
                .map(|q| {
                    let labels: Vec<String> =
                        (1..=q.measurements.len()).map(|n| n.to_string()).collect();
                    let bs: Vec<Bar<'_>> = q
                        .measurements
                        .iter()
                        .zip(&labels)
                        .map(|(m, label)| Bar {
                            label,
                            value: m.values.first().map_or(0.0, |x| x.value),
                            class: if m.phase == Phase::Successful {
                                "now"
                            } else {
                                "before"
                            },
                        })
                        .collect();
                    json!({
                        "name": q.name, "query": q.query, "phase": q.phase,
                        "success": q.success, "failure": q.failure,
                        "baseline": q.baseline, "ceiling": q.ceiling,
                        "measurements": q.measurements.len(),
                        "svg": bars(&format!("samples of {}", q.name), &bs),
                    })
                })
                .collect();
            json!({"entry": entry, "verdict": v.verdict, "reason": v.reason,
                   "started_at": v.started_at, "ended_at": v.ended_at, "queries": queries})
        });
    // A rollback comes after what it remedies, in the same system: only those deployment
    // records are read, never every system's (and none cut off, so no number of later
    // records can push a rollback out of view).
    let later = plumb_ledger::store::Query {
        system: Some(system.to_string()),
        after: Some(i),
        ..Default::default()
    };
    let rollbacks = plumb_incident::store::deployment_records_in(l, later)
        .unwrap_or_default()
        .into_iter()
        // Only the same system's rollbacks: the page's scope is this deployment's system.
        .filter(|d| {
            d.system == system
                && d.record.remedies == Some(i)
                && d.record.change == plumb_records::deployment::ChangeKind::Rollback
        })
        .map(|d| json!({"entry": d.entry, "time": d.time, "status": d.record.status, "command": d.record.rollback_plan}))
        .collect();
    (json!(watch), rollbacks)
}

/// The audit question for one deployment: who approved it, which tests ran, which
/// vulnerabilities were present or waived, and what happened afterwards, each answer linked to
/// the evidence it comes from.
async fn deployment(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let Ok(i) = raw.parse::<u64>() else {
        return message(
            StatusCode::BAD_REQUEST,
            "Deployment",
            Some(&sess),
            "Not an entry index.",
            None,
        );
    };
    let scope = Scope::of(&sess.token);
    match blocking(move || deployment_context(&s, &scope, i)).await {
        Ok(ctx) => render(
            StatusCode::OK,
            "deployment.html",
            "The audit question for one deployment",
            Some(&sess),
            ctx,
        ),
        Err(e) => not_found("Deployment", &sess, &e),
    }
}

/// The architecture page's values: the model of the latest model check `scope` may read.
/// The architecture model that judges resilience (the Resilience page, the gate's
/// DORA-RES-003): the server's own when it holds one (`--model`, else the incident
/// configuration's model), so a pipeline recording a model check cannot move it; otherwise the
/// latest recorded model check's, with that check's entry.
pub(crate) fn reference_model(
    s: &AppState,
    scope: &Scope,
) -> Result<(Option<u64>, plumb_model::Model), String> {
    if let Some(m) = s
        .model
        .clone()
        .or_else(|| s.incidents.as_ref().and_then(|i| i.model.clone()))
    {
        return Ok((None, m));
    }
    recorded_model(s, scope).map(|(i, m)| (Some(i), m))
}

/// The model attached to the latest model check the reader may see, with that check's entry.
pub(crate) fn recorded_model(
    s: &AppState,
    scope: &Scope,
) -> Result<(u64, plumb_model::Model), String> {
    // Only the look-up holds the reader lock; the model (hostile as any stored data) is
    // parsed after it is released.
    let (i, blob, data) = {
        let mut l = lock(&s.reader);
        let mut q = LogQuery {
            predicate_type: Some(MODEL_CHECK.into()),
            newest_first: true,
            limit: Some(1),
            ..Default::default()
        };
        scope.narrow(&mut q).map_err(|p| p.detail)?;
        let i = l
            .query(&q)
            .map_err(|e| e.to_string())?
            .first()
            .copied()
            .ok_or("no model check recorded yet: run `plumb model check MODEL --record`")?;
        let (e, _) = predicate(&mut l, i).ok_or("the model check entry does not parse")?;
        let blob = e
            .blobs
            .first()
            .cloned()
            .ok_or("the model check has no model attached")?;
        let data = l.blobs().get(&blob.digest).map_err(|e| e.to_string())?;
        (i, blob, data)
    };
    let ext = std::path::Path::new(&blob.name)
        .extension()
        .and_then(|x| x.to_str())
        .filter(|x| x.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or("yaml");
    let format = if ext == "xml" { "xml" } else { "yaml" };
    let model = plumb_model::read_bytes(&blob.name, format, &data).map_err(|e| e.to_string())?;
    Ok((i, model))
}

/// The applications of `model` that drift from what the ledger shows ran: never deployed
/// (`plumb_model::drift`'s rule, over the deployment records only: the other drift findings
/// name no element). A scoped reader sees only its systems' deployments, so only the
/// applications of its systems are judged: another system's application is not "never
/// deployed" just because this reader cannot see its deployments.
fn drifted_elements(
    s: &AppState,
    scope: &Scope,
    model: &plumb_model::Model,
) -> Result<std::collections::HashSet<String>, String> {
    // Only the reader's own systems' deployment records are read, through the second
    // connection (not under the reader's lock).
    let mut within = LogQuery::default();
    scope.narrow(&mut within).map_err(|p| p.detail)?;
    let deployments = s
        .analyse(|l| plumb_incident::store::deployments_in(l, within))?
        .map_err(|e| e.to_string())?;
    let mut seen = plumb_model::drift::Observed::default();
    plumb_incident::observed::tally(
        &mut seen,
        deployments
            .into_iter()
            .filter(|d| scope.allows(Some(&d.system))),
    );
    let judged: std::collections::HashSet<&str> = model
        .elements
        .iter()
        .filter(|e| scope.allows(Some(&plumb_model::dora::service_name(e))))
        .map(|e| e.id.as_str())
        .collect();
    Ok(plumb_model::drift::drift(model, &seen)
        .into_iter()
        .flat_map(|f| f.elements)
        .filter(|e| judged.contains(e.as_str()))
        .collect())
}

fn architecture_context(
    s: &AppState,
    scope: &Scope,
    focus: Option<String>,
    view: Option<String>,
    impact: Option<String>,
    drift: bool,
) -> Result<Value, String> {
    let (i, model) = recorded_model(s, scope)?;
    let report = plumb_model::check::check(&model, plumb_model::check::Options::default());
    let flagged: std::collections::HashSet<String> = report
        .findings
        .iter()
        .filter(|f| f.level == plumb_model::check::Level::Error)
        .flat_map(|f| f.elements.clone())
        .collect();
    // The model's own views (exchange-format models), one drawn instead of the generated
    // layout when asked for, with the error findings marked on it.
    let views = plumb_model::diagram::views(&model).unwrap_or_default();
    let drawn = view
        .as_deref()
        .and_then(|v| plumb_model::diagram::find(&views, v));
    // What fails with an element, drawn over the view (an id the model does not have draws
    // nothing over it).
    let overlay = impact
        .as_deref()
        .filter(|e| model.elements.iter().any(|x| x.id == *e))
        .map(|e| plumb_model::diagram::ImpactOverlay::of(&model, e));
    // On a drawn view every element links to what fails with it, and its tooltip lists its
    // findings.
    let findings = plumb_model::diagram::findings_by_element(&report.findings);
    let link = drawn.map(|v| {
        format!(
            "?view={}{}&impact=",
            plumb_base::escape::url_component(&v.id),
            if drift { "&drift=1" } else { "" }
        )
    });
    let drifted = match (drawn, drift) {
        (Some(_), true) => Some(drifted_elements(s, scope, &model)?),
        _ => None,
    };
    let svg = match drawn {
        Some(v) => plumb_model::diagram::render_with(
            &model,
            v,
            &plumb_model::diagram::Overlays {
                flagged: Some(&flagged),
                impact: overlay.as_ref(),
                drift: drifted.as_ref(),
                findings: Some(&findings),
                link: link.as_deref(),
                // The drift overlay stays on when a reference opens another view.
                view_link: Some(if drift { "?drift=1&view=" } else { "?view=" }),
            },
        ),
        None => plumb_model::svg::render(&model, focus.as_deref(), &flagged),
    };
    // The elements a view shows, to choose what fails.
    let shown: Vec<Value> = drawn
        .map(|v| {
            let idx = model.index();
            let mut ids: Vec<&str> = v
                .nodes
                .iter()
                .filter_map(|n| n.element.as_deref())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids.iter()
                .filter_map(|id| idx.elements.get(id))
                .map(|e| json!({"id": e.id, "name": e.name}))
                .collect()
        })
        .unwrap_or_default();
    let impact_name = overlay.as_ref().and_then(|o| {
        model
            .elements
            .iter()
            .find(|e| e.id == o.failed)
            .map(|e| e.name.clone())
    });
    let view_list: Vec<Value> = views
        .iter()
        .map(|v| json!({"id": v.id, "name": v.name}))
        .collect();
    let concentration: Vec<Value> = report
        .concentration
        .iter()
        .map(|c| json!({"name": c.name, "count": c.functions.len(), "percent": (c.share * 100.0).round()}))
        .collect();
    Ok(json!({
        "index": i,
        "name": model.name,
        "digest": report.model_digest,
        "functions": report.functions,
                "focus": focus,
        "svg": svg,
        "views": view_list,
        "view": drawn.map(|v| v.id.clone()),
        "elements": shown,
        "impact": overlay.as_ref().map(|o| o.failed.clone()),
        "impact_name": impact_name,
        "impact_functions": overlay.as_ref().filter(|_| drawn.is_some()).map(|o| o.functions),
        "drift": drift,
        "drifted": drifted.as_ref().zip(drawn).map(|(d, v)| {
            let on_view: std::collections::HashSet<&str> =
                v.nodes.iter().filter_map(|n| n.element.as_deref()).collect();
            let mut names: Vec<&str> = model
                .elements
                .iter()
                .filter(|e| d.contains(&e.id) && on_view.contains(e.id.as_str()))
                .map(|e| e.name.as_str())
                .collect();
            names.sort_unstable();
            names
        }),
        "findings": finding_rows(&model, &report.findings, link.as_deref()),
        "concentration": concentration,
    }))
}

/// The findings for the page; on a drawn view, each with links to what fails with each of its
/// elements (relationships have no impact of their own).
fn finding_rows(
    model: &plumb_model::Model,
    findings: &[plumb_model::check::Finding],
    link: Option<&str>,
) -> Vec<Value> {
    let ids: std::collections::HashSet<&str> =
        model.elements.iter().map(|e| e.id.as_str()).collect();
    findings
        .iter()
        .map(|f| {
            let mut row = json!(f);
            let links: Vec<Value> = link
                .map(|prefix| {
                    f.elements
                        .iter()
                        .filter(|e| ids.contains(e.as_str()))
                        .map(|e| {
                            json!({"id": e, "href": format!("{prefix}{}", plumb_base::escape::url_component(e))})
                        })
                        .collect()
                })
                .unwrap_or_default();
            row["links"] = json!(links);
            row
        })
        .collect()
}

/// The architecture: the model attached to the latest recorded model check, drawn as SVG with
/// its error findings marked, and the check's findings and concentration.
async fn architecture(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let focus = q.get("function").cloned().filter(|f| !f.is_empty());
    let view = q.get("view").cloned().filter(|v| !v.is_empty());
    let impact = q.get("impact").cloned().filter(|v| !v.is_empty());
    let drift = q.get("drift").is_some_and(|d| d == "1");
    let scope = Scope::of(&sess.token);
    let ctx = blocking(move || architecture_context(&s, &scope, focus, view, impact, drift))
        .await
        .unwrap_or_else(|e| json!({ "error": e }));
    render(
        StatusCode::OK,
        "architecture.html",
        "Architecture",
        Some(&sess),
        ctx,
    )
}
