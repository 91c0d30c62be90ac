//! `plumb register diff A B`: what changed between two registers, row by row by each
//! template's key: rows added, removed, and changed (column by column). Contracts and
//! providers come first, as a reviewer reads them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::tables::{Row, Tables};

/// One changed cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// Column code.
    pub column: String,
    /// Before (empty: not reported).
    pub before: String,
    /// After.
    pub after: String,
}

/// The changes to one template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TemplateDiff {
    /// The template.
    pub template: String,
    /// Keys of rows only in B.
    pub added: Vec<String>,
    /// Keys of rows only in A.
    pub removed: Vec<String>,
    /// Rows in both whose other columns differ.
    pub changed: Vec<(String, Vec<Cell>)>,
}

/// Every template that changed, in review order.
pub fn diff(a: &Tables, b: &Tables) -> Result<Vec<TemplateDiff>, String> {
    let cat = crate::catalogue::catalogue()?;
    let mut order: Vec<&crate::catalogue::Template> = cat.templates.iter().collect();
    // Contracts and providers first.
    order.sort_by_key(|t| match t.code.as_str() {
        "B_02.01" => 0,
        "B_05.01" => 1,
        "B_02.02" => 2,
        _ => 3,
    });
    let mut out = Vec::new();
    for t in order {
        let key: Vec<&str> = t.key().iter().map(|c| c.code.as_str()).collect();
        let index = |rows: &[Row]| -> BTreeMap<String, Row> {
            rows.iter()
                .enumerate()
                .map(|(i, r)| {
                    let k = if key.is_empty() {
                        format!("row {}", i + 1)
                    } else {
                        key.iter()
                            .map(|c| r.get(*c).cloned().unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join(" / ")
                    };
                    (k, r.clone())
                })
                .collect()
        };
        let (ia, ib) = (index(a.of(&t.code)), index(b.of(&t.code)));
        let mut d = TemplateDiff {
            template: t.code.clone(),
            ..Default::default()
        };
        for (k, rb) in &ib {
            match ia.get(k) {
                None => d.added.push(k.clone()),
                Some(ra) => {
                    let cells: Vec<Cell> = t
                        .columns
                        .iter()
                        .filter(|c| ra.get(&c.code) != rb.get(&c.code))
                        .map(|c| Cell {
                            column: c.code.clone(),
                            before: ra.get(&c.code).cloned().unwrap_or_default(),
                            after: rb.get(&c.code).cloned().unwrap_or_default(),
                        })
                        .collect();
                    if !cells.is_empty() {
                        d.changed.push((k.clone(), cells));
                    }
                }
            }
        }
        d.removed = ia
            .keys()
            .filter(|k| !ib.contains_key(*k))
            .cloned()
            .collect();
        if !(d.added.is_empty() && d.removed.is_empty() && d.changed.is_empty()) {
            out.push(d);
        }
    }
    Ok(out)
}

/// The diff as Markdown for a review.
pub fn markdown(diffs: &[TemplateDiff]) -> String {
    if diffs.is_empty() {
        return "No change to the register.\n".into();
    }
    let mut s = String::from("# Register of information: changes\n");
    for d in diffs {
        let what = match d.template.as_str() {
            "B_02.01" => " (contracts)",
            "B_05.01" => " (providers)",
            "B_02.02" => " (services, functions, dates and locations per contract)",
            "B_06.01" => " (functions)",
            _ => "",
        };
        s.push_str(&format!("\n## {}{what}\n\n", d.template));
        for k in &d.added {
            s.push_str(&format!("- added: `{k}`\n"));
        }
        for k in &d.removed {
            s.push_str(&format!("- removed: `{k}`\n"));
        }
        for (k, cells) in &d.changed {
            let list: Vec<String> = cells
                .iter()
                .map(|c| format!("{} `{}` → `{}`", c.column, c.before, c.after))
                .collect();
            s.push_str(&format!("- changed: `{k}`: {}\n", list.join("; ")));
        }
    }
    s
}
