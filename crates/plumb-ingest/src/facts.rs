//! The normalised facts model: what every parser produces and every policy reads. Its JSON
//! form is the policy `input` (documented by `plumb gate schema`).

use serde::{Deserialize, Serialize};

use crate::severity::Severity;

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// Static analysis of the code.
    Sast,
    /// A known vulnerability in a dependency or image.
    Dependency,
    /// A secret in the code or history.
    Secret,
    /// An infrastructure or container misconfiguration.
    Misconfiguration,
}

/// One finding from any scanner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Finding kind.
    pub kind: FindingKind,
    /// Tool that reported it.
    pub tool: String,
    /// Rule or check id.
    pub rule: Option<String>,
    /// Vulnerability id (CVE, GHSA, OSV id).
    pub vulnerability: Option<String>,
    /// Other ids of the same vulnerability.
    pub aliases: Vec<String>,
    /// Short description.
    pub title: String,
    /// Normalised severity.
    pub severity: Severity,
    /// The severity exactly as the tool gave it.
    pub raw_severity: String,
    /// Which field the severity came from.
    pub severity_source: String,
    /// File path, when the finding has one.
    pub path: Option<String>,
    /// Line in that file.
    pub line: Option<u64>,
    /// Affected package name.
    pub package: Option<String>,
    /// Affected package version.
    pub version: Option<String>,
    /// Package URL of the affected package.
    pub purl: Option<String>,
    /// Versions that fix it (empty when unknown).
    pub fixed_versions: Vec<String>,
    /// Stable identity across runs (the tool's fingerprint, or a digest of the identifying fields).
    pub fingerprint: String,
    /// Why the tool itself marks it inactive (suppression, VEX, baseline), if it does.
    pub suppressed: Option<String>,
    /// The waiver that covers it, set by the gate.
    pub waived_by: Option<String>,
    /// The input file it came from.
    pub input: String,
}

/// A component from an SBOM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// Name.
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Package URL.
    pub purl: Option<String>,
    /// Component type (library, application, container, ...).
    pub kind: String,
    /// Licence ids, names or expressions, as written.
    pub licenses: Vec<String>,
    /// The input file it came from.
    pub input: String,
}

/// One edge of an SBOM's dependency graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// The depending component (purl, else name, else the SBOM's reference).
    pub from: String,
    /// The component it depends on.
    pub to: String,
    /// The input file.
    pub input: String,
}

/// One SBOM document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sbom {
    /// The input file.
    pub input: String,
    /// `cyclonedx` or `spdx`.
    pub format: String,
    /// Specification version.
    pub spec_version: String,
    /// The artifact it describes, when it says.
    pub subject: Option<String>,
    /// Number of components (packages).
    pub components: usize,
    /// Number of dependency edges.
    pub dependencies: usize,
    /// When it was produced (RFC 3339), when it says.
    pub created: Option<String>,
}

/// One scanner run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scan {
    /// The input file.
    pub input: String,
    /// Tool name.
    pub tool: String,
    /// Format read.
    pub format: String,
    /// What the scan looks for.
    pub kind: FindingKind,
    /// False when the tool reports that it did not run successfully.
    pub completed: bool,
    /// Why it did not complete, in the tool's words.
    pub problems: Vec<String>,
    /// When the scan ran (RFC 3339), when the report says.
    pub scanned_at: Option<String>,
    /// Findings it reported (active or not).
    pub findings: usize,
}

/// Outcome of one test case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Passed (possibly after retries: see `flaky`).
    Passed,
    /// An assertion failed.
    Failed,
    /// The test errored.
    Error,
    /// Skipped or disabled.
    Skipped,
}

/// A test case that did not simply pass (failures, errors, skips, flaky passes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCase {
    /// Suite name.
    pub suite: String,
    /// Class name.
    pub classname: String,
    /// Test name.
    pub name: String,
    /// Final outcome.
    pub outcome: Outcome,
    /// Passed only after failing at least once.
    pub flaky: bool,
    /// First failure message.
    pub message: Option<String>,
    /// The input file.
    pub input: String,
}

/// Test results, summed over every JUnit input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tests {
    /// Distinct test cases.
    pub total: u64,
    /// Passed (including flaky passes).
    pub passed: u64,
    /// Failed.
    pub failed: u64,
    /// Errored.
    pub errors: u64,
    /// Skipped or disabled.
    pub skipped: u64,
    /// Passed after retries.
    pub flaky: u64,
    /// The cases that did not simply pass.
    pub cases: Vec<TestCase>,
}

/// Line coverage, summed over every coverage input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// Instrumented lines.
    pub lines_total: u64,
    /// Lines hit at least once.
    pub lines_covered: u64,
    /// `lines_covered / lines_total * 100`, rounded to 2 decimals; 0 when there are no lines.
    pub percent: f64,
    /// Files measured.
    pub files: u64,
}

/// The change being gated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Commit author (login or e-mail).
    #[serde(default)]
    pub author: Option<String>,
    /// Commit SHA.
    #[serde(default)]
    pub commit: Option<String>,
    /// Pull/merge request id or URL.
    #[serde(default)]
    pub pull_request: Option<String>,
    /// Pull request author, when it differs from the commit author.
    #[serde(default)]
    pub pull_request_author: Option<String>,
    /// Target environment (`production`, `staging`, ...).
    #[serde(default)]
    pub environment: Option<String>,
    /// Runbook link.
    #[serde(default)]
    pub runbook: Option<String>,
    /// Rollback (fall-back) plan link.
    #[serde(default)]
    pub rollback_plan: Option<String>,
    /// Change ticket id.
    #[serde(default)]
    pub change_id: Option<String>,
    /// Paths the change touches.
    #[serde(default)]
    pub changed_paths: Vec<String>,
}

/// An approval of the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Who approved (login).
    pub by: String,
    /// Their roles for this approval (`code-owner`, `security-reviewer`, ...).
    #[serde(default)]
    pub roles: Vec<String>,
    /// When (RFC 3339).
    pub at: String,
    /// The commit approved.
    pub commit: String,
}

/// Code owners of the changed paths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeOwners {
    /// Owners of at least one changed path (logins or teams, without `@`).
    pub owners: Vec<String>,
    /// Changed paths no rule owns.
    pub unowned_paths: Vec<String>,
}

/// One input file (the record type, shared with the gate decision that lists it).
pub use plumb_records::gate::Input;

/// Everything the gate knows about a change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Input files, in the order given.
    pub inputs: Vec<Input>,
    /// Findings from every scanner.
    pub findings: Vec<Finding>,
    /// SBOM components.
    pub components: Vec<Component>,
    /// SBOM documents.
    pub sboms: Vec<Sbom>,
    /// Dependency graph edges from SBOMs: each component (by purl, else name) and what it depends on.
    pub dependencies: Vec<Dependency>,
    /// Scanner runs.
    pub scans: Vec<Scan>,
    /// Test results (absent when no test report was given).
    pub tests: Option<Tests>,
    /// Coverage (absent when no coverage report was given).
    pub coverage: Option<Coverage>,
    /// The change.
    pub change: Option<Change>,
    /// Approvals.
    pub approvals: Vec<Approval>,
    /// Code owners of the changed paths.
    pub codeowners: Option<CodeOwners>,
    /// Infrastructure (absent when no infrastructure input was given).
    #[serde(default)]
    pub infra: Option<crate::infra::Infra>,
}
