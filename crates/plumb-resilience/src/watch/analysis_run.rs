//! An Argo Rollouts `AnalysisRun` read as a post-deployment verification, so a bank whose
//! controller already analyses its canaries keeps the same evidence as `plumb watch` gives.
//! `status.phase` is trusted (not a recount of the counters, which Argo does not always keep
//! consistent: a mismatch is reported); a run with no final phase is in progress and refused;
//! a terminated run is inconclusive, never a pass; an `Error` run is inconclusive ("could not
//! be evaluated"), never a verified failure; a template is not a result.

use serde_json::Value;

use plumb_records::verification::{Measurement, Phase, QueryResult, SeriesValue, Verification};

fn s<'a>(v: &'a Value, p: &str) -> Option<&'a str> {
    v.pointer(p).and_then(Value::as_str)
}

fn phase(p: &str) -> Option<Phase> {
    match p {
        "Successful" => Some(Phase::Successful),
        "Failed" => Some(Phase::Failed),
        "Inconclusive" => Some(Phase::Inconclusive),
        "Error" => Some(Phase::Error),
        _ => None,
    }
}

/// A measurement's value: a number, or a list of numbers as Argo prints a Prometheus vector
/// (`[0.97]`); anything else is kept in the message.
fn values(raw: &str) -> Vec<SeriesValue> {
    let t = raw.trim();
    let inner = t
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(t);
    let mut out = Vec::new();
    for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        // Non-finite values cannot be stored (JSON has no NaN): the raw text stays in the
        // message instead.
        match part.parse::<f64>() {
            Ok(v) if v.is_finite() => out.push(SeriesValue {
                labels: String::new(),
                value: v,
            }),
            _ => return vec![],
        }
    }
    out
}

/// The spec of metric `name` (`spec.metrics`, or the early `spec.analysisSpec.metrics`).
fn spec_of<'a>(run: &'a Value, name: &str) -> Option<&'a Value> {
    ["/spec/metrics", "/spec/analysisSpec/metrics"]
        .iter()
        .filter_map(|p| run.pointer(p).and_then(Value::as_array))
        .flatten()
        .find(|m| m.get("name").and_then(Value::as_str) == Some(name))
}

