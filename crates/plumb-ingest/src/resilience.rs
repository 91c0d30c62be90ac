//! Resilience test results, told apart by content: a Chaos Toolkit journal (JSON, with
//! `chaoslib-version` and `experiment`), a LitmusChaos `ChaosResult` or `ChaosEngine` (YAML),
//! or a drill record in Plumbline's own YAML (`kind: drill`). A document that only plans a test
//! (a ChaosEngine without results) is read as planned, never as passed; a deviated or failed
//! run is failed.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{IngestError, Result};
use crate::util::s;
pub use plumb_records::resilience::{ResilienceTest, TestOutcome};

/// A drill record as people write it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Drill {
    kind: String,
    title: String,
    started_at: String,
    ended_at: String,
    outcome: TestOutcome,
    #[serde(default)]
    recovery_minutes: Option<f64>,
    #[serde(default)]
    systems: Vec<String>,
    #[serde(default)]
    run_by: Option<String>,
    #[serde(default)]
    notes: Option<String>,
}

/// A time as RFC 3339 UTC: zoned times are converted, naive ones (Chaos Toolkit writes them)
/// are taken as UTC and said to be.
fn utc(t: &str, detail: &mut Vec<String>) -> Option<String> {
    if let Ok(z) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(
            z.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        );
    }
    let naive = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    detail.push(format!("{t} has no time zone; read as UTC"));
    Some(naive.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Largest result read: a Chaos Toolkit journal of a long experiment is a few megabytes.
pub const MAX_BYTES: usize = 32 << 20;

/// Reads one resilience test result.
pub fn read(file: &str, bytes: &[u8]) -> Result<ResilienceTest> {
    if bytes.len() > MAX_BYTES {
        return Err(IngestError::new(
            file,
            format!("larger than {} MiB: not a test result", MAX_BYTES >> 20),
        ));
    }
    let text = crate::util::text(file, bytes)?;
    let v: Value = if text.trim_start().starts_with('{') {
        crate::util::json(file, bytes)?
    } else {
        yaml_serde::from_str(text)
            .map_err(|e| IngestError::new(file, format!("not valid YAML: {e}")))?
    };
    if v.get("chaoslib-version").is_some() && v.get("experiment").is_some() {
        return chaos_toolkit(file, &v);
    }
    match (s(&v, "apiVersion"), s(&v, "kind")) {
        (Some(api), Some(kind)) if api.starts_with("litmuschaos.io/") => litmus(file, kind, &v),
        (_, Some("drill")) => drill(file, &v),
        _ => Err(IngestError::new(
            file,
            "not a recognised resilience test: expected a Chaos Toolkit journal, a LitmusChaos ChaosResult or ChaosEngine, or a drill record (kind: drill)",
        )),
    }
}

fn chaos_toolkit(file: &str, v: &Value) -> Result<ResilienceTest> {
    let mut detail = Vec::new();
    let status = s(v, "status").ok_or_else(|| {
        IngestError::new(
            file,
            "the journal has no `status` (was the experiment run?)",
        )
    })?;
    let deviated = match v.get("deviated") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) if status != "completed" => false,
        _ => {
            return Err(IngestError::new(
                file,
                "the journal does not say whether the steady state deviated (`deviated` is not true or false)",
            ));
        }
    };
    // A completed run passes only when the journal shows the steady state verified after the
    // method: an experiment without a hypothesis checks nothing.
    let met_after = v
        .pointer("/steady_states/after/steady_state_met")
        .and_then(Value::as_bool);
    if status == "completed" && !deviated && met_after.is_none() {
        return Err(IngestError::new(
            file,
            "the journal shows no steady state verified after the method (no steady-state hypothesis?): it proves nothing about recovery",
        ));
    }
    let outcome = match (status, deviated || met_after == Some(false)) {
        ("completed", false) => TestOutcome::Passed,
        ("completed", true) | ("failed", _) => TestOutcome::Failed,
        ("aborted" | "interrupted", _) => TestOutcome::Aborted,
        (other, _) => {
            return Err(IngestError::new(
                file,
                format!("journal status {other:?} is not one Chaos Toolkit writes"),
            ));
        }
    };
    detail.push(format!(
        "Chaos Toolkit status {status}{}",
        if deviated {
            ", the steady state deviated"
        } else {
            ""
        }
    ));
    if v.pointer("/steady_states/after/steady_state_met") == Some(&Value::Bool(false)) {
        detail.push("the steady-state hypothesis was not met after the method".into());
    }
    Ok(ResilienceTest {
        source: "chaos-toolkit".into(),
        title: v
            .pointer("/experiment/title")
            .and_then(Value::as_str)
            .unwrap_or("Chaos Toolkit experiment")
            .to_string(),
        started_at: s(v, "start").and_then(|t| utc(t, &mut detail)),
        ended_at: s(v, "end").and_then(|t| utc(t, &mut detail)),
        outcome,
        recovery_minutes: None,
        systems: vec![],
        functions: vec![],
        run_by: None,
        detail,
    })
}

