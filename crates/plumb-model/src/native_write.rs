//! Writing Archi's own format (`.archimate`, model version 5.0.0): every element in Archi's
//! folder for its layer, relationships in Relations, the views in Views as
//! `archimate:ArchimateDiagramModel`s. The views come from the model's exchange views (as the
//! native and YAML readers keep them too), converted back the way Archi keeps them: a box's
//! bounds relative to the box holding it, a bendpoint as offsets from the centres of its
//! connection's ends. So a native model read and written again keeps its graph and its
//! diagrams with their colours (`crate::style`; fonts and Archi's other figure settings are not
//! kept).

use plumb_base::escape::xml as esc;

use crate::diagram::{Node, View};
use crate::model::{Element, Model, Relationship};
use crate::types::{ElementType, Layer, RelType};

/// Archi's folders, in its order: (folder type, name, layers held).
const FOLDERS: &[(&str, &str, &[Layer])] = &[
    ("strategy", "Strategy", &[Layer::Strategy]),
    ("business", "Business", &[Layer::Business]),
    ("application", "Application", &[Layer::Application]),
    (
        "technology",
        "Technology &amp; Physical",
        &[Layer::Technology, Layer::Physical],
    ),
    ("motivation", "Motivation", &[Layer::Motivation]),
    (
        "implementation_migration",
        "Implementation &amp; Migration",
        &[Layer::Implementation],
    ),
    ("other", "Other", &[Layer::Other]),
];

/// Archi's names of its top folders, as they appear at the top of an organisation tree.
const TOP_NAMES: &[&str] = &[
    "Strategy",
    "Business",
    "Application",
    "Technology & Physical",
    "Motivation",
    "Implementation & Migration",
    "Other",
    "Relations",
    "Views",
];
/// Folders nested deeper than this are written at this depth.
const MAX_FOLDER_DEPTH: usize = 32;

/// Where the model's organisation tree (Archi's folders, or an exchange file's
/// `<organizations>`) puts each concept: the labels of the folders below Archi's top folder
/// (which the concept's type decides), outermost first. A tree whose top is not one of
/// Archi's folders keeps its whole path.
fn placements(m: &Model) -> std::collections::HashMap<&str, Vec<&str>> {
    fn walk<'m>(
        item: &'m crate::model::OrgItem,
        path: &mut Vec<&'m str>,
        out: &mut std::collections::HashMap<&'m str, Vec<&'m str>>,
    ) {
        if let Some(r) = &item.reference {
            let below = match path.first() {
                Some(top) if TOP_NAMES.contains(top) => path.get(1..).unwrap_or_default(),
                _ => path.as_slice(),
            };
            let below = below
                .get(..below.len().min(MAX_FOLDER_DEPTH))
                .unwrap_or_default();
            out.entry(r.as_str()).or_insert_with(|| below.to_vec());
        }
        if let Some(l) = &item.label {
            path.push(l.as_str());
        }
        for c in &item.items {
            walk(c, path, out);
        }
        if item.label.is_some() {
            path.pop();
        }
    }
    let mut out = std::collections::HashMap::new();
    for top in &m.organizations {
        walk(top, &mut Vec::new(), &mut out);
    }
    out
}

/// Writes `items` inside one of Archi's top folders, in the subfolders the organisation tree
/// gives them (sorted by folder path, in model order within a folder); folder ids are derived
/// from the top folder and their position, so the same model gives the same file.
fn in_folders<T>(
    out: &mut String,
    ty: &str,
    places: &std::collections::HashMap<&str, Vec<&str>>,
    items: Vec<&T>,
    id: impl Fn(&T) -> &String,
    write: impl Fn(&mut String, &T),
) {
    let none: Vec<&str> = Vec::new();
    let mut placed: Vec<(&Vec<&str>, &T)> = items
        .into_iter()
        .map(|t| (places.get(id(t).as_str()).unwrap_or(&none), t))
        .collect();
    placed.sort_by(|a, b| a.0.cmp(b.0));
    let mut open: Vec<&str> = Vec::new();
    let mut made = 0usize;
    for (path, t) in placed {
        let common = open
            .iter()
            .zip(path.iter())
            .take_while(|(a, b)| a == b)
            .count();
        while open.len() > common {
            open.pop();
            out.push_str("    </folder>\n");
        }
        for label in path.iter().skip(common) {
            made += 1;
            out.push_str(&format!(
                "    <folder name=\"{}\" id=\"folder-{ty}-{made}\">\n",
                esc(label)
            ));
            open.push(label);
        }
        write(out, t);
    }
    for _ in open {
        out.push_str("    </folder>\n");
    }
}

