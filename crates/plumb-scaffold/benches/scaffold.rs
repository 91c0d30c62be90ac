//! Scaffold benchmarks (reported, never asserted):
//!
//! ```sh
//! cargo bench -p plumb-scaffold --bench scaffold
//! ```
//!
//! Generation of the demo bank (three services, both templates), then of a generated model with
//! 200 components each with an onboarding workflow; writing a fresh repository and re-planning it
//! (what a regeneration with nothing changed costs).

use std::path::PathBuf;
use std::time::Instant;

use plumb_model::{Element, ElementType, Model, RelType, Relationship};
use plumb_scaffold::template::Catalog;
use plumb_scaffold::{Options, generate, sync};

fn el(id: String, kind: ElementType, props: &[(&str, &str)]) -> Element {
    Element {
        properties: props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Element::new(id.clone(), kind, id.replace('-', " "))
    }
}

fn rel(id: String, kind: RelType, s: &str, t: &str, name: &str) -> Relationship {
    Relationship {
        name: name.into(),
        ..Relationship::new(id, kind, s, t)
    }
}

/// `n` components (alternating templates), each serving a critical function and an onboarding
/// process of five steps, running on one of ten nodes operated by a provider.
fn generated(n: usize) -> Model {
    let mut m = Model {
        id: "gen".into(),
        name: "Generated bank".into(),
        ..Default::default()
    };
    m.elements.push(el(
        "prov".into(),
        ElementType::BusinessActor,
        &[("dora:ict-provider", "true")],
    ));
    for k in 0..10 {
        m.elements.push(el(
            format!("node{k}"),
            ElementType::Node,
            &[("dora:provider", "prov")],
        ));
    }
    for i in 0..n {
        let c = format!("app{i}");
        let template = if i % 2 == 0 {
            "rust-axum"
        } else {
            "python-fastapi"
        };
        let svc = format!("svc-{i}");
        m.elements.push(el(
            c.clone(),
            ElementType::ApplicationComponent,
            &[("plumb:service", &svc), ("plumb:template", template)],
        ));
        m.elements.push(el(
            format!("fn{i}"),
            ElementType::BusinessFunction,
            &[
                ("dora:criticality", "critical"),
                ("dora:rto-hours", "4"),
                ("dora:rpo-hours", "1"),
            ],
        ));
        m.relationships.push(rel(
            format!("s{i}"),
            RelType::Serving,
            &c,
            &format!("fn{i}"),
            "",
        ));
        m.relationships.push(rel(
            format!("n{i}"),
            RelType::Serving,
            &format!("node{}", i % 10),
            &c,
            "",
        ));
        let p = format!("proc{i}");
        m.elements.push(el(
            p.clone(),
            ElementType::BusinessProcess,
            &[("plumb:workflow", "onboarding")],
        ));
        m.relationships
            .push(rel(format!("sp{i}"), RelType::Serving, &c, &p, ""));
        for k in 0..5 {
            let step = format!("step{i}-{k}");
            m.elements
                .push(el(step.clone(), ElementType::BusinessProcess, &[]));
            m.relationships.push(rel(
                format!("c{i}-{k}"),
                RelType::Composition,
                &p,
                &step,
                "",
            ));
            if k > 0 {
                m.relationships.push(rel(
                    format!("t{i}-{k}"),
                    RelType::Triggering,
                    &format!("step{i}-{}", k - 1),
                    &step,
                    &format!("go {k}"),
                ));
            }
        }
    }
    m
}

fn main() {
    let cat = Catalog::embedded();
    let opts = Options {
        model_source: "bench".into(),
        ..Default::default()
    };
    let bank = plumb_model::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml"),
    )
    .unwrap();
    let runs = 20;
    let t = Instant::now();
    let mut g = generate(&bank, &opts, &cat).unwrap();
    for _ in 1..runs {
        g = generate(&bank, &opts, &cat).unwrap();
    }
    let bytes: usize = g.files.values().map(|f| f.body.len()).sum();
    println!(
        "demo bank: {} services, {} files, {} KiB, generated in {:.1} ms (mean of {runs})",
        g.services.len(),
        g.files.len(),
        bytes / 1024,
        t.elapsed().as_secs_f64() * 1000.0 / runs as f64
    );

    let m = generated(200);
    let t = Instant::now();
    let g = generate(&m, &opts, &cat).unwrap();
    let gen_s = t.elapsed().as_secs_f64();
    let bytes: usize = g.files.values().map(|f| f.body.len()).sum();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("repo");
    let t = Instant::now();
    let p = sync::plan(&out, &g, false, &[]).unwrap();
    sync::apply(&out, &g, &p).unwrap();
    let write_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let again = sync::plan(&out, &g, false, &[]).unwrap();
    let replan_s = t.elapsed().as_secs_f64();
    assert_eq!(again.count(sync::Action::Unchanged), g.files.len());
    println!(
        "200 components ({} elements): {} files, {} MiB; generate {:.2} s, write {:.2} s, re-plan unchanged {:.2} s",
        m.elements.len(),
        g.files.len(),
        bytes / (1024 * 1024),
        gen_s,
        write_s,
        replan_s
    );
}
