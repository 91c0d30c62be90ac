//! Gate configuration: one YAML (or JSON) file so the pipeline step is one line. Paths in it
//! are relative to the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::GateError;

/// Every baseline rule id, with what it checks (for `plumb gate policy show` and validation).
pub const BASELINE_RULES: &[(&str, &str)] = &[
    (
        "DORA-TEST-001",
        "a test report with at least one test case is present",
    ),
    ("DORA-TEST-002", "all tests pass"),
    (
        "DORA-VULN-001",
        "no unwaived critical or high finding from SAST, dependency or misconfiguration scanning",
    ),
    ("DORA-SCAN-001", "every scanner completed successfully"),
    ("DORA-SECRET-001", "no unwaived secret"),
    (
        "DORA-COV-001",
        "line coverage at or above the threshold (a house policy, 80 % by default)",
    ),
    (
        "DORA-CHG-002",
        "change metadata (author, commit) is present",
    ),
    (
        "DORA-SOD-001",
        "a code-owner approval by someone other than the author",
    ),
    (
        "DORA-SOD-002",
        "a security-reviewer approval by someone other than the author",
    ),
    (
        "DORA-CHG-001",
        "production deployments link a runbook and a rollback plan",
    ),
    (
        "DORA-SBOM-001",
        "an SBOM is present for the deployable artifact",
    ),
    (
        "DORA-SCAN-002",
        "systems supporting critical or important functions have a vulnerability scan no older than the maximum age",
    ),
    ("DORA-INFRA-001", "data stores are encrypted at rest"),
    (
        "DORA-INFRA-002",
        "no data store reachable from the internet, no resource open to it on all ports",
    ),
    (
        "DORA-INFRA-004",
        "data stores of systems supporting critical or important functions have versioning or backups",
    ),
    (
        "DORA-INFRA-005",
        "personal data only in the allowed regions (a house policy: allowed_regions)",
    ),
    (
        "DORA-INFRA-006",
        "every data store in a plan carries a data classification tag",
    ),
    (
        "DORA-INFRA-007",
        "no unmasked production data outside production",
    ),
    (
        "DORA-INFRA-008",
        "deleting or replacing a data store of a critical system has the approvals of a code change",
    ),
    (
        "DORA-K8S-001",
        "no privileged container, host namespace or host path",
    ),
    ("DORA-K8S-002", "containers do not run as root"),
    (
        "DORA-K8S-003",
        "images by digest for systems supporting critical or important functions (a house policy)",
    ),
    (
        "DORA-K8S-004",
        "containers have CPU and memory limits (a house policy)",
    ),
    (
        "DORA-RES-003",
        "with require_resilience_test: every critical or important function the system supports has a passed resilience test within the period, its recovery within the RTO",
    ),
];

