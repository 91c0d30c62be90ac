//! The diagrams of an Archi native model (`archimate:ArchimateDiagramModel`), read into the
//! exchange format's `<views>` so they are drawn, listed and exported as the exchange
//! reader's are: diagram objects become `Element` nodes, groups `Container` nodes, notes and
//! view references `Label` nodes; connections keep their relationship and bendpoints.
//!
//! Archi stores a child's bounds relative to its parent and a bendpoint as offsets from the
//! centres of its connection's ends; the exchange format wants both absolute, so they are
//! converted here as Archi's own exchange export converts them (a bendpoint at the source's
//! centre plus its start offset). A size of -1 is Archi's default figure size. Sketch and
//! canvas views are not ArchiMate views: they are counted, not read.

use std::collections::HashMap;

use plumb_base::escape::xml as esc;
use plumb_base::xml::XmlStart;

/// Archi's default size of a figure whose bounds say -1.
const DEFAULT_SIZE: (f64, f64) = (120.0, 55.0);
/// Views, nodes or connections beyond these are not read (a hostile file cannot make the
/// exchange text grow without bound).
const MAX_VIEWS: usize = 10_000;
const MAX_ITEMS: usize = 1_000_000;
/// Characters of a note's or a view reference's text kept.
const MAX_LABEL: usize = 2_000;

/// A box of a view being built (also by the YAML reader).
#[derive(Debug, Default)]
pub(crate) struct NodeB {
    pub id: String,
    /// `Element`, `Container` or `Label`.
    pub kind: &'static str,
    pub element: Option<String>,
    pub label: String,
    /// The view a reference points at.
    pub view_ref: Option<String>,
    /// Absolute x, y, width, height.
    pub abs: (f64, f64, f64, f64),
    /// Indexes of the boxes inside it.
    pub children: Vec<usize>,
    /// Its colours.
    pub style: crate::style::Style,
}

/// A line of a view being built.
#[derive(Debug, Default)]
pub(crate) struct ConnB {
    pub id: String,
    pub relationship: Option<String>,
    pub source: String,
    pub target: String,
    /// Bendpoints: (startX, startY) offsets from the source's centre as Archi keeps them, or
    /// absolute points when `absolute`.
    pub bendpoints: Vec<(f64, f64)>,
    pub absolute: bool,
    /// Its colours.
    pub style: crate::style::Style,
}

/// A view being built.
#[derive(Debug, Default)]
pub(crate) struct ViewB {
    pub id: String,
    pub name: String,
    pub nodes: Vec<NodeB>,
    /// Indexes of the outermost boxes.
    pub top: Vec<usize>,
    pub connections: Vec<ConnB>,
}

/// The views being read.
#[derive(Debug, Default)]
pub(crate) struct NativeViews {
    views: Vec<ViewB>,
    /// The view open, with the depth of its element.
    open: Option<(ViewB, usize)>,
    /// Children open (indexes into the open view's nodes), innermost last.
    stack: Vec<usize>,
    in_content: bool,
    /// Sketch and canvas views met.
    pub skipped: usize,
    items: usize,
}

fn num(e: &XmlStart, k: &str) -> f64 {
    e.attr(k)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && v.abs() < 1e9)
        .unwrap_or(0.0)
}

impl NativeViews {
    /// Whether a view is being read.
    pub fn reading(&self) -> bool {
        self.open.is_some()
    }

    /// A diagram element starts at `depth` (already known to be an ArchiMate view).
    pub fn begin(&mut self, e: &XmlStart, depth: usize, id: String) {
        if self.views.len() >= MAX_VIEWS {
            return;
        }
        self.open = Some((
            ViewB {
                id,
                name: e.attr("name").unwrap_or_default().to_string(),
                ..Default::default()
            },
            depth,
        ));
        self.stack.clear();
    }

