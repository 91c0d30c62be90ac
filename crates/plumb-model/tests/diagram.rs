//! The model's own views, from the Archisurance exchange file in the corpus: every view read
//! with its nodes (nested ones inside their parents) and connections, and drawn: one box per
//! node, each connection in its relationship's notation, ending on its nodes' borders.

use plumb_model::diagram::{find, render, views};

#[test]
fn archisurance_views_are_read_and_drawn() {
    let Some(corpus) = plumb_testkit::corpus() else {
        return;
    };
    let m = plumb_model::load(&corpus.join("archimate/archi/archisurance.xml")).unwrap();
    let vs = views(&m).unwrap();
    assert_eq!(vs.len(), 18);
    assert!(vs.iter().all(|v| !v.id.is_empty() && !v.name.is_empty()));
    let nodes: usize = vs.iter().map(|v| v.nodes.len()).sum();
    let connections: usize = vs.iter().map(|v| v.connections.len()).sum();
    assert!(
        nodes > 100 && connections > 100,
        "{nodes} nodes, {connections} connections"
    );
    // Nested nodes lie inside the node that holds them (absolute bounds).
    let nested = vs
        .iter()
        .flat_map(|v| v.nodes.iter().enumerate().map(move |(i, n)| (v, i, n)))
        .filter(|(_, _, n)| n.depth > 0)
        .count();
    assert!(nested > 0);
    let idx = m.index();
    let mut fonts = 0;
    for v in &vs {
        let svg = render(&m, v);
        plumb_base::xml::xml_events("v.svg", svg.as_bytes(), |_| Ok(())).unwrap();
        // The architect's fonts are drawn, each text with one size.
        fonts += svg.matches("font-family=\"Segoe UI, sans-serif\"").count();
        for text in svg.split("<text").skip(1) {
            let open = text.split('>').next().unwrap_or_default();
            assert!(open.matches("font-size=").count() <= 1, "{open}");
        }
        assert_eq!(
            svg.matches("<g data-node=").count(),
            v.nodes.len(),
            "{}",
            v.name
        );
        // Each element in ArchiMate's notation: its outline (the aspect) and its type's icon.
        for n in v.nodes.iter().filter(|n| n.kind == "Element") {
            let Some(e) = n.element.as_deref().and_then(|id| idx.elements.get(id)) else {
                continue;
            };
            let at = svg.find(&format!("<g data-node=\"{}\"", n.id)).unwrap();
            let end = at + svg[at..].find("</g>\n").unwrap();
            let group = &svg[at..end];
            assert!(group.contains(" data-shape="), "{}: {group}", v.name);
            if !e.kind.is_junction() && e.kind != plumb_model::ElementType::Grouping {
                assert!(
                    group.contains(&format!("data-icon=\"{}\"", e.kind.name())),
                    "{}: {group}",
                    v.name
                );
            }
        }
        for c in &v.connections {
            let Some(r) = c
                .relationship
                .as_deref()
                .and_then(|id| idx.relationships.get(id))
            else {
                continue;
            };
            let at = svg
                .find(&format!("<g data-rel=\"{}\"", r.id))
                .unwrap_or_else(|| panic!("{}: relationship {} not drawn", v.name, r.id));
            assert!(svg[at..].starts_with(&format!(
                "<g data-rel=\"{}\" data-kind=\"{}\"",
                r.id,
                r.kind.name()
            )));
        }
    }
    let in_segoe = vs
        .iter()
        .flat_map(|v| v.nodes.iter())
        .filter(|n| {
            n.style
                .typeface
                .as_ref()
                .is_some_and(|t| t.name == "Segoe UI")
        })
        .count();
    assert!(in_segoe > 200, "{in_segoe}");
    assert_eq!(fonts, in_segoe, "every box in Segoe UI is drawn in it");
    // A view's references to other views open them, where the caller gives a link.
    let hub = vs
        .iter()
        .max_by_key(|v| v.nodes.iter().filter(|n| n.view_ref.is_some()).count())
        .unwrap();
    let refs: Vec<&str> = hub
        .nodes
        .iter()
        .filter_map(|n| n.view_ref.as_deref())
        .collect();
    assert!(refs.len() > 5, "{}", hub.name);
    let svg = plumb_model::diagram::render_with(
        &m,
        hub,
        &plumb_model::diagram::Overlays {
            view_link: Some("?view="),
            ..Default::default()
        },
    );
    for r in &refs {
        assert!(svg.contains(&format!("<a href=\"?view={r}\">")), "{r}");
        assert!(vs.iter().any(|v| v.id == *r), "{r} is a view of the model");
    }
    let first = find(&vs, &vs[0].name).unwrap();
    assert_eq!(find(&vs, &first.id).unwrap().name, first.name);
    assert!(find(&vs, "no such view").is_none());
    // Models without views have none.
    let plain = plumb_model::yaml::read("m.yaml", "id: m\nname: M\n").unwrap();
    assert!(views(&plain).unwrap().is_empty());
}

