//! The JSON API under `/v1`, plus health, readiness and metrics.

use plumb_records::audit::AuditEvent;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use plumb_ledger::entry::{Annotations, BlobRef, LogEntry, parse_time};
use plumb_ledger::hash::hex;
use plumb_ledger::store::Query as LogQuery;

use crate::problem::Problem;
use crate::scope::Scope;
use crate::state::{AppState, lock};
use crate::tokens::{Role, TokenRecord};

type ApiResult = Result<Response, Problem>;

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Problem::internal())?
}

pub(crate) fn json_response(status: StatusCode, v: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

pub async fn healthz() -> Response {
    json_response(StatusCode::OK, json!({"status": "ok"}))
}

/// Readiness: the store answers. Public, so it says nothing about the data.
pub async fn readyz(State(s): State<Arc<AppState>>) -> ApiResult {
    blocking(move || {
        lock(&s.reader).size().map_err(|_| {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not-ready",
                "the store does not answer",
            )
        })
    })
    .await?;
    Ok(json_response(StatusCode::OK, json!({"status": "ready"})))
}

pub async fn metrics(State(s): State<Arc<AppState>>) -> ApiResult {
    let s2 = s.clone();
    let (size, incidents, delivery) = blocking(move || {
        let size = lock(&s2.reader).size().map_err(Problem::from_ledger)?;
        Ok((
            size,
            crate::incidents::metrics(&s2),
            crate::delivery::metrics(&s2),
        ))
    })
    .await?;
    let m = &s.metrics;
    let mut out = String::new();
    out.push_str("# HELP plumb_http_responses_total HTTP responses by status class.\n# TYPE plumb_http_responses_total counter\n");
    for (i, class) in ["2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
        out.push_str(&format!(
            "plumb_http_responses_total{{class=\"{class}\"}} {}\n",
            m.responses[i].load(Ordering::Relaxed)
        ));
    }
    out.push_str(&format!("# HELP plumb_appends_total Entries appended through the API.\n# TYPE plumb_appends_total counter\nplumb_appends_total {}\n", m.appends.load(Ordering::Relaxed)));
    out.push_str(&format!("# HELP plumb_auth_failures_total Failed authentications.\n# TYPE plumb_auth_failures_total counter\nplumb_auth_failures_total {}\n", m.auth_failures.load(Ordering::Relaxed)));
    out.push_str(&format!("# HELP plumb_rate_limited_total Requests refused after too many failed authentications.\n# TYPE plumb_rate_limited_total counter\nplumb_rate_limited_total {}\n", m.rate_limited.load(Ordering::Relaxed)));
    out.push_str(&format!("# HELP plumb_forbidden_total Requests refused for their role or scope.\n# TYPE plumb_forbidden_total counter\nplumb_forbidden_total {}\n", m.forbidden.load(Ordering::Relaxed)));
    out.push_str(&format!("# HELP plumb_handler_panics_total Handlers that panicked (answered 500).\n# TYPE plumb_handler_panics_total counter\nplumb_handler_panics_total {}\n", m.panics.load(Ordering::Relaxed)));
    out.push_str(&format!("# HELP plumb_connections_refused_total Connections closed on arrival at the connection cap.\n# TYPE plumb_connections_refused_total counter\nplumb_connections_refused_total {}\n", m.connections_refused.load(Ordering::Relaxed)));
    out.push_str(&format!("# HELP plumb_request_timeouts_total Requests that ran past the request timeout (408).\n# TYPE plumb_request_timeouts_total counter\nplumb_request_timeouts_total {}\n", m.timeouts.load(Ordering::Relaxed)));
    out.push_str(&format!("# HELP plumb_log_entries Entries in the evidence log.\n# TYPE plumb_log_entries gauge\nplumb_log_entries {size}\n"));
    out.push_str(&incidents);
    out.push_str(&delivery);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}

pub async fn openapi() -> Response {
    json_response(StatusCode::OK, crate::openapi::document())
}

