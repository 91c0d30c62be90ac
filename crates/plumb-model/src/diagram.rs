//! The model's own views, as the architect drew them: read from the exchange format's
//! `<views>` (kept verbatim by the reader) and drawn as SVG, each node at its bounds (nested
//! nodes inside their parents), groups and notes as labelled boxes, each connection through
//! its bendpoints in its relationship's ArchiMate notation.

use plumb_base::escape::xml as esc;
use plumb_base::xml::{XmlEvent, xml_events};

use crate::error::{ModelError, Result};
use crate::model::Model;

/// A drawn view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    /// Its identifier.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its nodes, outermost first (a parent before its children).
    pub nodes: Vec<Node>,
    /// Its connections.
    pub connections: Vec<Connection>,
}

/// A box on a view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    /// Its identifier on the view.
    pub id: String,
    /// The element it shows (`Element` nodes).
    pub element: Option<String>,
    /// `Element`, `Label` (a note) or `Container` (a group).
    pub kind: String,
    /// The text of a note or group.
    pub label: String,
    /// Bounds (absolute, as the exchange format gives them).
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Nesting depth (0 at the top).
    pub depth: usize,
    /// The colours its author gave it.
    pub style: crate::style::Style,
    /// The view a view reference (a `Label` with `<viewRef>`) points at.
    pub view_ref: Option<String>,
}

/// A line on a view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Connection {
    /// The relationship it shows (`Relationship` connections).
    pub relationship: Option<String>,
    /// Source node id.
    pub source: String,
    /// Target node id.
    pub target: String,
    /// Bendpoints, in order.
    pub bendpoints: Vec<(f64, f64)>,
    /// The colours its author gave it (line and text).
    pub style: crate::style::Style,
}

/// The views of a model read from an exchange file (none for other formats).
pub fn views(m: &Model) -> Result<Vec<View>> {
    let Some(raw) = &m.raw_views else {
        return Ok(Vec::new());
    };
    let mut out: Vec<View> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    // The nodes open at this point of the document, innermost last (`None` for a node outside
    // any view): what a node's label, style or view reference belongs to, whatever came first.
    let mut open: Vec<Option<usize>> = Vec::new();
    let num = |e: &plumb_base::xml::XmlStart, k: &str| {
        e.attr(k)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .unwrap_or(0.0)
    };
    xml_events("views", raw.as_bytes(), |ev| {
        match ev {
            XmlEvent::Start(e) => {
                let parent = stack.last().cloned().unwrap_or_default();
                match e.name.as_str() {
                    "view" => out.push(View {
                        id: e.attr("identifier").unwrap_or_default().to_string(),
                        ..Default::default()
                    }),
                    "node" => {
                        let depth = open.len();
                        let mut index = None;
                        if let Some(v) = out.last_mut() {
                            index = Some(v.nodes.len());
                            v.nodes.push(Node {
                                id: e.attr("identifier").unwrap_or_default().to_string(),
                                element: e.attr("elementRef").map(str::to_string),
                                kind: e.attr("type").unwrap_or("Element").to_string(),
                                label: String::new(),
                                x: num(&e, "x"),
                                y: num(&e, "y"),
                                w: num(&e, "w"),
                                h: num(&e, "h"),
                                depth,
                                style: Default::default(),
                                view_ref: None,
                            });
                        }
                        open.push(index);
                    }
                    "connection" => {
                        if let Some(v) = out.last_mut() {
                            v.connections.push(Connection {
                                relationship: e.attr("relationshipRef").map(str::to_string),
                                source: e.attr("source").unwrap_or_default().to_string(),
                                target: e.attr("target").unwrap_or_default().to_string(),
                                bendpoints: Vec::new(),
                                style: Default::default(),
                            });
                        }
                    }
                    "bendpoint" if parent == "connection" => {
                        if let Some(c) = out.last_mut().and_then(|v| v.connections.last_mut()) {
                            c.bendpoints.push((num(&e, "x"), num(&e, "y")));
                        }
                    }
                    "fillColor" | "lineColor" | "color" => {
                        style_colour(&mut out, &stack, &e, open.last().copied().flatten());
                    }
                    "viewRef" if parent == "node" => {
                        let at = open.last().copied().flatten();
                        if let Some(n) = out
                            .last_mut()
                            .and_then(|v| at.and_then(|i| v.nodes.get_mut(i)))
                        {
                            n.view_ref = e.attr("ref").map(str::to_string);
                        }
                    }
                    "font" => {
                        if let Some(s) =
                            style_of(&mut out, &stack, 1, open.last().copied().flatten())
                        {
                            s.typeface = crate::style::Typeface::from_exchange(&e);
                        }
                    }
                    _ => {}
                }
                stack.push(e.name);
            }
            XmlEvent::Text(t) => {
                let n = stack.len();
                let (parent, this) = (
                    stack.get(n.wrapping_sub(2)).map(String::as_str),
                    stack.last().map(String::as_str),
                );
                match (parent, this) {
                    (Some("view"), Some("name")) => {
                        if let Some(v) = out.last_mut().filter(|v| v.name.is_empty()) {
                            v.name = t;
                        }
                    }
                    (Some("node"), Some("label")) => {
                        let at = open.last().copied().flatten();
                        if let Some(node) = out
                            .last_mut()
                            .and_then(|v| at.and_then(|i| v.nodes.get_mut(i)))
                        {
                            node.label = t;
                        }
                    }
                    _ => {}
                }
            }
            XmlEvent::End(name) => {
                if name == "node" {
                    open.pop();
                }
                stack.pop();
            }
        }
        Ok(())
    })
    .map_err(ModelError::from)?;
    Ok(out)
}

