//! Accepting connections with limits, for plain HTTP and TLS alike: at most
//! `max_connections` at once (TLS handshakes included; past it a new connection is closed at
//! once and counted), a TLS handshake within `handshake_timeout`, and request headers within
//! `header_read_timeout`, which also ends a keep-alive connection idle for that long (hyper
//! starts the timer whenever it waits for a request head). Whole requests are bounded by the
//! request timeout layer in `lib.rs`. Shutdown stops accepting, lets requests in flight finish
//! and closes idle connections.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tower_service::Service;

use crate::tls::ClientAddr;

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once, TLS handshakes included.
    pub max_connections: usize,
    /// Longest a TLS handshake may take.
    pub handshake_timeout: Duration,
    /// Longest a client may take to send a request's headers, and longest a keep-alive
    /// connection may stay idle.
    pub header_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` (through `tls` when given) until `shutdown` resolves, then waits
/// for open connections to finish (at most `drain`). `on_refused` counts connections turned
/// away at the cap.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    on_refused: Box<dyn Fn() + Send + Sync>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (closing, closed) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            on_refused();
            drop(tcp);
            continue;
        };
        let (app, tls, closed) = (app.clone(), tls.clone(), closed.clone());
        tokio::spawn(async move {
            let _slot = slot;
            match tls {
                Some(acceptor) => {
                    let hs = tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp));
                    if let Ok(Ok(stream)) = hs.await {
                        connection(stream, peer, app, limits, closed).await;
                    }
                }
                None => connection(tcp, peer, app, limits, closed).await,
            }
        });
    }
    let _ = closing.send(true);
    // Every connection holds a slot: all slots back means all connections are done.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(drain, slots.acquire_many(all)).await;
}

/// One HTTP/1.1 connection.
async fn connection<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    mut closed: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(axum::body::Body::new);
        req.extensions_mut().insert(ConnectInfo(ClientAddr(peer)));
        app.clone().call(req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(io), svc);
    let mut conn = pin!(conn);
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            changed = closed.changed() => {
                // Shutting down (or the server is gone): finish the request in flight, then
                // close; stop watching.
                conn.as_mut().graceful_shutdown();
                if changed.is_err() || *closed.borrow() {
                    let _ = conn.as_mut().await;
                    break;
                }
            }
        }
    }
}