/// `GET /v1/schemas/{name}`: the JSON Schema of a record type, with its predicate type.
pub async fn schema(Path(name): Path<String>) -> ApiResult {
    plumb_records::schemas()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .map(|(n, uri, schema)| {
            json_response(
                StatusCode::OK,
                json!({"name": n, "predicate_type": uri, "schema": schema}),
            )
        })
        .ok_or_else(|| {
            let names: Vec<&str> = plumb_records::schemas().iter().map(|s| s.0).collect();
            Problem::not_found(format!("no record type {name:?}; there are {names:?}"))
        })
}

pub(crate) fn require_json(headers: &HeaderMap) -> Result<(), Problem> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.split(';').next().map(str::trim) != Some("application/json") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            format!("expected Content-Type application/json, got {ct:?}"),
        ));
    }
    Ok(())
}

fn label(q: &HashMap<String, String>, key: &str) -> Option<String> {
    q.get(key).cloned().filter(|v| !v.is_empty())
}

/// Most blobs one appended entry may reference.
const MAX_BLOB_REFS: usize = 64;

/// The `blob=NAME@sha256:HEX` parameters of an append: blobs uploaded beforehand through
/// `POST /v1/blobs`, each of which must be in the store.
fn blob_refs(s: &AppState, pairs: &[(String, String)]) -> Result<Vec<BlobRef>, Problem> {
    let raw: Vec<&String> = pairs
        .iter()
        .filter(|(k, _)| k == "blob")
        .map(|p| &p.1)
        .collect();
    if raw.len() > MAX_BLOB_REFS {
        return Err(Problem::bad_request(format!(
            "at most {MAX_BLOB_REFS} blob references per entry"
        )));
    }
    raw.into_iter()
        .map(|v| {
            let (name, digest) = v.rsplit_once('@').ok_or_else(|| {
                Problem::bad_request(format!("blob {v:?}: expected NAME@sha256:HEX"))
            })?;
            if plumb_ledger::hash::parse_sha256_ref(digest).is_err() {
                return Err(Problem::bad_request(format!(
                    "blob {v:?}: {digest:?} is not sha256:<64 hex>"
                )));
            }
            let size = s
                .blobs
                .size_of(digest)
                .map_err(Problem::from_ledger)?
                .ok_or_else(|| {
                    Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "unknown-blob",
                        format!(
                            "blob {digest} is not in the store: upload it first (POST /v1/blobs)"
                        ),
                    )
                })?;
            Ok(BlobRef {
                name: crate::evaluate::base_name(name),
                digest: digest.to_string(),
                size,
            })
        })
        .collect()
}

pub async fn append(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require_json(&headers)?;
    let q: HashMap<String, String> = pairs.iter().cloned().collect();
    let system = label(&q, "system");
    in_scope(&who, system.as_deref())?;
    let blobs = blob_refs(&s, &pairs)?;
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
        return Err(Problem::bad_request(format!("body is not JSON: {e}")));
    }
    let ann = Annotations {
        system,
        run: label(&q, "run"),
        blobs,
    };
    let st = s.clone();
    let who2 = who.clone();
    let (index, leaf) = blocking(move || {
        let entry =
            plumb_ledger::entry::prepare(&body, ann, &st.trusted, st.max_envelope, st.now())
                .map_err(Problem::from_ledger)?;
        // Refused whoever signed them: a store-signed envelope taken from an export and
        // replayed would otherwise re-open an incident or re-label a decision.
        if crate::state::RESERVED_TYPES.contains(&entry.predicate_type.as_str()) {
            crate::authz::refuse(&st, &who2, "POST", "/v1/entries");
            return Err(Problem::forbidden(format!(
                "{} records are written by the server itself; they cannot be appended through the API",
                entry.predicate_type
            )));
        }
        let leaf = hex(&entry.leaf_hash);
        let i = st
            .writer
            .try_submit(entry)
            .and_then(|t| t.wait())
            .map_err(Problem::from_ledger)?;
        Ok((i, leaf))
    })
    .await?;
    s.metrics.appends.fetch_add(1, Ordering::Relaxed);
    Ok(json_response(
        StatusCode::CREATED,
        json!({"index": index, "leaf_hash": leaf, "proof": format!("/v1/entries/{index}/proof")}),
    ))
}

