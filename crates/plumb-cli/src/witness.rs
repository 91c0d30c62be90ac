//! `plumb witness keygen|serve`: a C2SP witness (`plumb_ledger::witness`, served by
//! `plumb_server::witness`). Output only.

use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;

use crate::cli::{Format, WitnessCmd};
use crate::output::{Failure, emit};

/// A log's verifier key, given as the key itself or a file holding it.
fn log_key(arg: &str) -> Result<plumb_ledger::keys::PublicKey, Failure> {
    let text = match std::fs::read_to_string(arg) {
        Ok(t) => t,
        Err(_) => arg.to_string(),
    };
    plumb_ledger::keys::PublicKey::parse(&text).map_err(|e| {
        Failure::usage(format!("--log {arg}: {e}"))
            .hint("give the log's key as `plumb key show` prints it")
    })
}

/// Runs `plumb witness`.
pub fn run(format: Format, cmd: &WitnessCmd) -> Result<ExitCode, Failure> {
    match cmd {
        WitnessCmd::Keygen { name, out } => {
            if out.exists() {
                return Err(Failure::usage(format!(
                    "{} exists; a witness key is never overwritten",
                    out.display()
                )));
            }
            let key = plumb_ledger::keys::KeyPair::generate(name).map_err(Failure::from)?;
            key.write_private(out).map_err(Failure::from)?;
            let vkey = plumb_ledger::witness::vkey(&key.public());
            emit(
                format,
                || format!("{vkey}\n"),
                json!({"name": name, "public_key": vkey, "private_key_file": out}),
            )
        }
        WitnessCmd::Serve {
            key,
            logs,
            state,
            init,
            listen,
        } => {
            let key = plumb_ledger::keys::KeyPair::read_private(key).map_err(Failure::from)?;
            let logs = logs
                .iter()
                .map(|l| log_key(l))
                .collect::<Result<Vec<_>, _>>()?;
            let origins: Vec<String> = logs.iter().map(|k| k.name.clone()).collect();
            let w = plumb_ledger::witness::Witness::open(key, logs, state, *init)
                .map_err(Failure::from)?;
            let vkey = plumb_ledger::witness::vkey(&w.public());
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| Failure::usage(e.to_string()))?;
            let addr = *listen;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|e| Failure::usage(format!("cannot listen on {addr}: {e}")))?;
                eprintln!("{}", json!({"level": "info", "msg": "witness listening", "addr": listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "key": vkey, "logs": origins}));
                plumb_server::witness::serve(Arc::new(w), listener, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(Failure::usage)
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
