//! Each relationship's ArchiMate notation in the generated view, checked structurally: the
//! line carries the right marker at the right end and the right dash, and both ends lie on the
//! boxes' borders, not at their centres, drawn after the boxes so nothing hides them.

use std::collections::HashSet;

use plumb_model::model::{Element, Model, Relationship};
use plumb_model::{ElementType, RelType};

/// The value of attribute `name` in the first tag of `s` that has it.
fn attr<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let from = s.find(&key)? + key.len();
    let len = s.get(from..)?.find('"')?;
    s.get(from..from + len)
}

fn num(s: &str, name: &str) -> f64 {
    attr(s, name).unwrap().parse().unwrap()
}

/// `(x, y, width, height)` of the box of element `id`.
fn rect(svg: &str, id: &str) -> (f64, f64, f64, f64) {
    let g = &svg[svg.find(&format!("<g data-id=\"{id}\">")).unwrap()..];
    let r = &g[g.find("<rect").unwrap()..];
    (num(r, "x"), num(r, "y"), num(r, "width"), num(r, "height"))
}

fn on_border(p: (f64, f64), b: (f64, f64, f64, f64)) -> bool {
    let (x, y, w, h) = b;
    let near = |a: f64, c: f64| (a - c).abs() < 0.6;
    let within = |a: f64, lo: f64, hi: f64| a >= lo - 0.6 && a <= hi + 0.6;
    ((near(p.0, x) || near(p.0, x + w)) && within(p.1, y, y + h))
        || ((near(p.1, y) || near(p.1, y + h)) && within(p.0, x, x + w))
}

fn model(kind: RelType, access: Option<&str>, directed: Option<bool>) -> Model {
    let mut r = Relationship::new("r", kind, "s", "t");
    r.access_type = access.map(str::to_string);
    r.directed = directed;
    r.modifier = (kind == RelType::Influence).then(|| "+".to_string());
    Model {
        name: "notation".into(),
        elements: vec![
            Element::new("s", ElementType::ApplicationComponent, "Source"),
            Element::new("t", ElementType::BusinessProcess, "Target"),
            Element::new("u", ElementType::BusinessActor, "Beside"),
        ],
        relationships: vec![r],
        ..Default::default()
    }
}

/// kind, access type, directed, dash, marker at the source, marker at the target.
type Case = (
    RelType,
    Option<&'static str>,
    Option<bool>,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

#[test]
fn every_relationship_is_drawn_with_its_notation_between_the_borders() {
    let cases: &[Case] = &[
        // kind, access type, directed, dash, marker at source, marker at target
        (RelType::Triggering, None, None, "", None, Some("m-filled")),
        (RelType::Flow, None, None, "6,4", None, Some("m-filled")),
        (RelType::Serving, None, None, "", None, Some("m-open")),
        (
            RelType::Realization,
            None,
            None,
            "3,3",
            None,
            Some("m-hollow"),
        ),
        (
            RelType::Specialization,
            None,
            None,
            "",
            None,
            Some("m-hollow"),
        ),
        (
            RelType::Composition,
            None,
            None,
            "",
            Some("m-diamond-filled"),
            None,
        ),
        (
            RelType::Aggregation,
            None,
            None,
            "",
            Some("m-diamond-hollow"),
            None,
        ),
        (
            RelType::Assignment,
            None,
            None,
            "",
            Some("m-dot"),
            Some("m-filled"),
        ),
        (RelType::Influence, None, None, "6,4", None, Some("m-open")),
        (
            RelType::Access,
            Some("Write"),
            None,
            "2,3",
            None,
            Some("m-open"),
        ),
        (
            RelType::Access,
            Some("Read"),
            None,
            "2,3",
            Some("m-open"),
            None,
        ),
        (
            RelType::Access,
            Some("ReadWrite"),
            None,
            "2,3",
            Some("m-open"),
            Some("m-open"),
        ),
        (RelType::Access, Some("Access"), None, "2,3", None, None),
        (
            RelType::Association,
            None,
            Some(true),
            "",
            None,
            Some("m-open"),
        ),
        (RelType::Association, None, None, "", None, None),
    ];
    for &(kind, access, directed, dash, start, end) in cases {
        let what = format!("{kind:?} {access:?} {directed:?}");
        let svg = plumb_model::svg::render(&model(kind, access, directed), None, &HashSet::new());
        let g = &svg[svg
            .find("<g data-rel=\"r\"")
            .unwrap_or_else(|| panic!("{what}: no edge"))..];
        let line = &g[g.find("<line").unwrap()..g.find("</line>").unwrap()];
        assert_eq!(attr(line, "stroke-dasharray").unwrap_or(""), dash, "{what}");
        let url = |m: Option<&str>| m.map(|m| format!("url(#{m})"));
        assert_eq!(
            attr(line, "marker-start").map(str::to_string),
            url(start),
            "{what}"
        );
        assert_eq!(
            attr(line, "marker-end").map(str::to_string),
            url(end),
            "{what}"
        );
        for m in [start, end].into_iter().flatten() {
            assert!(
                svg.contains(&format!("<marker id=\"{m}\"")),
                "{what}: {m} defined"
            );
        }
        let (s, t) = (rect(&svg, "s"), rect(&svg, "t"));
        let p1 = (num(line, "x1"), num(line, "y1"));
        let p2 = (num(line, "x2"), num(line, "y2"));
        assert!(
            on_border(p1, s),
            "{what}: start {p1:?} on the source box {s:?}"
        );
        assert!(
            on_border(p2, t),
            "{what}: end {p2:?} on the target box {t:?}"
        );
        let centre = (t.0 + t.2 / 2.0, t.1 + t.3 / 2.0);
        assert!(
            (p2.0 - centre.0).abs() + (p2.1 - centre.1).abs() > 10.0,
            "{what}: not the centre"
        );
        // Drawn after the boxes, so no box covers the notation.
        assert!(
            svg.find("<g data-rel=").unwrap() > svg.rfind("<g data-id=").unwrap(),
            "{what}"
        );
    }
    // A relationship with a finding of its own is drawn red.
    let svg = plumb_model::svg::render(
        &model(RelType::Serving, None, None),
        None,
        &HashSet::from(["r".to_string()]),
    );
    assert!(
        svg.contains("stroke=\"#d00000\" stroke-width=\"3\" marker-end=\"url(#m-open)\""),
        "{svg}"
    );
    // An influence shows its strength.
    let svg = plumb_model::svg::render(
        &model(RelType::Influence, None, None),
        None,
        &HashSet::new(),
    );
    assert!(svg.contains(">+</text>"));
    plumb_base::xml::xml_events("v.svg", svg.as_bytes(), |_| Ok(())).unwrap();
}
