//! The demo's resilience evidence: the failover drill of examples/resilience (dated eighteen
//! days before the demo's day, so it is within the year whenever the demo runs) and a watch of
//! the latest payments deployment. The demo machine has no Prometheus, so the watch replays
//! samples through the same loop, judgement and record as `plumb watch` (`Source` is the seam
//! the loop is written against); the record names its source as replayed.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use plumb_ledger::Ledger;
use plumb_records::verification::SeriesValue;
use plumb_resilience::watch::prometheus::Answer;
use plumb_resilience::watch::{config::WatchConfig, evidence, run};

use crate::output::Failure;

const DRILL: &str = include_str!("../../../examples/resilience/failover-drill.yaml");

/// The demo's watch: the payments error ratio, judged as examples/watch/watch.yaml judges it.
const WATCH: &str = "version: 1
prometheus: {url: 'http://demo.invalid'}
systems:
  payments:
    interval: 30s
    count: 10
    queries:
      - {name: error-rate, query: 'payments error ratio (replayed demo samples)', success: '< 0.01', failure: '>= 0.05'}
";

/// Replayed samples: a healthy error ratio after the deployment.
struct Replay;

impl run::Source for Replay {
    fn base(&self) -> String {
        "replayed demo samples (no Prometheus on the demo machine)".into()
    }
    fn query(&self, _: &str, _: Option<f64>) -> Result<Answer, String> {
        Ok(Answer {
            values: vec![SeriesValue {
                labels: "{job=\"payments\"}".into(),
                value: 0.003,
            }],
            warnings: vec![],
        })
    }
}

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure::usage(e.to_string())
}

/// Records the drill and the watch; returns their entries and the deployment watched.
pub fn record(
    l: &mut Ledger,
    dir: &Path,
    model: &plumb_model::Model,
    now: DateTime<Utc>,
) -> Result<(u64, u64, Option<u64>), Failure> {
    let start = now - Duration::days(18);
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let drill = DRILL
        .replace("2026-11-12T06:00:00Z", &fmt(start))
        .replace("2026-11-12T07:10:00Z", &fmt(start + Duration::minutes(70)));
    let path = dir.join("failover-drill.yaml");
    std::fs::write(&path, &drill).map_err(fail)?;
    let mut t =
        plumb_ingest::resilience::read("failover-drill.yaml", drill.as_bytes()).map_err(fail)?;
    plumb_resilience::tests::resolve(&mut t, Some(model)).map_err(fail)?;
    let drill_entry = plumb_resilience::tests::record(
        l,
        &t,
        "failover-drill.yaml",
        drill.as_bytes(),
        Some(path),
        now,
    )
    .map_err(fail)?;

    let config = WatchConfig::parse(WATCH.as_bytes()).map_err(fail)?;
    let w = config.system("payments").map_err(fail)?;
    let target = evidence::target(l, "payments", "production", None).map_err(fail)?;
    let deployed = target
        .as_ref()
        .and_then(|d| DateTime::parse_from_rfc3339(&d.time).ok())
        .map_or(now, |t| t.with_timezone(&Utc));
    // The demo's clock: the watch starts at the deployment and waits without sleeping.
    let clock_now = std::cell::Cell::new(deployed);
    let now_fn = || clock_now.get();
    let sleep_fn = |d: std::time::Duration| {
        clock_now.set(clock_now.get() + Duration::from_std(d).unwrap_or_default());
    };
    let v = run::watch(
        w,
        &Replay,
        &run::Clock {
            now: &now_fn,
            sleep: &sleep_fn,
        },
        &run::Target {
            deployment: target.as_ref().map(|d| d.entry),
            deployed_at: deployed,
        },
        &mut |_, _, _| {},
    );
    let commit = target.as_ref().and_then(|d| d.commit.clone());
    let watch_entry = evidence::record_verification(l, &v, commit.as_deref(), now).map_err(fail)?;
    Ok((drill_entry, watch_entry, target.map(|d| d.entry)))
}
