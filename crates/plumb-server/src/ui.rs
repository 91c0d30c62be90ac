//! The auditors' web UI: server-rendered HTML, no build step, no CDN, no inline script (the
//! only script, the in-browser proof check, is served from this server). Login with a token,
//! then a session cookie (HttpOnly, SameSite=Strict, Secure under TLS); every form carries a
//! CSRF token.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use chrono::Utc;
use serde_json::{Value, json};

use plumb_ledger::checkpoint::Checkpoint;
use plumb_ledger::entry::LogEntry;
use plumb_ledger::hash::hex;
use plumb_ledger::merkle::verify_consistency;
use plumb_ledger::store::Query as LogQuery;

use crate::authz::{SESSION_COOKIE as SESSION, cookie};
use crate::state::{AppState, Session, lock, random_hex};
use crate::tokens::Role;

const PRE_CSRF: &str = "plumb_csrf";
const GATE: &str = "https://plumbline.dev/attestation/gate-decision/v1";
use plumb_incident::store::DEPLOYMENT;
use plumb_model::check::PREDICATE_TYPE as MODEL_CHECK;

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

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
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

pub(crate) fn page(title: &str, sess: Option<&Session>, body: &str) -> Html<String> {
    let nav = match sess {
        Some(s) => format!(
            "<a href=\"/ui\">Overview</a><a href=\"/ui/entries\">Evidence</a><a href=\"/ui/checkpoints\">Checkpoints</a><a href=\"/ui/architecture\">Architecture</a><a href=\"/ui/incidents\">Incidents</a>\
             <form method=\"post\" action=\"/ui/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><span>{} ({})</span> <button>Log out</button></form>",
            esc(&s.csrf),
            esc(&s.token.label),
            s.token.role.name()
        ),
        None => String::new(),
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · Plumbline</title><link rel=\"stylesheet\" href=\"/ui/static/app.css\"></head>\
         <body><header><strong>Plumbline</strong>{nav}</header><main><h1>{}</h1>{body}</main></body></html>",
        esc(title),
        esc(title)
    ))
}

/// A page that refuses or fails, with the status to answer it with; `message` is HTML.
pub(crate) fn refusal(
    status: StatusCode,
    title: &str,
    sess: Option<&Session>,
    message: &str,
) -> Response {
    (
        status,
        page(title, sess, &format!("<p class=\"bad\">{message}</p>")),
    )
        .into_response()
}

pub(crate) fn need_login() -> Response {
    Redirect::to("/ui/login").into_response()
}