/// Views written in the YAML form (the demo bank's "Payments, end to end"): read with their
/// nesting and absolute bendpoints, drawn, and carried into the exchange format.
#[test]
fn yaml_views_are_read_checked_and_drawn() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    let m = plumb_model::load(&path).unwrap();
    let vs = views(&m).unwrap();
    assert_eq!(vs.len(), 1);
    let v = find(&vs, "Payments, end to end").unwrap();
    assert_eq!((v.nodes.len(), v.connections.len()), (11, 8));
    let pay = v.nodes.iter().find(|n| n.id == "vp-pay").unwrap();
    let apps = v.nodes.iter().find(|n| n.id == "vp-apps").unwrap();
    assert_eq!(
        (pay.depth, apps.depth, apps.kind.as_str()),
        (1, 0, "Container")
    );
    assert!(pay.x >= apps.x && pay.x + pay.w <= apps.x + apps.w);
    let k8s = v
        .connections
        .iter()
        .find(|c| c.relationship.as_deref() == Some("rel-k8s-id"))
        .unwrap();
    assert_eq!(k8s.bendpoints, vec![(580.0, 367.0)]);
    let svg = render(&m, v);
    assert_eq!(svg.matches("<g data-node=").count(), 11);
    assert!(svg.contains("Payments API"));
    // Through the exchange format and back, the view is the same.
    let back =
        plumb_model::exchange::read("x.xml", plumb_model::exchange::write(&m).as_bytes()).unwrap();
    assert_eq!(views(&back).unwrap(), vs);
}