/// The style of the node or connection whose `<style>` is open `back` levels up the element
/// stack (1: the style holds the element being read).
fn style_of<'a>(
    out: &'a mut [View],
    stack: &[String],
    back: usize,
    node: Option<usize>,
) -> Option<&'a mut crate::style::Style> {
    let n = stack.len();
    let at = |b: usize| {
        n.checked_sub(b)
            .and_then(|i| stack.get(i))
            .map(String::as_str)
    };
    if at(back) != Some("style") {
        return None;
    }
    owned_style(out, at(back + 1)?, node)
}

/// The style of the open node, or of the last connection, of the view being read, by the
/// owner's element name.
fn owned_style<'a>(
    out: &'a mut [View],
    owner: &str,
    node: Option<usize>,
) -> Option<&'a mut crate::style::Style> {
    let v = out.last_mut()?;
    match owner {
        "node" => v.nodes.get_mut(node?).map(|n| &mut n.style),
        "connection" => v.connections.last_mut().map(|c| &mut c.style),
        _ => None,
    }
}

/// A colour of a `<style>`: `fillColor` and `lineColor` directly in it, a font's `color` in
/// its `<font>`; it belongs to the node or connection that holds the style, the last one of
/// its kind opened (a node's style comes before its child nodes).
fn style_colour(
    out: &mut [View],
    stack: &[String],
    e: &plumb_base::xml::XmlStart,
    node: Option<usize>,
) {
    let n = stack.len();
    let at = |back: usize| {
        n.checked_sub(back)
            .and_then(|i| stack.get(i))
            .map(String::as_str)
    };
    let (owner, which) = match (e.name.as_str(), at(1), at(2), at(3)) {
        ("fillColor" | "lineColor", Some("style"), Some(owner), _) => (owner, e.name.as_str()),
        ("color", Some("font"), Some("style"), Some(owner)) => (owner, "font"),
        _ => return,
    };
    let Some(colour) = crate::style::from_rgb_attrs(e) else {
        return;
    };
    if let Some(s) = owned_style(out, owner, node) {
        match which {
            "fillColor" => s.fill = Some(colour),
            "lineColor" => s.line = Some(colour),
            _ => s.font = Some(colour),
        }
    }
}

/// A box's text in as many lines of 14 px as its height holds (a group's name on one), each as
/// wide as the box, the last shortened when the text is longer: escaped `tspan`s.
fn wrapped(text: &str, n: &Node) -> String {
    let per_line = ((n.w / 7.0) as usize).max(4);
    let lines = if n.kind == "Container" {
        1
    } else {
        (((n.h - 18.0) / 14.0).floor() as usize).clamp(1, 12)
    };
    let mut out: Vec<String> = Vec::new();
    let mut words = text.split_whitespace().peekable();
    while out.len() < lines && words.peek().is_some() {
        let (mut line, mut chars) = (String::new(), 0usize);
        while let Some(w) = words.peek() {
            let n = w.chars().count();
            let len = chars + n + usize::from(!line.is_empty());
            if !line.is_empty() && len > per_line {
                break;
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(w);
            chars = len;
            words.next();
            // A word longer than the whole box: shortened, never measured again.
            if chars > per_line {
                break;
            }
        }
        out.push(line);
    }
    if words.peek().is_some()
        && let Some(last) = out.last_mut()
    {
        last.push_str(" \u{2026}");
    }
    out.iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "<tspan x=\"{:.0}\" dy=\"{}\">{}</tspan>",
                n.x + 5.0,
                if i == 0 { 0 } else { 14 },
                esc(&crate::svg::short(l, per_line))
            )
        })
        .collect()
}