async fn login_form(State(s): State<Arc<AppState>>) -> Response {
    let csrf = random_hex(16);
    let body = format!(
        "<div class=\"card\"><form method=\"post\" action=\"/ui/login\"><p><label>API token<br><input type=\"password\" name=\"token\" autocomplete=\"off\" placeholder=\"plumb_...\"></label></p>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button>Log in</button></form></div>\
         <p>Auditors, administrators and incident managers log in with their token (created with <code>plumb token create</code>).</p>"
    );
    let mut r = page("Log in", None, &body).into_response();
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
        return refusal(
            StatusCode::FORBIDDEN,
            "Log in",
            None,
            "The form expired or came from another site. <a href=\"/ui/login\">Try again</a>.",
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
        t.check(&secret, Utc::now())
    };
    match checked {
        Ok(rec)
            if matches!(
                rec.role,
                Role::Admin | Role::Auditor | Role::IncidentManager
            ) =>
        {
            let (id, sess) = s.start_session(rec.clone());
            s.security_event(&format!("token {}", rec.id), &rec.hash, json!({"event": "auth.login", "via": "ui-login", "token": rec.id, "role": rec.role, "session": sess.id, "client": client.to_string()}));
            let mut r = Redirect::to("/ui").into_response();
            let secure = if s.secure_cookies { "; Secure" } else { "" };
            set_cookie(
                &mut r,
                &format!("{SESSION}={id}; HttpOnly; SameSite=Strict; Path=/{secure}"),
            );
            r
        }
        _ if s.limited(client) => refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "Log in",
            None,
            "Too many failed attempts; wait a minute.",
        ),
        other => {
            s.failed(client);
            let reason = match other {
                Ok(r) => format!("{} tokens cannot log in to the web UI", r.role.name()),
                Err(e) => e.to_string(),
            };
            let digest = plumb_ledger::hash::hex(&plumb_ledger::hash::sha256(secret.as_bytes()));
            s.security_event(&format!("client {client}"), &digest, json!({"event": "auth.failure", "via": "ui-login", "reason": reason, "client": client.to_string()}));
            refusal(
                StatusCode::UNAUTHORIZED,
                "Log in",
                None,
                &format!(
                    "Login refused: {}. <a href=\"/ui/login\">Try again</a>.",
                    esc(&reason)
                ),
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
            return refusal(
                StatusCode::FORBIDDEN,
                "Log out",
                Some(&sess),
                "Invalid form token.",
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

/// Whether entry `i` is a gate decision the server believes for `system` and `commit`: signed
/// by the store key (pipelines cannot write decisions, see `RESERVED_TYPES`), of the same
/// system, naming the same commit.
fn is_decision_for(l: &mut plumb_ledger::Ledger, i: u64, system: &str, commit: &str) -> bool {
    let key = l.public_key();
    let Some((e, _)) = predicate(l, i) else {
        return false;
    };
    let Ok(st) = e.statement() else { return false };
    st.predicate_type == GATE
        && e.system.as_deref() == Some(system)
        && e.envelope.verify(&[key]).is_ok()
        && st
            .subject
            .iter()
            .any(|x| x.digest.get("gitCommit").map(String::as_str) == Some(commit))
}

/// The gate decision for a deployment of `system` at `commit` recorded before entry
/// `before`: the one the deployment names if it really is a decision for that system and
/// commit, else the latest such decision. Matching by commit alone would let one system's
/// pipeline place the decision shown for another's deployment.
pub(crate) fn decision_before(
    l: &mut plumb_ledger::Ledger,
    system: &str,
    commit: &str,
    named: Option<u64>,
    before: u64,
) -> Option<u64> {
    if let Some(d) = named.filter(|d| *d < before)
        && is_decision_for(l, d, system, commit)
    {
        return Some(d);
    }
    let ids = l
        .query(&LogQuery {
            subject: Some(format!("gitCommit:{commit}")),
            predicate_type: Some(GATE.into()),
            system: Some(system.to_string()),
            newest_first: true,
            ..Default::default()
        })
        .ok()?;
    ids.into_iter()
        .filter(|d| *d < before)
        .find(|d| is_decision_for(l, *d, system, commit))
}

/// The approvals file a gate decision read (kept as a blob), and the approvals in it.
pub(crate) fn approvals_of(
    l: &plumb_ledger::Ledger,
    decision: &LogEntry,
) -> Option<(
    plumb_ledger::entry::BlobRef,
    Vec<plumb_ingest::facts::Approval>,
)> {
    let b = decision
        .blobs
        .iter()
        .find(|b| b.name.contains("approval"))?;
    let data = l.blobs().get(&b.digest).ok()?;
    let facts =
        plumb_ingest::ingest(&[(plumb_ingest::Kind::Approvals, b.name.clone(), data)]).ok()?;
    Some((b.clone(), facts.approvals))
}

pub(crate) fn result_badge(result: &str) -> String {
    match result {
        "pass" => "<span class=\"pass\">PASS</span>".into(),
        "override" => "<span class=\"override\">BREAK-GLASS OVERRIDE</span>".into(),
        other => format!("<span class=\"deny\">{}</span>", esc(&other.to_uppercase())),
    }
}

async fn overview(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let body = blocking(move || {
        let mut l = lock(&s.reader);
        let size = l.size().unwrap_or(0);
        let mut systems: std::collections::BTreeMap<String, (String, Option<(u64, Value)>)> = Default::default();
        for i in (0..size).rev() {
            let Some((e, p)) = predicate(&mut l, i) else { continue };
            let Some(sys) = e.system.clone().filter(|s| s != "plumb-server") else { continue };
            let slot = systems.entry(sys).or_insert_with(|| (e.time.clone(), None));
            if slot.1.is_none() && l.entry(i).map(|x| x.predicate_type == GATE).unwrap_or(false) {
                slot.1 = Some((i, p));
            }
        }
        let model = l.query(&LogQuery { predicate_type: Some(MODEL_CHECK.into()), newest_first: true, limit: Some(1), ..Default::default() }).ok().and_then(|v| v.first().copied()).and_then(|i| predicate(&mut l, i).map(|x| (i, x.1)));
        let mut rows = String::new();
        for (sys, (fresh, gate)) in &systems {
            let (decision, failing) = match gate {
                Some((i, p)) => {
                    let mut ids: Vec<&str> = p["violations"].as_array().into_iter().flatten().filter_map(|v| v["id"].as_str()).collect();
                    ids.dedup();
                    (format!("<a href=\"/ui/entries/{i}\">{}</a> {}", result_badge(p["result"].as_str().unwrap_or("")), esc(p["now"].as_str().unwrap_or(""))), esc(&ids.join(", ")))
                }
                None => ("no gate decision recorded".into(), String::new()),
            };
            rows.push_str(&format!("<tr><td><a href=\"/ui/entries?q={}\">{}</a></td><td>{decision}</td><td>{}</td><td>{failing}</td></tr>", esc(sys), esc(sys), esc(fresh)));
        }
        let model_html = match model {
            Some((i, p)) => {
                let findings = p["findings"].as_array().cloned().unwrap_or_default();
                let errors = findings.iter().filter(|f| f["level"] == "error").count();
                format!("<p>Latest model check: <a href=\"/ui/entries/{i}\">entry {i}</a>: {} errors, {} warnings.</p><ul>{}</ul>", errors, findings.len() - errors, findings.iter().map(|f| format!("<li>{} {}</li>", esc(f["id"].as_str().unwrap_or("")), esc(f["message"].as_str().unwrap_or("")))).collect::<String>())
            }
            None => "<p>No model check recorded yet (<code>plumb model check MODEL --record</code>).</p>".into(),
        };
        format!(
            "<p>{size} entries in log <code>{}</code>.</p><table><tr><th>system</th><th>last gate decision</th><th>latest evidence</th><th>failing rules</th></tr>{rows}</table><h2>Architecture traceability</h2>{model_html}\
             <h2>Export</h2><form method=\"get\" action=\"/ui/export\"><label>System <input type=\"text\" name=\"system\"></label> <button>Download evidence pack</button></form>",
            esc(&s.origin)
        )
    })
    .await;
    page("Overview", Some(&sess), &body).into_response()
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
    let t2 = term.clone();
    let body = blocking(move || {
        let mut l = lock(&s.reader);
        let digest_like = |x: &str| x.split(':').next_back().is_some_and(|h| h.len() >= 40 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let query = if t2.is_empty() {
            LogQuery { newest_first: true, limit: Some(50), ..Default::default() }
        } else if digest_like(&t2) {
            LogQuery { subject: Some(t2.clone()), newest_first: true, limit: Some(200), ..Default::default() }
        } else {
            LogQuery { system: Some(t2.clone()), newest_first: true, limit: Some(200), ..Default::default() }
        };
        let ids = l.query(&query).unwrap_or_default();
        let mut rows = String::new();
        for i in &ids {
            if let Some((e, _)) = predicate(&mut l, *i) {
                let st = e.statement().ok();
                let pt = st.as_ref().map(|s| s.predicate_type.clone()).unwrap_or_default();
                let subjects: Vec<String> = st.iter().flat_map(|s| s.subject.iter().flat_map(|x| x.digest.iter().map(|(a, v)| format!("{a}:{}", prefix(v, 12))))).collect();
                let kind = pt.trim_end_matches('/').rsplit('/').nth(1).unwrap_or("").to_string();
                rows.push_str(&format!("<tr data-kind=\"{}\"><td><a href=\"/ui/entries/{i}\">{i}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", esc(&kind), esc(&e.time), esc(e.system.as_deref().unwrap_or("-")), esc(&pt), esc(&subjects.join(" "))));
            }
        }
        format!(
            "<form method=\"get\"><input type=\"text\" name=\"q\" value=\"{}\" placeholder=\"commit, artifact digest (sha256:...) or system\"> <button>Search</button></form>\
             <p>{} entries.</p><table><tr><th>index</th><th>time</th><th>system</th><th>predicate type</th><th>subjects</th></tr>{rows}</table>",
            esc(&t2),
            ids.len()
        )
    })
    .await;
    page(
        if term.is_empty() {
            "Evidence"
        } else {
            "Evidence search"
        },
        Some(&sess),
        &body,
    )
    .into_response()
}

fn decision_html(p: &Value) -> String {
    let mut h = format!(
        "<div class=\"card\"><p>Gate decision: {} for <code>{}</code> at {}</p>",
        result_badge(p["result"].as_str().unwrap_or("")),
        esc(p["commit"].as_str().unwrap_or("-")),
        esc(p["now"].as_str().unwrap_or(""))
    );
    if let Some(bg) = p.get("break_glass").filter(|b| !b.is_null()) {
        h.push_str(&format!(
            "<p class=\"override\">Break-glass by {}: {}</p>",
            esc(bg["approver"].as_str().unwrap_or("")),
            esc(bg["justification"].as_str().unwrap_or(""))
        ));
    }
    let violations = p["violations"].as_array().cloned().unwrap_or_default();
    if violations.is_empty() {
        h.push_str("<p class=\"pass\">No rule failed.</p><table>");
    } else {
        h.push_str("<table><tr><th>rule</th><th>what failed</th><th>legal reference</th><th>what to do</th></tr>");
    }
    for v in &violations {
        let refs: Vec<&str> = v["refs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        h.push_str(&format!(
            "<tr><td class=\"deny\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(v["id"].as_str().unwrap_or("")),
            esc(v["msg"].as_str().unwrap_or("")),
            esc(&refs.join("; ")),
            esc(v["fix"].as_str().unwrap_or(""))
        ));
    }
    h.push_str("</table><h3>Waivers</h3><table><tr><th>waiver</th><th>state</th><th>owner</th><th>approver</th><th>expires</th><th>findings covered</th></tr>");
    for w in p["waivers"].as_array().into_iter().flatten() {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(w["id"].as_str().unwrap_or("")),
            esc(w["state"].as_str().unwrap_or("")),
            esc(w["owner"].as_str().unwrap_or("")),
            esc(w["approver"].as_str().unwrap_or("")),
            esc(w["expires_at"].as_str().unwrap_or("")),
            w["covered"].as_array().map_or(0, Vec::len)
        ));
    }
    h.push_str("</table><h3>Inputs</h3><table><tr><th>file</th><th>kind</th><th>format</th><th>SHA-256</th></tr>");
    for i in p["inputs"].as_array().into_iter().flatten() {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(i["path"].as_str().unwrap_or("")),
            esc(i["kind"].as_str().unwrap_or("")),
            esc(i["format"].as_str().unwrap_or("")),
            esc(i["sha256"].as_str().unwrap_or(""))
        ));
    }
    h.push_str("</table></div>");
    h
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
        return refusal(
            StatusCode::BAD_REQUEST,
            "Entry",
            Some(&sess),
            "Not an entry index.",
        );
    };
    let body = blocking(move || -> Result<String, String> {
        let mut l = lock(&s.reader);
        let stored = l.entry(i).map_err(|e| e.to_string())?;
        let e = LogEntry::parse(&stored.bytes).map_err(|e| e.to_string())?;
        let st = e.statement().map_err(|e| e.to_string())?;
        let sig_ok = e.envelope.verify(&s.trusted).map(|k| k.iter().map(|k| k.name.clone()).collect::<Vec<_>>().join(", "));
        let mut h = format!(
            "<table><tr><th>time</th><td>{}</td></tr><tr><th>system</th><td>{}</td></tr><tr><th>run</th><td>{}</td></tr><tr><th>predicate type</th><td>{}</td></tr><tr><th>signature</th><td>{}</td></tr><tr><th>leaf hash</th><td><code>{}</code></td></tr></table>",
            esc(&e.time), esc(e.system.as_deref().unwrap_or("-")), esc(e.run.as_deref().unwrap_or("-")), esc(&st.predicate_type),
            match &sig_ok { Ok(names) => format!("<span class=\"pass\">verified</span> (signed by {})", esc(names)), Err(err) => format!("<span class=\"bad\">{}</span>", esc(&err.to_string())) },
            hex(&stored.leaf_hash)
        );
        h.push_str("<h2>Subjects</h2><ul>");
        for sub in &st.subject {
            for (a, v) in &sub.digest {
                h.push_str(&format!("<li>{} <a href=\"/ui/entries?q={}:{}\"><code>{}:{}</code></a></li>", esc(&sub.name), esc(a), esc(v), esc(a), esc(v)));
            }
        }
        h.push_str("</ul>");
        if st.predicate_type == GATE {
            h.push_str(&decision_html(&st.predicate));
        }
        if st.predicate_type == DEPLOYMENT {
            h.push_str(&format!("<p class=\"card\">This is a deployment: <a href=\"/ui/deployments/{i}\">who approved it, what was tested, what was waived, and what happened afterwards</a>.</p>"));
        }
        h.push_str(&format!("<h2>Statement</h2><pre>{}</pre>", esc(&serde_json::to_string_pretty(&st.predicate).unwrap_or_default())));
        if !e.blobs.is_empty() {
            h.push_str("<h2>Attached evidence</h2><ul>");
            for b in &e.blobs {
                h.push_str(&format!("<li>{} ({} bytes) <code>{}</code></li>", esc(&b.name), b.size, esc(&b.digest)));
            }
            h.push_str("</ul>");
        }
        match l.prove(i) {
            Ok(r) => {
                let (cp, _) = Checkpoint::open(&r.checkpoint, &[s.key.public()]).map_err(|e| e.to_string())?;
                let data = json!({"index": i, "size": cp.size, "root": hex(&cp.root), "proof": r.proof.iter().map(|x| hex(x)).collect::<Vec<_>>(), "entry_b64": base64::engine::general_purpose::STANDARD.encode(&stored.bytes)});
                h.push_str(&format!(
                    "<h2>Inclusion proof</h2><p id=\"proof-result\">checking in your browser…</p><script type=\"application/json\" id=\"proof\">{}</script><script src=\"/ui/static/proof.js\"></script><pre>{}</pre>",
                    // Script data blocks are not entity-decoded: embed the JSON raw, with `<` escaped
                    // so nothing can close the element.
                    data.to_string().replace('<', "\\u003c"), esc(&r.to_text())
                ));
            }
            Err(err) => h.push_str(&format!("<h2>Inclusion proof</h2><p>{}</p>", esc(&err.to_string()))),
        }
        Ok(h)
    })
    .await;
    match body {
        Ok(b) => page(&format!("Entry {i}"), Some(&sess), &b).into_response(),
        Err(e) => refusal(StatusCode::NOT_FOUND, "Entry", Some(&sess), &esc(&e)),
    }
}

