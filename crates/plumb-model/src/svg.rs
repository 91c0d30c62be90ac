//! `plumb model view`: a layered SVG diagram (Motivation, Strategy, Business, Application,
//! Technology, Physical, Implementation) of the whole model or of one function's dependency
//! slice. Static SVG: readable in any browser, no script.

use plumb_base::escape::xml as esc;
use std::collections::{HashMap, HashSet};

use crate::graph::deps;
use crate::model::Model;
use crate::model::Relationship;
use crate::types::{Layer, RelType};

const BOX_W: f64 = 170.0;
const BOX_H: f64 = 54.0;
const GAP_X: f64 = 24.0;
const GAP_Y: f64 = 46.0;
const PER_ROW: usize = 8;
const MARGIN: f64 = 150.0;

/// The fill of a layer's boxes.
pub(crate) fn colour(l: Layer) -> &'static str {
    match l {
        Layer::Motivation => "#ccccff",
        Layer::Strategy => "#f5deaa",
        Layer::Business => "#ffffb5",
        Layer::Application => "#b5ffff",
        Layer::Technology => "#c9e7b7",
        Layer::Physical => "#c9e7b7",
        Layer::Implementation => "#ffe0e0",
        Layer::Other => "#eeeeee",
    }
}

/// `s` cut to `n` characters with an ellipsis.
pub(crate) fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// Renders the model (or the slice under `focus`: the element and everything it depends on).
/// Elements listed in `flagged` get a red border, relationships listed there are drawn red.
pub fn render(m: &Model, focus: Option<&str>, flagged: &HashSet<String>) -> String {
    let keep: Option<HashSet<&str>> = focus.map(|f| {
        let mut s = deps(m).closure(f, None);
        s.insert(f);
        s
    });
    let shown: Vec<&crate::model::Element> = m
        .elements
        .iter()
        .filter(|e| keep.as_ref().is_none_or(|k| k.contains(e.id.as_str())))
        .collect();
    let layers = [
        Layer::Motivation,
        Layer::Strategy,
        Layer::Business,
        Layer::Application,
        Layer::Technology,
        Layer::Physical,
        Layer::Implementation,
        Layer::Other,
    ];
    let mut pos: HashMap<&str, (f64, f64)> = HashMap::new();
    let mut body = String::new();
    let mut bands = String::new();
    let mut y = 60.0;
    let mut width: f64 = 800.0;
    for layer in layers {
        let mut row: Vec<_> = shown.iter().filter(|e| e.kind.layer() == layer).collect();
        if row.is_empty() {
            continue;
        }
        row.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        let lines = row.len().div_ceil(PER_ROW);
        let band_h = lines as f64 * (BOX_H + GAP_Y) - GAP_Y + 30.0;
        bands.push_str(&format!("<rect x=\"10\" y=\"{:.0}\" width=\"WIDTH\" height=\"{band_h:.0}\" fill=\"{}\" fill-opacity=\"0.25\" stroke=\"none\"/>\n", y - 15.0, colour(layer)));
        body.push_str(&format!(
            "<text x=\"20\" y=\"{:.0}\" font-size=\"14\" font-weight=\"bold\">{layer:?}</text>\n",
            y + 10.0
        ));
        for (i, e) in row.iter().enumerate() {
            let (cx, cy) = ((i % PER_ROW) as f64, (i / PER_ROW) as f64);
            let x = MARGIN + cx * (BOX_W + GAP_X);
            let yy = y + cy * (BOX_H + GAP_Y);
            width = width.max(x + BOX_W + 20.0);
            pos.insert(e.id.as_str(), (x, yy));
            let stroke = if flagged.contains(&e.id) {
                "stroke=\"#d00000\" stroke-width=\"3\""
            } else {
                "stroke=\"#555\" stroke-width=\"1\""
            };
            let crit = crate::dora::criticality(e)
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default();
            let shape = crate::notation::outline(
                e.kind,
                (x, yy, BOX_W, BOX_H),
                &format!("fill=\"{}\" {stroke}", colour(layer)),
            );
            let icon = crate::notation::icon(e.kind, x + BOX_W, yy);
            body.push_str(&format!(
                "<g data-id=\"{}\"><title>{} ({}){}</title>{shape}{icon}\n<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" fill=\"#555\">{}</text>\n<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"13\">{}</text></g>\n",
                esc(&e.id), esc(&e.name), esc(&e.id), esc(&crit), x + 8.0, yy + 16.0, esc(e.kind.name()), x + 8.0, yy + 36.0, esc(&short(&e.name, 24)),
            ));
        }
        y += band_h + 30.0;
    }
    let mut lines = String::new();
    for (i, r) in m.relationships.iter().enumerate() {
        let (Some(a), Some(b)) = (pos.get(r.source.as_str()), pos.get(r.target.as_str())) else {
            continue;
        };
        if a == b {
            continue;
        }
        let lane = (i % 7) as f64 - 3.0;
        let line = edge(r, *a, *b, lane);
        // A relationship with a finding of its own is marked like an element.
        if flagged.contains(&r.id) {
            lines.push_str(&line.replacen(
                "stroke=\"#333\" stroke-width=\"1.2\"",
                "stroke=\"#d00000\" stroke-width=\"3\"",
                1,
            ));
        } else {
            lines.push_str(&line);
        }
    }
    let height = y + 20.0;
    let title = match focus {
        Some(f) => format!("{} — dependency slice of {}", m.name, f),
        None => m.name.clone(),
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\">\n<defs>{}</defs>\n<text x=\"20\" y=\"30\" font-size=\"18\" font-weight=\"bold\">{}</text>\n{}{}{}</svg>\n",
        MARKERS,
        esc(&title),
        // Bands first, then boxes, then the relationships on top: each ends on its boxes'
        // borders, so its notation (arrowhead, diamond, dot) is never hidden by a box.
        bands.replace("WIDTH", &format!("{:.0}", width - 20.0)),
        body,
        lines
    )
}