/// The view whose id or name is `which`.
pub fn find<'v>(views: &'v [View], which: &str) -> Option<&'v View> {
    views
        .iter()
        .find(|v| v.id == which)
        .or_else(|| views.iter().find(|v| v.name == which))
}

/// Draws a view of `m` as SVG.
pub fn render(m: &Model, view: &View) -> String {
    render_flagged(m, view, &std::collections::HashSet::new())
}

/// What fails with one element, to draw over a view: the element, and every element and
/// relationship on the shortest paths from it up to the critical or important functions that
/// depend on it (`graph::impact`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImpactOverlay {
    /// The failed element.
    pub failed: String,
    /// Elements on the paths (the failed one and the functions included).
    pub elements: std::collections::HashSet<String>,
    /// Relationships on the paths.
    pub relationships: std::collections::HashSet<String>,
    /// How many critical or important functions it reaches.
    pub functions: usize,
}

impl ImpactOverlay {
    /// The impact of `element` failing in `m`.
    pub fn of(m: &Model, element: &str) -> ImpactOverlay {
        let hits = crate::graph::impact(m, element);
        let mut o = ImpactOverlay {
            failed: element.to_string(),
            functions: hits.len(),
            ..Default::default()
        };
        o.elements.insert(element.to_string());
        for step in hits.iter().flat_map(|h| h.path.iter()) {
            o.elements.insert(step.id.clone());
            if let Some(rel) = &step.relationship {
                o.relationships.insert(rel.clone());
            }
        }
        o
    }
}

/// Draws a view with the concepts in `flagged` (those with error-level findings, say) marked:
/// elements with a red border and a `!` badge in the corner, relationships drawn red.
pub fn render_flagged(
    m: &Model,
    view: &View,
    flagged: &std::collections::HashSet<String>,
) -> String {
    render_overlays(m, view, flagged, None)
}

/// [`render_flagged`] with an impact drawn over it: the failed element filled red, the
/// elements and relationships on its paths to the functions it takes down in orange (thick),
/// each marked `data-impact` (`failed` or `path`).
pub fn render_overlays(
    m: &Model,
    view: &View,
    flagged: &std::collections::HashSet<String>,
    impact: Option<&ImpactOverlay>,
) -> String {
    render_with(
        m,
        view,
        &Overlays {
            flagged: Some(flagged),
            impact,
            ..Default::default()
        },
    )
}

/// The findings' messages by element, for [`Overlays::findings`]: "RULE (level): message".
pub fn findings_by_element(
    findings: &[crate::check::Finding],
) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut by: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for f in findings {
        for e in &f.elements {
            by.entry(e.clone()).or_default().push(format!(
                "{} ({}): {}",
                f.id,
                f.level.name(),
                f.message
            ));
        }
    }
    by
}

/// What to draw over a view.
#[derive(Debug, Default, Clone, Copy)]
pub struct Overlays<'a> {
    /// Concepts with error-level findings (red, `!` badge).
    pub flagged: Option<&'a std::collections::HashSet<String>>,
    /// What fails with one element (red fill, orange paths).
    pub impact: Option<&'a ImpactOverlay>,
    /// Elements with drift findings: what runs differs from the model (a purple `≠` badge,
    /// `data-drift`).
    pub drift: Option<&'a std::collections::HashSet<String>>,
    /// The findings' messages by element id, shown as the box's tooltip (`<title>`).
    pub findings: Option<&'a std::collections::BTreeMap<String, Vec<String>>>,
    /// A link for every element box: this prefix with the element's id appended,
    /// percent-encoded (the web UI links each box to what fails with it).
    pub link: Option<&'a str>,
    /// A link for every view reference: this prefix with the referenced view's id appended,
    /// percent-encoded (the web UI opens that view).
    pub view_link: Option<&'a str>,
}

/// The link around an element's box and its tooltip (name, type, its findings), when the
/// overlays ask for links or findings; empty strings otherwise.
fn element_link(
    overlays: &Overlays<'_>,
    element: Option<&crate::model::Element>,
    title: &str,
    kind: &str,
) -> (String, String) {
    let Some(e) = element else {
        return (String::new(), String::new());
    };
    let found = overlays.findings.and_then(|f| f.get(&e.id));
    if overlays.link.is_none() && found.is_none() {
        return (String::new(), String::new());
    }
    let mut tip = format!("{title} ({kind})");
    for m in found.into_iter().flatten() {
        tip.push_str(&format!("\n• {m}"));
    }
    match overlays.link {
        Some(prefix) => (
            format!(
                "<a href=\"{}{}\"><title>{}</title>",
                esc(prefix),
                plumb_base::escape::url_component(&e.id),
                esc(&tip)
            ),
            "</a>".to_string(),
        ),
        None => (
            format!("<g><title>{}</title>", esc(&tip)),
            "</g>".to_string(),
        ),
    }
}

