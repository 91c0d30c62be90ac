//! Archi's own `.archimate` files, read as Archi reads them: the corpus's models with their
//! concept counts, properties and documentation; the files Archi refuses refused with the
//! reason; diagrams never mistaken for concepts.

use std::collections::BTreeMap;

fn corpus(name: &str) -> Option<std::path::PathBuf> {
    plumb_testkit::corpus().map(|c| c.join("archimate-native/archi").join(name))
}

fn load(name: &str) -> Option<Result<plumb_model::Model, String>> {
    corpus(name).map(|p| plumb_model::load(&p).map_err(|e| e.to_string()))
}

#[test]
fn archisurance_reads_with_every_concept() {
    let Some(m) = load("Archisurance.archimate") else {
        return;
    };
    let m = m.unwrap();
    assert_eq!(m.elements.len(), 122);
    assert_eq!(m.relationships.len(), 177);
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &m.relationships {
        *by.entry(r.kind.name()).or_default() += 1;
    }
    let want = [
        ("Flow", 33),
        ("Serving", 32),
        ("Realization", 30),
        ("Association", 28),
        ("Triggering", 13),
        ("Access", 13),
        ("Aggregation", 11),
        ("Composition", 6),
        ("Assignment", 6),
        ("Specialization", 5),
    ];
    for (k, n) in want {
        assert_eq!(by.get(k).copied(), Some(n), "{k}: {by:?}");
    }
    let types: std::collections::BTreeSet<_> = m.elements.iter().map(|e| e.kind).collect();
    assert_eq!(types.len(), 25);
    // Every relationship is allowed by the ArchiMate 3.2 table.
    let report = plumb_model::check::check(&m, plumb_model::check::Options::default());
    assert!(
        !report.findings.iter().any(|f| f.id.contains("REL")),
        "{:?}",
        report
            .findings
            .iter()
            .filter(|f| f.id.contains("REL"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn documentation_properties_and_folders_are_kept() {
    let Some(m) = load("modelimporter__test.archimate") else {
        return;
    };
    let m = m.unwrap();
    assert_eq!(m.elements.len(), 3);
    assert_eq!(m.relationships.len(), 1);
    let r = &m.relationships[0];
    assert_eq!((r.kind.name(), r.name.as_str()), ("Assignment", "Rel1"));
    assert_eq!(r.properties, [("p1".to_string(), "v1".to_string())]);
    let ba1 = m.elements.iter().find(|e| e.name == "BA1").unwrap();
    assert_eq!(ba1.documentation.as_deref(), Some("BA1 Documentation"));
    assert_eq!(ba1.properties, [("p1".to_string(), "v1".to_string())]);
    assert!(m.documentation.is_some(), "the model's purpose");
    // The folder tree: Business holds Folder1, which holds BA1.
    let business = m
        .organizations
        .iter()
        .find(|o| o.label.as_deref() == Some("Business"))
        .unwrap();
    let folder1 = business
        .items
        .iter()
        .find(|o| o.label.as_deref() == Some("Folder1"))
        .unwrap();
    assert!(
        folder1
            .items
            .iter()
            .any(|i| i.reference.as_deref() == Some(ba1.id.as_str()))
    );
}

#[test]
fn diagrams_are_not_concepts() {
    for (name, elements, relationships) in [
        ("reports__test.archimate", 3, 1),
        ("testDeleteHandler.archimate", 9, 4),
        ("testmodel1.archimate", 2, 1),
    ] {
        let Some(m) = load(name) else { return };
        let m = m.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (m.elements.len(), m.relationships.len()),
            (elements, relationships),
            "{name}"
        );
        // testDeleteHandler holds two relationships the ArchiMate 3.2 table does not allow
        // (Access Artifact to Contract, Specialization across types): the check names them.
        let rel = plumb_model::check::check(&m, plumb_model::check::Options::default())
            .findings
            .iter()
            .filter(|f| f.id == "ARCHIMATE-REL-001")
            .count();
        assert_eq!(
            rel,
            if name == "testDeleteHandler.archimate" {
                2
            } else {
                0
            },
            "{name}"
        );
    }
}

#[test]
fn what_archi_refuses_is_refused_with_the_reason() {
    for (name, says) in [
        ("compatibility_test1.archimate", "10.0.0"),
        (
            "compatibility_test2.archimate",
            "http://www.archimatetool.com/Bogus",
        ),
        ("compatibility_test3.archimate", "archimate:Bogus1"),
        ("model_zipped.archimate", "zipped Archi model"),
    ] {
        let Some(r) = load(name) else { return };
        let e = r.err().unwrap_or_else(|| panic!("{name} was accepted"));
        assert!(e.contains(says), "{name}: {e}");
    }
    let Some(r) = load("compatibility_test3.archimate") else {
        return;
    };
    let e = r.unwrap_err();
    assert!(e.contains("Bogus2") && e.contains("Bogus3"), "{e}");
}

/// Hostile or broken files: an error, never a panic, never a partial model.
#[test]
fn broken_files_are_refused() {
    let good = br#"<?xml version="1.0" encoding="UTF-8"?>
<archimate:model xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:archimate="http://www.archimatetool.com/archimate" name="M" id="m1" version="5.0.0">
  <folder name="Business" id="f1" type="business">
    <element xsi:type="archimate:BusinessActor" name="A" id="a1"/>
    <element xsi:type="archimate:BusinessRole" name="R" id="r1"/>
  </folder>
  <folder name="Relations" id="f2" type="relations">
    <element xsi:type="archimate:AssignmentRelationship" id="x1" source="a1" target="r1"/>
  </folder>
</archimate:model>
"#;
    let m = plumb_model::read_bytes("m.archimate", "archimate", good).unwrap();
    assert_eq!((m.elements.len(), m.relationships.len()), (2, 1));
    // Told by content, whatever the name says.
    assert_eq!(
        plumb_model::read_bytes("m.xml", "xml", good)
            .unwrap()
            .elements
            .len(),
        2
    );
    let text = std::str::from_utf8(good).unwrap();
    for broken in [
        text[..text.len() / 2].to_string(),
        text.replace("target=\"r1\"", "target=\"nobody\""),
        text.replace(" id=\"a1\"/>", "/>"),
    ] {
        assert!(
            plumb_model::read_bytes("m.archimate", "archimate", broken.as_bytes()).is_err(),
            "{broken}"
        );
    }
}

/// An Archi 3 model (ArchiMate 2) is converted as Archi converts it on opening, each rename
/// listed; with conversion off it is refused with the reason.
#[test]
fn an_archi_3_model_is_converted_with_its_renames_listed() {
    let old = br#"<?xml version="1.0" encoding="UTF-8"?>
<archimate:model xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:archimate="http://www.archimatetool.com/archimate" name="Old" id="m1" version="3.1.1">
  <folder name="Technology" id="f1" type="technology">
    <element xsi:type="archimate:InfrastructureService" name="Hosting" id="s1"/>
    <element xsi:type="archimate:Node" name="Mainframe" id="n1"/>
    <element xsi:type="archimate:CommunicationPath" name="Link" id="p1"/>
  </folder>
  <folder name="Application" id="f2" type="application">
    <element xsi:type="archimate:ApplicationComponent" name="Ledger" id="a1"/>
  </folder>
  <folder name="Relations" id="f3" type="relations">
    <element xsi:type="archimate:UsedByRelationship" id="r1" source="s1" target="a1"/>
    <element xsi:type="archimate:RealisationRelationship" id="r2" source="n1" target="s1"/>
  </folder>
</archimate:model>
"#;
    let m = plumb_model::read_bytes("old.archimate", "archimate", old).unwrap();
    let idx = m.index();
    assert_eq!(
        idx.elements["s1"].kind,
        plumb_model::ElementType::TechnologyService
    );
    assert_eq!(idx.elements["p1"].kind, plumb_model::ElementType::Path);
    assert_eq!(idx.relationships["r1"].kind, plumb_model::RelType::Serving);
    assert_eq!(
        idx.relationships["r2"].kind,
        plumb_model::RelType::Realization
    );
    for want in [
        "converted from ArchiMate 2.x (Archi 3.1.1 native format) as Archi converts it on opening",
        "1 × InfrastructureService renamed TechnologyService",
        "1 × CommunicationPath renamed Path",
        "1 × UsedByRelationship renamed Serving",
        "1 × RealisationRelationship renamed Realization",
    ] {
        assert!(m.notes.iter().any(|n| n == want), "{want}: {:#?}", m.notes);
    }
    let e = plumb_model::read_bytes_with("old.archimate", "archimate", old, false).unwrap_err();
    assert!(
        e.message
            .contains("Archi 3.x model (ArchiMate 2) is refused"),
        "{e}"
    );
}

/// Archi's native diagrams are read into views: Archisurance's 18 ArchiMate views (its sketch
/// and canvas skipped, with a note) hold the same nodes at the same absolute bounds, and the
/// same connections, as the same views in the Open Group's exchange file of Archisurance
/// (nested bounds made absolute, default sizes filled); they survive a write to the exchange
/// format and a read back; every view draws.
#[test]
fn native_diagrams_are_read_as_the_exchange_files_views() {
    use plumb_model::diagram::{render, views};
    let Some(corpus) = plumb_testkit::corpus() else {
        return;
    };
    let native =
        plumb_model::load(&corpus.join("archimate-native/archi/Archisurance.archimate")).unwrap();
    assert!(
        native
            .notes
            .iter()
            .any(|n| n.contains("2 sketch or canvas view(s) skipped")),
        "{:?}",
        native.notes
    );
    let nv = views(&native).unwrap();
    assert_eq!(nv.len(), 18);
    let exchange = plumb_model::load(&corpus.join("archimate/archi/archisurance.xml")).unwrap();
    let xv = views(&exchange).unwrap();
    let mut compared = 0;
    let mut identical = Vec::new();
    for v in &nv {
        let Some(x) = xv.iter().find(|x| x.name == v.name) else {
            continue;
        };
        compared += 1;
        // The same elements at the same places (the files share their element ids, but for
        // Archi's exporter prefixing every id with `id-` where this reader prefixes only those
        // that are no XML names).
        let placed = |vs: &plumb_model::diagram::View| {
            let mut p: Vec<(Option<String>, i64, i64, i64, i64)> = vs
                .nodes
                .iter()
                .map(|n| {
                    (
                        n.element
                            .as_deref()
                            .map(|e| e.trim_start_matches("id-").to_string()),
                        n.x as i64,
                        n.y as i64,
                        n.w as i64,
                        n.h as i64,
                    )
                })
                .collect();
            p.sort();
            p
        };
        let (a, b) = (placed(v), placed(x));
        let bends = |vs: &plumb_model::diagram::View| {
            let mut p: Vec<(i64, i64)> = vs
                .connections
                .iter()
                .flat_map(|c| c.bendpoints.iter().map(|(x, y)| (*x as i64, *y as i64)))
                .collect();
            p.sort();
            p
        };
        // The two files are a few years apart and some boxes moved (SOURCES.md): most views
        // must match exactly, node for node and bendpoint for bendpoint.
        if a == b && bends(v) == bends(x) && v.connections.len() == x.connections.len() {
            identical.push(v.name.clone());
        }
        let svg = render(&native, v);
        assert_eq!(svg.matches("<g data-node=").count(), v.nodes.len());
    }
    assert!(compared >= 15, "only {compared} views in common");
    // 16 of the 17 views both files hold (Business Process View has boxes moved).
    assert!(identical.len() >= 16, "identical: {identical:?}");
    assert!(
        identical.contains(&"Layered View".to_string()),
        "{identical:?}"
    );

    // Written as an exchange file and read back, the views are the same.
    let text = plumb_model::exchange::write(&native);
    let back = plumb_model::exchange::read("back.xml", text.as_bytes()).unwrap();
    assert_eq!(views(&back).unwrap(), nv);
}

/// Archi's format written: native -> native keeps the graph and the diagrams (Archisurance),
/// and so do exchange -> native -> exchange (the Open Group's Archisurance) and the YAML
/// bank's drawn view.
#[test]
fn native_models_are_written_and_read_back_with_their_diagrams() {
    use plumb_model::diagram::views;
    let same_graph = |a: &plumb_model::Model, b: &plumb_model::Model, what: &str| {
        let els = |m: &plumb_model::Model| {
            let mut v: Vec<_> = m
                .elements
                .iter()
                .map(|e| {
                    let mut p = e.properties.clone();
                    p.sort();
                    (
                        e.id.clone(),
                        e.kind,
                        e.name.clone(),
                        e.documentation.clone(),
                        p,
                    )
                })
                .collect();
            v.sort();
            v
        };
        let rels = |m: &plumb_model::Model| {
            let mut v: Vec<_> = m
                .relationships
                .iter()
                .map(|r| {
                    (
                        r.id.clone(),
                        r.kind,
                        r.source.clone(),
                        r.target.clone(),
                        r.name.clone(),
                        r.access_type.clone(),
                        r.modifier.clone(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(els(a), els(b), "{what}: elements");
        assert_eq!(rels(a), rels(b), "{what}: relationships");
        // Archi keeps a view's connections under their source boxes: in box order.
        let drawn = |m: &plumb_model::Model| {
            let mut vs = views(m).unwrap();
            for v in &mut vs {
                v.connections.sort_by(|x, y| {
                    (&x.source, &x.target, &x.relationship).cmp(&(
                        &y.source,
                        &y.target,
                        &y.relationship,
                    ))
                });
            }
            vs
        };
        assert_eq!(drawn(a), drawn(b), "{what}: views");
    };
    let Some(corpus) = plumb_testkit::corpus() else {
        return;
    };
    let native =
        plumb_model::load(&corpus.join("archimate-native/archi/Archisurance.archimate")).unwrap();
    let text = plumb_model::native_write::write(&native);
    let back = plumb_model::native::read("back.archimate", text.as_bytes()).unwrap();
    same_graph(&native, &back, "native -> native");
    assert_eq!(views(&back).unwrap().len(), 18);
    // The architect's colours came along (the views compare equal, styles included): Archi's
    // fillColor on 100 and more boxes of Archisurance's ArchiMate views.
    let filled = |m: &plumb_model::Model| {
        views(m)
            .unwrap()
            .iter()
            .flat_map(|v| v.nodes.iter())
            .filter(|n| n.style.fill.is_some())
            .count()
    };
    assert!(filled(&native) > 100, "{}", filled(&native));
    assert!(text.contains("fillColor=\"#"));
    // And the fonts Archi keeps as SWT descriptions (15 boxes and 12 lines of Archisurance).
    let fonts = |m: &plumb_model::Model| {
        views(m)
            .unwrap()
            .iter()
            .flat_map(|v| {
                v.nodes
                    .iter()
                    .map(|n| &n.style)
                    .chain(v.connections.iter().map(|c| &c.style))
            })
            .filter(|s| s.typeface.is_some())
            .count()
    };
    assert_eq!(fonts(&native), 27);
    assert_eq!(fonts(&back), 27);
    // Its references to other views stay references (Archi opens the view from them): 13 in
    // its ArchiMate views point at ArchiMate views; two more point at its sketch and canvas,
    // which are not read, and stay labels.
    let refs = |m: &plumb_model::Model| {
        views(m)
            .unwrap()
            .iter()
            .flat_map(|v| v.nodes.iter())
            .filter(|n| n.view_ref.is_some())
            .count()
    };
    assert_eq!(refs(&native), 13);
    assert_eq!(refs(&back), 13);
    assert_eq!(text.matches("archimate:DiagramModelReference").count(), 13);
    assert!(text.contains("font=\"1|Arial|14|0|\""), "the 14 pt titles");

    let exchange = plumb_model::load(&corpus.join("archimate/archi/archisurance.xml")).unwrap();
    let via_native = plumb_model::native::read(
        "x.archimate",
        plumb_model::native_write::write(&exchange).as_bytes(),
    )
    .unwrap();
    same_graph(&exchange, &via_native, "exchange -> native");
    // The exchange file's <style>s (fill, line and font colours) became Archi's attributes.
    assert!(filled(&exchange) > 100, "{}", filled(&exchange));
    assert_eq!(filled(&exchange), filled(&via_native));
    // Every <font> Archi exported (name, size, bold and italic) too.
    assert!(fonts(&exchange) > 400, "{}", fonts(&exchange));
    assert_eq!(fonts(&exchange), fonts(&via_native));
    assert!(refs(&exchange) > 0);
    assert_eq!(
        refs(&exchange),
        refs(&via_native),
        "<viewRef>s became references"
    );
    let again = plumb_model::exchange::read(
        "again.xml",
        plumb_model::exchange::write(&via_native).as_bytes(),
    )
    .unwrap();
    same_graph(&exchange, &again, "exchange -> native -> exchange");

    let bank = plumb_model::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml"),
    )
    .unwrap();
    let bank_back = plumb_model::native::read(
        "bank.archimate",
        plumb_model::native_write::write(&bank).as_bytes(),
    )
    .unwrap();
    same_graph(&bank, &bank_back, "yaml -> native");
}
