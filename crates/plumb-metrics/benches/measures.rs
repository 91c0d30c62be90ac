//! Delivery measures benchmark (reported, never asserted):
//!
//! ```sh
//! cargo bench -p plumb-metrics --bench measures
//! ```
//!
//! 100,000 deployments and 5,000 incidents across 200 systems over a year; a quarter's
//! measures for all systems together, then for each system. Target: under 1 s.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use plumb_metrics::{
    DeploymentFact, Evidence, IncidentFact, Period, Selection, measure, measure_each,
};
use plumb_records::deployment::{ChangeKind, Status};

fn evidence() -> Evidence {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut deployments = Vec::with_capacity(100_000);
    for i in 0..100_000u64 {
        let time = start + Duration::minutes((i * 5) as i64);
        deployments.push(DeploymentFact {
            entry: i,
            system: format!("system-{:03}", i % 200),
            commit: None,
            time,
            status: if i % 97 == 0 {
                Status::RolledBack
            } else {
                Status::Succeeded
            },
            production: i % 10 != 0,
            commits: (0..(i % 4))
                .map(|k| {
                    (
                        format!("{i:x}{k}"),
                        Some(time - Duration::hours((k * 7 + i % 30) as i64)),
                    )
                })
                .collect(),
            change: if i % 51 == 0 {
                ChangeKind::FixForward
            } else {
                ChangeKind::Planned
            },
            remedies: (i % 51 == 0 && i > 0).then(|| i - 200),
        });
    }
    let incidents = (0..5_000u64)
        .map(|n| {
            let d = n * 20;
            let at = start + Duration::minutes((d * 5) as i64 + 30);
            IncidentFact {
                id: format!("INC-{n}"),
                detected_at: at,
                resolved_at: (n % 7 != 0).then(|| at + Duration::hours((n % 48) as i64)),
                deployments: vec![(d, "heuristic".into())],
                major: Some(n % 3 == 0),
            }
        })
        .collect();
    Evidence {
        deployments,
        incidents,
        decisions: vec![],
    }
}

fn main() {
    let t = Instant::now();
    let ev = evidence();
    println!(
        "built 100,000 deployments and 5,000 incidents in {:.2?}",
        t.elapsed()
    );
    let period = Period::parse("2026-Q2").expect("a quarter");
    let t = Instant::now();
    let all = measure(
        &ev,
        &Selection {
            systems: None,
            period,
        },
    );
    println!(
        "a quarter, all systems together: {:.2?} ({} deployments, {} failed, median lead time {:?} h)",
        t.elapsed(),
        all.deployment_frequency.deployments,
        all.change_failure.failed,
        all.lead_time.median_hours
    );
    let systems: Vec<String> = (0..200).map(|i| format!("system-{i:03}")).collect();
    let t = Instant::now();
    let each = measure_each(&ev, &systems, period);
    println!(
        "a quarter, each of {} systems: {:.2?}",
        each.len(),
        t.elapsed()
    );
}