/// Refuses a recorder writing outside its systems; other writers may write anywhere.
pub fn in_scope(who: &TokenRecord, system: Option<&str>) -> Result<(), Problem> {
    if who.role != Role::Recorder {
        return Ok(());
    }
    match system {
        Some(sys) if who.systems.iter().any(|s| s == sys) => Ok(()),
        Some(sys) => Err(Problem::forbidden(format!(
            "this recorder token may write to {:?}, not {sys:?}",
            who.systems
        ))),
        None => Err(Problem::forbidden(format!(
            "recorder tokens must name their system, one of {:?}",
            who.systems
        ))),
    }
}

fn query_of(q: &HashMap<String, String>) -> Result<LogQuery, Problem> {
    let time = |k: &str| {
        label(q, k)
            .map(|v| parse_time(&v))
            .transpose()
            .map_err(|e| Problem::bad_request(format!("{k}: {e}")))
    };
    let num = |k: &str| {
        label(q, k)
            .map(|v| v.parse::<u64>())
            .transpose()
            .map_err(|_| Problem::bad_request(format!("{k} must be a non-negative integer")))
    };
    let limit = num("limit")?.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(Problem::bad_request("limit must be between 1 and 1000"));
    }
    Ok(LogQuery {
        subject: label(q, "subject"),
        predicate_type: label(q, "predicate_type"),
        system: label(q, "system"),
        run: label(q, "run"),
        since: time("since")?,
        until: time("until")?,
        after: num("after")?,
        newest_first: q.get("order").is_some_and(|o| o == "newest"),
        limit: Some(limit),
        systems_in: None,
    })
}

/// An entry as JSON (shared with the UI).
pub fn entry_json(l: &mut plumb_ledger::Ledger, index: u64) -> Result<Value, Problem> {
    let e = l.entry(index).map_err(Problem::from_ledger)?;
    let parsed = LogEntry::parse(&e.bytes).map_err(Problem::from_ledger)?;
    let st = parsed.statement().map_err(Problem::from_ledger)?;
    Ok(json!({
        "index": index,
        "time": parsed.time,
        "system": parsed.system,
        "run": parsed.run,
        "predicate_type": st.predicate_type,
        "subjects": st.subject,
        "predicate": st.predicate,
        "signatures": parsed.envelope.signatures,
        "blobs": parsed.blobs,
        "leaf_hash": hex(&e.leaf_hash),
        "envelope": parsed.envelope,
    }))
}

