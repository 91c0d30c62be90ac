//! Register of Information benchmark (reported, never asserted):
//!
//! ```sh
//! cargo bench -p plumb-register --bench register
//! ```
//!
//! A model of 500 providers (one ICT service each, serving two applications), 300 functions
//! and 2,000 contracts, with a register file for all of them; the register derived, written as
//! the package, read back and checked. Target: under 1 s and 500 MB.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use plumb_model::model::{Element, Model, Relationship};
use plumb_model::types::{ElementType, RelType};
use plumb_register::file::{Assessment, Contract, Function, Provider, RegisterFile};
use plumb_register::tables::{Consolidation, Parameters};

/// An LEI with valid ISO 17442 check digits from an 18-character base.
fn lei(base: &str) -> String {
    let digits: String = format!("{base}00")
        .chars()
        .map(|c| c.to_digit(36).unwrap_or(0).to_string())
        .collect();
    let rem = digits
        .bytes()
        .fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97);
    format!("{base}{:02}", 98 - rem)
}

fn element(id: String, kind: ElementType, props: &[(&str, String)]) -> Element {
    let mut e = Element::new(id.clone(), kind, format!("{id} name"));
    e.properties = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    e
}

fn world() -> (Model, RegisterFile) {
    let mut m = Model::default();
    let mut rels = 0;
    let mut rel = |m: &mut Model, kind: RelType, s: String, t: String| {
        rels += 1;
        m.relationships
            .push(Relationship::new(format!("r{rels}"), kind, s, t));
    };
    let mut f = RegisterFile {
        format: plumb_register::file::FORMAT.into(),
        parameters: Some(Parameters {
            entity: lei("5299000BENCHBANK00"),
            consolidation: Consolidation::Individual,
            reference_date: "2025-12-31".into(),
            currency: "EUR".into(),
            country: "DE".into(),
        }),
        entity: Some(plumb_register::file::Entity {
            name: "Bench Bank AG".into(),
            country: "DE".into(),
            kind: "x12".into(),
            authority: "BaFin".into(),
            total_assets: Some("1000000000".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    for i in 0..300 {
        let crit = if i % 3 == 0 { "critical" } else { "important" };
        m.elements.push(element(
            format!("fn-{i}"),
            ElementType::BusinessFunction,
            &[
                ("dora:criticality", crit.into()),
                ("dora:rto-hours", "4".into()),
                ("dora:rpo-hours", "1".into()),
            ],
        ));
        m.elements.push(element(
            format!("app-{i}"),
            ElementType::ApplicationComponent,
            &[],
        ));
        rel(
            &mut m,
            RelType::Serving,
            format!("app-{i}"),
            format!("fn-{i}"),
        );
        f.functions.insert(
            format!("fn-{i}"),
            Function {
                licensed_activity: "x28".into(),
                reasons: None,
                assessed: "2025-09-30".into(),
                impact: "High".into(),
            },
        );
    }
    for i in 0..500 {
        let p = format!("prov-{i}");
        m.elements.push(element(
            p.clone(),
            ElementType::BusinessActor,
            &[
                ("dora:ict-provider", "true".into()),
                ("dora:lei", lei(&format!("5299{i:010}BNCH"))),
            ],
        ));
        m.elements.push(element(
            format!("svc-{i}"),
            ElementType::TechnologyService,
            &[
                ("dora:provider", p.clone()),
                ("dora:ict-service-type", format!("S{:02}", i % 19 + 1)),
            ],
        ));
        rel(
            &mut m,
            RelType::Serving,
            format!("svc-{i}"),
            format!("app-{}", i % 300),
        );
        rel(
            &mut m,
            RelType::Serving,
            format!("svc-{i}"),
            format!("app-{}", (i * 7 + 1) % 300),
        );
        f.providers.insert(
            p,
            Provider {
                country: "IE".into(),
                ..Default::default()
            },
        );
    }
    for i in 0..2000 {
        let c = format!("ctr-{i}");
        m.elements
            .push(element(c.clone(), ElementType::Contract, &[]));
        rel(
            &mut m,
            RelType::Association,
            format!("prov-{}", i % 500),
            c.clone(),
        );
        f.contracts.insert(
            c,
            Contract {
                annual_cost: format!("{}", 10_000 + i),
                start: "2024-01-01".into(),
                notice_entity: "90".into(),
                notice_provider: "180".into(),
                governing_law: "DE".into(),
                service_country: "IE".into(),
                stores_data: "Yes".into(),
                storage_country: Some("IE".into()),
                sensitivity: Some("High".into()),
                reliance: "Material reliance".into(),
                assessment: Some(Assessment {
                    substitutability: "x961".into(),
                    last_audit: "2025-06-30".into(),
                    exit_plan: "Yes".into(),
                    reintegration: "Difficult".into(),
                    impact: "High".into(),
                    alternatives: "Yes".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
    }
    (m, f)
}

fn main() {
    let before = plumb_testkit::peak_rss_mb();
    let t0 = Instant::now();
    let (m, f) = world();
    let made = t0.elapsed();
    let t = Instant::now();
    let (p, tables) = plumb_register::derive::derive(&f, Some(&m)).expect("the register derives");
    let derived = t.elapsed();
    let t = Instant::now();
    let built = plumb_register::package::write(
        &p,
        &tables,
        Utc.with_ymd_and_hms(2026, 3, 20, 9, 0, 0).unwrap(),
    )
    .expect("written");
    let written = t.elapsed();
    let t = Instant::now();
    let contents = plumb_register::package::read_zip(&built.bytes).expect("read");
    let read = plumb_register::read::read(&contents, Some(&built.file_name)).expect("read");
    let reread = t.elapsed();
    let t = Instant::now();
    let mut findings = read.findings.clone();
    findings.extend(plumb_register::check::check(&read.tables).expect("checked"));
    plumb_register::advice::with_model(&read.tables, &m, &mut findings);
    let checked = t.elapsed();
    let rows: BTreeMap<&str, usize> = tables
        .rows
        .iter()
        .map(|(k, v)| (k.as_str(), v.len()))
        .collect();
    let blocking = findings
        .iter()
        .filter(|x| x.severity == plumb_register::finding::Severity::Blocking)
        .count();
    println!("model and register file made in memory: {made:?}");
    println!("rows: {} in all {rows:?}", tables.len());
    println!("derive (model + register file -> tables): {derived:?}");
    println!(
        "write the package ({} bytes zipped): {written:?}",
        built.bytes.len()
    );
    println!("read it back with its structural checks: {reread:?}");
    println!(
        "check (tables, DPM rules, identifiers, advice): {checked:?}; {} findings, {blocking} blocking",
        findings.len()
    );
    println!(
        "build and check in all: {:?}",
        derived + written + reread + checked
    );
    println!(
        "peak RSS: {:.0} MB (before: {before:.0} MB)",
        plumb_testkit::peak_rss_mb()
    );
}