/// `text` cut to what fits in `width` pixels at the type label's 10 px size (about 5.6 px a
/// character), ending in "…" when cut: the type label must not run under the type icon.
fn fit(text: &str, width: f64) -> String {
    let room = (width / 5.6).floor().max(1.0) as usize;
    if text.chars().count() <= room {
        return text.to_string();
    }
    let mut s: String = text.chars().take(room.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Draws a view with `overlays` over it.
pub fn render_with(m: &Model, view: &View, overlays: &Overlays<'_>) -> String {
    let none = std::collections::HashSet::new();
    let flagged = overlays.flagged.unwrap_or(&none);
    let impact = overlays.impact;
    let drifted = |e: &str| overlays.drift.is_some_and(|d| d.contains(e));
    let idx = m.index();
    let (mut w, mut h) = (200.0_f64, 100.0_f64);
    let mut boxes = String::new();
    for n in &view.nodes {
        w = w.max(n.x + n.w + 20.0);
        h = h.max(n.y + n.h + 20.0);
        let element = n.element.as_deref().and_then(|id| idx.elements.get(id));
        let on_path = |id: &str| impact.is_some_and(|i| i.elements.contains(id));
        let failed = n
            .element
            .as_deref()
            .is_some_and(|e| impact.is_some_and(|i| i.failed == e));
        let (default_fill, title, kind) = match (n.kind.as_str(), element) {
            ("Element", Some(e)) => (
                crate::svg::colour(e.kind.layer()),
                e.name.clone(),
                e.kind.name().to_string(),
            ),
            ("Container", _) => ("#ffffff", n.label.clone(), "Group".to_string()),
            _ => ("#ffffcc", n.label.clone(), "Note".to_string()),
        };
        // The architect's colour where the view gives one; a failed element is always red.
        let fill = match n.style.fill {
            _ if failed => "#ff9d9d".to_string(),
            Some(c) => crate::style::hex(c),
            None => default_fill.to_string(),
        };
        let dash = if n.kind == "Container" {
            " stroke-dasharray=\"6,3\""
        } else {
            ""
        };
        let marked = n.element.as_ref().is_some_and(|e| flagged.contains(e));
        let (stroke, badge) = if marked {
            (
                "#d00000\" stroke-width=\"3".to_string(),
                format!(
                    "<circle cx=\"{:.0}\" cy=\"{:.0}\" r=\"8\" fill=\"#d00000\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\" font-weight=\"bold\" fill=\"#fff\" text-anchor=\"middle\">!</text>",
                    n.x + n.w - 2.0,
                    n.y + 2.0,
                    n.x + n.w - 2.0,
                    n.y + 6.0
                ),
            )
        } else if failed {
            // A thick dark border too: a view's own colours may already be red.
            ("#8b0000\" stroke-width=\"4".to_string(), String::new())
        } else if n.element.as_deref().is_some_and(on_path) {
            ("#e07000\" stroke-width=\"3".to_string(), String::new())
        } else {
            (
                n.style.line.map_or("#555".to_string(), crate::style::hex),
                String::new(),
            )
        };
        let mut mark = match n.element.as_deref() {
            Some(_) if failed => " data-impact=\"failed\"",
            Some(e) if on_path(e) => " data-impact=\"path\"",
            _ => "",
        }
        .to_string();
        let mut badge = badge;
        if n.element.as_deref().is_some_and(drifted) {
            mark.push_str(" data-drift=\"true\"");
            badge.push_str(&format!(
                "<circle cx=\"{:.0}\" cy=\"{:.0}\" r=\"8\" fill=\"#7b2cbf\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\" font-weight=\"bold\" fill=\"#fff\" text-anchor=\"middle\">\u{2260}</text>",
                n.x + 2.0,
                n.y + 2.0,
                n.x + 2.0,
                n.y + 6.0
            ));
        }
        let attrs = format!("fill=\"{fill}\" stroke=\"{stroke}\"{dash}");
        let bounds = (n.x, n.y, n.w, n.h);
        let shape = match element.filter(|_| n.kind == "Element") {
            // A junction is a dot and nothing else.
            Some(e) if e.kind.is_junction() => {
                boxes.push_str(&format!(
                    "<g data-node=\"{}\"{mark}>{}{badge}</g>\n",
                    esc(&n.id),
                    crate::notation::outline(e.kind, bounds, &attrs)
                ));
                continue;
            }
            Some(e) => format!(
                "{}{}",
                crate::notation::outline(e.kind, bounds, &attrs),
                crate::notation::icon(e.kind, n.x + n.w, n.y)
            ),
            None => format!(
                "<rect x=\"{:.0}\" y=\"{:.0}\" width=\"{:.0}\" height=\"{:.0}\" rx=\"4\" {attrs}/>",
                n.x, n.y, n.w, n.h
            ),
        };
        let (open, close) = match (&n.view_ref, overlays.view_link) {
            (Some(r), Some(prefix)) if element.is_none() => (
                format!(
                    "<a href=\"{}{}\"><title>{}</title>",
                    esc(prefix),
                    plumb_base::escape::url_component(r),
                    esc(&format!("{title} (open the view)"))
                ),
                "</a>".to_string(),
            ),
            _ => element_link(overlays, element.copied(), &title, &kind),
        };
        let font = n
            .style
            .font
            .map(|c| format!(" fill=\"{}\"", crate::style::hex(c)))
            .unwrap_or_default()
            + &n.style.typeface.as_ref().map_or_else(
                || " font-size=\"12\"".to_string(),
                crate::style::Typeface::svg_attrs,
            );
        boxes.push_str(&format!(
                        "{open}<g data-node=\"{}\"{mark}>{shape}<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"10\" fill=\"#555\">{}</text><text x=\"{:.0}\" y=\"{:.0}\"{font}>{}</text>{badge}</g>{close}\n",
            esc(&n.id),
            n.x + 5.0,
            n.y + 12.0,
            esc(&fit(&kind, n.w - 28.0)),
            n.x + 5.0,
            n.y + 27.0,
            wrapped(&title, n)
        ));
    }
    let lines = draw_connections(&idx, view, flagged, impact);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"sans-serif\">\n<defs>{}</defs>\n<title>{}</title>\n{boxes}{lines}</svg>\n",
        crate::svg::MARKERS,
        esc(&view.name)
    )
}

/// A view's connections, each through its bendpoints from border to border in its
/// relationship's notation: red with a finding of its own, orange on an impact's path, else in
/// the colour its author gave it.
fn draw_connections(
    idx: &crate::model::Index<'_>,
    view: &View,
    flagged: &std::collections::HashSet<String>,
    impact: Option<&ImpactOverlay>,
) -> String {
    let mut lines = String::new();
    let node = |id: &str| view.nodes.iter().find(|n| n.id == id);
    for c in &view.connections {
        let (Some(a), Some(b)) = (node(&c.source), node(&c.target)) else {
            continue;
        };
        let rel = c
            .relationship
            .as_deref()
            .and_then(|id| idx.relationships.get(id));
        let centre = |n: &Node| (n.x + n.w / 2.0, n.y + n.h / 2.0);
        let first = c.bendpoints.first().copied().unwrap_or(centre(b));
        let last = c.bendpoints.last().copied().unwrap_or(centre(a));
        let start = crate::svg::border_of((a.x, a.y, a.w, a.h), first);
        let end = crate::svg::border_of((b.x, b.y, b.w, b.h), last);
        let mut points = vec![start];
        points.extend(c.bendpoints.iter().copied());
        points.push(end);
        let line = crate::svg::polyline(rel.copied(), &points);
        // A relationship with a finding of its own (a type ArchiMate does not allow there)
        // is marked like an element.
        if rel.is_some_and(|r| flagged.contains(&r.id)) {
            lines.push_str(&line.replacen(
                "stroke=\"#333\" stroke-width=\"1.2\"",
                "stroke=\"#d00000\" stroke-width=\"3\"",
                1,
            ));
        } else if rel.is_some_and(|r| impact.is_some_and(|i| i.relationships.contains(&r.id))) {
            lines.push_str(&line.replacen(
                "stroke=\"#333\" stroke-width=\"1.2\"",
                "data-impact=\"path\" stroke=\"#e07000\" stroke-width=\"3\"",
                1,
            ));
        } else if let Some(c) = c.style.line {
            lines.push_str(&line.replacen(
                "stroke=\"#333\"",
                &format!("stroke=\"{}\"", crate::style::hex(c)),
                1,
            ));
        } else {
            lines.push_str(&line);
        }
    }
    lines
}
