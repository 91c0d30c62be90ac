//! `plumb serve` and `plumb token`.

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::json;

use plumb_server::tokens::{Role, Tokens};

use crate::cli::{Format, TokenCmd};
use crate::output::{Failure, emit};

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Serves until SIGINT or SIGTERM; acknowledged appends are durable, queued audit records are
/// written before exit.
pub fn serve(cfg: plumb_server::ServerConfig) -> Result<ExitCode, Failure> {
    let (store, listen) = (cfg.store.clone(), cfg.addr);
    plumb_ledger::Ledger::open(&store).map_err(|e| {
        Failure::from(e).hint(format!(
            "run `plumb init --store {}` first",
            store.display()
        ))
    })?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(e.to_string()))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| Failure::usage(format!("cannot listen on {listen}: {e}")))?;
        eprintln!("{}", json!({"level": "info", "msg": "listening", "addr": listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "store": store}));
        plumb_server::serve(cfg, listener, shutdown_signal()).await.map_err(Failure::usage)
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn token(
    store: &Path,
    format: Format,
    cmd: &TokenCmd,
    now: DateTime<Utc>,
) -> Result<ExitCode, Failure> {
    // Opening the ledger checks that this is a store; token events are audited in it.
    let mut l = crate::evidence::open(store)?;
    let mut tokens = Tokens::load(store).map_err(Failure::usage)?;
    let audit = |l: &mut plumb_ledger::Ledger,
                 rec: &plumb_server::tokens::TokenRecord,
                 event: &str|
     -> Result<(), Failure> {
        l.record(
            plumb_ledger::RecordRequest {
                subjects: vec![plumb_ledger::statement::Subject { name: format!("token {}", rec.id), digest: [("sha256".to_string(), rec.hash.clone())].into() }],
                predicate_type: plumb_server::state::AUDIT.into(),
                predicate: json!({"event": event, "token": rec.id, "role": rec.role, "systems": rec.systems, "by": "local plumb token"}),
                system: Some("plumb-server".into()),
                run: None,
                attachments: vec![],
            },
            now,
        )?;
        Ok(())
    };
    match cmd {
        TokenCmd::Create {
            role,
            systems,
            label,
            ttl_hours,
        } => {
            let role = Role::parse(role)
                .ok_or_else(|| Failure::usage(format!("unknown role {role:?}")))?;
            let (secret, rec) = tokens
                .create(
                    role,
                    systems.clone(),
                    label,
                    ttl_hours
                        .map(plumb_server::tokens::ttl_from_hours)
                        .transpose()
                        .map_err(Failure::usage)?,
                    now,
                )
                .map_err(Failure::usage)?;
            audit(&mut l, &rec, "token.create")?;
            emit(
                format,
                || {
                    format!(
                        "{secret}\n(token {} for {} expires {}; shown once, store it in your secret manager)\n",
                        rec.id,
                        rec.role.name(),
                        rec.expires
                    )
                },
                json!({"token": secret, "id": rec.id, "role": rec.role, "systems": rec.systems, "expires": rec.expires}),
            )
        }
        TokenCmd::List => {
            let items: Vec<_> = tokens.list().iter().map(|r| json!({"id": r.id, "role": r.role, "systems": r.systems, "label": r.label, "expires": r.expires, "revoked": r.revoked})).collect();
            emit(
                format,
                || {
                    tokens
                        .list()
                        .iter()
                        .map(|r| {
                            format!(
                                "{}  {:<16} {:<20} expires {}{}\n",
                                r.id,
                                r.role.name(),
                                r.label,
                                r.expires,
                                if r.revoked.is_some() { "  REVOKED" } else { "" }
                            )
                        })
                        .collect()
                },
                json!(items),
            )
        }
        TokenCmd::Revoke { id } => {
            let rec = tokens.revoke(id, now).map_err(Failure::usage)?;
            audit(&mut l, &rec, "token.revoke")?;
            emit(
                format,
                || format!("revoked {}\n", rec.id),
                json!({"id": rec.id, "revoked": rec.revoked}),
            )
        }
    }
}