    /// An element inside the open view starts.
    pub fn start(&mut self, e: &XmlStart, xml_id: impl Fn(&str) -> String) {
        let Some((view, _)) = self.open.as_mut() else {
            return;
        };
        if self.items >= MAX_ITEMS {
            return;
        }
        match e.name.as_str() {
            "child" => {
                self.items += 1;
                let ty = e.attr("type").unwrap_or_default();
                let (kind, element, label, view_ref) = match ty {
                    "archimate:DiagramObject" => (
                        "Element",
                        e.attr("archimateElement").map(&xml_id),
                        String::new(),
                        None,
                    ),
                    "archimate:Group" => (
                        "Container",
                        None,
                        e.attr("name").unwrap_or_default().to_string(),
                        None,
                    ),
                    "archimate:DiagramModelReference" => {
                        ("Label", None, String::new(), e.attr("model").map(&xml_id))
                    }
                    _ => ("Label", None, String::new(), None),
                };
                let index = view.nodes.len();
                view.nodes.push(NodeB {
                    id: xml_id(e.attr("id").unwrap_or_default()),
                    kind,
                    element,
                    label,
                    view_ref,
                    style: crate::style::Style::from_archi(e),
                    ..Default::default()
                });
                match self.stack.last() {
                    Some(&parent) => {
                        if let Some(p) = view.nodes.get_mut(parent) {
                            p.children.push(index);
                        }
                    }
                    None => view.top.push(index),
                }
                self.stack.push(index);
            }
            "bounds" => {
                let Some(&me) = self.stack.last() else {
                    return;
                };
                let (px, py) = self
                    .stack
                    .len()
                    .checked_sub(2)
                    .and_then(|i| self.stack.get(i))
                    .and_then(|&p| view.nodes.get(p))
                    .map_or((0.0, 0.0), |p| (p.abs.0, p.abs.1));
                let size = |v: f64, default: f64| if v < 0.0 { default } else { v };
                if let Some(n) = view.nodes.get_mut(me) {
                    n.abs = (
                        px + num(e, "x"),
                        py + num(e, "y"),
                        size(num_or(e, "width", -1.0), DEFAULT_SIZE.0),
                        size(num_or(e, "height", -1.0), DEFAULT_SIZE.1),
                    );
                }
            }
            "sourceConnection" => {
                self.items += 1;
                view.connections.push(ConnB {
                    id: xml_id(e.attr("id").unwrap_or_default()),
                    relationship: e.attr("archimateRelationship").map(&xml_id),
                    source: xml_id(e.attr("source").unwrap_or_default()),
                    target: xml_id(e.attr("target").unwrap_or_default()),
                    bendpoints: Vec::new(),
                    absolute: false,
                    style: crate::style::Style::from_archi(e),
                });
            }
            "bendpoint" => {
                if let Some(c) = view.connections.last_mut() {
                    c.bendpoints.push((num(e, "startX"), num(e, "startY")));
                }
            }
            "content" => self.in_content = true,
            _ => {}
        }
    }

    /// Text inside the open view (a note's content).
    pub fn text(&mut self, t: &str) {
        if !self.in_content {
            return;
        }
        if let (Some((view, _)), Some(&me)) = (self.open.as_mut(), self.stack.last())
            && let Some(n) = view.nodes.get_mut(me)
        {
            n.label.push_str(t);
        }
    }

    /// An element ends at `depth`.
    pub fn end(&mut self, name: &str, depth: usize) {
        match name {
            "child" => {
                self.stack.pop();
            }
            "content" => self.in_content = false,
            "element" if self.open.as_ref().is_some_and(|(_, d)| *d == depth) => {
                if let Some((view, _)) = self.open.take() {
                    self.views.push(view);
                }
            }
            _ => {}
        }
    }

    /// The views as the exchange format's `<views>` element, or `None` without any.
    pub fn finish(self) -> Option<String> {
        exchange_views(&self.views)
    }
}

