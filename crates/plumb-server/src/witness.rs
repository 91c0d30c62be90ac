//! `plumb witness`: a C2SP tlog-witness over HTTP. `POST /add-checkpoint` takes the old size,
//! a consistency proof and a signed checkpoint, and answers with the witness's cosignature or
//! the protocol's refusal (`plumb_ledger::witness` decides); `GET /healthz` says it is up.
//! Requests are bounded in size and in time: a witness answers anyone who asks.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use plumb_ledger::witness::{MAX_REQUEST, Witness};

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