/// The ArchiMate relationship notations as SVG markers: filled and open arrowheads, the
/// hollow triangle of realization and specialization, the diamonds of composition (filled)
/// and aggregation (hollow), the dot of assignment. `context-stroke` is not used: some
/// viewers lack it, so every marker has its own colour.
pub(crate) const MARKERS: &str = concat!(
    "<marker id=\"m-filled\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker>",
    "<marker id=\"m-open\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10\" fill=\"none\" stroke=\"#333\" stroke-width=\"1.5\"/></marker>",
    "<marker id=\"m-hollow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"11\" markerHeight=\"11\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#fff\" stroke=\"#333\" stroke-width=\"1\"/></marker>",
    "<marker id=\"m-diamond-filled\" viewBox=\"0 0 16 10\" refX=\"0\" refY=\"5\" markerWidth=\"14\" markerHeight=\"9\" orient=\"auto\"><path d=\"M0,5 L8,0 L16,5 L8,10 z\" fill=\"#333\"/></marker>",
    "<marker id=\"m-diamond-hollow\" viewBox=\"0 0 16 10\" refX=\"0\" refY=\"5\" markerWidth=\"14\" markerHeight=\"9\" orient=\"auto\"><path d=\"M0,5 L8,0 L16,5 L8,10 z\" fill=\"#fff\" stroke=\"#333\" stroke-width=\"1\"/></marker>",
    "<marker id=\"m-dot\" viewBox=\"0 0 10 10\" refX=\"5\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\"><circle cx=\"5\" cy=\"5\" r=\"4\" fill=\"#333\"/></marker>",
);

