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

/// The first and last point of a `<line>` or a `<polyline>`.
fn ends(line: &str) -> ((f64, f64), (f64, f64)) {
    match attr(line, "points") {
        Some(pts) => {
            let p: Vec<(f64, f64)> = pts
                .split(' ')
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            (p[0], p[p.len() - 1])
        }
        None => (
            (num(line, "x1"), num(line, "y1")),
            (num(line, "x2"), num(line, "y2")),
        ),
    }
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
        let line = &g[g.find("<line").or_else(|| g.find("<polyline")).unwrap()
            ..g.find("</line>").or_else(|| g.find("</polyline>")).unwrap()];
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
        let (p1, p2) = ends(line);
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

/// Whether the segment `p`-`q` passes through the inside of the box (its border excluded):
/// Liang-Barsky clipping against the box shrunk by one pixel.
fn crosses(p: (f64, f64), q: (f64, f64), b: (f64, f64, f64, f64)) -> bool {
    let (x0, y0, x1, y1) = (b.0 + 1.0, b.1 + 1.0, b.0 + b.2 - 1.0, b.1 + b.3 - 1.0);
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (den, num) in [
        (-dx, p.0 - x0),
        (dx, x1 - p.0),
        (-dy, p.1 - y0),
        (dy, y1 - p.1),
    ] {
        if den == 0.0 {
            if num < 0.0 {
                return false;
            }
        } else {
            let t = num / den;
            if den < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

#[test]
fn the_overview_routes_every_relationship_around_every_box() {
    let m = plumb_model::load(
        &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/model/bank.yaml"),
    )
    .unwrap();
    let svg = plumb_model::svg::render(&m, None, &HashSet::new());
    // Every box, from its outline (a rectangle, or the cut-corner polygon of motivation).
    let mut boxes = Vec::new();
    for g in svg.split("<g data-id=\"").skip(1) {
        let id = g.split('"').next().unwrap().to_string();
        let b = if let Some(at) = g.find("<polygon") {
            let pts: Vec<(f64, f64)> = attr(&g[at..], "points")
                .unwrap()
                .split(' ')
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            let (xs, ys): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
            let (x0, y0) = (
                xs.iter().cloned().fold(f64::MAX, f64::min),
                ys.iter().cloned().fold(f64::MAX, f64::min),
            );
            let (x1, y1) = (
                xs.iter().cloned().fold(f64::MIN, f64::max),
                ys.iter().cloned().fold(f64::MIN, f64::max),
            );
            (x0, y0, x1 - x0, y1 - y0)
        } else {
            let r = &g[g.find("<rect").unwrap()..];
            (num(r, "x"), num(r, "y"), num(r, "width"), num(r, "height"))
        };
        boxes.push((id, b));
    }
    assert_eq!(boxes.len(), m.elements.len());
    let mut checked = 0;
    for g in svg.split("<g data-rel=\"").skip(1) {
        let shape = &g[g.find("<line").or_else(|| g.find("<polyline")).unwrap()..];
        let points: Vec<(f64, f64)> = match attr(shape, "points") {
            Some(pts) if shape.starts_with("<polyline") => pts
                .split(' ')
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect(),
            _ => vec![
                (num(shape, "x1"), num(shape, "y1")),
                (num(shape, "x2"), num(shape, "y2")),
            ],
        };
        for w in points.windows(2) {
            for (id, b) in &boxes {
                assert!(
                    !crosses(w[0], w[1], *b),
                    "relationship {} crosses the box of {id}: {:?} -> {:?}",
                    g.split('"').next().unwrap(),
                    w[0],
                    w[1]
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= m.relationships.len() - 2, "{checked}");
}