fn metric(run: &Value, r: &Value, notes: &mut Vec<String>) -> Result<QueryResult, String> {
    let name = r
        .get("name")
        .and_then(Value::as_str)
        .ok_or("a metric result has no `name`")?
        .to_string();
    let spec = spec_of(run, &name);
    let query = spec
        .and_then(|m| {
            m.pointer("/provider/prometheus/query")
                .and_then(Value::as_str)
        })
        .map(|q| q.trim().to_string())
        .or_else(|| {
            spec.and_then(|m| m.get("provider"))
                .and_then(Value::as_object)
                .and_then(|p| p.keys().next().map(|k| format!("({k} provider)")))
        })
        .unwrap_or_default();
    let cond = |k: &str| {
        spec.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut measurements = Vec::new();
    let list = r
        .get("measurements")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for m in list {
        let p = m.get("phase").and_then(Value::as_str).unwrap_or("");
        let raw = m.get("value").and_then(Value::as_str).unwrap_or("");
        let vals = values(raw);
        let mut message = m.get("message").and_then(Value::as_str).map(str::to_string);
        if vals.is_empty() && !raw.is_empty() {
            message = Some(format!(
                "value {raw:?}{}",
                message.map(|x| format!("; {x}")).unwrap_or_default()
            ));
        }
        measurements.push(Measurement {
            at: s(m, "/finishedAt")
                .or(s(m, "/startedAt"))
                .unwrap_or("")
                .to_string(),
            values: vals,
            // Running or Pending measurements were not judged.
            phase: phase(p).unwrap_or(Phase::Inconclusive),
            message,
        });
    }
    // Argo's counters, compared with the measurements it kept (it may keep fewer, so only a
    // counter below the kept measurements of its kind, or counts that exceed `count`, is
    // reported).
    let counter = |k: &str| r.get(k).and_then(Value::as_u64).unwrap_or(0);
    let kept = |p: Phase| measurements.iter().filter(|m| m.phase == p).count() as u64;
    let total = counter("count");
    let parts: u64 = ["successful", "failed", "inconclusive", "error"]
        .iter()
        .map(|k| counter(k))
        .sum();
    if counter("successful") < kept(Phase::Successful)
        || counter("failed") < kept(Phase::Failed)
        || (total > 0 && parts > total)
    {
        notes.push(format!(
            "{name}: Argo's counters (count {total}, successful {}, failed {}, inconclusive {}, error {}) do not add up to its {} measurements; its phase is trusted",
            counter("successful"),
            counter("failed"),
            counter("inconclusive"),
            counter("error"),
            measurements.len()
        ));
    }
    let p = r.get("phase").and_then(Value::as_str).unwrap_or("");
    Ok(QueryResult {
        name,
        query,
        success: cond("successCondition"),
        failure: cond("failureCondition"),
        baseline: None,
        ceiling: None,
        phase: phase(p).unwrap_or(Phase::Inconclusive),
        measurements,
    })
}

/// Reads an AnalysisRun (YAML or JSON) as the verification of `system`'s deployment in
/// `environment`.
pub fn read(bytes: &[u8], system: &str, environment: &str) -> Result<Verification, String> {
    if bytes.len() > 16 << 20 {
        return Err("larger than 16 MiB: not an AnalysisRun".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    let mut docs = Vec::new();
    for de in yaml_serde::Deserializer::from_str(text).take(100) {
        let v = <Value as serde::Deserialize>::deserialize(de)
            .map_err(|e| format!("not valid YAML: {e}"))?;
        if !v.is_null() {
            docs.push(v);
        }
    }
    let run = match docs.as_slice() {
        [one] => one.clone(),
        [] => return Err("no document".into()),
        [first, ..] => {
            if s(first, "/kind").is_some_and(|k| k.ends_with("AnalysisTemplate")) {
                return Err(format!(
                    "{} AnalysisTemplates: templates define checks; they are not results (give the AnalysisRun)",
                    docs.len()
                ));
            }
            return Err(format!("{} documents: give one AnalysisRun", docs.len()));
        }
    };
    match (s(&run, "/apiVersion"), s(&run, "/kind")) {
        (Some(a), Some("AnalysisRun")) if a.starts_with("argoproj.io/") => {}
        (Some(a), Some(k)) if a.starts_with("argoproj.io/") && k.ends_with("AnalysisTemplate") => {
            return Err(format!(
                "a {k} defines checks; it is not a result (give the AnalysisRun)"
            ));
        }
        _ => {
            return Err(
                "not an Argo Rollouts AnalysisRun (apiVersion argoproj.io/..., kind AnalysisRun)"
                    .into(),
            );
        }
    }
    let name = format!(
        "{}/{}",
        s(&run, "/metadata/namespace").unwrap_or("default"),
        s(&run, "/metadata/name").unwrap_or("")
    );
    let Some(p) = s(&run, "/status/phase") else {
        return Err(format!(
            "AnalysisRun {name} has no status: not reconciled yet, neither passed nor failed; import it when it has ended"
        ));
    };
    let message = s(&run, "/status/message").map(str::to_string);
    let terminated = run.pointer("/spec/terminate").and_then(Value::as_bool) == Some(true);
    let (verdict, reason) = match (p, terminated) {
        (_, true) => (
            Phase::Inconclusive,
            format!(
                "terminated ({}): stopped, not assessed",
                message.as_deref().unwrap_or("spec.terminate")
            ),
        ),
        ("Successful", _) => (
            Phase::Successful,
            "Argo Rollouts assessed it Successful".into(),
        ),
        ("Failed", _) => (Phase::Failed, "Argo Rollouts assessed it Failed".into()),
        ("Inconclusive", _) => (
            Phase::Inconclusive,
            "Argo Rollouts assessed it Inconclusive".into(),
        ),
        ("Error", _) => (
            Phase::Inconclusive,
            "the analysis had an error and could not be evaluated (Argo phase Error)".into(),
        ),
        (other, _) => {
            return Err(format!(
                "AnalysisRun {name} is {other}: not finished, neither passed nor failed; import it when it has ended"
            ));
        }
    };
    let mut notes = Vec::new();
    let mut queries = Vec::new();
    for r in run
        .pointer("/status/metricResults")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        queries.push(metric(&run, r, &mut notes)?);
    }
    let (verdict, reason) = if queries.is_empty() && verdict == Phase::Successful {
        (
            Phase::Inconclusive,
            "Argo says Successful but the run has no metric results: nothing was measured"
                .to_string(),
        )
    } else {
        (verdict, reason)
    };
    let times: Vec<&str> = queries
        .iter()
        .flat_map(|q| q.measurements.iter().map(|m| m.at.as_str()))
        .filter(|t| !t.is_empty())
        .collect();
    let started = s(&run, "/status/startedAt")
        .or(times.iter().min().copied())
        .or(s(&run, "/metadata/creationTimestamp"))
        .unwrap_or("")
        .to_string();
    let ended = times
        .iter()
        .max()
        .map_or(started.clone(), |t| t.to_string());
    let mut reason = match (&message, terminated) {
        (Some(m), false) => format!("{reason}: {m}"),
        _ => reason,
    };
    for n in notes {
        reason.push_str("; ");
        reason.push_str(&n);
    }
    Ok(Verification {
        system: system.to_string(),
        environment: environment.to_string(),
        deployment: None,
        source: format!(
            "argo-rollouts AnalysisRun {name}{}{}",
            s(&run, "/metadata/uid")
                .map(|u| format!(" uid {}", crate::watch::judge::clip(u, 64)))
                .unwrap_or_default(),
            s(&run, "/metadata/annotations/rollout.argoproj.io~1revision")
                .map(|r| format!(" revision {}", crate::watch::judge::clip(r, 16)))
                .unwrap_or_default()
        ),
        started_at: started,
        ended_at: ended,
        verdict,
        reason,
        limits: None,
        queries,
        rollback: vec![],
    })
}
