//! Incident benchmarks: classification and deadlines for one incident, and the cost of
//! rebuilding every incident from the ledger (what the list, the UI and /metrics do).
//! `cargo bench -p plumb-incident --bench incidents` (N=1000 incidents by default).

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use plumb_incident::calendar::Holidays;
use plumb_incident::classify::{Assessment, ModelFacts, classify};
use plumb_incident::clock::{Profile, Times, deadlines};
use plumb_incident::config::Config;
use plumb_incident::ops::{self, Ctx, Op, OpenRequest};
use plumb_incident::store;

fn main() {
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let now: DateTime<Utc> = "2026-11-16T12:00:00Z".parse().unwrap();
    let a: Assessment = plumb_incident::classify::parse_assessment(
        include_bytes!("../../../examples/incident/assessment.yaml"),
        "assessment",
    )
    .unwrap();
    let facts = ModelFacts {
        functions: vec!["Payments (critical)".into()],
    };
    let reps = 100_000;
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(classify(&a, &facts, now - Duration::hours(3), None, now).unwrap());
    }
    println!(
        "classify: {:.2} us per incident",
        t.elapsed().as_secs_f64() * 1e6 / reps as f64
    );
    let p = Profile::new("DE", "payment_institution").unwrap();
    let h = Holidays::default();
    let times = Times {
        aware_at: Some(now - Duration::hours(30)),
        classified_major_at: Some(now - Duration::hours(29)),
        initial_submitted_at: Some(now - Duration::hours(28)),
        intermediate_submissions: vec![now - Duration::hours(1)],
        ..Default::default()
    };
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(deadlines(&times, &p, &h, now).unwrap());
    }
    println!(
        "deadlines (three reports): {:.2} us",
        t.elapsed().as_secs_f64() * 1e6 / reps as f64
    );

    let dir = tempfile::tempdir().unwrap();
    let mut l = plumb_ledger::Ledger::init(&dir.path().join("store"), Default::default()).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = Config::load(&root.join("examples/incident/incident.yaml")).unwrap();
    let model = plumb_model::load(config.model.as_deref().unwrap()).unwrap();
    let t = Instant::now();
    for i in 0..n {
        let at = now - Duration::minutes(n as i64 - i as i64);
        let ctx = Ctx {
            config: &config,
            model: Some(&model),
            now: at,
            actor: "bench".into(),
        };
        let req = OpenRequest {
            title: format!("incident {i}"),
            services: vec!["payments".into()],
            ..Default::default()
        };
        let (id, mut evs) = ops::open(&mut l, &ctx, &req).unwrap();
        store::append(&mut l, &evs, at).unwrap();
        evs = ops::apply(
            &mut l,
            &ctx,
            &id,
            &Op::Classify {
                assessment: a.clone(),
            },
        )
        .unwrap();
        store::append(&mut l, &evs, at).unwrap();
    }
    println!(
        "recording {n} incidents (open + classify through the ledger): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let all = store::all(&mut l).unwrap();
    let views: Vec<_> = all
        .into_iter()
        .map(|i| ops::view(i, &config, now).unwrap())
        .collect();
    println!(
        "rebuilding {} incidents with their deadlines from the ledger: {:.1} ms",
        views.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
}
