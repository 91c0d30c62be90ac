//! `plumb watch`: the post-deployment verification of `plumb_resilience::watch`, run on the
//! real clock, with the rollback and the incident of a failed watch. Arguments and output
//! only; the judging, the records and the rollback live in the domain crate.

use std::path::Path;
use std::process::ExitCode;

use chrono::Utc;
use serde_json::json;

use plumb_records::verification::Phase;
use plumb_resilience::watch::{config::WatchConfig, evidence, prometheus::Client, rollback, run};

use crate::cli::{Format, WatchArgs};
use crate::output::{Failure, emit};

fn domain(e: plumb_resilience::Error) -> Failure {
    match e {
        plumb_resilience::Error::Input(m) => Failure::usage(m),
        plumb_resilience::Error::Ledger(e) => Failure::from(e),
    }
}

/// `s` with control characters replaced: what Prometheus answers reaches a CI log.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// 0 for a successful verdict; 1 for failed or inconclusive, so the pipeline stops.
fn exit_code(verdict: Phase) -> ExitCode {
    if verdict == Phase::Successful {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn phase(p: Phase) -> &'static str {
    match p {
        Phase::Successful => "successful",
        Phase::Failed => "failed",
        Phase::Inconclusive => "inconclusive",
        Phase::Error => "error",
    }
}

fn incident_config(
    p: &Path,
) -> Result<(plumb_incident::config::Config, Option<plumb_model::Model>), Failure> {
    let c = plumb_incident::config::Config::load(p).map_err(|e| Failure::usage(e.to_string()))?;
    let model = match &c.model {
        Some(m) => Some(
            plumb_model::load(m).map_err(|e| Failure::usage(format!("{}: {e}", m.display())))?,
        ),
        None => None,
    };
    Ok((c, model))
}

/// `plumb watch --analysis-run`: Argo Rollouts' verdict recorded as the verification.
fn import(store: &Path, format: Format, a: &WatchArgs, file: &Path) -> Result<ExitCode, Failure> {
    let bytes =
        std::fs::read(file).map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let mut v = plumb_resilience::watch::analysis_run::read(&bytes, &a.system, &a.environment)
        .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let incidents = a.incidents.as_deref().map(incident_config).transpose()?;
    let mut l = crate::evidence::open(store)?;
    let target =
        evidence::target(&mut l, &a.system, &a.environment, a.deployment).map_err(domain)?;
    v.deployment = target.as_ref().map(|d| d.entry);
    // An analysis that started well before the deployment was recorded is another rollout's.
    if let Some(d) = &target
        && let (Ok(run), Ok(dep)) = (
            chrono::DateTime::parse_from_rfc3339(&v.started_at),
            chrono::DateTime::parse_from_rfc3339(&d.time),
        )
        && run < dep - chrono::Duration::hours(1)
    {
        return Err(Failure::usage(format!(
            "{}: the AnalysisRun started at {}, more than an hour before deployment {} was recorded ({}): it is not that deployment's analysis",
            file.display(),
            v.started_at,
            d.entry,
            d.time
        ))
        .hint("give the deployment it belongs to with --deployment ENTRY"));
    }
    let commit = target.as_ref().and_then(|d| d.commit.clone());
    let entry =
        evidence::record_verification(&mut l, &v, commit.as_deref(), Utc::now()).map_err(domain)?;
    let mut out = json!({
        "verdict": phase(v.verdict), "reason": v.reason, "entry": entry,
        "deployment": v.deployment, "source": v.source,
    });
    if v.verdict == Phase::Failed
        && let Some((config, model)) = incidents
    {
        open_incident(
            &mut l,
            &v,
            target.as_ref(),
            &config,
            model.as_ref(),
            &mut out,
        )?;
    }
    let verdict = v.verdict;
    emit(
        format,
        || {
            format!(
                "{}: {} ({}), recorded as entry {entry}\n",
                v.source,
                phase(verdict).to_uppercase(),
                v.reason
            )
        },
        out.clone(),
    )?;
    Ok(exit_code(verdict))
}

fn open_incident(
    l: &mut plumb_ledger::Ledger,
    v: &plumb_records::verification::Verification,
    target: Option<&plumb_incident::store::DeploymentRecord>,
    config: &plumb_incident::config::Config,
    model: Option<&plumb_model::Model>,
    out: &mut serde_json::Value,
) -> Result<(), Failure> {
    let ctx = plumb_incident::ops::Ctx {
        config,
        model,
        now: Utc::now(),
        actor: "plumb watch".into(),
    };
    let (id, evs) = evidence::incident(l, &ctx, v, target).map_err(domain)?;
    let first = plumb_incident::store::append(l, &evs, ctx.now)
        .map_err(|e| Failure::usage(e.to_string()))?;
    out["incident"] = json!(id);
    out["incident_entries"] = json!((first..first + evs.len() as u64).collect::<Vec<_>>());
    Ok(())
}

/// Runs `plumb watch`.
pub fn run(store: &Path, format: Format, a: &WatchArgs) -> Result<ExitCode, Failure> {
    if let Some(f) = &a.analysis_run {
        return import(store, format, a, f);
    }
    let Some(config) = &a.config else {
        return Err(Failure::usage(
            "plumb watch needs --config FILE (or --analysis-run FILE)",
        ));
    };
    let config = WatchConfig::load(config).map_err(Failure::usage)?;
    let w = config.system(&a.system).map_err(Failure::usage)?.clone();
    // Everything a failed watch needs is checked before watching, not after ten minutes.
    let incidents = if w.incident {
        let p = a.incidents.as_deref().ok_or_else(|| {
            Failure::usage(format!(
                "a failed watch of {} opens an incident: pass --incidents FILE (or PLUMB_INCIDENT_CONFIG), or set `incident: false` for the system",
                a.system
            ))
        })?;
        Some(incident_config(p)?)
    } else {
        None
    };
    let client = Client::new(
        &w.prometheus.url,
        w.prometheus.token().map_err(Failure::usage)?,
        w.timeout,
    );
    let mut l = crate::evidence::open(store)?;
    let target =
        evidence::target(&mut l, &w.system, &w.environment, a.deployment).map_err(domain)?;
    if target.is_none() {
        eprintln!(
            "plumb watch: no {} deployment of {} is recorded; the verdict is recorded without one, and no rollback is recorded",
            w.environment, w.system
        );
    }
    let deployed_at = target
        .as_ref()
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(&d.time).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let now = Utc::now;
    let sleep = std::thread::sleep;
    let clock = run::Clock {
        now: &now,
        sleep: &sleep,
    };
    let quiet = matches!(format, Format::Json);
    let mut progress = |name: &str, n: usize, m: &plumb_records::verification::Measurement| {
        if !quiet {
            let values: Vec<String> = m
                .values
                .iter()
                .map(|v| format!("{}{}", v.labels, v.value))
                .collect();
            eprintln!(
                "{}",
                printable(&format!(
                    "  {name} {n}/{}: {} {}{}",
                    w.count,
                    phase(m.phase),
                    values.join(", "),
                    m.message
                        .as_deref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default()
                ))
            );
        }
    };
    let v = run::watch(
        &w,
        &client,
        &clock,
        &run::Target {
            deployment: target.as_ref().map(|d| d.entry),
            deployed_at,
        },
        &mut progress,
    );
    let commit = target.as_ref().and_then(|d| d.commit.clone());
    // A failed watch rolls back even when its record cannot be written: the service comes
    // first, and the failure to record is reported after.
    let recorded = evidence::record_verification(&mut l, &v, commit.as_deref(), Utc::now());
    let entry = recorded.as_ref().ok().copied();
    let mut out = json!({
        "verdict": phase(v.verdict),
        "reason": v.reason,
        "entry": entry,
        "deployment": v.deployment,
        "queries": v.queries.iter().map(|q| json!({
            "name": q.name, "phase": phase(q.phase), "measurements": q.measurements.len(),
            "baseline": q.baseline, "ceiling": q.ceiling,
        })).collect::<Vec<_>>(),
    });
    if v.verdict == Phase::Failed {
        failed(&mut l, &w, a, &v, target.as_ref(), incidents, &mut out)?;
    }
    if let Err(e) = recorded {
        return Err(domain(e).hint(format!(
            "the verdict was {} and is NOT recorded; what else happened: {out}",
            phase(v.verdict)
        )));
    }
    let verdict = v.verdict;
    emit(
        format,
        || {
            let mut o = format!(
                "watch of {}: {} ({}), recorded as entry {}\n",
                w.system,
                phase(verdict).to_uppercase(),
                out["reason"].as_str().unwrap_or_default(),
                entry.map_or("-".to_string(), |e| e.to_string())
            );
            if let Some(r) = out.get("rollback") {
                o.push_str(&format!(
                    "rollback: {}\n",
                    r["summary"].as_str().unwrap_or_default()
                ));
            }
            if let Some(i) = out.get("incident").and_then(|i| i.as_str()) {
                o.push_str(&format!("incident {i} opened, linked to the deployment\n"));
            }
            o
        },
        out.clone(),
    )?;
    Ok(exit_code(verdict))
}

/// A failed watch: the rollback (recorded as a deployment) and the incident.
fn failed(
    l: &mut plumb_ledger::Ledger,
    w: &plumb_resilience::watch::config::SystemWatch,
    a: &WatchArgs,
    v: &plumb_records::verification::Verification,
    target: Option<&plumb_incident::store::DeploymentRecord>,
    incidents: Option<(plumb_incident::config::Config, Option<plumb_model::Model>)>,
    out: &mut serde_json::Value,
) -> Result<(), Failure> {
    if !w.rollback.is_empty() && !a.no_rollback {
        let env = [
            ("PLUMB_SYSTEM", w.system.clone()),
            ("PLUMB_ENVIRONMENT", w.environment.clone()),
            (
                "PLUMB_DEPLOYMENT_ENTRY",
                target.map(|d| d.entry.to_string()).unwrap_or_default(),
            ),
            (
                "PLUMB_COMMIT",
                target.and_then(|d| d.commit.clone()).unwrap_or_default(),
            ),
        ];
        let r = rollback::run(&w.rollback, &env, w.rollback_timeout);
        let summary = match &r.error {
            None => format!("{} exited 0", w.rollback.join(" ")),
            Some(e) => format!("{} FAILED: {e}", w.rollback.join(" ")),
        };
        let recorded = match target {
            Some(d) => {
                let prev = evidence::previous(l, d).map_err(domain)?;
                Some(
                    evidence::record_rollback(l, d, prev.as_ref(), &r, Utc::now())
                        .map_err(domain)?,
                )
            }
            None => None,
        };
        out["rollback"] = json!({
            "command": r.command, "exit_code": r.exit_code, "error": r.error,
            "entry": recorded, "summary": summary,
        });
    }
    if let Some((config, model)) = incidents {
        open_incident(l, v, target, &config, model.as_ref(), out)?;
    }
    Ok(())
}

/// Longest `plumb watch --server` waits for the server's verdict.
const MAX_REMOTE_WAIT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// Consecutive failed polls tolerated (a network blip, a busy server) before the watch is
/// reported lost.
const MAX_POLL_ERRORS: u32 = 30;

/// A commit id as the server may send one: 40 or 64 hexadecimal characters, else none.
fn commit_of(v: &serde_json::Value) -> String {
    v.as_str()
        .filter(|c| matches!(c.len(), 40 | 64) && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_default()
        .to_string()
}

/// An environment name as the server may send one, else the local configuration's.
fn environment_of(v: &serde_json::Value, fallback: &str) -> String {
    v.as_str()
        .filter(|e| {
            !e.is_empty()
                && e.len() <= 64
                && e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
        .unwrap_or(fallback)
        .to_string()
}

/// `plumb watch --server`: the server watches under its own configuration, against Prometheus
/// as it reaches it, and records the verdict and the incident signed by its key; this waits for
/// the verdict and, on Failed, runs the rollback of the local `--config` (the pipeline holds
/// the cluster credentials) and records it through the server, signed by the local key. A
/// watch the server lost, or whose verdict it could not record, is never successful.
pub fn remote(
    r: &crate::remote::Remote,
    store: &Path,
    format: Format,
    a: &WatchArgs,
) -> Result<ExitCode, Failure> {
    let local = a
        .config
        .as_deref()
        .map(|p| WatchConfig::load(p).map_err(Failure::usage))
        .transpose()?;
    let mine = local
        .as_ref()
        .and_then(|c| c.systems.get(&a.system))
        .cloned();
    let rollback_cmd: Vec<String> = mine
        .as_ref()
        .map(|w| w.rollback.clone())
        .unwrap_or_default();
    if rollback_cmd.is_empty() && !a.no_rollback {
        eprintln!(
            "plumb watch: no rollback command for {} (give --config with the system's rollback): a failed watch will not roll back",
            a.system
        );
    }
    // The key that signs the rollback record, checked before the watch starts.
    let signer = if rollback_cmd.is_empty() || a.no_rollback {
        None
    } else {
        Some(crate::evidence::open(store).map_err(|f| {
            f.hint("the rollback is recorded through the server, signed with the local store's key (plumb init; the server trusts it with plumb key trust)")
        })?)
    };
    let body = json!({"system": a.system, "deployment": a.deployment}).to_string();
    let started = r.post("/v1/watches", "application/json", body.as_bytes())?;
    let id = started["id"]
        .as_str()
        .filter(|i| i.len() == 16 && i.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| Failure::usage(format!("the server did not start a watch: {started}")))?
        .to_string();
    if !matches!(format, Format::Json) {
        eprintln!(
            "plumb watch: the server is watching {} (watch {id})",
            a.system
        );
    }
    let begun = std::time::Instant::now();
    let mut errors = 0;
    let mut out = loop {
        std::thread::sleep(std::time::Duration::from_secs(2));
        match r.get(&format!("/v1/watches/{id}")) {
            // Only an object is an answer: the rest of this function adds fields to it.
            Ok(v) if !v.is_object() => {
                break json!({"verdict": "inconclusive", "reason": "the server's answer about the watch is not a JSON object"});
            }
            Ok(v) if v["status"] != "running" => break v,
            Ok(_) if begun.elapsed() < MAX_REMOTE_WAIT => errors = 0,
            Ok(_) => {
                break json!({"verdict": "inconclusive", "reason": "the server's watch did not end in time"});
            }
            Err(_) if errors < MAX_POLL_ERRORS => errors += 1,
            Err(e) => {
                break json!({"verdict": "inconclusive", "reason": format!("the server lost the watch: {}", e.message)});
            }
        }
    };
    let recorded = out["status"] == "done" && out["entry"].is_u64();
    let verdict = match out["verdict"].as_str() {
        Some("successful") if recorded => Phase::Successful,
        Some("failed") => Phase::Failed,
        _ => Phase::Inconclusive,
    };
    let deployment = out["deployment"].as_u64();
    if let Some(want) = a.deployment
        && deployment != Some(want)
    {
        return Err(Failure::usage(format!(
            "the server watched deployment {deployment:?}, not {want}: nothing is rolled back"
        )));
    }
    if verdict == Phase::Failed
        && let Some(l) = signer
    {
        let environment = environment_of(
            &out["environment"],
            mine.as_ref()
                .map_or("production", |w| w.environment.as_str()),
        );
        let commit = commit_of(&out["commit"]);
        let env = [
            ("PLUMB_SYSTEM", a.system.clone()),
            ("PLUMB_ENVIRONMENT", environment.clone()),
            (
                "PLUMB_DEPLOYMENT_ENTRY",
                deployment.map(|d| d.to_string()).unwrap_or_default(),
            ),
            ("PLUMB_COMMIT", commit),
        ];
        let timeout = mine
            .as_ref()
            .map_or(std::time::Duration::from_secs(600), |w| w.rollback_timeout);
        let run = rollback::run(&rollback_cmd, &env, timeout);
        let (entry, record_error) = match deployment {
            Some(d) => {
                let (req, _) = evidence::rollback_request(&a.system, &environment, d, None, &run);
                let st = plumb_ledger::statement::Statement::new(
                    req.subjects,
                    &req.predicate_type,
                    req.predicate,
                );
                match l.sign_statement(&st) {
                    Ok(envelope) => match r.post(
                        &format!("/v1/entries?system={}", crate::remote::q(&a.system)),
                        "application/json",
                        &serde_json::to_vec(&envelope).unwrap_or_default(),
                    ) {
                        Ok(v) => (v["index"].as_u64(), None),
                        Err(e) => (None, Some(e.message)),
                    },
                    Err(e) => (None, Some(e.to_string())),
                }
            }
            None => (
                None,
                Some("the server watched no recorded deployment".to_string()),
            ),
        };
        if let Some(e) = &record_error {
            eprintln!("plumb watch: the rollback ran but is not recorded: {e}");
        }
        out["rollback"] = json!({
            "command": run.command, "exit_code": run.exit_code, "error": run.error,
            "entry": entry, "record_error": record_error,
            "summary": match &run.error {
                None => format!("{} exited 0", run.command.join(" ")),
                Some(e) => format!("{} FAILED: {e}", run.command.join(" ")),
            },
        });
    }
    emit(
        format,
        || {
            let mut o = format!(
                "watch of {} by the server: {} ({}), recorded as entry {}\n",
                a.system,
                phase(verdict).to_uppercase(),
                printable(out["reason"].as_str().unwrap_or_default()),
                out["entry"]
                    .as_u64()
                    .map_or("- (not recorded)".to_string(), |e| e.to_string())
            );
            if let Some(rb) = out.get("rollback") {
                o.push_str(&format!(
                    "rollback: {}\n",
                    printable(rb["summary"].as_str().unwrap_or_default())
                ));
            }
            if let Some(i) = out.get("incident").and_then(|i| i.as_str()) {
                o.push_str(&format!("incident {} opened by the server\n", printable(i)));
            }
            o
        },
        out.clone(),
    )?;
    Ok(exit_code(verdict))
}