/// Writes `m` as an Archi model file.
pub fn write(m: &Model) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<archimate:model xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:archimate=\"{}\" name=\"{}\" id=\"{}\" version=\"5.0.0\">\n",
        crate::native::NAMESPACE,
        esc(&m.name),
        esc(&m.id)
    ));
    let places = placements(m);
    for (ty, name, layers) in FOLDERS {
        out.push_str(&format!(
            "  <folder name=\"{name}\" id=\"folder-{ty}\" type=\"{ty}\">\n"
        ));
        let held: Vec<&Element> = m
            .elements
            .iter()
            .filter(|e| layers.contains(&e.kind.layer()))
            .collect();
        in_folders(&mut out, ty, &places, held, |e| &e.id, element);
        out.push_str("  </folder>\n");
    }
    out.push_str("  <folder name=\"Relations\" id=\"folder-relations\" type=\"relations\">\n");
    let rels: Vec<&Relationship> = m.relationships.iter().collect();
    in_folders(
        &mut out,
        "relations",
        &places,
        rels,
        |r| &r.id,
        relationship,
    );
    out.push_str("  </folder>\n");
    out.push_str("  <folder name=\"Views\" id=\"folder-diagrams\" type=\"diagrams\">\n");
    let mut views = crate::diagram::views(m).unwrap_or_default();
    // A reference to a view the model does not hold would not open in Archi: it becomes a note
    // with the text it showed.
    let ids: std::collections::HashSet<String> = views.iter().map(|v| v.id.clone()).collect();
    for n in views.iter_mut().flat_map(|v| v.nodes.iter_mut()) {
        if n.view_ref.as_ref().is_some_and(|r| !ids.contains(r)) {
            n.view_ref = None;
        }
    }
    in_folders(
        &mut out,
        "diagrams",
        &places,
        views.iter().collect(),
        |v| &v.id,
        view,
    );
    out.push_str("  </folder>\n");
    if let Some(d) = &m.documentation {
        out.push_str(&format!("  <purpose>{}</purpose>\n", esc(d)));
    }
    for (k, v) in &m.properties {
        out.push_str(&format!(
            "  <property key=\"{}\" value=\"{}\"/>\n",
            esc(k),
            esc(v)
        ));
    }
    out.push_str("</archimate:model>\n");
    out
}

fn details(out: &mut String, documentation: &Option<String>, properties: &[(String, String)]) {
    if let Some(d) = documentation {
        out.push_str(&format!(
            "      <documentation>{}</documentation>\n",
            esc(d)
        ));
    }
    for (k, v) in properties {
        out.push_str(&format!(
            "      <property key=\"{}\" value=\"{}\"/>\n",
            esc(k),
            esc(v)
        ));
    }
}

fn element(out: &mut String, e: &Element) {
    let (ty, extra) = match e.kind {
        ElementType::AndJunction => ("Junction", ""),
        ElementType::OrJunction => ("Junction", " type=\"or\""),
        k => (k.name(), ""),
    };
    out.push_str(&format!(
        "    <element xsi:type=\"archimate:{ty}\" name=\"{}\" id=\"{}\"{extra}",
        esc(&e.name),
        esc(&e.id)
    ));
    if e.documentation.is_none() && e.properties.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    details(out, &e.documentation, &e.properties);
    out.push_str("    </element>\n");
}

fn relationship(out: &mut String, r: &Relationship) {
    let mut extra = String::new();
    match r.kind {
        RelType::Access => {
            // Archi leaves write (0) out.
            let code = match r.access_type.as_deref() {
                Some("Read") => Some("1"),
                Some("Access") => Some("2"),
                Some("ReadWrite") => Some("3"),
                _ => None,
            };
            if let Some(c) = code {
                extra.push_str(&format!(" accessType=\"{c}\""));
            }
        }
        RelType::Influence => {
            if let Some(s) = &r.modifier {
                extra.push_str(&format!(" strength=\"{}\"", esc(s)));
            }
        }
        RelType::Association if r.directed == Some(true) => extra.push_str(" directed=\"true\""),
        _ => {}
    }
    let name = if r.name.is_empty() {
        String::new()
    } else {
        format!(" name=\"{}\"", esc(&r.name))
    };
    out.push_str(&format!(
        "    <element xsi:type=\"archimate:{}Relationship\"{name} id=\"{}\" source=\"{}\" target=\"{}\"{extra}",
        r.kind.name(),
        esc(&r.id),
        esc(&r.source),
        esc(&r.target)
    ));
    if r.documentation.is_none() && r.properties.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    details(out, &r.documentation, &r.properties);
    out.push_str("    </element>\n");
}

/// Whole pixels, as Archi keeps them.
fn px(v: f64) -> i64 {
    v.round() as i64
}

/// The centre of a node, with Archi's integer halves.
fn centre(n: &Node) -> (f64, f64) {
    (n.x + (n.w / 2.0).floor(), n.y + (n.h / 2.0).floor())
}