async fn checkpoints(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let body = blocking(move || {
        let mut l = lock(&s.reader);
        let cps = l.checkpoints().unwrap_or_default();
        let key = [s.key.public()];
        let mut rows = String::new();
        let mut prev: Option<Checkpoint> = None;
        for c in cps.iter().rev().take(200).collect::<Vec<_>>().into_iter().rev() {
            let opened = Checkpoint::open(&c.note, &key);
            let (sig, consistent) = match &opened {
                Ok((cp, _)) => {
                    let cons = match &prev {
                        Some(p) => match l.consistency_proof(p.size, cp.size) {
                            Ok(proof) => if verify_consistency(p.size, cp.size, &p.root, &cp.root, &proof).is_ok() { "<span class=\"pass\">consistent with previous</span>" } else { "<span class=\"bad\">NOT consistent</span>" },
                            Err(_) => "<span class=\"bad\">no proof</span>",
                        },
                        None => "first shown",
                    };
                    ("<span class=\"pass\">signature ok</span>", cons)
                }
                Err(_) => ("<span class=\"bad\">bad signature</span>", ""),
            };
            rows.push_str(&format!("<tr><td>{}</td><td>{}</td><td>{sig}</td><td>{consistent}</td></tr>", c.size, esc(&c.time)));
            prev = opened.ok().map(|x| x.0);
        }
        format!("<p>Each checkpoint is a C2SP signed note; every one is checked against the log key and proven consistent with the one before it.</p><table><tr><th>tree size</th><th>signed at</th><th>signature</th><th>consistency</th></tr>{rows}</table>")
    })
    .await;
    page("Checkpoints", Some(&sess), &body).into_response()
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
        return refusal(
            StatusCode::FORBIDDEN,
            "Export",
            Some(&sess),
            "Only auditors and administrators export evidence packs.",
        );
    }
    let system = q.get("system").cloned().filter(|x| !x.is_empty());
    let r = blocking(move || -> Result<Vec<u8>, String> {
        let out = s
            .store
            .join("tmp")
            .join(format!("ui-export-{}.tar", random_hex(8)));
        std::fs::create_dir_all(s.store.join("tmp")).map_err(|e| e.to_string())?;
        let mut l = lock(&s.reader);
        l.export(
            &LogQuery {
                system,
                ..Default::default()
            },
            &out,
            Utc::now(),
        )
        .map_err(|e| e.to_string())?;
        let b = std::fs::read(&out).map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&out);
        b
    })
    .await;
    match r {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/x-tar"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"evidence-pack.tar\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => refusal(StatusCode::NOT_FOUND, "Export", Some(&sess), &esc(&e)),
    }
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
        return refusal(
            StatusCode::BAD_REQUEST,
            "Deployment",
            Some(&sess),
            "Not an entry index.",
        );
    };
    let body = blocking(move || -> Result<String, String> {
        let mut l = lock(&s.reader);
        let (dep, dp) = predicate(&mut l, i).ok_or("no such entry")?;
        let st = dep.statement().map_err(|e| e.to_string())?;
        if st.predicate_type != DEPLOYMENT {
            return Err(format!("entry {i} is not a deployment record"));
        }
        let commit = st.subject.iter().find_map(|x| x.digest.get("gitCommit").cloned());
        let system = dep.system.clone().unwrap_or_default();
        let mut h = format!(
            "<div class=\"card\"><p>Deployment <a href=\"/ui/entries/{i}\">entry {i}</a> of <strong>{}</strong> to {} at {}, change {}, commit <code>{}</code>.</p></div>",
            esc(&system), esc(dp["environment"].as_str().unwrap_or("?")), esc(&dep.time), esc(dp["change_id"].as_str().unwrap_or("-")), esc(commit.as_deref().unwrap_or("-"))
        );
        // The gate decision for the same commit, before the deployment.
        let named = dp["gate_decision"].as_u64();
        let decision = commit.as_deref().and_then(|c| decision_before(&mut l, &system, c, named, i));
        match decision.and_then(|d| predicate(&mut l, d).map(|x| (d, x))) {
            None => h.push_str("<h2>Gate decision</h2><p class=\"bad\">No gate decision was recorded for this commit before the deployment.</p>"),
            Some((d, (de, p))) => {
                h.push_str(&format!("<h2>Gate decision</h2><p>{} at {} (<a href=\"/ui/entries/{d}\">entry {d}</a>)</p>", result_badge(p["result"].as_str().unwrap_or("")), esc(p["now"].as_str().unwrap_or(""))));
                // Who approved it: the approvals file the gate read, kept as a blob.
                h.push_str("<h2>Who approved it</h2>");
                match approvals_of(&l, &de) {
                    Some((b, list)) if !list.is_empty() => {
                        h.push_str("<table><tr><th>approver</th><th>roles</th><th>at</th><th>commit</th></tr>");
                        for a in &list {
                            h.push_str(&format!("<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>", esc(&a.by), esc(&a.roles.join(", ")), esc(&a.at), esc(&a.commit)));
                        }
                        h.push_str(&format!("</table><p>From {} (<code>{}</code>), attached to the decision.</p>", esc(&b.name), esc(&b.digest)));
                    }
                    _ => h.push_str("<p class=\"bad\">No approvals were given to the gate.</p>"),
                }
                h.push_str("<h2>Which tests ran</h2>");
                match p["tests"].as_array() {
                    Some(t) if t.len() == 5 => h.push_str(&format!("<p>{} tests: {} passed, {} failed, {} errors, {} skipped; line coverage {}%.</p>", t[0], t[1], t[2], t[3], t[4], p["coverage"])),
                    _ => h.push_str("<p class=\"bad\">No test report was given to the gate.</p>"),
                }
                let f = &p["findings"];
                h.push_str(&format!(
                    "<h2>Vulnerabilities and findings</h2><p>Active: {} critical, {} high, {} medium, {} other; {} waived; {} suppressed by the tools.</p>",
                    f["critical"], f["high"], f["medium"], f["other"], f["waived"], f["suppressed"]
                ));
                for w in p["waivers"].as_array().into_iter().flatten().filter(|w| w["covered"].as_array().is_some_and(|c| !c.is_empty())) {
                    h.push_str(&format!("<p>Waived under <strong>{}</strong> (owner {}, approver {}, expires {}).</p>", esc(w["id"].as_str().unwrap_or("")), esc(w["owner"].as_str().unwrap_or("")), esc(w["approver"].as_str().unwrap_or("")), esc(w["expires_at"].as_str().unwrap_or(""))));
                }
                if let Some(bg) = p.get("break_glass").filter(|b| !b.is_null()) {
                    h.push_str(&format!("<p class=\"override\">Released by break-glass: {} — {}</p>", esc(bg["approver"].as_str().unwrap_or("")), esc(bg["justification"].as_str().unwrap_or(""))));
                }
            }
        }
        // What happened afterwards: later evidence for the same system.
        h.push_str("<h2>What happened afterwards</h2>");
        let later = l.query(&LogQuery { system: Some(system.clone()), after: Some(i), limit: Some(50), ..Default::default() }).unwrap_or_default();
        if later.is_empty() {
            h.push_str("<p>No later evidence for this system.</p>");
        } else {
            h.push_str("<table><tr><th>entry</th><th>time</th><th>what</th></tr>");
            for j in later {
                if let Some((e, p)) = predicate(&mut l, j) {
                    let pt = e.statement().map(|x| x.predicate_type).unwrap_or_default();
                    let what = match pt.as_str() {
                        DEPLOYMENT => "next deployment".to_string(),
                        GATE => format!("gate decision: {}", p["result"].as_str().unwrap_or("")),
                        other => other.rsplit('/').nth(1).unwrap_or(other).to_string(),
                    };
                    h.push_str(&format!("<tr><td><a href=\"/ui/entries/{j}\">{j}</a></td><td>{}</td><td>{}</td></tr>", esc(&e.time), esc(&what)));
                }
            }
            h.push_str("</table>");
        }
        Ok(h)
    })
    .await;
    match body {
        Ok(b) => page("The audit question for one deployment", Some(&sess), &b).into_response(),
        Err(e) => refusal(StatusCode::NOT_FOUND, "Deployment", Some(&sess), &esc(&e)),
    }
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
    let body = blocking(move || -> Result<String, String> {
        // Only the look-up holds the reader lock; the model (hostile as any stored data) is
        // parsed after it is released.
        let (i, blob, data) = {
            let mut l = lock(&s.reader);
            let i = l.query(&LogQuery { predicate_type: Some(MODEL_CHECK.into()), newest_first: true, limit: Some(1), ..Default::default() }).map_err(|e| e.to_string())?.first().copied().ok_or("no model check recorded yet: run `plumb model check MODEL --record`")?;
            let (e, _) = predicate(&mut l, i).ok_or("the model check entry does not parse")?;
            let blob = e.blobs.first().cloned().ok_or("the model check has no model attached")?;
            let data = l.blobs().get(&blob.digest).map_err(|e| e.to_string())?;
            (i, blob, data)
        };
        let ext = std::path::Path::new(&blob.name).extension().and_then(|x| x.to_str()).filter(|x| x.chars().all(|c| c.is_ascii_alphanumeric())).unwrap_or("yaml").to_string();
        std::fs::create_dir_all(s.store.join("tmp")).map_err(|e| e.to_string())?;
        let tmp = s.store.join("tmp").join(format!("model-{}.{ext}", random_hex(6)));
        std::fs::write(&tmp, &data).map_err(|e| e.to_string())?;
        let model = plumb_model::load(&tmp).map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&tmp);
        let model = model?;
        let report = plumb_model::check::check(&model, plumb_model::check::Options::default());
        let flagged: std::collections::HashSet<String> = report.findings.iter().filter(|f| f.level == plumb_model::check::Level::Error).flat_map(|f| f.elements.clone()).collect();
        let svg = plumb_model::svg::render(&model, focus.as_deref(), &flagged);
        let mut h = format!("<p>{} (<a href=\"/ui/entries/{i}\">model check, entry {i}</a>, model digest <code>{}</code>).</p>", esc(&model.name), esc(&report.model_digest));
        h.push_str("<form method=\"get\"><label>Dependency slice of <select name=\"function\"><option value=\"\">(whole model)</option>");
        for f in &report.functions {
            h.push_str(&format!("<option value=\"{}\">{}</option>", esc(f), esc(f)));
        }
        h.push_str("</select></label> <button>Show</button></form>");
        h.push_str(&format!("<div class=\"card\">{svg}</div><h2>Findings</h2><ul>"));
        for f in &report.findings {
            h.push_str(&format!("<li><strong>{}</strong> {} <em>({})</em></li>", esc(&f.id), esc(&f.message), esc(&f.refs.join("; "))));
        }
        h.push_str("</ul><h2>Concentration on ICT providers</h2><ul>");
        for c in &report.concentration {
            h.push_str(&format!("<li>{}: {} of {} critical or important functions ({:.0}%)</li>", esc(&c.name), c.functions.len(), report.functions.len(), c.share * 100.0));
        }
        h.push_str("</ul>");
        Ok(h)
    })
    .await;
    match body {
        Ok(b) => page("Architecture", Some(&sess), &b).into_response(),
        Err(e) => page("Architecture", Some(&sess), &format!("<p>{}</p>", esc(&e))).into_response(),
    }
}
