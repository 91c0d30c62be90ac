//! Judging, as Argo Rollouts' analysis does: each measurement against the query's conditions
//! (and the comparison with the value before the deployment), each query over its
//! measurements against the limits, and the watch over its queries. Pure: the same
//! measurements give the same verdict.

use plumb_records::verification::{Measurement, Phase, QueryResult, SeriesValue};

use super::config::{Query, SystemWatch};
use super::prometheus::Answer;

/// Longest message kept per measurement (a hostile Prometheus chooses labels and errors).
const MAX_MESSAGE: usize = 400;

/// `s` cut to at most `max` bytes on a character boundary, marked when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", s.get(..end).unwrap_or_default())
}

/// Series kept per measurement in the record (all are judged): the record must stay within
/// the ledger's envelope limit.
pub const MAX_KEPT_SERIES: usize = 5;

/// The ceiling of a compared query from its baseline value.
pub fn ceiling(q: &Query, baseline: Option<f64>) -> Option<f64> {
    match (q.compare, baseline) {
        (Some(c), Some(b)) => Some(b * c.max_ratio + c.slack),
        _ => None,
    }
}

/// Judges one series' value: the Argo table (both conditions: failed if the failure condition
/// holds, successful if the success condition holds, else inconclusive; success only: failed
/// when it does not hold; failure only: successful when it does not hold), with the ceiling
/// as a further failure condition.
fn judge_value(q: &Query, ceiling: Option<f64>, v: f64) -> (Phase, Option<String>) {
    if let Some(c) = ceiling
        && v > c
    {
        return (
            Phase::Failed,
            Some(format!(
                "{v} is above {c} (the value before the deployment × max_ratio + slack)"
            )),
        );
    }
    if let Some(f) = &q.failure
        && f.holds(v)
    {
        return (
            Phase::Failed,
            Some(format!("{v} meets the failure condition {f}")),
        );
    }
    match &q.success {
        Some(s) if s.holds(v) => (Phase::Successful, None),
        Some(s) if q.failure.is_some() => (
            Phase::Inconclusive,
            Some(format!(
                "{v} meets neither the success condition {s} nor the failure condition"
            )),
        ),
        Some(s) => (
            Phase::Failed,
            Some(format!("{v} does not meet the success condition {s}")),
        ),
        None => (Phase::Successful, None),
    }
}

