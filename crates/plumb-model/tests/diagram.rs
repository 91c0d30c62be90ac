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
    for v in &vs {
        let svg = render(&m, v);
        plumb_base::xml::xml_events("v.svg", svg.as_bytes(), |_| Ok(())).unwrap();
        assert_eq!(
            svg.matches("<g data-node=").count(),
            v.nodes.len(),
            "{}",
            v.name
        );
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
    let first = find(&vs, &vs[0].name).unwrap();
    assert_eq!(find(&vs, &first.id).unwrap().name, first.name);
    assert!(find(&vs, "no such view").is_none());
    // Models without views (YAML) have none.
    let bank = plumb_model::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/model/bank.yaml"
    )))
    .unwrap();
    assert!(views(&bank).unwrap().is_empty());
}