/// Views as the exchange format's `<views>` element, or `None` without any.
pub(crate) fn exchange_views(views: &[ViewB]) -> Option<String> {
    if views.is_empty() {
        return None;
    }
    let names: HashMap<&str, &str> = views
        .iter()
        .map(|v| (v.id.as_str(), v.name.as_str()))
        .collect();
    let mut out = String::from("<views>\n    <diagrams>\n");
    for v in views {
        out.push_str(&format!(
                "      <view identifier=\"{}\" xsi:type=\"Diagram\">\n        <name xml:lang=\"en\">{}</name>\n",
                esc(&v.id),
                esc(&v.name)
            ));
        for &i in &v.top {
            write_node(&mut out, v, i, &names, 4, 0);
        }
        let centre: HashMap<&str, (f64, f64)> = v
            .nodes
            .iter()
            .map(|n| {
                // Whole pixels, halves dropped, as Archi's integer arithmetic does.
                (
                    n.id.as_str(),
                    (
                        n.abs.0 + (n.abs.2 / 2.0).floor(),
                        n.abs.1 + (n.abs.3 / 2.0).floor(),
                    ),
                )
            })
            .collect();
        for c in &v.connections {
            let (kind, rel) = match &c.relationship {
                Some(r) => ("Relationship", format!(" relationshipRef=\"{}\"", esc(r))),
                None => ("Line", String::new()),
            };
            out.push_str(&format!(
                    "        <connection identifier=\"{}\"{rel} xsi:type=\"{kind}\" source=\"{}\" target=\"{}\"",
                    esc(&c.id),
                    esc(&c.source),
                    esc(&c.target)
                ));
            if c.bendpoints.is_empty() && c.style.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            out.push_str(&c.style.exchange_xml("          "));
            let (cx, cy) = if c.absolute {
                (0.0, 0.0)
            } else {
                centre.get(c.source.as_str()).copied().unwrap_or((0.0, 0.0))
            };
            for (dx, dy) in &c.bendpoints {
                out.push_str(&format!(
                    "          <bendpoint x=\"{}\" y=\"{}\"/>\n",
                    fmt(cx + dx),
                    fmt(cy + dy)
                ));
            }
            out.push_str("        </connection>\n");
        }
        out.push_str("      </view>\n");
    }
    out.push_str("    </diagrams>\n  </views>");
    Some(out)
}

fn num_or(e: &XmlStart, k: &str, default: f64) -> f64 {
    e.attr(k)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && v.abs() < 1e9)
        .unwrap_or(default)
}

/// A coordinate as the exchange format writes it (whole pixels).
fn fmt(v: f64) -> String {
    format!("{}", v.round() as i64)
}

fn write_node(
    out: &mut String,
    v: &ViewB,
    i: usize,
    names: &HashMap<&str, &str>,
    indent: usize,
    depth: usize,
) {
    let Some(n) = v.nodes.get(i) else {
        return;
    };
    // Nesting deeper than any drawing needs is flattened rather than followed.
    if depth > 64 {
        return;
    }
    let pad = "  ".repeat(indent);
    let element = n
        .element
        .as_ref()
        .map(|e| format!(" elementRef=\"{}\"", esc(e)))
        .unwrap_or_default();
    out.push_str(&format!(
        "{pad}<node identifier=\"{}\"{element} xsi:type=\"{}\" x=\"{}\" y=\"{}\" w=\"{}\" h=\"{}\">\n",
        esc(&n.id),
        n.kind,
        fmt(n.abs.0),
        fmt(n.abs.1),
        fmt(n.abs.2),
        fmt(n.abs.3)
    ));
    // A label is shown in a box: a few hundred characters at most, so a long view name
    // referenced many times cannot multiply the output.
    let full = match &n.view_ref {
        Some(r) => names.get(r.as_str()).copied().unwrap_or_default(),
        None => n.label.as_str(),
    };
    let label: String = full.chars().take(MAX_LABEL).collect();
    if n.kind != "Element" {
        out.push_str(&format!(
            "{pad}  <label xml:lang=\"en\">{}</label>\n",
            esc(&label)
        ));
    }
    out.push_str(&n.style.exchange_xml(&format!("{pad}  ")));
    // Only a reference to a view written here (an exchange file's references must resolve; a
    // sketch or canvas Archi keeps is not one): the others stay labels with their text.
    if let Some(r) = n
        .view_ref
        .as_ref()
        .filter(|r| names.contains_key(r.as_str()))
    {
        out.push_str(&format!("{pad}  <viewRef ref=\"{}\"/>\n", esc(r)));
    }
    for &c in &n.children {
        write_node(out, v, c, names, indent + 1, depth + 1);
    }
    out.push_str(&format!("{pad}</node>\n"));
}
