//! Model benchmarks (reported, never asserted):
//!
//! ```sh
//! cargo bench -p plumb-model --bench model
//! ```
//!
//! Import + check + impact on the largest real model in the corpus (Archisurance), then on a
//! generated 100,000-element model read from the exchange format, with peak memory; then an
//! Archi native file of 10,000 elements with 200 views (issue 20: read it and draw every view,
//! beside the same model read from the exchange format).

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

/// An Archi native file: 10,000 elements (applications, nodes, services) in folders, a Serving
/// relationship to each but the first, and 200 views of 50 boxes (10 groups nesting 4 each)
/// with 30 connections, a third of them with a bendpoint.
fn native_text() -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<archimate:model xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:archimate=\"http://www.archimatetool.com/archimate\" name=\"Generated\" id=\"id-model\" version=\"5.0.0\">\n<folder name=\"Elements\" id=\"f1\" type=\"other\">\n",
    );
    let kinds = [
        "ApplicationComponent",
        "Node",
        "ApplicationService",
        "TechnologyService",
    ];
    for i in 0..10_000 {
        s.push_str(&format!(
            "<element xsi:type=\"archimate:{}\" name=\"E{i}\" id=\"e{i}\"/>\n",
            kinds[i % 4]
        ));
    }
    s.push_str("</folder>\n<folder name=\"Relations\" id=\"f2\" type=\"relations\">\n");
    for i in 1..10_000 {
        // Node -> application, application -> application service: allowed pairs only.
        let (kind, src, dst) = match i % 4 {
            0 => ("Serving", i - 4 + 1, i),
            1 => ("Serving", i - 1, i),
            2 => ("Serving", i - 2, i),
            _ => ("Serving", i - 3 + 1, i),
        };
        s.push_str(&format!(
            "<element xsi:type=\"archimate:{kind}Relationship\" id=\"r{i}\" source=\"e{src}\" target=\"e{dst}\"/>\n"
        ));
    }
    s.push_str("</folder>\n<folder name=\"Views\" id=\"f3\" type=\"diagrams\">\n");
    for v in 0..200 {
        s.push_str(&format!(
            "<element xsi:type=\"archimate:ArchimateDiagramModel\" name=\"View {v}\" id=\"v{v}\">\n"
        ));
        for g in 0..10 {
            s.push_str(&format!(
                "<child xsi:type=\"archimate:Group\" id=\"v{v}g{g}\" name=\"Group {g}\"><bounds x=\"{}\" y=\"{}\" width=\"600\" height=\"200\"/>\n",
                (g % 2) * 650,
                (g / 2) * 220
            ));
            for k in 0..4 {
                let e = (v * 40 + g * 4 + k) % 10_000;
                s.push_str(&format!(
                    "<child xsi:type=\"archimate:DiagramObject\" id=\"v{v}n{g}_{k}\" archimateElement=\"e{e}\"><bounds x=\"{}\" y=\"40\" width=\"120\" height=\"55\"/>",
                    20 + k * 140
                ));
                if k > 0 {
                    s.push_str(&format!(
                        "<sourceConnection xsi:type=\"archimate:Connection\" id=\"v{v}c{g}_{k}\" source=\"v{v}n{g}_{k}\" target=\"v{v}n{g}_{}\">{}</sourceConnection>",
                        k - 1,
                        if k % 2 == 0 { "<bendpoint startX=\"-70\" startY=\"40\" endX=\"70\" endY=\"40\"/>" } else { "" }
                    ));
                }
                s.push_str("</child>\n");
            }
            s.push_str("</child>\n");
        }
        s.push_str("</element>\n");
    }
    s.push_str("</folder>\n</archimate:model>\n");
    s
}

/// Reads the native file and draws every view; the same for the model written to the
/// exchange format.
fn native_views() {
    use plumb_model::diagram::{render, views};
    let text = native_text();
    let mut best = (f64::MAX, f64::MAX, 0usize, 0usize);
    for _ in 0..5 {
        let t = Instant::now();
        let m = plumb_model::native::read("generated.archimate", text.as_bytes()).unwrap();
        let read = t.elapsed().as_secs_f64();
        let vs = views(&m).unwrap();
        let drawn: usize = vs.iter().map(|v| render(&m, v).len()).sum();
        let total = t.elapsed().as_secs_f64();
        assert_eq!(vs.len(), 200);
        best = (best.0.min(read), best.1.min(total), vs.len(), drawn);
    }
    let m = plumb_model::native::read("generated.archimate", text.as_bytes()).unwrap();
    let xml = plumb_model::exchange::write(&m);
    let mut exch = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let m = plumb_model::exchange::read("generated.xml", xml.as_bytes()).unwrap();
        let vs = views(&m).unwrap();
        let _: usize = vs.iter().map(|v| render(&m, v).len()).sum();
        exch = exch.min(t.elapsed().as_secs_f64());
    }
    println!(
        "| Archi native file: {} elements, {} relationships, {} views of 50 boxes and 30 connections, {:.1} MB: read | {:.3} s |",
        m.elements.len(),
        m.relationships.len(),
        best.2,
        text.len() as f64 / 1e6,
        best.0
    );
    println!(
        "| the same: read and draw every view ({:.1} MB of SVG), best of 5 | **{:.3} s** |",
        best.3 as f64 / 1e6,
        best.1
    );
    println!(
        "| the same model from the exchange format ({:.1} MB): read and draw every view | {exch:.3} s |",
        xml.len() as f64 / 1e6
    );
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
    native_views();
}
