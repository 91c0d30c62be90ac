//! The `plumb` binary: parses arguments, calls the libraries, prints results, sets the exit code.
//! No domain logic lives here.

mod cli;
mod demo;
mod demo_history;
mod demo_register;
mod demo_resilience;
mod evidence;
mod gate;
mod incident;
mod inspect;
mod metrics;
mod model;
mod model_diff;
mod output;
mod progress;
mod register;
mod register_package;
mod remote;
mod resilience;
mod scaffold;
mod serve;
mod watch;
mod witness;

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Parser;

use cli::{Cli, Command, KeyCommand};
use output::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = matches!(cli.format, cli::Format::Json);
    match run(cli) {
        Ok(code) => code,
        Err(f) => {
            // Under --format json a program reads stdout: the error is there too, in one
            // stable shape, besides the message for people on stderr.
            if json {
                println!(
                    "{}",
                    serde_json::json!({"error": {"message": f.message, "hint": f.hint, "exit": f.code}})
                );
            }
            eprintln!("error: {}", f.message);
            if let Some(hint) = f.hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(f.code)
        }
    }
}

fn now(cli: &Cli) -> Result<DateTime<Utc>, Failure> {
    match &cli.now {
        None => Ok(Utc::now()),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                Failure::usage(format!(
                    "--now {s:?} is not an RFC 3339 time (e.g. 2026-11-21T09:30:00Z)"
                ))
            }),
    }
}

