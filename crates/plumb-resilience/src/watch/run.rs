//! The watch itself: baselines first, then every `interval` each undecided query measured and
//! assessed, stopping as soon as one query fails or is inconclusive, or when all are
//! successful. Time and Prometheus are given, so the loop runs the same way under test.

use std::time::Duration;

use chrono::{DateTime, Utc};

use plumb_records::verification::{Limits, Measurement, Phase, QueryResult, Verification};

use super::config::SystemWatch;
use super::judge;
use super::prometheus::{Answer, Client};

/// Where measurements come from.
pub trait Source {
    /// The base URL, for the record.
    fn base(&self) -> String;
    /// Evaluates `query` at `time` (Unix seconds; now when `None`).
    fn query(&self, query: &str, time: Option<f64>) -> Result<Answer, String>;
}

impl Source for Client {
    fn base(&self) -> String {
        Client::base(self).to_string()
    }
    fn query(&self, query: &str, time: Option<f64>) -> Result<Answer, String> {
        Client::query(self, query, time)
    }
}

/// The clock: what time it is, and waiting.
pub struct Clock<'a> {
    /// Now.
    pub now: &'a dyn Fn() -> DateTime<Utc>,
    /// Waits.
    pub sleep: &'a dyn Fn(Duration),
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// What the watch is about.
pub struct Target {
    /// The deployment's ledger entry, when known.
    pub deployment: Option<u64>,
    /// When it was deployed: the baselines are the queries' values then.
    pub deployed_at: DateTime<Utc>,
}

/// The baseline of each query (`None` when not compared), or why one could not be read.
fn baselines(
    w: &SystemWatch,
    src: &dyn Source,
    at: DateTime<Utc>,
) -> Result<Vec<Option<f64>>, String> {
    let t = at.timestamp_millis() as f64 / 1000.0;
    let mut out = Vec::new();
    for q in &w.queries {
        if q.compare.is_none() {
            out.push(None);
            continue;
        }
        let a = src
            .query(&q.query, Some(t))
            .map_err(|e| format!("{}: no value before the deployment: {e}", q.name))?;
        match a.values.as_slice() {
            [one] if one.value.is_finite() => {
                if super::judge::ceiling(q, Some(one.value)).is_none_or(|c| !c.is_finite()) {
                    return Err(format!(
                        "{}: the value before the deployment ({}) gives no finite ceiling",
                        q.name, one.value
                    ));
                }
                out.push(Some(one.value));
            }
            [] => {
                return Err(format!(
                    "{}: no value before the deployment (no data)",
                    q.name
                ));
            }
            [_] => {
                return Err(format!(
                    "{}: the value before the deployment is not a number",
                    q.name
                ));
            }
            more => {
                return Err(format!(
                    "{}: {} series before the deployment; a compared query must give one (aggregate it)",
                    q.name,
                    more.len()
                ));
            }
        }
    }
    Ok(out)
}

/// Watches `w` and returns the verification to record. `progress` sees every measurement.
pub fn watch(
    w: &SystemWatch,
    src: &dyn Source,
    clock: &Clock,
    target: &Target,
    progress: &mut dyn FnMut(&str, usize, &Measurement),
) -> Verification {
    let started = (clock.now)();
    let limits = Limits {
        interval_seconds: w.interval.as_secs(),
        count: w.count,
        failure_limit: w.failure_limit,
        inconclusive_limit: w.inconclusive_limit,
        consecutive_error_limit: w.consecutive_error_limit,
    };
    let record = |queries: Vec<QueryResult>, verdict: Phase, reason: String| Verification {
        system: w.system.clone(),
        environment: w.environment.clone(),
        deployment: target.deployment,
        source: src.base(),
        started_at: stamp(started),
        ended_at: stamp((clock.now)()),
        verdict,
        reason,
        limits: Some(limits.clone()),
        queries,
        rollback: w.rollback.clone(),
    };
    let mut results: Vec<QueryResult> = w
        .queries
        .iter()
        .map(|q| QueryResult {
            name: q.name.clone(),
            query: q.query.clone(),
            success: q.success.map(|c| c.to_string()),
            failure: q.failure.map(|c| c.to_string()),
            baseline: None,
            ceiling: None,
            phase: Phase::Inconclusive,
            measurements: vec![],
        })
        .collect();
    let base_at =
        target.deployed_at - chrono::Duration::from_std(w.baseline_offset).unwrap_or_default();
    let base = match baselines(w, src, base_at) {
        Ok(b) => b,
        Err(e) => {
            return record(
                results,
                Phase::Inconclusive,
                format!("the comparison with the window before the deployment is impossible: {e}"),
            );
        }
    };
    for (r, (q, b)) in results.iter_mut().zip(w.queries.iter().zip(&base)) {
        r.baseline = *b;
        r.ceiling = judge::ceiling(q, *b);
    }
    let mut decided: Vec<Option<(Phase, String)>> = vec![None; w.queries.len()];
    for tick in 0..w.count {
        let due = started
            + chrono::Duration::from_std(w.initial_delay + w.interval * tick).unwrap_or_default();
        let wait = (due - (clock.now)()).to_std().unwrap_or_default();
        if !wait.is_zero() {
            (clock.sleep)(wait);
        }
        for (i, q) in w.queries.iter().enumerate() {
            if decided[i].is_some() {
                continue;
            }
            let Some(r) = results.get_mut(i) else {
                continue;
            };
            let answer = src.query(&q.query, None);
            let m = judge::measure(q, r.ceiling, stamp((clock.now)()), answer);
            progress(&q.name, r.measurements.len() + 1, &m);
            r.measurements.push(m);
            decided[i] = judge::assess(w, &r.measurements);
        }
        let stop = decided
            .iter()
            .any(|d| matches!(d, Some((Phase::Failed | Phase::Inconclusive, _))))
            || decided.iter().all(Option::is_some);
        if stop {
            break;
        }
    }
    // The verdict comes from the queries that were decided: when the watch stopped early, the
    // others are left inconclusive ("not finished") but do not give the reason.
    let mut judged = Vec::new();
    let mut finished = Vec::new();
    for (mut r, d) in results.into_iter().zip(decided) {
        finished.push(d.is_some());
        let (phase, why) = d.unwrap_or((
            Phase::Inconclusive,
            "not finished: the watch stopped on another query".into(),
        ));
        r.phase = phase;
        judged.push((r, why));
    }
    let deciding: Vec<(QueryResult, String)> = judged
        .iter()
        .zip(&finished)
        .filter(|(_, f)| **f)
        .map(|(j, _)| j.clone())
        .collect();
    let (verdict, reason) = judge::verdict(&deciding);
    record(
        judged.into_iter().map(|(r, _)| r).collect(),
        verdict,
        reason,
    )
}
