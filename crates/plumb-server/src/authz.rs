//! Authentication and authorisation of every request, decided from the route table
//! ([`crate::routes`]) before any handler runs. Fail closed: a method and path that are not in
//! the table never reach a handler (401 without credentials, 404 or 405 with them); HEAD is
//! authorised exactly as GET; OPTIONS on a known path answers `Allow` and nothing else. A
//! webhook route ([`Access::Hook`]) takes its token from the bearer header or, for Flagger,
//! from the body's `metadata.token`, and is checked here like any other.
//!
//! A valid token is never refused by the failed-authentication limiter: the limiter only holds
//! back clients that fail, keyed by their address (or the address a trusted proxy names).

use plumb_records::audit::AuditEvent;
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use crate::problem::Problem;
use crate::routes::{self, Access, Lookup};
use crate::state::{AppState, lock};
use crate::tokens::{Role, TokenRecord};

/// The UI's session cookie.
pub const SESSION_COOKIE: &str = "plumb_session";

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_string())
}

fn rate_limited(s: &AppState) -> Response {
    s.metrics
        .rate_limited
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut r = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "too many failed authentications from this address; wait a minute",
    )
    .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    r
}

/// Checks a presented token; the limiter is consulted only when it is not valid.
fn check_token(s: &AppState, secret: &str) -> Result<TokenRecord, crate::tokens::AuthError> {
    let mut t = lock(&s.tokens);
    if let Err(e) = t.refresh() {
        eprintln!(
            "{}",
            json!({"level": "error", "msg": "token file unreadable", "error": e})
        );
    }
    t.check(secret, s.now())
}

/// For a request the table does not know: `None` when the caller holds a valid credential
/// (a token or a live session), so it may learn that the route is missing (404/405); else the
/// answer to give. A wrong token counts against the client like anywhere else (so unknown
/// paths are no free oracle) and is checked once.
fn unknown_route_refusal(
    s: &AppState,
    client: IpAddr,
    method: &str,
    headers: &HeaderMap,
) -> Option<Response> {
    if let Some(secret) = bearer(headers) {
        if check_token(s, &secret).is_ok() {
            return None;
        }
        if s.limited(client) {
            return Some(rate_limited(s));
        }
        s.failed(client);
        s.access.count(
            &format!("client {client}"),
            method,
            "(unknown)",
            "bad-token",
        );
        return Some(
            Problem::unauthorized("send an API token: Authorization: Bearer plumb_...")
                .into_response(),
        );
    }
    if cookie(headers, SESSION_COOKIE).is_some_and(|c| s.session_of(&c).is_some()) {
        return None;
    }
    Some(unknown_anonymous(s, client, method))
}

/// The middleware.
pub async fn authorise(
    State(s): State<Arc<AppState>>,
    ConnectInfo(crate::tls::ClientAddr(peer)): ConnectInfo<crate::tls::ClientAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let client = s.client_of(peer.ip(), req.headers());
    if method == "OPTIONS" {
        let allow = routes::allowed(&path);
        if !allow.is_empty() {
            return options(&allow);
        }
    }
    match routes::lookup(&method, &path) {
        Lookup::Found(_, Access::Public) => next.run(req).await,
        Lookup::Found(route, Access::Roles(roles)) => {
            match api_caller(&s, client, &method, route, roles, bearer(req.headers())) {
                Ok(rec) => {
                    req.extensions_mut().insert(rec);
                    next.run(req).await
                }
                Err(r) => *r,
            }
        }
        Lookup::Found(route, Access::Hook(roles)) => {
            let (secret, mut req) = match bearer(req.headers()) {
                Some(b) => (Some(b), req),
                None => match token_in_body(&s, req).await {
                    Ok(found) => found,
                    Err(r) => return *r,
                },
            };
            match api_caller(&s, client, &method, route, roles, secret) {
                Ok(rec) => {
                    req.extensions_mut().insert(rec);
                    next.run(req).await
                }
                Err(r) => *r,
            }
        }
        Lookup::Found(route, Access::Session(roles)) => {
            let sess = cookie(req.headers(), SESSION_COOKIE).and_then(|c| s.session_of(&c));
            match sess {
                None if method == "GET" || method == "HEAD" => {
                    Redirect::to("/ui/login").into_response()
                }
                None => Problem::unauthorized("log in first: /ui/login").into_response(),
                Some(sess) if !roles.contains(&sess.token.role) => {
                    refuse(&s, &sess.token, &method, route);
                    crate::templates::message(
                        StatusCode::FORBIDDEN,
                        "Not allowed",
                        Some(&sess),
                        &format!(
                            "The role {} may not open this page.",
                            sess.token.role.name()
                        ),
                        None,
                    )
                }
                Some(sess) => {
                    req.extensions_mut().insert(sess);
                    next.run(req).await
                }
            }
        }
        Lookup::MethodNotAllowed(methods) => {
            if let Some(r) = unknown_route_refusal(&s, client, &method, req.headers()) {
                return r;
            }
            let mut r = Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                format!("{path} takes {}", methods.join(", ")),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&routes::allowed(&path).join(", ")) {
                r.headers_mut().insert(header::ALLOW, v);
            }
            r
        }
        Lookup::NotFound => {
            if let Some(r) = unknown_route_refusal(&s, client, &method, req.headers()) {
                return r;
            }
            Problem::not_found("no such route; the API is described at /v1/openapi.json")
                .into_response()
        }
    }
}