/// One measurement from an answer (or the error of asking).
pub fn measure(
    q: &Query,
    ceiling: Option<f64>,
    at: String,
    answer: Result<Answer, String>,
) -> Measurement {
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            return Measurement {
                at,
                values: vec![],
                phase: Phase::Error,
                message: Some(clip(&e, MAX_MESSAGE)),
            };
        }
    };
    let warn = if answer.warnings.is_empty() {
        String::new()
    } else {
        format!(" (Prometheus warned: {})", answer.warnings.join("; "))
    };
    if answer.values.is_empty() {
        return Measurement {
            at,
            values: vec![],
            phase: Phase::Error,
            message: Some(clip(
                &format!("no data: the query matched no series{warn}"),
                MAX_MESSAGE,
            )),
        };
    }
    // Non-finite values (0/0 with no traffic, +Inf from histogram_quantile) are not
    // measurements: they are named in the message and never stored (JSON has no NaN, so a
    // record holding one could not be read back). The finite series are judged; only when
    // none is finite is the measurement an error.
    let (finite, odd): (Vec<SeriesValue>, Vec<SeriesValue>) =
        answer.values.into_iter().partition(|s| s.value.is_finite());
    let odd_note = (!odd.is_empty()).then(|| {
        format!(
            "{} series without a number ({})",
            odd.len(),
            odd.iter()
                .take(3)
                .map(|s| format!("{}{}", s.labels, s.value))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    if finite.is_empty() {
        return Measurement {
            at,
            values: vec![],
            phase: Phase::Error,
            message: Some(clip(
                &format!("{}, not a measurement{warn}", odd_note.unwrap_or_default()),
                MAX_MESSAGE,
            )),
        };
    }
    let judged: Vec<(Phase, Option<String>)> = finite
        .iter()
        .map(|s: &SeriesValue| {
            let (p, m) = judge_value(q, ceiling, s.value);
            (
                p,
                m.map(|m| {
                    if s.labels.is_empty() {
                        m
                    } else {
                        format!("{}: {m}", s.labels)
                    }
                }),
            )
        })
        .collect();
    let phase = if judged.iter().any(|(p, _)| *p == Phase::Failed) {
        Phase::Failed
    } else if judged.iter().all(|(p, _)| *p == Phase::Successful) {
        Phase::Successful
    } else {
        Phase::Inconclusive
    };
    let mut values = finite;
    let kept = values.len().min(MAX_KEPT_SERIES);
    let dropped = values.len() - kept;
    values.truncate(kept);
    for v in &mut values {
        v.labels = clip(&v.labels, 200);
    }
    let mut notes: Vec<String> = judged
        .into_iter()
        .filter_map(|(_, m)| m)
        .take(MAX_KEPT_SERIES)
        .collect();
    notes.extend(odd_note);
    if dropped > 0 {
        notes.push(format!(
            "{dropped} more series judged, not kept in the record"
        ));
    }
    if !warn.is_empty() {
        notes.push(warn.trim().to_string());
    }
    Measurement {
        at,
        values,
        phase,
        message: if notes.is_empty() {
            None
        } else {
            Some(clip(&notes.join("; "), MAX_MESSAGE))
        },
    }
}

/// How a query stands after its measurements: `Some` once decided (a limit breached, or all
/// `count` measurements taken), `None` while the watch must go on.
pub fn assess(w: &SystemWatch, ms: &[Measurement]) -> Option<(Phase, String)> {
    let count = |p: Phase| ms.iter().filter(|m| m.phase == p).count() as u32;
    // The reason names the last measurement of the kind that decided, so it says what was seen.
    let last = |p: Phase| {
        ms.iter()
            .rev()
            .find(|m| m.phase == p)
            .and_then(|m| m.message.clone())
            .map(|m| format!(" (last: {m})"))
            .unwrap_or_default()
    };
    let failed = count(Phase::Failed);
    if failed > w.failure_limit {
        return Some((
            Phase::Failed,
            format!(
                "{failed} failed measurement(s), more than the {} tolerated{}",
                w.failure_limit,
                last(Phase::Failed)
            ),
        ));
    }
    let inconclusive = count(Phase::Inconclusive);
    if inconclusive > w.inconclusive_limit {
        return Some((
            Phase::Inconclusive,
            format!(
                "{inconclusive} inconclusive measurement(s), more than the {} tolerated{}",
                w.inconclusive_limit,
                last(Phase::Inconclusive)
            ),
        ));
    }
    let trailing = ms
        .iter()
        .rev()
        .take_while(|m| m.phase == Phase::Error)
        .count() as u32;
    if trailing > w.consecutive_error_limit {
        let last = ms
            .last()
            .and_then(|m| m.message.clone())
            .unwrap_or_default();
        return Some((
            Phase::Inconclusive,
            format!(
                "{trailing} consecutive measurements could not be taken, more than the {} tolerated (last: {last})",
                w.consecutive_error_limit
            ),
        ));
    }
    if (ms.len() as u32) < w.count {
        return None;
    }
    // A query never measured successfully does not pass, however few errors it had.
    if count(Phase::Successful) == 0 {
        return Some((
            Phase::Inconclusive,
            "no successful measurement in the whole watch".to_string(),
        ));
    }
    Some((
        Phase::Successful,
        format!(
            "{} of {} measurements successful",
            count(Phase::Successful),
            ms.len()
        ),
    ))
}

/// The watch's verdict from its queries' phases: failed if one failed, inconclusive if one is
/// inconclusive, successful when all are. Returns the verdict and the reason.
pub fn verdict(queries: &[(QueryResult, String)]) -> (Phase, String) {
    for p in [Phase::Failed, Phase::Inconclusive, Phase::Error] {
        if let Some((q, why)) = queries.iter().find(|(q, _)| q.phase == p) {
            let p = if p == Phase::Error {
                Phase::Inconclusive
            } else {
                p
            };
            return (p, format!("{}: {why}", q.name));
        }
    }
    if queries.is_empty() {
        return (Phase::Inconclusive, "no query was judged".into());
    }
    (
        Phase::Successful,
        queries
            .iter()
            .map(|(q, why)| format!("{}: {why}", q.name))
            .collect::<Vec<_>>()
            .join("; "),
    )
}
