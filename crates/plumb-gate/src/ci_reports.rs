//! The decision in the formats CI platforms read: SARIF 2.1.0 (GitHub code scanning and other
//! SARIF consumers), GitHub Actions workflow commands (annotations on the run and the pull
//! request), and GitLab's Code Quality report (the merge request widget). Each violation and
//! warning becomes one result, with its rule's description and citations, located at the file
//! and line of the finding when the input had them, or at the infrastructure resource.

use serde_json::{Value, json};

use crate::config::{BASELINE_RULES, baseline_citations};
use crate::decision::{Decision, Outcome};
use crate::engine::Violation;

/// Information URI of the tool in SARIF.
const TOOL_URI: &str = "https://plumbline.dev/docs/gate";

fn all(d: &Decision) -> impl Iterator<Item = (&Violation, bool)> {
    d.violations
        .iter()
        .map(|v| (v, true))
        .chain(d.warnings.iter().map(|v| (v, false)))
}

/// The rule's one-line description: the baseline's own, else the first message.
fn describe(id: &str, first: &Violation) -> String {
    BASELINE_RULES
        .iter()
        .find(|(r, _)| *r == id)
        .map(|(_, what)| what.to_string())
        .unwrap_or_else(|| first.msg.clone())
}

/// A stable fingerprint of a result: the rule with what it is about.
fn fingerprint(v: &Violation) -> String {
    let about = v
        .fingerprint
        .clone()
        .or_else(|| v.resource.clone())
        .unwrap_or_else(|| v.msg.clone());
    plumb_base::sha256_hex(format!("{}\0{about}", v.id).as_bytes())
}

/// The decision as a SARIF 2.1.0 log with one run.
pub fn sarif(d: &Decision) -> String {
    let mut ids: Vec<&str> = Vec::new();
    for (v, _) in all(d) {
        if !ids.contains(&v.id.as_str()) {
            ids.push(&v.id);
        }
    }
    let rules: Vec<Value> = ids
        .iter()
        .map(|id| {
            let first = all(d).map(|x| x.0).find(|v| v.id == *id);
            let (desc, refs, fix, policy) = match first {
                Some(v) => {
                    let mut refs = baseline_citations(id);
                    refs.extend(v.refs.iter().filter(|r| !refs.contains(r)).cloned().collect::<Vec<_>>());
                    (describe(id, v), refs, v.fix.clone(), v.policy.clone())
                }
                None => (id.to_string(), vec![], None, String::new()),
            };
            let help = format!(
                "{desc}.{}{}",
                if refs.is_empty() {
                    String::new()
                } else {
                    format!(" Cites {}.", refs.join("; "))
                },
                fix.map(|f| format!(" Fix: {f}.")).unwrap_or_default()
            );
            json!({
                "id": id,
                "shortDescription": {"text": desc},
                "fullDescription": {"text": help},
                "help": {"text": help, "markdown": help},
                "helpUri": TOOL_URI,
                "properties": {"tags": ["security", "compliance", "dora"], "citations": refs, "policy": policy},
            })
        })
        .collect();
    let results: Vec<Value> = all(d)
        .map(|(v, deny)| {
            let mut r = json!({
                "ruleId": v.id,
                "ruleIndex": ids.iter().position(|x| *x == v.id).unwrap_or(0),
                "level": if deny { "error" } else { "warning" },
                "message": {"text": v.msg},
                "partialFingerprints": {"plumbRule/v1": fingerprint(v)},
            });
            let mut loc = serde_json::Map::new();
            if let Some(p) = &v.path {
                let mut region = serde_json::Map::new();
                if let Some(l) = v.line.filter(|l| *l > 0) {
                    region.insert("startLine".into(), json!(l));
                }
                let mut phys = json!({"artifactLocation": {"uri": p}});
                if !region.is_empty() {
                    phys["region"] = Value::Object(region);
                }
                loc.insert("physicalLocation".into(), phys);
            }
            if let Some(res) = &v.resource {
                loc.insert(
                    "logicalLocations".into(),
                    json!([{"fullyQualifiedName": res, "kind": "resource"}]),
                );
            }
            if !loc.is_empty() {
                r["locations"] = json!([Value::Object(loc)]);
            }
            r
        })
        .collect();
    let mut invocation = json!({"executionSuccessful": d.result != Outcome::Error});
    if let Some(e) = &d.error {
        invocation["toolExecutionNotifications"] =
            json!([{"level": "error", "message": {"text": e}}]);
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "plumb gate", "informationUri": TOOL_URI, "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "invocations": [invocation],
            "results": results,
            "properties": {"outcome": outcome_name(d.result), "system": d.system, "commit": d.commit, "environment": d.environment},
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default()
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Deny => "deny",
        Outcome::Override => "override",
        Outcome::Error => "error",
    }
}

/// A value escaped for a workflow command's data part (`%`, CR and LF).
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A value escaped for a workflow command's property (also `:` and `,`).
fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The decision as GitHub Actions workflow commands: `::error` for each violation,
/// `::warning` for each warning, at the file and line when known, and a notice with the
/// outcome. Printed to standard output by a step, they annotate the run and the pull request.
pub fn github_annotations(d: &Decision) -> String {
    let mut out = String::new();
    for (v, deny) in all(d) {
        let mut props = vec![format!("title={}", gh_prop(&v.id))];
        if let Some(p) = &v.path {
            props.push(format!("file={}", gh_prop(p)));
            if let Some(l) = v.line {
                props.push(format!("line={l}"));
            }
        }
        let refs = if v.refs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", v.refs.join("; "))
        };
        out.push_str(&format!(
            "::{} {}::{}{}\n",
            if deny { "error" } else { "warning" },
            props.join(","),
            gh_data(&v.msg),
            gh_data(&refs)
        ));
    }
    out.push_str(&format!(
        "::notice title=plumb gate::{} {} violation(s), {} warning(s)\n",
        outcome_name(d.result).to_uppercase(),
        d.violations.len(),
        d.warnings.len()
    ));
    out
}

/// The decision as a GitLab Code Quality report (a JSON array of issues). Violations are
/// `major` (`blocker` for secrets), warnings `minor`. Issues without a file are placed on the
/// gate configuration's path, since GitLab needs one.
pub fn gitlab_codequality(d: &Decision, config_path: &str) -> String {
    let issues: Vec<Value> = all(d)
        .map(|(v, deny)| {
            let severity = match (deny, v.id.as_str()) {
                (true, "DORA-SECRET-001") => "blocker",
                (true, _) => "major",
                (false, _) => "minor",
            };
            let description = match &v.resource {
                Some(r) if !v.msg.contains(r.as_str()) => format!("{} ({}): {r}", v.msg, v.id),
                _ => format!("{} ({})", v.msg, v.id),
            };
            json!({
                "description": description,
                "check_name": v.id,
                "fingerprint": fingerprint(v),
                "severity": severity,
                "location": {
                    "path": v.path.clone().unwrap_or_else(|| config_path.to_string()),
                    "lines": {"begin": v.line.unwrap_or(1)},
                },
            })
        })
        .collect();
    serde_json::to_string_pretty(&issues).unwrap_or_default()
}