/// The articles a baseline rule cites, read from the policy itself (every `"refs"` of every
/// object with that id), in order of first appearance.
pub fn baseline_citations(id: &str) -> Vec<String> {
    let marker = format!("\"id\": \"{id}\"");
    let mut out: Vec<String> = Vec::new();
    for line in crate::engine::BASELINE
        .lines()
        .filter(|l| l.contains(&marker))
    {
        let Some((_, rest)) = line.split_once("\"refs\": [") else {
            continue;
        };
        let list = rest.split(']').next().unwrap_or("");
        for r in list.split(',') {
            let r = r.trim().trim_matches('"').to_string();
            if !r.is_empty() && !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

/// Whether a baseline rule's numbers are the bank's house policy rather than the law's.
pub fn is_house_policy(id: &str) -> bool {
    BASELINE_RULES
        .iter()
        .any(|(r, what)| *r == id && what.contains("house policy"))
}

/// Per-rule settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// False switches the rule off (recorded in every decision).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Inputs listed in the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// SARIF files.
    #[serde(default)]
    pub sast: Vec<PathBuf>,
    /// SBOMs.
    #[serde(default)]
    pub sbom: Vec<PathBuf>,
    /// Vulnerability reports.
    #[serde(default)]
    pub vulns: Vec<PathBuf>,
    /// Secret scanner reports.
    #[serde(default)]
    pub secrets: Vec<PathBuf>,
    /// JUnit files.
    #[serde(default)]
    pub tests: Vec<PathBuf>,
    /// Coverage files.
    #[serde(default)]
    pub coverage: Vec<PathBuf>,
    /// Change metadata.
    #[serde(default)]
    pub change: Option<PathBuf>,
    /// Approvals.
    #[serde(default)]
    pub approvals: Option<PathBuf>,
    /// CODEOWNERS.
    #[serde(default)]
    pub codeowners: Option<PathBuf>,
    /// Terraform/OpenTofu plan JSON or configuration and Kubernetes manifests (a directory
    /// stands for its `.tf` files, read as one configuration, and its `.yaml`/`.yml` files).
    #[serde(default)]
    pub infra: Vec<PathBuf>,
}

/// The gate configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// System (service) being gated.
    #[serde(default)]
    pub system: Option<String>,
    /// Criticality of the functions it supports: critical, important or none.
    #[serde(default = "none")]
    pub criticality: String,
    /// Target environment.
    #[serde(default)]
    pub environment: Option<String>,
    /// Minimum line coverage in percent.
    #[serde(default = "default_coverage")]
    pub coverage_threshold: f64,
    /// Maximum age of the latest vulnerability scan, for critical or important systems.
    #[serde(default = "default_scan_age")]
    pub max_scan_age_days: u32,
    /// Whether an SBOM is required (deployable artifacts).
    #[serde(default = "yes")]
    pub require_sbom: bool,
    /// Approval roles that count as code owner.
    #[serde(default = "default_code_owner_roles")]
    pub code_owner_roles: Vec<String>,
    /// Approval roles that count as security reviewer.
    #[serde(default = "default_security_roles")]
    pub security_reviewer_roles: Vec<String>,
    /// People who may approve a break-glass override.
    #[serde(default)]
    pub executives: Vec<String>,
    /// Longest a waiver may run, in days.
    #[serde(default = "default_waiver_days")]
    pub max_waiver_days: u32,
    /// Waiver files.
    #[serde(default)]
    pub waivers: Vec<PathBuf>,
    /// The user's own Rego policy files or directories.
    #[serde(default)]
    pub policies: Vec<PathBuf>,
    /// Baseline rule settings by id.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleConfig>,
    /// Inputs.
    #[serde(default)]
    pub inputs: Inputs,
    /// Record the decision in the evidence store.
    #[serde(default)]
    pub record: bool,
    /// Policy evaluation time limit in milliseconds.
    #[serde(default = "default_timeout")]
    pub policy_timeout_ms: u64,
    /// Regions where the system's personal data may be stored (cloud region names, e.g.
    /// eu-central-1, europe-west3); empty: not checked. House policy, from the bank's data
    /// protection assessment.
    #[serde(default)]
    pub allowed_regions: Vec<String>,
    /// The system handles personal data (the model's data sensitivity says so).
    #[serde(default)]
    pub personal_data: bool,
    /// What the architecture model says about each system a plan or manifest names through its
    /// `plumb:system` tag: the infrastructure rules judge a tagged resource by its own system's
    /// criticality and personal data, an untagged one by the gated system's. Filled from the
    /// model by `plumb gate --model`, or written here.
    #[serde(default)]
    pub systems: BTreeMap<String, SystemFacts>,
    /// Require, for a system supporting critical or important functions, a passed resilience
    /// test of each function within `resilience_max_age_days` whose recovery is within the RTO
    /// (DORA-RES-003). Off by default: it needs the recorded tests and the model.
    #[serde(default)]
    pub require_resilience_test: bool,
    /// How old the last passed resilience test may be, with `require_resilience_test`.
    #[serde(default = "default_resilience_age")]
    pub resilience_max_age_days: u32,
    /// The resilience state of each critical or important function the gated system supports,
    /// filled by `plumb gate --model` from the store's resilience tests (on a server, from its
    /// own store and the latest recorded model); `None` when nobody filled it.
    #[serde(default)]
    pub resilience: Option<Vec<FunctionResilience>>,
    /// The post-deployment watch (`plumb watch --config` reads it from this file); the gate
    /// itself ignores it. See docs/resilience.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<serde_json::Value>,
}

/// The resilience state of one function, as `plumb resilience status` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionResilience {
    /// The function's name.
    pub name: String,
    /// `ok`, `no_test`, `stale`, `failed` or `over_rto`.
    pub state: String,
    /// Why, in a sentence.
    pub explanation: String,
}

