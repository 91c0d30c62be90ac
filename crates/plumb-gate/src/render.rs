//! The decision for people and CI tools: a compact terminal report, Markdown (pull-request
//! comments, GitHub step summaries) and JUnit XML (CI test tabs).

use crate::config::BASELINE_RULES;
use crate::decision::{Decision, Outcome};
use crate::waiver::WaiverState;
use plumb_base::escape::{markdown_cell as md_escape, xml};

fn headline(d: &Decision) -> String {
    let what = match d.result {
        Outcome::Pass => "PASS",
        Outcome::Deny => "DENY",
        Outcome::Override => "OVERRIDDEN (BREAK-GLASS)",
        Outcome::Error => "DENY (no decision could be reached)",
    };
    let commit = d
        .commit
        .as_deref()
        .map(|c| format!(" @ {}", c.chars().take(12).collect::<String>()))
        .unwrap_or_default();
    format!(
        "plumb gate: {what}  {}{commit} ({}, {})",
        d.system.as_deref().unwrap_or("(no system)"),
        d.environment.as_deref().unwrap_or("no environment"),
        d.criticality
    )
}

/// Terminal text; `color` adds ANSI colours (red for deny and break-glass).
pub fn human(d: &Decision, color: bool) -> String {
    let red = |s: &str| {
        if color {
            format!("\x1b[1;31m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let green = |s: &str| {
        if color {
            format!("\x1b[1;32m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let head = headline(d);
    out.push_str(&if d.allowed() && d.break_glass.is_none() {
        green(&head)
    } else {
        red(&head)
    });
    out.push('\n');
    if let Some(e) = &d.error {
        out.push_str(&red(&format!("  error: {e}")));
        out.push('\n');
    }
    if let Some(bg) = &d.break_glass {
        out.push_str(&red(&format!(
            "  BREAK-GLASS by {}: \"{}\" overrides {}",
            bg.approver,
            bg.justification,
            if bg.overridden.is_empty() {
                "nothing (the gate passed anyway)".into()
            } else {
                bg.overridden.join(", ")
            }
        )));
        out.push('\n');
    }
    if !d.violations.is_empty() {
        out.push_str(&format!("  {} rule violations:\n", d.violations.len()));
        for v in &d.violations {
            out.push_str(&format!("  {:<16} {}\n", red(&v.id), v.msg));
            if !v.refs.is_empty() {
                out.push_str(&format!("  {:<16} refs: {}\n", "", v.refs.join("; ")));
            }
            if let Some(f) = &v.fix {
                out.push_str(&format!("  {:<16} fix: {f}\n", ""));
            }
        }
    }
    for w in &d.warnings {
        out.push_str(&format!("  warning {:<8} {}\n", w.id, w.msg));
    }
    for w in &d.waivers {
        let state = match &w.state {
            WaiverState::Active if w.covered.is_empty() => "active, unused".to_string(),
            WaiverState::Active => format!("used for {} finding(s)", w.covered.len()),
            WaiverState::Expired => "EXPIRED: not applied".into(),
            WaiverState::Invalid(r) => format!("INVALID: {r}"),
        };
        out.push_str(&format!(
            "  waiver {} ({}; owner {}, approver {}, expires {})\n",
            w.id, state, w.owner, w.approver, w.expires_at
        ));
    }
    if !d.disabled_rules.is_empty() {
        out.push_str(&format!(
            "  rules switched off by configuration: {}\n",
            d.disabled_rules.join(", ")
        ));
    }
    let f = &d.findings;
    out.push_str(&format!(
        "  findings: {} critical, {} high, {} medium, {} other active; {} waived; {} suppressed by tools\n",
        f.critical, f.high, f.medium, f.other, f.waived, f.suppressed
    ));
    if let Some(t) = d.tests {
        out.push_str(&format!(
            "  tests: {} ({} passed, {} failed, {} errors, {} skipped)",
            t.total, t.passed, t.failed, t.errors, t.skipped
        ));
        out.push_str(
            &d.coverage
                .map(|c| format!("; line coverage {c}%\n"))
                .unwrap_or_else(|| "\n".into()),
        );
    }
    out.push_str(&format!(
        "  inputs: {} files; policy {} ({})\n",
        d.inputs.len(),
        short_digest(&d.policy.digest),
        d.policy.engine
    ));
    out
}

/// Markdown for pull-request comments and step summaries.
pub fn markdown(d: &Decision) -> String {
    let mut out = format!("## {}\n\n", md_escape(&headline(d)));
    if let Some(e) = &d.error {
        out.push_str(&format!("**Error:** {}\n\n", md_escape(e)));
    }
    if let Some(bg) = &d.break_glass {
        out.push_str(&format!(
            "> [!CAUTION]\n> **Break-glass override** by {}: {}. Overridden rules: {}.\n\n",
            md_escape(&bg.approver),
            md_escape(&bg.justification),
            if bg.overridden.is_empty() {
                "none".into()
            } else {
                bg.overridden.join(", ")
            }
        ));
    }
    if !d.violations.is_empty() {
        out.push_str("| rule | what failed | legal reference | what to do |\n|---|---|---|---|\n");
        for v in &d.violations {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                v.id,
                md_escape(&v.msg),
                md_escape(&v.refs.join("; ")),
                md_escape(v.fix.as_deref().unwrap_or(""))
            ));
        }
        out.push('\n');
    }
    if !d.warnings.is_empty() {
        out.push_str("**Warnings**\n\n");
        for w in &d.warnings {
            out.push_str(&format!("- `{}` {}\n", w.id, md_escape(&w.msg)));
        }
        out.push('\n');
    }
    if !d.waivers.is_empty() {
        out.push_str("| waiver | state | owner | approver | expires |\n|---|---|---|---|---|\n");
        for w in &d.waivers {
            let state = match &w.state {
                WaiverState::Active => format!("active, {} finding(s)", w.covered.len()),
                WaiverState::Expired => "**expired**".into(),
                WaiverState::Invalid(r) => format!("**invalid**: {}", md_escape(r)),
            };
            out.push_str(&format!(
                "| {} | {state} | {} | {} | {} |\n",
                w.id,
                md_escape(&w.owner),
                md_escape(&w.approver),
                w.expires_at
            ));
        }
        out.push('\n');
    }
    let f = &d.findings;
    out.push_str(&format!(
        "Findings: {} critical, {} high, {} medium, {} other active; {} waived; {} suppressed by tools. Policy `{}`, {} inputs, evaluated at {}.\n",
        f.critical, f.high, f.medium, f.other, f.waived, f.suppressed, short_digest(&d.policy.digest), d.inputs.len(), d.now
    ));
    out
}

/// JUnit XML: one test case per rule (baseline rules always listed), failed when violated.
pub fn junit(d: &Decision) -> String {
    let mut ids: Vec<String> = BASELINE_RULES
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    for v in &d.violations {
        if !ids.contains(&v.id) {
            ids.push(v.id.clone());
        }
    }
    let failures = ids
        .iter()
        .filter(|id| d.violations.iter().any(|v| &v.id == *id))
        .count();
    let skipped = ids
        .iter()
        .filter(|id| d.disabled_rules.contains(id))
        .count();
    let errors = usize::from(d.result == Outcome::Error);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"plumb gate\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n  <testsuite name=\"plumb gate {}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" timestamp=\"{}\">\n",
        ids.len() + errors,
        xml(d.system.as_deref().unwrap_or("")),
        ids.len() + errors,
        d.now
    );
    if let Some(e) = &d.error {
        out.push_str(&format!("    <testcase classname=\"plumb.gate\" name=\"inputs and policy\"><error message=\"{}\"/></testcase>\n", xml(e)));
    }
    for id in &ids {
        out.push_str(&format!(
            "    <testcase classname=\"plumb.gate\" name=\"{}\">",
            xml(id)
        ));
        let vs: Vec<_> = d.violations.iter().filter(|v| &v.id == id).collect();
        if d.disabled_rules.contains(id) {
            out.push_str("<skipped message=\"switched off by configuration\"/>");
        } else if !vs.is_empty() {
            let body: Vec<String> = vs
                .iter()
                .map(|v| {
                    format!(
                        "{}\nrefs: {}\nfix: {}",
                        v.msg,
                        v.refs.join("; "),
                        v.fix.as_deref().unwrap_or("")
                    )
                })
                .collect();
            out.push_str(&format!(
                "<failure message=\"{}\">{}</failure>",
                xml(&vs[0].msg),
                xml(&body.join("\n\n"))
            ));
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// The first 16 characters of a digest, for display (all of a shorter one: a decision read
/// back from a server is not trusted to be well-formed).
fn short_digest(d: &str) -> &str {
    d.get(..16).unwrap_or(d)
}
