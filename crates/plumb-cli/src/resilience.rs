//! `plumb resilience`: resilience tests recorded as evidence, and each critical or important
//! function checked against them (the reading is `plumb_ingest::resilience`, the rule
//! `plumb_model::resilience`).

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::cli::{Format, ResilienceCmd};
use crate::output::{Failure, emit};

fn load_model(p: &Path) -> Result<plumb_model::Model, Failure> {
    plumb_model::load(p).map_err(|e| Failure::usage(format!("{}: {e}", p.display())))
}

fn resilience_failure(e: plumb_resilience::Error) -> Failure {
    match e {
        plumb_resilience::Error::Input(m) => Failure::usage(m),
        plumb_resilience::Error::Ledger(e) => Failure::from(e),
    }
}

/// Runs `plumb resilience record|status`.
pub fn run(
    store: &Path,
    format: Format,
    cmd: &ResilienceCmd,
    now: DateTime<Utc>,
) -> Result<ExitCode, Failure> {
    match cmd {
        ResilienceCmd::Record {
            file,
            systems,
            model,
            recovery_minutes,
            run_by,
            ended_at,
        } => {
            let bytes = std::fs::read(file)
                .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
            let mut t = plumb_ingest::resilience::read(&file.display().to_string(), &bytes)
                .map_err(|e| Failure::usage(e.to_string()))?;
            for s in systems {
                if !t.systems.contains(s) {
                    t.systems.push(s.clone());
                }
            }
            if let Some(r) = recovery_minutes {
                if !(r.is_finite() && *r >= 0.0) {
                    return Err(Failure::usage("--recovery-minutes must not be negative"));
                }
                t.recovery_minutes = Some(*r);
            }
            if run_by.is_some() {
                t.run_by = run_by.clone();
            }
            if let Some(e) = ended_at {
                let at = chrono::DateTime::parse_from_rfc3339(e).map_err(|_| {
                    Failure::usage(format!("--ended-at {e:?} is not an RFC 3339 time"))
                })?;
                let at = at.with_timezone(&chrono::Utc);
                if at > now {
                    return Err(Failure::usage("--ended-at is in the future"));
                }
                t.ended_at = Some(at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            }
            let model = model.as_deref().map(load_model).transpose()?;
            plumb_resilience::tests::resolve(&mut t, model.as_ref())
                .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
            let mut l = crate::evidence::open(store)?;
            let index = plumb_resilience::tests::record(
                &mut l,
                &t,
                &file.display().to_string(),
                &bytes,
                Some(file.clone()),
                now,
            )
            .map_err(resilience_failure)?;
            let v = json!({"entry": index, "test": t});
            emit(
                format,
                || {
                    format!(
                        "recorded as entry {index}: {} ({}){}{}\n",
                        t.title,
                        serde_json::to_value(t.outcome)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        if t.systems.is_empty() {
                            String::new()
                        } else {
                            format!(", systems {}", t.systems.join(", "))
                        },
                        if t.functions.is_empty() {
                            String::new()
                        } else {
                            format!(", functions {}", t.functions.join(", "))
                        }
                    )
                },
                v,
            )
        }
        ResilienceCmd::Status {
            model,
            max_age_days,
        } => {
            let m = load_model(model)?;
            let mut l = crate::evidence::open(store)?;
            let tests = plumb_resilience::tests::recorded(&mut l).map_err(resilience_failure)?;
            let status = plumb_model::resilience::status(&m, &tests, now, *max_age_days);
            let bad = status.iter().filter(|s| s.state != "ok").count();
            emit(
                format,
                || {
                    let mut o = format!(
                        "Resilience tests of the {} critical or important function(s) (a passed test within {max_age_days} days, recovery within the RTO):\n",
                        status.len()
                    );
                    for s in &status {
                        o.push_str(&format!(
                            "  {:<9} {} ({}): {}\n",
                            s.state, s.name, s.criticality, s.explanation
                        ));
                    }
                    o
                },
                json!({"functions": status, "not_ok": bad}),
            )?;
            Ok(if bad > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