fn options(allow: &[&str]) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
        r.headers_mut().insert(header::ALLOW, v);
    }
    r
}

/// An anonymous request for something the table does not have: answered like any anonymous
/// request to a protected route, so nothing about the server's routes leaks.
fn unknown_anonymous(s: &AppState, client: IpAddr, method: &str) -> Response {
    s.access
        .count(&format!("client {client}"), method, "(unknown)", "no-token");
    Problem::unauthorized("send an API token: Authorization: Bearer plumb_...").into_response()
}

/// Records a role or scope refusal as an individual security event.
pub fn refuse(s: &AppState, who: &TokenRecord, method: &str, route: &str) {
    s.metrics
        .forbidden
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    s.security_event(
        &format!("token {}", who.id),
        &who.hash,
        AuditEvent::AuthForbidden {
            token: who.id.clone(),
            role: who.role.name().into(),
            method: method.to_string(),
            route: route.to_string(),
        },
    );
}

/// The most a webhook body may hold: Flagger sends a name, a namespace, a phase, a checksum
/// and a few metadata strings.
const HOOK_BODY_LIMIT: usize = 16 * 1024;

/// The token a webhook carries in its JSON body (`metadata.token`), for callers that cannot
/// send an `Authorization` header. The body is read (bounded) and put back for the handler.
/// A body that is not JSON or has no token yields no secret, so the caller is refused as
/// unauthenticated before anything is said about what it asked; only a body too large (413)
/// or too slow (408) is refused before that, as it cannot be read.
async fn token_in_body(
    s: &AppState,
    req: Request,
) -> Result<(Option<String>, Request), Box<Response>> {
    #[derive(serde::Deserialize)]
    struct Hook {
        metadata: Option<Metadata>,
    }
    #[derive(serde::Deserialize)]
    struct Metadata {
        token: Option<String>,
    }
    let (parts, body) = req.into_parts();
    // The body is read before anyone is authenticated, so its read is bounded in time as
    // well as size: a client trickling it cannot hold a connection.
    let read = tokio::time::timeout(
        s.request_timeout,
        axum::body::to_bytes(body, HOOK_BODY_LIMIT),
    );
    let bytes = match read.await {
        Err(_) => {
            s.metrics
                .timeouts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Err(Box::new(
                Problem::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request-timeout",
                    "the webhook's body did not arrive in time",
                )
                .into_response(),
            ));
        }
        Ok(Err(_)) => {
            return Err(Box::new(
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    format!("a webhook body holds at most {HOOK_BODY_LIMIT} bytes"),
                )
                .into_response(),
            ));
        }
        Ok(Ok(b)) => b,
    };
    let secret = serde_json::from_slice::<Hook>(&bytes)
        .ok()
        .and_then(|h| h.metadata)
        .and_then(|m| m.token)
        .map(|t| t.trim().to_string());
    Ok((
        secret,
        Request::from_parts(parts, axum::body::Body::from(bytes)),
    ))
}

/// Authenticates an API request by the secret it presented and checks its role.
fn api_caller(
    s: &AppState,
    client: IpAddr,
    method: &str,
    route: &str,
    roles: &[Role],
    secret: Option<String>,
) -> Result<TokenRecord, Box<Response>> {
    let Some(secret) = secret else {
        if s.limited(client) {
            return Err(Box::new(rate_limited(s)));
        }
        s.metrics
            .auth_failures
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        s.access
            .count(&format!("client {client}"), method, route, "no-token");
        return Err(Box::new(
            Problem::unauthorized("send an API token: Authorization: Bearer plumb_...")
                .into_response(),
        ));
    };
    match check_token(s, &secret) {
        Err(e) => {
            if s.limited(client) {
                return Err(Box::new(rate_limited(s)));
            }
            s.failed(client);
            s.access
                .count(&format!("client {client}"), method, route, "bad-token");
            Err(Box::new(
                Problem::unauthorized(e.to_string()).into_response(),
            ))
        }
        Ok(rec) => {
            if s.access.first_use(&rec.id) {
                s.security_event(
                    &format!("token {}", rec.id),
                    &rec.hash,
                    AuditEvent::TokenFirstUse {
                        token: rec.id.clone(),
                        role: rec.role.name().into(),
                        method: method.to_string(),
                        route: route.to_string(),
                        client: client.to_string(),
                    },
                );
            }
            if !roles.contains(&rec.role) {
                refuse(s, &rec, method, route);
                s.access
                    .count(&format!("token {}", rec.id), method, route, "forbidden");
                return Err(Box::new(
                    Problem::forbidden(format!(
                        "role {} may not {method} {route}",
                        rec.role.name()
                    ))
                    .into_response(),
                ));
            }
            s.access
                .count(&format!("token {}", rec.id), method, route, "ok");
            Ok(rec)
        }
    }
}
