//! The gate's decision: what was decided, on which inputs, under which policy, at what time.
//! Its JSON is the predicate of the signed statement recorded in the ledger; field order and
//! list order are fixed, so the same inputs give the same bytes.

use serde::{Deserialize, Serialize};

use plumb_ingest::facts::Input;

use crate::engine::Violation;
use crate::waiver::WaiverUse;

/// Predicate type of gate decisions.
pub const PREDICATE_TYPE: &str = "https://plumbline.dev/attestation/gate-decision/v1";

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every rule passed.
    Pass,
    /// At least one rule failed.
    Deny,
    /// Rules failed, and an executive overrode them (break-glass).
    Override,
    /// No policy decision could be reached (unreadable input, bad policy, timeout): a deny.
    Error,
}

/// A break-glass override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlass {
    /// Why.
    pub justification: String,
    /// The executive who approved it.
    pub approver: String,
    /// Rule ids it overrode.
    pub overridden: Vec<String>,
}

/// Finding counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingCounts {
    /// Active critical.
    pub critical: usize,
    /// Active high.
    pub high: usize,
    /// Active medium.
    pub medium: usize,
    /// Active low, info, none or unknown.
    pub other: usize,
    /// Covered by waivers.
    pub waived: usize,
    /// Marked inactive by the tools (suppressions, VEX, baselines).
    pub suppressed: usize,
}

/// Policy identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// SHA-256 over every policy source and the configuration.
    pub digest: String,
    /// Each policy file with its SHA-256.
    pub sources: Vec<(String, String)>,
    /// Policy engine and version.
    pub engine: String,
    /// Plumbline version.
    pub plumb: String,
}

/// A gate decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The outcome.
    pub result: Outcome,
    /// Why no decision could be reached (only for `error`).
    pub error: Option<String>,
    /// Break-glass override, if one was requested and approved.
    pub break_glass: Option<BreakGlass>,
    /// System gated.
    pub system: Option<String>,
    /// Its criticality.
    pub criticality: String,
    /// Target environment.
    pub environment: Option<String>,
    /// Commit gated.
    pub commit: Option<String>,
    /// The evaluation time (an input).
    pub now: String,
    /// Failed rules.
    pub violations: Vec<Violation>,
    /// Warnings.
    pub warnings: Vec<Violation>,
    /// Baseline rules switched off by configuration.
    pub disabled_rules: Vec<String>,
    /// Waivers and how they were used.
    pub waivers: Vec<WaiverUse>,
    /// Finding counts.
    pub findings: FindingCounts,
    /// Test totals, when tests were given: (total, passed, failed, errors, skipped).
    pub tests: Option<(u64, u64, u64, u64, u64)>,
    /// Line coverage percent, when coverage was given.
    pub coverage: Option<f64>,
    /// Every input with its digest.
    pub inputs: Vec<Input>,
    /// The policy.
    pub policy: PolicyInfo,
    /// Who held the configuration that decided, and its digest (absent in decisions recorded
    /// before it was kept).
    #[serde(default)]
    pub configuration: Option<crate::held::ConfigOrigin>,
}

impl Decision {
    /// Whether the pipeline may proceed.
    pub fn allowed(&self) -> bool {
        matches!(self.result, Outcome::Pass | Outcome::Override)
    }

    /// Canonical JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("decision serialises")
    }
}
