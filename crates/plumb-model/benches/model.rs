//! Model benchmarks (reported, never asserted):
//!
//! ```sh
//! cargo bench -p plumb-model --bench model
//! ```
//!
//! Import + check + impact on the largest real model in the corpus (Archisurance), then on a
//! generated 100,000-element model read from the exchange format, with peak memory.

use std::path::PathBuf;
use std::time::Instant;

use plumb_model::check::{Options, check};
use plumb_model::graph::impact;
use plumb_model::{Element, ElementType, Model, RelType, Relationship};

fn el(id: String, kind: ElementType, props: Vec<(String, String)>) -> Element {
    Element {
        properties: props,
        ..Element::new(id.clone(), kind, id)
    }
}

fn rel(n: &mut usize, kind: RelType, source: &str, target: &str) -> Relationship {
    *n += 1;
    Relationship::new(format!("r{n}"), kind, source, target)
}

/// 100,000 elements: 1,000 functions (30% critical or important), 1,000 requirements and their
/// processes, 20,000 applications, 30,000 nodes, 20,000 data objects, 26,960 technology
/// services, 20 providers and their contracts.
fn generated() -> Model {
    let mut m = Model {
        id: "id-gen".into(),
        name: "generated".into(),
        ..Default::default()
    };
    let mut n = 0;
    for p in 0..20 {
        m.elements.push(el(
            format!("prov{p}"),
            ElementType::BusinessActor,
            vec![
                ("dora:ict-provider".into(), "true".into()),
                ("dora:lei".into(), "5299000CLOUDC0EU0115".into()),
            ],
        ));
        m.elements
            .push(el(format!("ctr{p}"), ElementType::Contract, vec![]));
        m.relationships.push(rel(
            &mut n,
            RelType::Association,
            &format!("prov{p}"),
            &format!("ctr{p}"),
        ));
    }
    for i in 0..1_000 {
        let crit = match i % 10 {
            0 | 1 => "critical",
            2 => "important",
            _ => "none",
        };
        m.elements.push(el(
            format!("fn{i}"),
            ElementType::BusinessFunction,
            vec![
                ("dora:criticality".into(), crit.into()),
                ("dora:rto-hours".into(), "4".into()),
                ("dora:rpo-hours".into(), "1".into()),
            ],
        ));
        m.elements
            .push(el(format!("req{i}"), ElementType::Requirement, vec![]));
        m.elements
            .push(el(format!("proc{i}"), ElementType::BusinessProcess, vec![]));
        m.relationships.push(rel(
            &mut n,
            RelType::Realization,
            &format!("proc{i}"),
            &format!("req{i}"),
        ));
    }
    for a in 0..20_000 {
        m.elements.push(el(
            format!("app{a}"),
            ElementType::ApplicationComponent,
            vec![("plumb:service".into(), format!("svc{a}"))],
        ));
        m.elements
            .push(el(format!("data{a}"), ElementType::DataObject, vec![]));
        m.relationships.push(rel(
            &mut n,
            RelType::Serving,
            &format!("app{a}"),
            &format!("fn{}", a % 1_000),
        ));
        m.relationships.push(rel(
            &mut n,
            RelType::Access,
            &format!("app{a}"),
            &format!("data{a}"),
        ));
        for k in 0..2 {
            m.relationships.push(rel(
                &mut n,
                RelType::Serving,
                &format!("node{}", (a * 3 + k) % 30_000),
                &format!("app{a}"),
            ));
        }
    }
    for k in 0..30_000 {
        m.elements.push(el(
            format!("node{k}"),
            ElementType::Node,
            vec![("dora:provider".into(), format!("prov{}", k % 20))],
        ));
    }
    for t in 0..26_960 {
        m.elements
            .push(el(format!("ts{t}"), ElementType::TechnologyService, vec![]));
        m.relationships.push(rel(
            &mut n,
            RelType::Realization,
            &format!("node{}", t % 30_000),
            &format!("ts{t}"),
        ));
    }
    m
}

fn main() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/archimate/archi/archisurance.xml");
    let bytes = std::fs::read(&path).unwrap();
    let mut best = f64::MAX;
    for _ in 0..20 {
        let t = Instant::now();
        let m = plumb_model::exchange::read("archisurance.xml", &bytes).unwrap();
        let r = check(&m, Options::default());
        let node = m
            .elements
            .iter()
            .find(|e| e.kind == ElementType::Node)
            .unwrap()
            .id
            .clone();
        let _ = impact(&m, &node);
        best = best.min(t.elapsed().as_secs_f64());
        assert!(r.size.elements == 122);
    }
    println!("## Architecture model\n\n| measure | value |\n|---|---|");
    println!(
        "| Archisurance (122 elements, 179 relationships): import + check + impact, best of 20 | {:.2} ms |",
        best * 1000.0
    );

    let g = generated();
    let xml = plumb_model::exchange::write(&g);
    let t = Instant::now();
    let m = plumb_model::exchange::read("generated.xml", xml.as_bytes()).unwrap();
    let import = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let r = check(&m, Options::default());
    let checked = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let hit = impact(&m, "prov3");
    let imp = t.elapsed().as_secs_f64();
    println!(
        "| generated model: {} elements, {} relationships, {:.1} MB exchange XML | |",
        m.elements.len(),
        m.relationships.len(),
        xml.len() as f64 / 1e6
    );
    println!("| generated: import | {import:.2} s |");
    println!(
        "| generated: check ({} findings, {} critical or important functions) | {checked:.2} s |",
        r.findings.len(),
        r.functions.len()
    );
    println!(
        "| generated: impact of one provider ({} functions reached) | {imp:.3} s |",
        hit.len()
    );
    println!(
        "| generated: import + check + impact | **{:.2} s** |",
        import + checked + imp
    );
    println!(
        "| peak resident memory | {:.0} MB |",
        plumb_testkit::peak_rss_mb()
    );
}
