//! Pages, errors, logging and the middleware every request passes through.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;

/// Why a request failed.
#[derive(Debug)]
pub enum AppError {
    /// The database failed.
    Database(String),
    /// Something else failed inside the service.
    Internal(String),
    /// Refused (403), with the reason shown.
    Forbidden(&'static str),
    /// Not found (404).
    NotFound,
    /// The request conflicts with the current state (409), with the reason shown.
    Conflict(String),
}

impl From<tokio_postgres::Error> for AppError {
    fn from(e: tokio_postgres::Error) -> Self {
        AppError::Database(e.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for AppError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        AppError::Database(e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            AppError::Database(e) | AppError::Internal(e) => {
                // The details go to the log, not to the browser.
                tracing::error!(error = %e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Try again later.".to_string(),
                )
            }
            AppError::Forbidden(why) => (StatusCode::FORBIDDEN, why.to_string()),
            AppError::NotFound => (StatusCode::NOT_FOUND, "Not found.".to_string()),
            AppError::Conflict(why) => (StatusCode::CONFLICT, why),
        };
        let body = format!(
            "<p class=\"error\">{}</p><p><a href=\"/\">Home</a></p>",
            esc(&text)
        );
        (
            status,
            page(status.canonical_reason().unwrap_or("Error"), None, &body),
        )
            .into_response()
    }
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A hidden CSRF field for a form.
pub fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf_token\" value=\"{}\">",
        esc(token)
    )
}

/// A whole page. `signed_in` is (email, CSRF token) for the sign-out button.
pub fn page(title: &str, signed_in: Option<(&str, &str)>, body: &str) -> Html<String> {
    let nav = match signed_in {
        Some((email, csrf)) => format!(
            "<span>Signed in as {}</span>{}<form method=\"post\" action=\"/logout\" class=\"inline\">{}<button type=\"submit\">Sign out</button></form>",
            esc(email),
            if crate::HAS_ONBOARDING {
                " <a href=\"/onboarding\">Onboarding</a>"
            } else {
                ""
            },
            csrf_field(csrf)
        ),
        None => "<a href=\"/login\">Sign in</a> <a href=\"/register\">Register</a>".into(),
    };
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} · {app}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\n<body><header><a class=\"brand\" href=\"/\">{app}</a><nav>{nav}</nav></header>\n<main><h1>{title}</h1>\n{body}\n</main></body></html>\n",
        title = esc(title),
        app = esc(crate::TITLE),
    ))
}

/// The style sheet (served by the service itself: no CDN, works air-gapped).
pub async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/app.css"),
    )
}

/// 404 for unknown paths.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// JSON logs on standard output, one object per line; level from LOG_LEVEL (default info).
pub fn init_logging() {
    // An unknown level is refused by the configuration right after; until then, info.
    let level = std::env::var("LOG_LEVEL")
        .ok()
        .and_then(|l| crate::config::log_filter(&l))
        .unwrap_or("info");
    let filter = tracing_subscriber::EnvFilter::new(level);
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_env_filter(filter)
        .try_init();
}

fn request_id(req: &Request) -> String {
    let given = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    match given {
        Some(v) => v.to_string(),
        None => {
            let mut b = [0u8; 12];
            let _ = getrandom::fill(&mut b);
            b.iter().map(|x| format!("{x:02x}")).collect()
        }
    }
}

/// Logs every request as one JSON line, counts it in the metrics, and adds the request id and
/// the security headers to the response.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let mut res = next.run(req).await;
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    state
        .metrics
        .request(&method, &route, status, elapsed.as_secs_f64());
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %path,
        status,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; form-action 'self'; frame-ancestors 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Pages carry CSRF tokens and account data: no cache may keep them.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let p = page("<T>", Some(("e@x.eu", "tok\"en")), "body").0;
        assert!(p.contains("&lt;T&gt;"));
        assert!(p.contains("value=\"tok&quot;en\""));
        assert!(!p.contains("<T>"));
    }
}
