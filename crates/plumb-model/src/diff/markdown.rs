//! A model diff as Markdown, for a pull-request comment: the DORA consequences first (what a
//! reviewer must look at), then the findings, then the graph changes.

use std::fmt::Write;

use super::{Changed, Concept, ModelDiff};

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("none")
}

/// Escapes what would break a table cell or start markup.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn concepts(out: &mut String, title: &str, list: &[Concept]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n**{title}** ({})\n", list.len());
    let _ = writeln!(out, "| id | type | name |\n|---|---|---|");
    for c in list {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            cell(&c.id),
            c.kind,
            cell(&c.name)
        );
    }
}

fn changed(out: &mut String, title: &str, list: &[Changed]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n**{title}** ({})\n", list.len());
    let _ = writeln!(
        out,
        "| id | name | field | before | after |\n|---|---|---|---|---|"
    );
    for c in list {
        for f in &c.changes {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                cell(&c.concept.id),
                cell(&c.concept.name),
                cell(&f.field),
                cell(opt(&f.old)),
                cell(opt(&f.new))
            );
        }
    }
}

impl ModelDiff {
    /// The diff as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut s = String::from("## Architecture model review\n");
        if self.is_empty() {
            s.push_str("\nNo change.\n");
            return s;
        }
        let _ = writeln!(
            s,
            "\n{} new error-level finding(s), {} finding(s) introduced, {} fixed; {} critical or important function(s) affected.",
            self.new_errors(),
            self.findings_introduced.len(),
            self.findings_fixed.len(),
            self.functions.len()
        );
        if !self.functions.is_empty() {
            s.push_str("\n### Critical or important functions\n\n");
            for f in &self.functions {
                let _ = writeln!(s, "- **{}** (`{}`)", cell(&f.name), cell(&f.id));
                if f.criticality.0 != f.criticality.1 {
                    let _ = writeln!(
                        s,
                        "  - criticality: {} → {}",
                        opt(&f.criticality.0),
                        opt(&f.criticality.1)
                    );
                }
                for (what, v) in [("RTO hours", &f.rto_hours), ("RPO hours", &f.rpo_hours)] {
                    if let Some((a, b)) = v {
                        let _ = writeln!(s, "  - {what}: {} → {}", opt(a), opt(b));
                    }
                }
                for (what, list) in [
                    ("now depends on", &f.supported_by_added),
                    ("no longer depends on", &f.supported_by_removed),
                    ("new ICT provider(s)", &f.providers_added),
                    ("ICT provider(s) removed", &f.providers_removed),
                ] {
                    if !list.is_empty() {
                        let _ = writeln!(s, "  - {what}: {}", cell(&list.join(", ")));
                    }
                }
            }
        }
        if !self.concentration.is_empty() {
            s.push_str("\n### Provider concentration\n\n| provider | share before | share after |\n|---|---|---|\n");
            for c in &self.concentration {
                let _ = writeln!(
                    s,
                    "| {} | {:.0} % | {:.0} % |",
                    cell(&c.name),
                    c.share.0 * 100.0,
                    c.share.1 * 100.0
                );
            }
        }
        for (title, list) in [
            ("Findings introduced", &self.findings_introduced),
            ("Findings fixed", &self.findings_fixed),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(
                s,
                "\n### {title}\n\n| rule | level | finding |\n|---|---|---|"
            );
            for f in list {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} |",
                    f.id,
                    f.level.name(),
                    cell(&f.message)
                );
            }
        }
        s.push_str("\n### Model changes\n");
        concepts(&mut s, "Elements added", &self.elements_added);
        concepts(&mut s, "Elements removed", &self.elements_removed);
        changed(&mut s, "Elements changed", &self.elements_changed);
        concepts(&mut s, "Relationships added", &self.relationships_added);
        concepts(&mut s, "Relationships removed", &self.relationships_removed);
        changed(&mut s, "Relationships changed", &self.relationships_changed);
        s
    }
}
