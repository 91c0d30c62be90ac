//! `plumb model view`: a layered SVG diagram (Motivation, Strategy, Business, Application,
//! Technology, Physical, Implementation) of the whole model or of one function's dependency
//! slice. Static SVG: readable in any browser, no script.

use plumb_base::escape::xml as esc;
use std::collections::{HashMap, HashSet};

use crate::graph::deps;
use crate::model::Model;
use crate::types::Layer;

const BOX_W: f64 = 170.0;
const BOX_H: f64 = 54.0;
const GAP_X: f64 = 24.0;
const GAP_Y: f64 = 46.0;
const PER_ROW: usize = 8;
const MARGIN: f64 = 150.0;

fn colour(l: Layer) -> &'static str {
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

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// Renders the model (or the slice under `focus`: the element and everything it depends on).
/// Elements listed in `flagged` get a red border.
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
            body.push_str(&format!(
                "<g><title>{} ({}){}</title><rect x=\"{x:.0}\" y=\"{yy:.0}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\" fill=\"{}\" {stroke}/>\n<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" fill=\"#555\">{}</text>\n<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"13\">{}</text></g>\n",
                esc(&e.name), esc(&e.id), esc(&crit), colour(layer), x + 8.0, yy + 16.0, esc(e.kind.name()), x + 8.0, yy + 36.0, esc(&short(&e.name, 24)),
            ));
        }
        y += band_h + 30.0;
    }
    let mut lines = String::new();
    for r in &m.relationships {
        let (Some(a), Some(b)) = (pos.get(r.source.as_str()), pos.get(r.target.as_str())) else {
            continue;
        };
        let (x1, y1, x2, y2) = (
            a.0 + BOX_W / 2.0,
            a.1 + BOX_H / 2.0,
            b.0 + BOX_W / 2.0,
            b.1 + BOX_H / 2.0,
        );
        let dash = match r.kind {
            crate::types::RelType::Realization
            | crate::types::RelType::Access
            | crate::types::RelType::Influence
            | crate::types::RelType::Flow => " stroke-dasharray=\"5,4\"",
            _ => "",
        };
        lines.push_str(&format!(
            "<line x1=\"{x1:.0}\" y1=\"{y1:.0}\" x2=\"{x2:.0}\" y2=\"{y2:.0}\" stroke=\"#777\"{dash} marker-end=\"url(#arrow)\"><title>{} {}: {} → {}</title></line>\n",
            r.kind.name(), esc(&r.id), esc(&r.source), esc(&r.target)
        ));
    }
    let height = y + 20.0;
    let title = match focus {
        Some(f) => format!("{} — dependency slice of {}", m.name, f),
        None => m.name.clone(),
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\">\n<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#777\"/></marker></defs>\n<text x=\"20\" y=\"30\" font-size=\"18\" font-weight=\"bold\">{}</text>\n{}{}{}</svg>\n",
        esc(&title),
        // Bands first, then lines, then boxes on top, so labels stay readable.
        bands.replace("WIDTH", &format!("{:.0}", width - 20.0)),
        lines,
        body
    )
}
