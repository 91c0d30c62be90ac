//! Which deployments may have caused an incident. Two methods, and the link records which:
//!
//! - **explicit**: the alert or the incident manager names a commit (or a deployment's ledger
//!   entry); every production deployment of that commit before detection is linked;
//! - **heuristic**: for each affected system (the services the alert names, and the systems
//!   they depend on according to the architecture model), the last production deployment that
//!   finished before detection.

use serde::{Deserialize, Serialize};

/// A deployment as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// Ledger index of the deployment record.
    pub entry: u64,
    /// System (service) deployed.
    pub system: String,
    /// Commit deployed.
    pub commit: Option<String>,
    /// When it was recorded (RFC 3339).
    pub time: String,
    /// Environment.
    pub environment: String,
    /// Change id.
    pub change_id: Option<String>,
    /// Ledger index of the gate decision it names.
    pub gate_decision: Option<u64>,
    /// Whether it reached production (the record's own rule).
    pub production: bool,
}

pub use plumb_records::incident::Link;

fn link(d: &Deployment, method: &str, reason: String) -> Link {
    Link {
        entry: d.entry,
        system: d.system.clone(),
        commit: d.commit.clone(),
        deployed_at: d.time.clone(),
        change_id: d.change_id.clone(),
        gate_decision: d.gate_decision,
        method: method.into(),
        reason,
    }
}

fn production(d: &Deployment) -> bool {
    d.production
}

/// Links for an incident detected at `detected_at` (RFC 3339 UTC, so strings compare in time
/// order). `named` are commits or entry numbers named explicitly; `affected` are systems with
/// the reason each is affected.
pub fn links(
    deployments: &[Deployment],
    detected_at: &str,
    named: &[String],
    affected: &[(String, String)],
) -> Vec<Link> {
    // Times compared as instants: ledger times carry milliseconds, alert times do not.
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    let detected = at(detected_at);
    let before: Vec<&Deployment> = deployments
        .iter()
        .filter(|d| production(d) && at(&d.time).is_some_and(|t| Some(t) <= detected))
        .collect();
    let mut out: Vec<Link> = Vec::new();
    for n in named {
        for d in &before {
            // `get`, not slicing: a stored commit is the store's text, and a prefix cut inside
            // one of its characters must not panic.
            let hit = d.commit.as_deref().is_some_and(|c| {
                n.len() >= 7 && c.get(..n.len()).is_some_and(|p| p.eq_ignore_ascii_case(n))
            }) || n.parse::<u64>().is_ok_and(|e| e == d.entry);
            if hit && !out.iter().any(|l| l.entry == d.entry) {
                out.push(link(d, "explicit", format!("named as the cause: {n}")));
            }
        }
    }
    if !out.is_empty() {
        return out;
    }
    for (system, why) in affected {
        if let Some(d) = before
            .iter()
            .filter(|d| &d.system == system)
            .max_by(|a, b| a.time.cmp(&b.time).then(a.entry.cmp(&b.entry)))
            && !out.iter().any(|l| l.entry == d.entry)
        {
            out.push(link(
                d,
                "heuristic",
                format!("last production deployment of {system} before detection; {why}"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployed(entry: u64, commit: &str) -> Deployment {
        Deployment {
            entry,
            system: "payments".into(),
            commit: Some(commit.into()),
            time: "2026-11-30T10:00:00.000Z".into(),
            environment: "production".into(),
            change_id: None,
            gate_decision: None,
            production: true,
        }
    }

    #[test]
    fn a_named_commit_matches_by_prefix_and_stored_text_never_panics() {
        let deps = [
            deployed(1, "abcdef0123456789"),
            // Stored text is hostile: seven bytes of it end inside a character.
            deployed(2, "abcdeféé"),
        ];
        let at = "2026-11-30T11:00:00Z";
        let found = links(&deps, at, &["ABCDEF0".into()], &[]);
        assert_eq!(found.iter().map(|l| l.entry).collect::<Vec<_>>(), [1]);
        let found = links(&deps, at, &["abcdefé".into()], &[]);
        assert_eq!(found.iter().map(|l| l.entry).collect::<Vec<_>>(), [2]);
        // Deployed after detection: not a cause.
        assert!(links(&deps, "2026-11-30T09:00:00Z", &["abcdef0".into()], &[]).is_empty());
    }
}