/// How a relationship type is drawn: dash pattern, marker at the source, marker at the target.
fn notation(r: &Relationship) -> (&'static str, Option<&'static str>, Option<&'static str>) {
    match r.kind {
        RelType::Triggering => ("", None, Some("m-filled")),
        RelType::Flow => ("6,4", None, Some("m-filled")),
        RelType::Serving => ("", None, Some("m-open")),
        RelType::Realization => ("3,3", None, Some("m-hollow")),
        RelType::Specialization => ("", None, Some("m-hollow")),
        RelType::Composition => ("", Some("m-diamond-filled"), None),
        RelType::Aggregation => ("", Some("m-diamond-hollow"), None),
        RelType::Assignment => ("", Some("m-dot"), Some("m-filled")),
        RelType::Influence => ("6,4", None, Some("m-open")),
        // Access: the arrowhead shows the direction of the data: read from the object (the
        // target) into the accessor, written into the object, both, or neither.
        RelType::Access => match r.access_type.as_deref() {
            Some("Read") => ("2,3", Some("m-open"), None),
            Some("ReadWrite") => ("2,3", Some("m-open"), Some("m-open")),
            Some("Access") => ("2,3", None, None),
            _ => ("2,3", None, Some("m-open")),
        },
        RelType::Association if r.directed == Some(true) => ("", None, Some("m-open")),
        RelType::Association => ("", None, None),
    }
}

/// Where the segment from the centre of the box `(x, y, w, h)` towards `towards` leaves it.
pub(crate) fn border_of(b: (f64, f64, f64, f64), towards: (f64, f64)) -> (f64, f64) {
    let (cx, cy) = (b.0 + b.2 / 2.0, b.1 + b.3 / 2.0);
    let (dx, dy) = (towards.0 - cx, towards.1 - cy);
    let tx = if dx.abs() > f64::EPSILON {
        (b.2 / 2.0) / dx.abs()
    } else {
        f64::INFINITY
    };
    let ty = if dy.abs() > f64::EPSILON {
        (b.3 / 2.0) / dy.abs()
    } else {
        f64::INFINITY
    };
    let t = tx.min(ty).min(1.0);
    (cx + dx * t, cy + dy * t)
}

/// One relationship from border to border of its boxes, routed around every other box, with
/// its notation and a label (its name, or an influence's strength). `lane` (-3 to 3) shifts
/// the line within the gaps so that relationships sharing a gap stay apart.
fn edge(r: &Relationship, a: (f64, f64), b: (f64, f64), lane: f64) -> String {
    polyline(Some(r), &route(a, b, lane))
}

/// The path from the box at `a` to the box at `b` (top-left corners of grid boxes) through
/// the layout's gaps, where no box is: the gap below or above a row (at least `GAP_Y` high,
/// more between layers) and the gap left of a column (`GAP_X` wide; columns line up across
/// layers). Boxes side by side are joined directly; one above the other in the same column
/// with nothing between, too. Otherwise the line leaves the source's bottom (or top) edge,
/// runs along the gap next to its row, down (or up) the gap beside the target's column, along
/// the gap next to the target's row, and enters the target's top (or bottom) edge.
pub(crate) fn route(a: (f64, f64), b: (f64, f64), lane: f64) -> Vec<(f64, f64)> {
    let (acx, bcx) = (a.0 + BOX_W / 2.0, b.0 + BOX_W / 2.0);
    let step = BOX_W + GAP_X;
    let same_row = (a.1 - b.1).abs() < 0.5;
    if same_row && ((a.0 - b.0).abs() - step).abs() < 0.5 {
        // Neighbours in a row: straight across the gap between them.
        let y = a.1 + BOX_H / 2.0 + lane * 4.0;
        let (x1, x2) = if a.0 < b.0 {
            (a.0 + BOX_W, b.0)
        } else {
            (a.0, b.0 + BOX_W)
        };
        return vec![(x1, y), (x2, y)];
    }
    let x_a = acx + lane * 8.0;
    let x_b = bcx + lane * 8.0;
    if same_row {
        // Along the gap under the row, out of one bottom edge and into the other.
        let y = a.1 + BOX_H + GAP_Y / 2.0 + lane * 3.0;
        return vec![(x_a, a.1 + BOX_H), (x_a, y), (x_b, y), (x_b, b.1 + BOX_H)];
    }
    let down = a.1 < b.1;
    // The edges the line leaves and enters, and the gaps next to both rows.
    let (leave, enter) = if down {
        (a.1 + BOX_H, b.1)
    } else {
        (a.1, b.1 + BOX_H)
    };
    let sign = if down { 1.0 } else { -1.0 };
    let gap_a = leave + sign * (GAP_Y / 2.0 + lane * 3.0);
    let gap_b = enter - sign * (GAP_Y / 2.0 - lane * 3.0);
    let rows_between = (enter - leave).abs() > GAP_Y + 30.0;
    if !rows_between {
        if (a.0 - b.0).abs() < 0.5 {
            return vec![(x_a, leave), (x_a, enter)];
        }
        return vec![(x_a, leave), (x_a, gap_a), (x_b, gap_a), (x_b, enter)];
    }
    let x_gap = b.0 - GAP_X / 2.0 + lane * 3.0;
    vec![
        (x_a, leave),
        (x_a, gap_a),
        (x_gap, gap_a),
        (x_gap, gap_b),
        (x_b, gap_b),
        (x_b, enter),
    ]
}

