//! The delivery measures as gauges on `/metrics`: each system's measures over the 30 days up to
//! the server's clock (`plumb_metrics`, the same computation as `plumb metrics`). Read from the
//! ledger on each scrape (deployment records and incidents), outside any lock but the reader's.

use std::collections::BTreeSet;
use std::fmt::Write;

use plumb_metrics::{Measures, Period, measure_each};

use crate::state::AppState;

/// Days the gauges cover.
pub const WINDOW_DAYS: i64 = 30;

/// A Prometheus label value: backslash, double quote and line breaks escaped (system names
/// come from pipelines).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One gauge line, left out when the value is unknown.
fn gauge(out: &mut String, name: &str, system: &str, extra: &str, v: Option<f64>) {
    if let Some(v) = v {
        let _ = writeln!(out, "{name}{{system=\"{}\"{extra}}} {v}", label(system));
    }
}

fn lines(out: &mut String, system: &str, m: &Measures) {
    let f = &m.deployment_frequency;
    gauge(
        out,
        "plumb_delivery_deployments",
        system,
        "",
        Some(f.deployments as f64),
    );
    gauge(
        out,
        "plumb_delivery_deployment_days_per_week",
        system,
        "",
        Some(f.days_per_week),
    );
    gauge(
        out,
        "plumb_delivery_lead_time_hours",
        system,
        ",quantile=\"0.5\"",
        m.lead_time.median_hours,
    );
    gauge(
        out,
        "plumb_delivery_lead_time_hours",
        system,
        ",quantile=\"0.9\"",
        m.lead_time.p90_hours,
    );
    gauge(
        out,
        "plumb_delivery_change_failure_ratio",
        system,
        "",
        m.change_failure.rate,
    );
    gauge(
        out,
        "plumb_delivery_recovery_hours",
        system,
        ",quantile=\"0.5\"",
        m.recovery.median_hours,
    );
    gauge(
        out,
        "plumb_delivery_rework_ratio",
        system,
        "",
        m.rework.rate,
    );
}

/// The gauges, with their help lines; empty when the store cannot be read.
pub fn metrics(s: &AppState) -> String {
    let Ok(ev) = s.delivery_facts() else {
        return String::new();
    };
    let period = Period::last_days(s.now(), WINDOW_DAYS);
    let systems: Vec<String> = ev
        .deployments
        .iter()
        .filter(|d| d.counts() && period.contains(d.time))
        .map(|d| d.system.clone())
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    let mut out = String::from(
        "# HELP plumb_delivery_deployments Production deployments in the last 30 days.\n# TYPE plumb_delivery_deployments gauge\n\
         # HELP plumb_delivery_deployment_days_per_week Days with a production deployment per week, last 30 days.\n# TYPE plumb_delivery_deployment_days_per_week gauge\n\
         # HELP plumb_delivery_lead_time_hours Lead time for changes (commit to production), last 30 days.\n# TYPE plumb_delivery_lead_time_hours gauge\n\
         # HELP plumb_delivery_change_failure_ratio Share of deployments that failed, last 30 days.\n# TYPE plumb_delivery_change_failure_ratio gauge\n\
         # HELP plumb_delivery_recovery_hours Failed deployment recovery time, last 30 days.\n# TYPE plumb_delivery_recovery_hours gauge\n\
         # HELP plumb_delivery_rework_ratio Share of deployments that were unplanned (rollbacks, fix-forwards), last 30 days.\n# TYPE plumb_delivery_rework_ratio gauge\n",
    );
    for (system, m) in measure_each(&ev, &systems, period) {
        lines(&mut out, &system, &m);
    }
    out
}