fn default_resilience_age() -> u32 {
    365
}

/// One system's facts from the architecture model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemFacts {
    /// `critical`, `important` or `none`: the highest criticality of the functions depending on it.
    pub criticality: String,
    /// It accesses personal data.
    #[serde(default)]
    pub personal_data: bool,
}

fn none() -> String {
    "none".into()
}
fn default_coverage() -> f64 {
    80.0
}
fn default_scan_age() -> u32 {
    7
}
fn default_code_owner_roles() -> Vec<String> {
    vec!["code-owner".into()]
}
fn default_security_roles() -> Vec<String> {
    vec!["security-reviewer".into()]
}
fn default_waiver_days() -> u32 {
    90
}
/// The longest a policy evaluation may run, whatever a configuration asks: a gate that takes
/// longer is stuck, and the evaluation holds a worker thread.
pub const MAX_POLICY_TIMEOUT_MS: u64 = 10_000;

fn default_timeout() -> u64 {
    2000
}

impl Default for GateConfig {
    fn default() -> Self {
        yaml_serde::from_str("{}").expect("defaults")
    }
}

impl GateConfig {
    /// Reads a configuration file and makes its paths relative to the current directory.
    pub fn load(path: &Path) -> Result<Self, GateError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| GateError::Usage(format!("{}: {e}", path.display())))?;
        let mut c = Self::parse(&path.display().to_string(), &text)?;
        let base = path.parent().unwrap_or(Path::new(""));
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        for list in [
            &mut c.waivers,
            &mut c.policies,
            &mut c.inputs.sast,
            &mut c.inputs.sbom,
            &mut c.inputs.vulns,
            &mut c.inputs.secrets,
            &mut c.inputs.tests,
            &mut c.inputs.coverage,
            &mut c.inputs.infra,
        ] {
            list.iter_mut().for_each(fix);
        }
        for p in [
            &mut c.inputs.change,
            &mut c.inputs.approvals,
            &mut c.inputs.codeowners,
        ]
        .into_iter()
        .flatten()
        {
            fix(p);
        }
        c.validate()?;
        Ok(c)
    }

    /// Parses a configuration's text (`name` for messages) without resolving its paths, and
    /// checks it.
    pub fn parse(name: &str, text: &str) -> Result<Self, GateError> {
        let c: GateConfig =
            yaml_serde::from_str(text).map_err(|e| GateError::Usage(format!("{name}: {e}")))?;
        c.validate()?;
        Ok(c)
    }

    /// Checks values that serde cannot.
    pub fn validate(&self) -> Result<(), GateError> {
        if plumb_base::Criticality::from_name(&self.criticality).is_none() {
            return Err(GateError::Usage(format!(
                "criticality {:?} must be critical, important or none",
                self.criticality
            )));
        }
        if !(1..=MAX_POLICY_TIMEOUT_MS).contains(&self.policy_timeout_ms) {
            return Err(GateError::Usage(format!(
                "policy_timeout_ms must be between 1 and {MAX_POLICY_TIMEOUT_MS}, got {}",
                self.policy_timeout_ms
            )));
        }
        if !(0.0..=100.0).contains(&self.coverage_threshold) {
            return Err(GateError::Usage(
                "coverage_threshold must be between 0 and 100".into(),
            ));
        }
        for id in self.rules.keys() {
            if !BASELINE_RULES.iter().any(|(r, _)| r == id) {
                return Err(GateError::Usage(format!(
                    "rules: {id} is not a baseline rule (see `plumb gate policy show`)"
                )));
            }
        }
        Ok(())
    }

    /// Ids of switched-off baseline rules.
    pub fn disabled(&self) -> Vec<String> {
        self.rules
            .iter()
            .filter(|(_, r)| !r.enabled)
            .map(|(id, _)| id.clone())
            .collect()
    }
}