fn view(out: &mut String, v: &View) {
    out.push_str(&format!(
        "    <element xsi:type=\"archimate:ArchimateDiagramModel\" name=\"{}\" id=\"{}\">\n",
        esc(&v.name),
        esc(&v.id)
    ));
    // Nodes come outermost first; a node's parent is the nearest earlier node one level up:
    // the last node seen at each depth, kept as the nodes go by (linear, however many boxes).
    let mut parents: Vec<Option<usize>> = Vec::with_capacity(v.nodes.len());
    let mut last_at: Vec<usize> = Vec::new();
    let mut kids: Vec<Vec<usize>> = vec![Vec::new(); v.nodes.len()];
    let mut top: Vec<usize> = Vec::new();
    for (i, n) in v.nodes.iter().enumerate() {
        let parent = n.depth.checked_sub(1).and_then(|d| last_at.get(d).copied());
        last_at.truncate(n.depth);
        last_at.push(i);
        parents.push(parent);
        match parent.and_then(|p| kids.get_mut(p)) {
            Some(k) => k.push(i),
            None => top.push(i),
        }
    }
    // Connections by their source box, and boxes by id: Archi keeps a connection under its
    // source, and each is written once, in the view's order.
    let mut from: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (k, c) in v.connections.iter().enumerate() {
        from.entry(c.source.as_str()).or_default().push(k);
    }
    let by_id: std::collections::HashMap<&str, &Node> =
        v.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let children = |p: Option<usize>| -> Vec<usize> {
        match p {
            None => top.clone(),
            Some(p) => kids.get(p).cloned().unwrap_or_default(),
        }
    };
    let mut stack: Vec<(usize, usize, bool)> = children(None)
        .into_iter()
        .rev()
        .map(|i| (i, 3, false))
        .collect();
    // Depth-first, writing each node's opening when first met and its closing when met again.
    while let Some((i, indent, closing)) = stack.pop() {
        let pad = "  ".repeat(indent);
        if closing {
            out.push_str(&format!("{pad}</child>\n"));
            continue;
        }
        let Some(n) = v.nodes.get(i) else {
            continue;
        };
        let (ox, oy) = parents
            .get(i)
            .copied()
            .flatten()
            .and_then(|p| v.nodes.get(p))
            .map_or((0.0, 0.0), |p| (p.x, p.y));
        let (ty, attrs) = match (n.kind.as_str(), &n.element, &n.view_ref) {
            ("Element", Some(e), _) => {
                ("DiagramObject", format!(" archimateElement=\"{}\"", esc(e)))
            }
            ("Container", _, _) => ("Group", format!(" name=\"{}\"", esc(&n.label))),
            // A view reference: Archi shows the referenced view's name and opens it. It holds
            // no boxes in Archi, so one that does (a hostile exchange file) stays a note.
            ("Label", None, Some(r)) if kids.get(i).is_none_or(Vec::is_empty) => {
                ("DiagramModelReference", format!(" model=\"{}\"", esc(r)))
            }
            _ => ("Note", String::new()),
        };
        let attrs = format!("{attrs}{}", n.style.archi_attrs());
        out.push_str(&format!(
            "{pad}<child xsi:type=\"archimate:{ty}\" id=\"{}\"{attrs}>\n{pad}  <bounds x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
            esc(&n.id),
            px(n.x - ox),
            px(n.y - oy),
            px(n.w),
            px(n.h)
        ));
        if ty == "Note" && !n.label.is_empty() {
            out.push_str(&format!("{pad}  <content>{}</content>\n", esc(&n.label)));
        }
        for &k in from
            .get(n.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(c) = v.connections.get(k) else {
                continue;
            };
            let Some(t) = by_id.get(c.target.as_str()).copied() else {
                continue;
            };
            let rel = c
                .relationship
                .as_ref()
                .map(|r| format!(" archimateRelationship=\"{}\"", esc(r)))
                .unwrap_or_default()
                + &c.style.archi_attrs();
            out.push_str(&format!(
                "{pad}  <sourceConnection xsi:type=\"archimate:Connection\" id=\"{}-c{k}\" source=\"{}\" target=\"{}\"{rel}",
                esc(&v.id),
                esc(&n.id),
                esc(&t.id)
            ));
            if c.bendpoints.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            let (sc, tc) = (centre(n), centre(t));
            for (x, y) in &c.bendpoints {
                out.push_str(&format!(
                    "{pad}    <bendpoint startX=\"{}\" startY=\"{}\" endX=\"{}\" endY=\"{}\"/>\n",
                    px(x - sc.0),
                    px(y - sc.1),
                    px(x - tc.0),
                    px(y - tc.1)
                ));
            }
            out.push_str(&format!("{pad}  </sourceConnection>\n"));
        }
        stack.push((i, indent, true));
        for c in children(Some(i)).into_iter().rev() {
            stack.push((c, indent + 1, false));
        }
    }
    out.push_str("    </element>\n");
}