#[test]
fn yaml_views_that_do_not_fit_the_model_are_refused() {
    let base = "id: m\nname: M\nelements:\n  - {id: a, type: ApplicationComponent, name: A}\n  - {id: f, type: BusinessFunction, name: F}\nrelationships:\n  - {id: r, type: Serving, source: a, target: f}\nviews:\n";
    for (view, words) in [
        (
            "  - {id: v, name: V, nodes: [{id: n, element: ghost, x: 0, y: 0}]}\n",
            "does not have",
        ),
        (
            "  - {id: v, name: V, nodes: [{id: n, element: a, label: L, x: 0, y: 0}]}\n",
            "exactly one of",
        ),
        (
            "  - {id: v, name: V, nodes: [{id: a, element: a, x: 0, y: 0}]}\n",
            "already used",
        ),
        (
            "  - {id: v, name: V, nodes: [{id: n, element: a, x: .nan, y: 0}]}\n",
            "out of range",
        ),
        (
            "  - {id: v, name: V, nodes: [{id: n, element: a, x: 0, y: 0}], connections: [{source: n, target: zz}]}\n",
            "nodes of the view",
        ),
        (
            "  - {id: v, name: V, nodes: [{id: n, element: a, x: 0, y: 0}, {id: o, element: f, x: 0, y: 90}], connections: [{relationship: r, source: o, target: n}]}\n",
            "goes from a to f",
        ),
        (
            "  - {id: v, name: V, nodes: [{id: n, element: a, x: 0, y: 0}], connections: [{relationship: nope, source: n, target: n}]}\n",
            "does not have",
        ),
        (
            "  - {id: v, name: V, nodes: [{id: n, x: 0}]}\n",
            "missing field",
        ),
        ("  - {id: v, name: V, colour: red}\n", "unknown field"),
        (
            "  - {id: v, name: V, nodes: [{id: n, element: a, x: 0, y: 0, fill: red}]}\n",
            "not a colour",
        ),
    ] {
        let e = plumb_model::yaml::read("m.yaml", &format!("{base}{view}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(words), "{view}: {e}");
    }
    // A fill colour is drawn, and kept through the exchange format.
    let coloured = plumb_model::yaml::read(
        "m.yaml",
        &format!("{base}  - {{id: v, name: V, nodes: [{{id: n, element: a, x: 0, y: 0, fill: \"#0080c0\"}}]}}\n"),
    )
    .unwrap();
    let vs = views(&coloured).unwrap();
    assert_eq!(vs[0].nodes[0].style.fill, Some((0, 128, 192)));
    assert!(render(&coloured, &vs[0]).contains("fill=\"#0080c0\""));
    let back =
        plumb_model::exchange::read("x.xml", plumb_model::exchange::write(&coloured).as_bytes())
            .unwrap();
    assert_eq!(views(&back).unwrap(), vs);
    // Nesting deeper than any drawing: refused, not followed.
    let mut deep = String::from("  - id: v\n    name: V\n    nodes:\n");
    let mut open = String::new();
    for d in 0..40 {
        open.push_str(&format!(
            "{}- {{id: g{d}, label: G, x: 0, y: 0, nodes: [\n",
            "  ".repeat(d + 3)
        ));
    }
    deep.push_str(&open);
    deep.push_str(&"]}".repeat(40));
    deep.push('\n');
    let e = plumb_model::yaml::read("m.yaml", &format!("{base}{deep}"));
    assert!(e.is_err());
}

/// The impact of a failing element drawn over a view: the cluster filled red, the boxes and
/// lines on its paths to the functions it takes down in orange, nothing else.
#[test]
fn an_impact_is_drawn_over_a_view() {
    use plumb_model::diagram::{ImpactOverlay, render_overlays};
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    let m = plumb_model::load(&path).unwrap();
    let vs = views(&m).unwrap();
    let v = find(&vs, "view-payments").unwrap();
    let o = ImpactOverlay::of(&m, "node-k8s");
    assert_eq!(
        o.functions, 3,
        "payments, onboarding and identity run on the cluster"
    );
    let svg = render_overlays(&m, v, &Default::default(), Some(&o));
    assert!(
        svg.contains("<g data-node=\"vp-k8s\" data-impact=\"failed\">"),
        "{svg}"
    );
    for on_path in ["vp-pay", "vp-fn", "vp-id"] {
        assert!(
            svg.contains(&format!("<g data-node=\"{on_path}\" data-impact=\"path\">")),
            "{on_path}"
        );
    }
    for off in ["vp-main", "vp-ledger", "vp-card", "vp-proc"] {
        assert!(
            svg.contains(&format!("<g data-node=\"{off}\">")),
            "{off} is not on a path"
        );
    }
    let marked_lines = |id: &str| {
        svg.split("<g data-rel=")
            .find(|g| g.starts_with(&format!("\"{id}\"")))
            .is_some_and(|g| g.contains("data-impact=\"path\""))
    };
    assert!(
        marked_lines("rel-k8s-pay") && marked_lines("rel-serve-pay") && marked_lines("rel-k8s-id")
    );
    assert!(!marked_lines("rel-main-led") && !marked_lines("rel-card-pay"));
    // Without an overlay nothing is marked.
    assert!(!render_overlays(&m, v, &Default::default(), None).contains("data-impact"));
}

/// Each element box of a view can link somewhere (the web UI: to what fails with it) and
/// carries its findings as its tooltip; ids are percent-encoded into the link and escaped.
#[test]
fn view_boxes_link_and_show_their_findings() {
    use plumb_model::diagram::{Overlays, findings_by_element, render_with};
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    let mut m = plumb_model::load(&path).unwrap();
    let report = plumb_model::check::check(&m, Default::default());
    let findings = findings_by_element(&report.findings);
    let vs = views(&m).unwrap();
    let v = find(&vs, "view-payments").unwrap();
    let svg = render_with(
        &m,
        v,
        &Overlays {
            findings: Some(&findings),
            link: Some("?view=view-payments&impact="),
            ..Default::default()
        },
    );
    let elements = v.nodes.iter().filter(|n| n.element.is_some()).count();
    assert_eq!(
        svg.matches("<a href=\"?view=view-payments&amp;impact=")
            .count(),
        elements
    );
    assert!(svg.contains("<a href=\"?view=view-payments&amp;impact=node-k8s\"><title>"));
    // The mainframe's finding (a single point of failure for the core ledger) is in its
    // tooltip.
    let main = findings
        .get("node-mainframe")
        .expect("the mainframe has a finding");
    let tip_at = svg.find("impact=node-mainframe\"><title>").unwrap();
    let tip = &svg[tip_at..tip_at + svg[tip_at..].find("</title>").unwrap()];
    assert!(tip.contains(&plumb_base::escape::xml(&main[0])), "{tip}");
    assert!(tip.contains("DORA-MODEL-006 (warning)"), "{tip}");
    plumb_base::xml::xml_events("v.svg", svg.as_bytes(), |_| Ok(())).unwrap();
    // An id that is not URL-safe is percent-encoded in the link.
    let e = m.elements.iter_mut().find(|e| e.id == "node-k8s").unwrap();
    e.id = "node k8s&x".into();
    let mut v2 = v.clone();
    for n in &mut v2.nodes {
        if n.element.as_deref() == Some("node-k8s") {
            n.element = Some("node k8s&x".into());
        }
    }
    let svg = render_with(
        &m,
        &v2,
        &Overlays {
            link: Some("?impact="),
            ..Default::default()
        },
    );
    assert!(svg.contains("href=\"?impact=node%20k8s%26x\""), "{svg}");
    // Without links or findings, no wrapper at all.
    assert!(!render_with(&m, v, &Overlays::default()).contains("<a href"));
}
