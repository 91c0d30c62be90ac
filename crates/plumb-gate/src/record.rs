//! What a recorded decision says: its subjects and predicate. Shared by `plumb gate --record`
//! and the server's `POST /v1/gate`, so a decision recorded either way reads the same.

use plumb_ledger::hash::{hex, sha256};
use plumb_ledger::statement::{Subject, validate_digest};

use crate::Decision;

/// Largest predicate recorded inline; a larger decision is recorded with its lists cut short
/// and the whole decision attached as a blob.
pub const MAX_INLINE_DECISION: usize = 48 * 1024;

/// Name of the attachment holding a decision too large to record inline.
pub const FULL_DECISION_NAME: &str = "decision.json";

/// Name of the attachment holding the configuration a server applied.
pub const CONFIG_NAME: &str = "gate-config.json";

/// A decision ready to be signed.
#[derive(Debug, Clone)]
pub struct DecisionRecord {
    /// The commit, the given artifacts, or else the inputs taken together.
    pub subjects: Vec<Subject>,
    /// The predicate: the decision, shortened when it is too large (sign it with
    /// `plumb_records::Record::to_predicate`).
    pub predicate: Decision,
    /// The whole decision, when the predicate was shortened: attach it.
    pub full: Option<Vec<u8>>,
}

/// Subjects and predicate for `d`; `artifacts` are subjects the caller adds (built artifacts).
pub fn decision_record(d: &Decision, artifacts: Vec<Subject>) -> DecisionRecord {
    let mut subjects = Vec::new();
    if let Some(c) = &d.commit {
        // A commit id that is not a git object name is still named, by the digest of its text.
        let digest = match validate_digest("gitCommit", c) {
            Ok(()) => ("gitCommit".to_string(), c.clone()),
            Err(_) => ("sha256".to_string(), hex(&sha256(c.as_bytes()))),
        };
        subjects.push(Subject {
            name: format!("commit {c}"),
            digest: [digest].into(),
        });
    }
    subjects.extend(artifacts);
    if subjects.is_empty() {
        // Nothing names the change: the decision is about its inputs.
        let all: String = d.inputs.iter().map(|i| i.sha256.clone()).collect();
        subjects.push(Subject {
            name: "gate-inputs".into(),
            digest: [("sha256".to_string(), hex(&sha256(all.as_bytes())))].into(),
        });
    }
    let full = d.to_json();
    if full.len() <= MAX_INLINE_DECISION {
        return DecisionRecord {
            subjects,
            predicate: d.clone(),
            full: None,
        };
    }
    DecisionRecord {
        subjects,
        predicate: d.shortened(FULL_DECISION_NAME),
        full: Some(full),
    }
}