fn litmus(file: &str, kind: &str, v: &Value) -> Result<ResilienceTest> {
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut detail = Vec::new();
    let verdicts: Vec<&str> = match kind {
        "ChaosResult" => v
            .pointer("/status/experimentStatus/verdict")
            .and_then(Value::as_str)
            .into_iter()
            .collect(),
        "ChaosEngine" => v
            .pointer("/status/experiments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| s(e, "verdict"))
            .collect(),
        other => {
            return Err(IngestError::new(
                file,
                format!(
                    "LitmusChaos kind {other:?} is not a result; give a ChaosResult (or a ChaosEngine with its status)"
                ),
            ));
        }
    };
    if let Some(odd) = verdicts
        .iter()
        .find(|x| !["Pass", "Fail", "Stopped", "Awaited"].contains(x))
    {
        return Err(IngestError::new(
            file,
            format!("verdict {odd:?} is not a LitmusChaos verdict (Pass, Fail, Stopped, Awaited)"),
        ));
    }
    // A failure anywhere fails the run; an experiment still awaited makes it unfinished.
    let outcome = if verdicts.contains(&"Fail") {
        TestOutcome::Failed
    } else if verdicts.contains(&"Stopped") {
        TestOutcome::Aborted
    } else if verdicts.is_empty() || verdicts.contains(&"Awaited") {
        detail.push(format!(
            "{kind} {name} has no final verdict yet: a plan or a run in progress, not a result"
        ));
        TestOutcome::Planned
    } else {
        TestOutcome::Passed
    };
    if !verdicts.is_empty() {
        detail.push(format!("LitmusChaos verdict {}", verdicts.join(", ")));
    }
    // A Litmus result carries no end time; its creation is when the experiment started.
    let mut times = Vec::new();
    let started_at = v
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| utc(t, &mut times));
    Ok(ResilienceTest {
        source: "litmus".into(),
        title: format!("{kind} {name}"),
        started_at,
        ended_at: None,
        outcome,
        recovery_minutes: None,
        systems: vec![],
        functions: vec![],
        run_by: None,
        detail,
    })
}

fn drill(file: &str, v: &Value) -> Result<ResilienceTest> {
    let d: Drill = serde_json::from_value(v.clone())
        .map_err(|e| IngestError::new(file, format!("not a drill record: {e}")))?;
    let _ = d.kind;
    let mut detail = Vec::new();
    let started = utc(&d.started_at, &mut detail)
        .ok_or_else(|| IngestError::new(file, "started_at is not an RFC 3339 time"))?;
    let ended = utc(&d.ended_at, &mut detail)
        .ok_or_else(|| IngestError::new(file, "ended_at is not an RFC 3339 time"))?;
    if ended < started {
        return Err(IngestError::new(file, "ended_at is before started_at"));
    }
    if let Some(r) = d.recovery_minutes
        && !(r.is_finite() && r >= 0.0)
    {
        return Err(IngestError::new(
            file,
            "recovery_minutes must be a number of minutes, not negative",
        ));
    }
    if let Some(n) = d.notes {
        detail.push(n);
    }
    Ok(ResilienceTest {
        source: "drill".into(),
        title: d.title,
        started_at: Some(started),
        ended_at: Some(ended),
        outcome: d.outcome,
        recovery_minutes: d.recovery_minutes,
        systems: d.systems,
        functions: vec![],
        run_by: d.run_by,
        detail,
    })
}
