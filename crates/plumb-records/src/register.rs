//! The register-package record: a Register of Information package that `plumb register build
//! --record` wrote (its file name and SHA-256, whose register it is, what it holds) and what
//! `check` found in it. Written and read by `plumb_register::evidence`; the UI's Third parties
//! page shows the latest one.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Record;

impl Record for RegisterPackage {
    const PREDICATE_TYPE: &'static str = "https://plumbline.dev/attestation/register-package/v1";
    const NAME: &'static str = "register-package";
}

/// One finding of the check, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageFinding {
    /// The rule (`807`, `v8866_m`, `LEI`, `PLUMB-ROI-002`).
    pub rule: String,
    /// `blocking`, `warning` or `advice`.
    pub severity: String,
    /// Where: template, row, column code.
    pub place: String,
    /// What is wrong.
    pub message: String,
}

/// A built package and its check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPackage {
    /// The zip's name, as the authority receives it.
    pub file_name: String,
    /// Its SHA-256.
    pub sha256: String,
    /// LEI of the entity maintaining the register.
    pub entity: String,
    /// `IND` or `CON`.
    pub consolidation: String,
    /// The reference date.
    pub reference_date: String,
    /// When it was built (RFC 3339, UTC).
    pub built_at: String,
    /// Rows per template.
    pub rows: BTreeMap<String, usize>,
    /// Findings that would make the authority reject it.
    pub blocking: usize,
    /// EBA validation-rule warnings.
    pub warnings: usize,
    /// Plumbline's advice.
    pub advice: usize,
    /// The findings (at most 500; the counts are complete).
    pub findings: Vec<PackageFinding>,
}