pub async fn list(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let mut query = query_of(&q)?;
    Scope::of(&who).narrow(&mut query)?;
    let v = blocking(move || {
        let mut l = lock(&s.reader);
        let ids = l.query(&query).map_err(Problem::from_ledger)?;
        let items = ids
            .iter()
            .map(|i| entry_json(&mut l, *i))
            .collect::<Result<Vec<_>, _>>()?;
        let next = if ids.len() as u64 == query.limit.unwrap_or(0) {
            ids.last().copied()
        } else {
            None
        };
        Ok(json!({"items": items, "next_after": next}))
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

fn index_of(raw: &str) -> Result<u64, Problem> {
    raw.parse()
        .map_err(|_| Problem::bad_request(format!("entry index {raw:?} is not a number")))
}

pub async fn get_entry(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Path(raw): Path<String>,
) -> ApiResult {
    let i = index_of(&raw)?;
    let v = blocking(move || {
        let mut l = lock(&s.reader);
        Scope::of(&who).entry(&mut l, i)?;
        entry_json(&mut l, i)
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

pub async fn proof(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Path(raw): Path<String>,
) -> ApiResult {
    let i = index_of(&raw)?;
    let v = blocking(move || {
        let mut l = lock(&s.reader);
        Scope::of(&who).entry(&mut l, i)?;
        let r = l.prove(i).map_err(Problem::from_ledger)?;
        Ok(json!({"index": i, "proof": r.proof.iter().map(|h| hex(h)).collect::<Vec<_>>(), "checkpoint": r.checkpoint, "receipt": r.to_text()}))
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

pub async fn checkpoint(State(s): State<Arc<AppState>>) -> ApiResult {
    let v = blocking(move || {
        let mut l = lock(&s.reader);
        match l.latest_checkpoint().map_err(Problem::from_ledger)? {
                        Some((stored, cp)) => {
                let cosigned_by: Vec<_> = l
                    .cosignatures(cp.size)
                    .map_err(Problem::from_ledger)?
                    .into_iter()
                    .map(|c| json!({"witness": c.witness, "time": c.time}))
                    .collect();
                Ok(json!({"size": cp.size, "root_hash": hex(&cp.root), "note": stored.note, "time": stored.time, "cosigned_by": cosigned_by}))
            }
            None => Err(Problem::not_found("no checkpoint yet")),
        }
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

pub async fn consistency(
    State(s): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let n = |k: &str| {
        q.get(k)
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| Problem::bad_request(format!("{k} must be a tree size")))
    };
    let (old, new) = (n("old")?, n("new")?);
    let v = blocking(move || {
        let mut l = lock(&s.reader);
        let size = l.size().map_err(Problem::from_ledger)?;
        if old > new || new > size {
            return Err(Problem::bad_request(format!(
                "need old <= new <= {size} (the log size)"
            )));
        }
        let p = l
            .consistency_proof(old, new)
            .map_err(Problem::from_ledger)?;
        Ok(json!({"old": old, "new": new, "proof": p.iter().map(|h| hex(h)).collect::<Vec<_>>()}))
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

pub async fn put_blob(State(s): State<Arc<AppState>>, body: Body) -> ApiResult {
    // Stream the body to a temporary file, counting bytes, then store it by digest.
    let limit = s.max_blob;
    let tmp_dir = s.store.join("tmp");
    std::fs::create_dir_all(&tmp_dir).map_err(|_| Problem::internal())?;
    let tmp = tmp_dir.join(format!("upload-{}", crate::state::random_hex(8)));
    let mut file = std::fs::File::create(&tmp).map_err(|_| Problem::internal())?;
    let mut body = body;
    let mut size = 0u64;
    use std::io::Write;
    loop {
        let frame = std::future::poll_fn(|cx| {
            use axum::body::HttpBody;
            std::pin::Pin::new(&mut body).poll_frame(cx)
        })
        .await;
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|_| Problem::bad_request("the upload was interrupted"))?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        size += chunk.len() as u64;
        if size > limit {
            let _ = std::fs::remove_file(&tmp);
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                format!("blob is over the limit of {limit} bytes"),
            ));
        }
        file.write_all(&chunk).map_err(|_| Problem::internal())?;
    }
    drop(file);
    let path = tmp.clone();
    let (digest, size) = blocking(move || {
        let r = s.blobs.put_file(&path).map_err(Problem::from_ledger);
        let _ = std::fs::remove_file(&path);
        r
    })
    .await?;
    Ok(json_response(
        StatusCode::CREATED,
        json!({"digest": digest, "size": size}),
    ))
}

/// Query of `GET /v1/blobs/{digest}`.
#[derive(Debug, serde::Deserialize)]
pub struct BlobQuery {
    /// The entry that attaches the blob: required of readers limited to systems, whose scope
    /// is checked on that entry.
    entry: Option<u64>,
}

pub async fn get_blob(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Path(digest): Path<String>,
    Query(q): Query<BlobQuery>,
) -> ApiResult {
    let data = blocking(move || {
                plumb_ledger::hash::parse_sha256_ref(&digest).map_err(|_| {
            Problem::bad_request(format!(
                "{digest:?} is not a SHA-256 digest (sha256:<64 hex>)"
            ))
        })?;
        let scope = Scope::of(&who);
        if scope != Scope::All {
            // A blob is content-addressed and may be shared by entries of several systems:
            // a scoped reader names the entry it reads it through.
            let i = q.entry.ok_or_else(|| {
                Problem::bad_request(
                    "this token reads only some systems: name the entry that attaches the blob (?entry=N)",
                )
            })?;
            let e = scope.entry(&mut lock(&s.reader), i)?;
            if !e.blobs.iter().any(|b| b.digest == digest) {
                return Err(Problem::not_found(format!(
                    "entry {i} attaches no blob {digest}"
                )));
            }
        }
        s.blobs.get(&digest).map_err(Problem::from_ledger)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], data).into_response())
}

pub async fn export(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let mut query = query_of(&q)?;
    query.limit = None;
    Scope::of(&who).narrow(&mut query)?;
    crate::download::export(s, query).await
}

pub async fn list_tokens(State(s): State<Arc<AppState>>) -> ApiResult {
    let t = lock(&s.tokens);
    let items: Vec<Value> = t.list().iter().map(|r| json!({"id": r.id, "role": r.role, "systems": r.systems, "label": r.label, "created": r.created, "expires": r.expires, "revoked": r.revoked})).collect();
    Ok(json_response(StatusCode::OK, json!({"items": items})))
}

pub async fn create_token(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require_json(&headers)?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request(format!("body is not JSON: {e}")))?;
    let role = v
        .get("role")
        .and_then(Value::as_str)
        .and_then(Role::parse)
        .ok_or_else(|| {
            Problem::bad_request(
                "role must be admin, recorder, auditor, incident-manager, metrics or controller",
            )
        })?;
    let systems: Vec<String> = v
        .get("systems")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let label = v
        .get("label")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let ttl = match v.get("ttl_hours") {
        None | Some(Value::Null) => None,
        Some(h) => Some(
            h.as_i64()
                .ok_or_else(|| Problem::bad_request("ttl_hours must be a whole number of hours"))
                .and_then(|h| crate::tokens::ttl_from_hours(h).map_err(Problem::bad_request))?,
        ),
    };
    let (secret, rec) = lock(&s.tokens)
        .create(role, systems, &label, ttl, s.now())
        .map_err(Problem::bad_request)?;
    s.audit(
        &format!("token {}", rec.id),
        &rec.hash,
        AuditEvent::TokenCreate {
            token: rec.id.clone(),
            role: rec.role.name().into(),
            systems: rec.systems.clone(),
            by: who.id.clone(),
        },
        true,
    )
    .map_err(|_| Problem::internal())?;
    Ok(json_response(
        StatusCode::CREATED,
        json!({"token": secret, "id": rec.id, "role": rec.role, "expires": rec.expires}),
    ))
}

pub async fn revoke_token(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Path(id): Path<String>,
) -> ApiResult {
    let rec = lock(&s.tokens)
        .revoke(&id, s.now())
        .map_err(Problem::not_found)?;
    s.audit(
        &format!("token {}", rec.id),
        &rec.hash,
        AuditEvent::TokenRevoke {
            token: rec.id.clone(),
            by: who.id.clone(),
        },
        true,
    )
    .map_err(|_| Problem::internal())?;
    Ok(json_response(
        StatusCode::OK,
        json!({"id": rec.id, "revoked": rec.revoked}),
    ))
}

/// `GET /v1/sessions`: live UI sessions (never their cookie values).
pub async fn list_sessions(State(s): State<Arc<AppState>>) -> ApiResult {
    Ok(json_response(
        StatusCode::OK,
        json!({"items": s.list_sessions()}),
    ))
}

/// `DELETE /v1/sessions/{id}`: ends a UI session; audited.
pub async fn revoke_session(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Path(id): Path<String>,
) -> ApiResult {
    let info = s
        .revoke_session(&id)
        .ok_or_else(|| Problem::not_found(format!("no live session {id}")))?;
    s.audit(
        &format!("session {}", info.id),
        &plumb_ledger::hash::hex(&plumb_ledger::hash::sha256(info.id.as_bytes())),
        AuditEvent::SessionRevoke {
            session: info.id.clone(),
            token: info.token.clone(),
            by: who.id.clone(),
        },
        true,
    )
    .map_err(|_| Problem::busy())?;
    Ok(json_response(
        StatusCode::OK,
        json!({"id": info.id, "ended": true}),
    ))
}