/// A relationship (or, without one, a plain connection) through `points`, with its notation
/// and its label at the middle segment: a `<line>` for two points, a `<polyline>` through
/// bendpoints.
pub(crate) fn polyline(r: Option<&Relationship>, points: &[(f64, f64)]) -> String {
    let (Some(&(x1, y1)), Some(&(x2, y2))) = (points.first(), points.last()) else {
        return String::new();
    };
    let (dash, start, end) = r.map_or(("", None, None), notation);
    let mut attrs = String::new();
    if !dash.is_empty() {
        attrs.push_str(&format!(" stroke-dasharray=\"{dash}\""));
    }
    if let Some(m) = start {
        attrs.push_str(&format!(" marker-start=\"url(#{m})\""));
    }
    if let Some(m) = end {
        attrs.push_str(&format!(" marker-end=\"url(#{m})\""));
    }
    let label = match r {
        Some(r) if r.kind == RelType::Influence && r.name.is_empty() => {
            r.modifier.clone().unwrap_or_default()
        }
        Some(r) => r.name.clone(),
        None => String::new(),
    };
    // The label goes on the longest segment: on a routed line that is a run along a gap,
    // where the text has room and covers no box.
    let longest = points.windows(2).max_by(|a, b| {
        let len = |w: &[(f64, f64)]| (w[1].0 - w[0].0).abs() + (w[1].1 - w[0].1).abs();
        len(a).total_cmp(&len(b))
    });
    let (lx, ly) = match longest {
        Some(w) => ((w[0].0 + w[1].0) / 2.0, (w[0].1 + w[1].1) / 2.0),
        None => ((x1 + x2) / 2.0, (y1 + y2) / 2.0),
    };
    let text = if label.is_empty() {
        String::new()
    } else {
        format!(
            "<text x=\"{lx:.0}\" y=\"{:.0}\" font-size=\"11\" text-anchor=\"middle\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
            ly - 4.0,
            esc(&short(&label, 30))
        )
    };
    let (id, kind, title) = match r {
        Some(r) => (
            r.id.as_str(),
            r.kind.name(),
            format!(
                "<title>{} {}: {} → {}</title>",
                r.kind.name(),
                esc(&r.id),
                esc(&r.source),
                esc(&r.target)
            ),
        ),
        None => ("", "Connection", String::new()),
    };
    let shape = if points.len() == 2 {
        format!("<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\"")
    } else {
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        format!("<polyline points=\"{}\" fill=\"none\"", pts.join(" "))
    };
    let close = if points.len() == 2 {
        "</line>"
    } else {
        "</polyline>"
    };
    format!(
        "<g data-rel=\"{}\" data-kind=\"{kind}\">{shape} stroke=\"#333\" stroke-width=\"1.2\"{attrs}>{title}{close}{text}</g>\n",
        esc(id)
    )
}
