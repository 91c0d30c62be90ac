//! The deployment record: a change reached an environment. Written by `plumb demo` and by the
//! generated pipelines' `ci/record-deployment.sh` (through `plumb record`); read by the incident
//! linker, `plumb drift`, the UI's deployment page and, next, the delivery measures.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Record;

/// How a deployment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It reached the environment (records without a status are successful deployments).
    #[default]
    #[serde(alias = "success")]
    Succeeded,
    /// It did not.
    #[serde(alias = "failure")]
    Failed,
    /// It reached the environment and was taken back.
    RolledBack,
}

/// Why a deployment was made: the planned flow of changes, or to undo or repair a failed
/// deployment (DORA's rework: unplanned deployments that fix something in production).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The planned flow of changes (records without a kind are planned).
    #[default]
    Planned,
    /// A fix deployed forward for a failed deployment.
    FixForward,
    /// A previous version deployed again to undo a failed deployment.
    Rollback,
}

impl ChangeKind {
    /// Whether it is the default (so the record leaves it out).
    pub fn is_planned(&self) -> bool {
        *self == ChangeKind::Planned
    }
}

/// A commit a deployment shipped, with when it was committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShippedCommit {
    /// The commit id.
    pub sha: String,
    /// Its commit time (RFC 3339), when known; lead time is measured from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// The predicate of a deployment record; its subject is the deployed commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Deployment {
    /// The environment it reached, e.g. `production`.
    pub environment: String,
    /// How it ended.
    #[serde(default, alias = "result")]
    pub status: Status,
    /// The change ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
    /// The log index of the gate decision that released it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_decision: Option<u64>,
    /// Where the runbook is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    /// Where the rollback plan is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_plan: Option<String>,
    /// The commits it shipped since the previous successful production deployment of the
    /// same system, with their commit times (the delivery measures' lead time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<ShippedCommit>,
    /// Why it was made.
    #[serde(default, skip_serializing_if = "ChangeKind::is_planned")]
    pub change: ChangeKind,
    /// The log index of the failed deployment it undoes or repairs (for a rollback or a
    /// fix-forward).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedies: Option<u64>,
    /// When it was deployed (RFC 3339), when that is not when it was recorded: deployments
    /// imported from history. The delivery measures use it instead of the record's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_at: Option<String>,
    /// Set on deployments recorded from history by `plumb metrics import`: how they were
    /// found (e.g. `csv deployments.csv, commits from git`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<String>,
}

impl Record for Deployment {
    const PREDICATE_TYPE: &'static str = "https://plumbline.dev/attestation/deployment/v1";
    const NAME: &'static str = "deployment";
}

impl Deployment {
    /// A successful deployment to `environment`.
    pub fn new(environment: &str) -> Self {
        Deployment {
            environment: environment.to_string(),
            status: Status::Succeeded,
            change_id: None,
            gate_decision: None,
            runbook: None,
            rollback_plan: None,
            commits: Vec::new(),
            change: ChangeKind::Planned,
            remedies: None,
            deployed_at: None,
            imported: None,
        }
    }

    /// Whether it shipped its change: failed deployments did not, rolled-back ones did (and
    /// were taken back, which is itself evidence).
    pub fn shipped(&self) -> bool {
        self.status != Status::Failed
    }

    /// Whether it reached production (`production` or `prod`, any case).
    pub fn is_production(&self) -> bool {
        let e = self.environment.to_ascii_lowercase();
        e == "production" || e == "prod"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_round_trip_and_old_shapes_still_read() {
        let d = Deployment {
            change_id: Some("CHG-1".into()),
            gate_decision: Some(7),
            ..Deployment::new("production")
        };
        let v = d.to_predicate();
        assert_eq!(Deployment::from_predicate(&v).unwrap(), d);
        assert_eq!(v["status"], "succeeded");
        // What the pipelines of the first wave wrote: no status (successful), or "result".
        let old =
            Deployment::from_predicate(&json!({"environment": "production", "runbook": "r.md"}))
                .unwrap();
        assert_eq!(old.status, Status::Succeeded);
        let failed =
            Deployment::from_predicate(&json!({"environment": "staging", "result": "failure"}))
                .unwrap();
        assert!(!failed.shipped() && !failed.is_production());
        // A fix-forward with its commits: the defaults are left out, the rest kept.
        let fix = Deployment {
            commits: vec![ShippedCommit {
                sha: "ab".repeat(20),
                time: Some("2026-11-30T09:00:00Z".into()),
            }],
            change: ChangeKind::FixForward,
            remedies: Some(12),
            ..Deployment::new("production")
        };
        let v = fix.to_predicate();
        assert_eq!(v["change"], "fix_forward");
        assert_eq!(Deployment::from_predicate(&v).unwrap(), fix);
        assert!(
            Deployment::new("prod")
                .to_predicate()
                .get("change")
                .is_none()
        );
    }

    #[test]
    fn records_that_do_not_fit_are_refused_with_the_field() {
        for (v, says) in [
            (json!({}), "environment"),
            (json!({"environment": 3}), "string"),
            (json!({"environment": "prod", "status": "maybe"}), "maybe"),
            (json!({"environment": "prod", "gate_decision": -1}), "-1"),
            (json!([]), "deployment"),
        ] {
            let e = Deployment::from_predicate(&v).unwrap_err();
            assert!(e.contains(says) && e.contains("deployment"), "{v}: {e}");
        }
    }

    /// The published schema is the type's: regenerate with
    /// `PLUMB_UPDATE_SCHEMAS=1 cargo test -p plumb-records`.
    #[test]
    fn the_published_schemas_are_the_types() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas");
        for (name, _, schema) in crate::schemas() {
            let path = dir.join(format!("{name}.schema.json"));
            let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
            if std::env::var("PLUMB_UPDATE_SCHEMAS").as_deref() == Ok("1") {
                std::fs::write(&path, &text).unwrap();
            }
            let published = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(
                published,
                text,
                "{} is stale: PLUMB_UPDATE_SCHEMAS=1 cargo test -p plumb-records",
                path.display()
            );
        }
    }
}
