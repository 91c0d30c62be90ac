//! RFC 9457 problem details: every error the server returns. Never a stack trace or an
//! internal message: internal errors are logged with the request id and answered generically.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A problem response.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened and what to do.
    pub detail: String,
}

impl Problem {
    /// A problem with a status, a slug for its type, and a detail.
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("https://plumbline.dev/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    /// 400.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    /// 401.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    /// 503: the append queue is full. The response carries `Retry-After`.
    pub fn busy() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the evidence log is busy; retry after a second",
        )
    }

    /// 500, with no internal detail.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request; the incident is logged with the request id",
        )
    }

    /// 500 for an error that should not happen; the error is logged, never shown.
    pub fn internal_logged(e: &dyn std::fmt::Display) -> Self {
        eprintln!(
            "{}",
            serde_json::json!({"level": "error", "msg": "internal error", "error": e.to_string()})
        );
        Self::internal()
    }

    /// Maps a ledger error: input problems are the client's (400/404/413/422), integrity and
    /// storage failures are internal (logged, never shown).
    pub fn from_ledger(e: plumb_ledger::Error) -> Self {
        use plumb_ledger::Error as E;
        match e {
            E::Malformed(m) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "malformed", m),
            E::Signature(m) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "signature",
                format!("signature: {m}"),
            ),
            E::TooLarge { what, size, limit } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                format!("{what} is {size} bytes, over the limit of {limit}"),
            ),
            E::NotFound(m) => Self::not_found(m),
            E::State(m) => Self::new(StatusCode::CONFLICT, "state", m),
            E::Busy => Self::busy(),
            other => {
                eprintln!(
                    "{}",
                    serde_json::json!({"level": "error", "msg": "ledger error", "error": other.to_string()})
                );
                Self::internal()
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let busy = self.status == 503 && self.kind.ends_with("/busy");
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // Four strings and a number always serialise; the fallback is there so that no path
        // of the error handler itself can panic.
        let body = serde_json::to_string(&self).unwrap_or_else(|_| "{}".into());
        let mut r = (status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if busy {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}
