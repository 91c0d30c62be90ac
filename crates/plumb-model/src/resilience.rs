//! Resilience testing against the model: every critical or important function needs a passed
//! resilience test within a period (a year by default: DORA Art. 24(6) asks for yearly tests of
//! the systems supporting them) whose measured recovery is within the function's RTO. A test
//! counts for a function when it names the function, or exercised a system the function
//! depends on.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::dora;
use crate::model::Model;
pub use plumb_records::resilience::{ResilienceTest, TestOutcome};

/// Recorded resilience tests and the terms to judge them by, for `check::check_with`.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Tests with their ledger entries.
    pub tests: Vec<(u64, ResilienceTest)>,
    /// The check's time.
    pub now: DateTime<Utc>,
    /// How old the last passed test may be.
    pub max_age_days: i64,
}

/// Where one function stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionStatus {
    /// Function id.
    pub function: String,
    /// Its name.
    pub name: String,
    /// critical or important.
    pub criticality: String,
    /// Its RTO in hours, when the model states one.
    pub rto_hours: Option<f64>,
    /// `ok`, `no_test`, `stale`, `failed` or `over_rto`.
    pub state: &'static str,
    /// The test that decides the state (the latest that counts), by ledger entry.
    pub test: Option<u64>,
    /// Why, in a sentence.
    pub explanation: String,
}

/// The systems (pipeline service names) each function depends on, through the model.
fn systems_of(m: &Model, function_id: &str) -> Vec<String> {
    m.elements
        .iter()
        .filter(|e| e.kind == crate::types::ElementType::ApplicationComponent)
        .filter(|e| {
            crate::graph::impact(m, &e.id)
                .iter()
                .any(|i| i.function == function_id)
        })
        .map(dora::service_name)
        .collect()
}

/// The status of every critical or important function at `now`, from `tests` (ledger entry
/// and record).
pub fn status(
    m: &Model,
    tests: &[(u64, ResilienceTest)],
    now: DateTime<Utc>,
    max_age_days: i64,
) -> Vec<FunctionStatus> {
    // Checked: a period from a caller is not trusted to fit the calendar.
    let since = Duration::try_days(max_age_days.max(0))
        .and_then(|d| now.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut out = Vec::new();
    for f in &m.elements {
        let Some(criticality) = dora::criticality(f) else {
            continue;
        };
        let rto_hours = Model::prop(f, dora::RTO).and_then(|v| v.trim().parse::<f64>().ok());
        let systems = systems_of(m, &f.id);
        let ended = |t: &ResilienceTest| {
            t.ended_at
                .as_deref()
                .or(t.started_at.as_deref())
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc))
        };
        // Tests of this function, run (not only planned), newest last.
        let mut mine: Vec<(&u64, &ResilienceTest, DateTime<Utc>)> = tests
            .iter()
            .filter(|(_, t)| t.outcome != TestOutcome::Planned)
            .filter(|(_, t)| {
                t.functions.iter().any(|x| *x == f.name || *x == f.id)
                    || t.systems.iter().any(|s| systems.contains(s))
            })
            .filter_map(|(i, t)| ended(t).map(|at| (i, t, at)))
            .filter(|(_, _, at)| *at <= now)
            .collect();
        mine.sort_by_key(|(i, _, at)| (*at, **i));
        let passed_recent = mine
            .iter()
            .rev()
            .find(|(_, t, at)| t.outcome == TestOutcome::Passed && *at >= since);
        let latest = mine.last();
        let (state, test, explanation) = match (passed_recent, latest) {
            (Some((i, t, at)), _) => match (rto_hours, t.recovery_minutes) {
                (Some(rto), Some(r)) if r > rto * 60.0 => (
                    "over_rto",
                    Some(**i),
                    format!(
                        "the latest passed test ({}, {}) measured {r:.0} min of recovery, over the RTO of {rto} h",
                        t.title,
                        at.format("%Y-%m-%d")
                    ),
                ),
                (Some(rto), None) => (
                    "ok",
                    Some(**i),
                    format!(
                        "passed {} ({}); it measured no recovery time to compare with the RTO of {rto} h",
                        at.format("%Y-%m-%d"),
                        t.title
                    ),
                ),
                _ => (
                    "ok",
                    Some(**i),
                    format!("passed {} ({})", at.format("%Y-%m-%d"), t.title),
                ),
            },
            (None, Some((i, t, at))) if t.outcome != TestOutcome::Passed => (
                "failed",
                Some(**i),
                format!(
                    "the latest test ({}, {}) did not pass, and none passed in the last {max_age_days} days",
                    t.title,
                    at.format("%Y-%m-%d")
                ),
            ),
            (None, Some((i, t, at))) => (
                "stale",
                Some(**i),
                format!(
                    "the last passed test ({}, {}) is older than {max_age_days} days (DORA Art. 24(6))",
                    t.title,
                    at.format("%Y-%m-%d")
                ),
            ),
            (None, None) => (
                "no_test",
                None,
                format!(
                    "no resilience test recorded for it or for the systems it depends on ({})",
                    if systems.is_empty() {
                        "none in the model".to_string()
                    } else {
                        systems.join(", ")
                    }
                ),
            ),
        };
        out.push(FunctionStatus {
            function: f.id.clone(),
            name: f.name.clone(),
            criticality: criticality.into(),
            rto_hours,
            state,
            test,
            explanation,
        });
    }
    out
}
