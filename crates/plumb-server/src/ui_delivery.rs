//! The Delivery page of the UI: the delivery measures of every system the reader may see, with
//! a weekly trend chart each (server-rendered SVG) and their performance levels, and for one
//! system the deployments behind the numbers, each linked to its entry and, when it failed, to
//! why. The same computation as `plumb metrics` (`plumb-metrics`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use plumb_metrics::chart::{Bar, bars as bars_svg};
use plumb_metrics::{Granularity, Measures, Period, measure_each};

use crate::scope::Scope;
use crate::state::AppState;
use crate::templates::{message, query_value, render};
use crate::ui::{blocking, need_login, session};

/// Days shown when no period is asked for.
const DEFAULT_DAYS: i64 = 90;

/// The routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/ui/delivery", get(delivery))
}

fn level(l: Option<plumb_metrics::levels::Level>) -> Value {
    json!(l.map(|l| format!("{l:?}").to_lowercase()))
}

/// One week of a system: deployments, median lead time (hours), change failure rate (%).
struct Week {
    label: String,
    deployments: f64,
    lead_median: f64,
    failure_pct: f64,
}

/// The weekly trend of one system, from the deployments behind its numbers.
fn weeks_of(m: &Measures, weeks: &[(String, Period)]) -> Vec<Week> {
    weeks
        .iter()
        .map(|(label, p)| {
            let here: Vec<_> = m
                .deployments
                .iter()
                .filter(|b| plumb_base::time::parse_rfc3339(&b.time).is_ok_and(|t| p.contains(t)))
                .collect();
            let mut lead: Vec<f64> = here
                .iter()
                .flat_map(|b| b.lead_times_hours.iter().copied())
                .collect();
            lead.sort_by(f64::total_cmp);
            let failed = here.iter().filter(|b| !b.failed_because.is_empty()).count();
            Week {
                label: label.clone(),
                deployments: here.len() as f64,
                lead_median: lead.get(lead.len() / 2).copied().unwrap_or(0.0),
                failure_pct: if here.is_empty() {
                    0.0
                } else {
                    failed as f64 * 100.0 / here.len() as f64
                },
            }
        })
        .collect()
}

fn chart(title: &str, weeks: &[Week], value: fn(&Week) -> f64) -> String {
    let bars: Vec<Bar<'_>> = weeks
        .iter()
        .map(|w| Bar {
            label: &w.label,
            value: value(w),
            class: "now",
        })
        .collect();
    bars_svg(title, &bars)
}

/// One system's row: the numbers, their levels and its trend charts.
fn row(system: &str, m: &Measures, weeks: &[Week]) -> Value {
    json!({
        "system": system,
        "query": query_value(system),
        "deployments": m.deployment_frequency.deployments,
        "days_per_week": format!("{:.2}", m.deployment_frequency.days_per_week),
        "frequency_level": level(Some(m.deployment_frequency.level)),
        "lead_median": m.lead_time.median_hours.map(|h| format!("{h:.1} h")),
        "lead_level": level(m.lead_time.level),
        "without_times": m.lead_time.deployments_without_commit_times,
        "failure_rate": m.change_failure.rate.map(|r| format!("{:.1} %", r * 100.0)),
        "failed": m.change_failure.failed,
        "failure_level": level(m.change_failure.level),
        "recovery_median": m.recovery.median_hours.map(|h| format!("{h:.1} h")),
        "recovery_level": level(m.recovery.level),
        "rework_rate": m.rework.rate.map(|r| format!("{:.1} %", r * 100.0)),
        "charts": [
            {"title": "deployments per week", "svg": chart(&format!("deployments per week of {system}"), weeks, |w| w.deployments)},
            {"title": "lead time, median hours per week", "svg": chart(&format!("median lead time per week of {system}"), weeks, |w| w.lead_median)},
            {"title": "change failure rate, % per week", "svg": chart(&format!("change failure rate per week of {system}"), weeks, |w| w.failure_pct)},
        ],
    })
}

async fn delivery(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let period = match q.get("period").filter(|p| !p.is_empty()) {
        Some(p) => match Period::parse(p) {
            Ok(p) => p,
            Err(e) => {
                return message(
                    StatusCode::BAD_REQUEST,
                    "Delivery",
                    Some(&sess),
                    &e,
                    Some(("/ui/delivery", "the last 90 days")),
                );
            }
        },
        None => Period::last_days(s.now(), DEFAULT_DAYS),
    };
    let scope = Scope::of(&sess.token);
    let focus = q.get("system").cloned();
    let ctx = blocking(move || -> Result<Value, String> {
        let ev = s.delivery_facts()?;
        // Only the systems the reader may see, and of those the one asked for, if any.
        let systems: Vec<String> = ev
            .deployments
            .iter()
            .map(|d| d.system.clone())
            .filter(|x| scope.allows(Some(x.as_str())))
            .filter(|x| focus.as_ref().is_none_or(|f| f == x))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let weeks = Granularity::Week.buckets(period);
        let mut rows = Vec::new();
        let mut behind = Vec::new();
        for (system, m) in measure_each(&ev, &systems, period) {
            rows.push(row(&system, &m, &weeks_of(&m, &weeks)));
            if focus.is_some() {
                behind = m
                    .deployments
                    .iter()
                    .map(|b| {
                        json!({
                            "entry": b.entry, "time": b.time,
                            "lead": b.lead_times_hours.iter().map(|h| format!("{h:.1} h")).collect::<Vec<_>>().join(", "),
                            "failed_because": b.failed_because,
                            "recovered": b.recovered_after_hours.map(|h| format!("{h:.1} h")),
                            "unplanned": b.unplanned,
                        })
                    })
                    .collect();
            }
        }
        Ok(json!({
            "from": plumb_base::time::format_seconds(period.from),
            "to": plumb_base::time::format_seconds(period.to),
            "period": q.get("period").cloned().unwrap_or_default(),
            "period_q": query_value(q.get("period").map(String::as_str).unwrap_or_default()),
            "benchmark": plumb_metrics::levels::BENCHMARK,
            "rows": rows,
            "focus": focus,
            "behind": behind,
            "scoped": scope != Scope::All,
        }))
    })
    .await;
    match ctx {
        Ok(ctx) => render(
            StatusCode::OK,
            "delivery.html",
            "Delivery",
            Some(&sess),
            ctx,
        ),
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Delivery",
            Some(&sess),
            &e,
            None,
        ),
    }
}