/// The server for commands that can work against one; refuses `--server` elsewhere rather than
/// quietly answering from a local store.
fn remote(cli: &Cli) -> Result<Option<remote::Remote>, Failure> {
    let Some(url) = &cli.server else {
        return Ok(None);
    };
    let remote_capable = match &cli.command {
        Command::Record(_) | Command::Append(_) | Command::Export { .. } => true,
        Command::Gate(g) => g.sub.is_none(),
        Command::Model(m) => matches!(m, cli::ModelCmd::Check { .. }),
        Command::Incident(_) => true,
        Command::Watch(w) => w.analysis_run.is_none(),
        _ => false,
    };
    if !remote_capable {
        return Err(Failure::usage(
            "--server works with record, append, gate, model check, incident, watch and export; this command reads the local store",
        )
        .hint("unset PLUMB_SERVER, or use the server's API (/v1/openapi.json) or web UI"));
    }
    remote::Remote::new(
        url,
        cli.token_file.as_deref(),
        cli.ca_cert.as_deref(),
        cli.insecure_http,
    )
    .map(Some)
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    // A server keeps the time of every request from its own clock (decisions, incidents,
    // sessions); a fixed --now would stamp days of evidence with one instant.
    if cli.now.is_some() && matches!(cli.command, Command::Serve { .. }) {
        return Err(Failure::usage(
            "--now cannot be given to serve: a server takes each request's time from its clock",
        )
        .hint("unset PLUMB_NOW, or use --now with the commands that record evidence"));
    }
    let now = now(&cli)?;
    let server = remote(&cli)?;
    let server = server.as_ref();
    let (store, format) = (cli.store.as_path(), cli.format);
    match &cli.command {
        Command::Init {
            origin,
            database,
            grant_role,
            blobs,
        } => evidence::init(store, format, origin, database, grant_role, blobs),
        Command::Key(KeyCommand::Show) => evidence::key_show(store, format),
        Command::Key(KeyCommand::Trust { file }) => evidence::key_trust(store, format, file),
        Command::Key(KeyCommand::List) => evidence::key_list(store, format),
        Command::Record(a) => evidence::record(store, format, a, now, server),
        Command::Sign(a) => evidence::sign(store, a),
        Command::Append(a) => evidence::append(store, format, a, now, server),
        Command::Log(q) => inspect::log(store, format, q),
        Command::Show { index } => inspect::show(store, format, *index),
        Command::Prove { index, witnesses } => inspect::prove(store, format, *index, witnesses),
        Command::Checkpoint { list, witness } => {
            inspect::checkpoint(store, format, *list, witness, now)
        }
        Command::Verify {
            no_signatures,
            no_blobs,
            progress,
            witnesses,
        } => inspect::verify(
            store,
            format,
            inspect::VerifyWhat {
                signatures: !no_signatures,
                blobs: !no_blobs,
                progress: *progress,
                witnesses,
            },
        ),
        Command::Export {
            out,
            filter,
            progress,
        } => inspect::export(store, format, out, filter, *progress, now, server),
        Command::VerifyPack {
            pack,
            trusted_key,
            witnesses,
            progress,
        } => inspect::verify_pack(format, pack, trusted_key, witnesses, *progress),
        Command::Gate(g) => gate::run(store, format, g, now, server),
        Command::Model(m) => model::run(store, format, m, now, server),
        Command::Drift {
            model: m,
            sarif_out,
        } => model::drift(store, format, m, sarif_out.as_deref()),
        Command::Serve {
            listen,
            checkpoint_every_ms,
            tls_cert,
            tls_key,
            incidents,
            session_idle_minutes,
            audit_every_secs,
            trusted_proxies,
            gate_config,
            watch_config,
            model,
            max_connections,
            header_timeout_secs,
            request_timeout_secs,
            max_pack_entries,
            witness,
        } => serve::serve(plumb_server::ServerConfig {
            max_pack_entries: *max_pack_entries,
            witnesses: witness
                .iter()
                .map(|w| plumb_ledger::cosigners::WitnessEndpoint::parse(w))
                .collect::<Result<_, _>>()
                .map_err(|e| output::Failure::usage(format!("--witness: {e}")))?,
            gate_config: gate_config.clone(),
            watch_config: watch_config.clone(),
            model: model.clone(),
            limits: plumb_server::listen::Limits {
                max_connections: usize::try_from(*max_connections).unwrap_or(usize::MAX),
                handshake_timeout: std::time::Duration::from_secs(*header_timeout_secs),
                header_read_timeout: std::time::Duration::from_secs(*header_timeout_secs),
            },
            request_timeout: std::time::Duration::from_secs(*request_timeout_secs),
            checkpoint_every: std::time::Duration::from_millis(*checkpoint_every_ms),
            tls: tls_cert.clone().zip(tls_key.clone()),
            incidents: incidents.clone(),
            session_idle: std::time::Duration::from_secs(session_idle_minutes * 60),
            audit_every: std::time::Duration::from_secs(*audit_every_secs),
            trusted_proxies: trusted_proxies.clone(),
            ..plumb_server::ServerConfig::new(store.to_path_buf(), *listen)
        }),
        Command::Incident(a) => incident::run(store, format, a, now, server),
        Command::Scaffold(a) => scaffold::run(format, a),
        Command::Resilience(c) => resilience::run(store, format, c, now),
        Command::Register(c) => register::run(store, format, c, now),
        Command::Witness(c) => witness::run(format, c),
        Command::Watch(a) => match server {
            Some(r) => watch::remote(r, store, format, a),
            None => watch::run(store, format, a),
        },
        Command::Metrics(a) => match &a.sub {
            Some(cli::MetricsCmd::Import { deployments, git }) => {
                metrics::import(store, format, deployments, git.as_deref(), now)
            }
            Some(cli::MetricsCmd::Report {
                baseline,
                period,
                system,
                out,
                markdown,
            }) => metrics::report(
                store,
                format,
                metrics::ReportArgs {
                    baseline,
                    period,
                    systems: system,
                    out: out.as_deref(),
                    markdown: markdown.as_deref(),
                },
                now,
            ),
            None => metrics::run(store, format, a, now),
        },
        Command::Token(t) => serve::token(store, format, t, now),
        Command::Demo {
            dir,
            listen,
            no_serve,
        } => demo::run(dir, format, now, (!no_serve).then_some(*listen)),
    }
}
