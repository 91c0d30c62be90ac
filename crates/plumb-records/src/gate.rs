//! The gate decision record: what was decided, on which inputs, under which policy and
//! configuration, at what time. `plumb_gate` builds it (and re-exports these types); `plumb gate
//! --record` and the server's `POST /v1/gate` record it; the UI, the overview and, next, the
//! delivery measures read it. Field order and list order are fixed, so the same inputs give the
//! same bytes.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::Record;

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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

impl Outcome {
    /// The name as recorded: `pass`, `deny`, `override` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Deny => "deny",
            Outcome::Override => "override",
            Outcome::Error => "error",
        }
    }
}

/// A break-glass override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BreakGlass {
    /// Why.
    pub justification: String,
    /// The executive who approved it.
    pub approver: String,
    /// Rule ids it overrode.
    pub overridden: Vec<String>,
}

/// Finding counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyInfo {
    /// SHA-256 over every policy source and the configuration.
    pub digest: String,
    /// Each policy file with its SHA-256, as `[name, digest]`.
    pub sources: Vec<(String, String)>,
    /// Policy engine and version.
    pub engine: String,
    /// Plumbline version.
    pub plumb: String,
}

/// One deny or warn result of a policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Violation {
    /// Rule id.
    pub id: String,
    /// What is wrong.
    pub msg: String,
    /// Legal references.
    pub refs: Vec<String>,
    /// What to do.
    pub fix: Option<String>,
    /// Finding fingerprint, when the rule is about one finding.
    pub fingerprint: Option<String>,
    /// Package that produced it.
    pub policy: String,
    /// The file it is about, when the input says (a code finding's path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The line in that file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The infrastructure resource it is about (a Terraform address or `Kind/namespace/name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// A waiver's state at the decision's time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", tag = "state", content = "reason")]
pub enum WaiverState {
    /// Applies.
    Active,
    /// Past its expiry.
    Expired,
    /// Never applies, for the reason given.
    Invalid(String),
}

/// How one waiver was used in a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WaiverUse {
    /// Waiver id.
    pub id: String,
    /// Owner.
    pub owner: String,
    /// Approver.
    pub approver: String,
    /// Expiry.
    pub expires_at: String,
    /// State at `now`.
    #[serde(flatten)]
    pub state: WaiverState,
    /// Fingerprints of the findings it covered.
    pub covered: Vec<String>,
}

/// One input file of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Input {
    /// Path as given.
    pub path: String,
    /// What it was given as (sast, sbom, ...).
    pub kind: String,
    /// Format recognised.
    pub format: String,
    /// SHA-256 of its bytes (hex).
    pub sha256: String,
}

/// Where the configuration that decided came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConfigOrigin {
    /// `server` when the server applied its own configuration, `client` when the caller's
    /// configuration was used (a local `plumb gate`).
    pub held_by: String,
    /// The file it came from (a file name in the server's directory, or the caller's path), or
    /// `built-in default`.
    pub source: String,
    /// SHA-256 over the configuration, every policy and every waiver file, so an auditor can
    /// tell two decisions made under the same rules from two made under different ones.
    pub digest: String,
}

/// Test totals of the change's test reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TestTotals {
    /// Test cases.
    pub total: u64,
    /// Passed.
    pub passed: u64,
    /// Failed.
    pub failed: u64,
    /// Ended in an error.
    pub errors: u64,
    /// Skipped.
    pub skipped: u64,
}

impl<'de> Deserialize<'de> for TestTotals {
    /// Reads the named form, and the list of five numbers decisions recorded before it
    /// (`[total, passed, failed, errors, skipped]`).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Named {
            total: u64,
            passed: u64,
            failed: u64,
            errors: u64,
            skipped: u64,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Named(Named),
            Listed(u64, u64, u64, u64, u64),
        }
        Ok(match Either::deserialize(d)? {
            Either::Named(n) => TestTotals {
                total: n.total,
                passed: n.passed,
                failed: n.failed,
                errors: n.errors,
                skipped: n.skipped,
            },
            Either::Listed(total, passed, failed, errors, skipped) => TestTotals {
                total,
                passed,
                failed,
                errors,
                skipped,
            },
        })
    }
}

/// Reads `inputs`: the list, or the bare count that shortened decisions recorded before the
/// list was kept whole (read as no inputs; the attached full decision has them).
fn inputs_or_count<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Input>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<Input>),
        Count(#[allow(dead_code)] u64),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(l) => l,
        Either::Count(_) => Vec::new(),
    })
}

/// A gate decision: the predicate of the recorded statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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
    /// The evaluation time (an input), RFC 3339.
    pub now: String,
    /// Failed rules (the first 50 when the record was shortened; see `violations_total`).
    pub violations: Vec<Violation>,
    /// Warnings (the first 50 when the record was shortened).
    pub warnings: Vec<Violation>,
    /// Baseline rules switched off by configuration.
    pub disabled_rules: Vec<String>,
    /// Waivers and how they were used.
    pub waivers: Vec<WaiverUse>,
    /// Finding counts.
    pub findings: FindingCounts,
    /// Test totals, when tests were given.
    pub tests: Option<TestTotals>,
    /// Line coverage percent, when coverage was given.
    pub coverage: Option<f64>,
    /// Every input with its digest.
    #[serde(deserialize_with = "inputs_or_count")]
    pub inputs: Vec<Input>,
    /// The policy.
    pub policy: PolicyInfo,
    /// Who held the configuration that decided, and its digest (absent in decisions recorded
    /// before it was kept).
    #[serde(default)]
    pub configuration: Option<ConfigOrigin>,
    /// How many violations there were, when the record lists only the first ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violations_total: Option<usize>,
    /// How many warnings there were, when the record lists only the first ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings_total: Option<usize>,
    /// Set when the record was shortened: where the whole decision is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

impl Record for Decision {
    const PREDICATE_TYPE: &'static str = "https://plumbline.dev/attestation/gate-decision/v1";
    const NAME: &'static str = "gate-decision";
}

/// Most violations and warnings a shortened record lists.
pub const SHORTENED_LIST: usize = 50;

impl Decision {
    /// Whether the pipeline may proceed.
    pub fn allowed(&self) -> bool {
        matches!(self.result, Outcome::Pass | Outcome::Override)
    }

    /// Canonical JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// The same decision with its violation and warning lists cut to their first
    /// [`SHORTENED_LIST`], their totals kept, and `truncated` saying where the whole one is.
    pub fn shortened(&self, whole_at: &str) -> Decision {
        let mut d = self.clone();
        d.violations_total = Some(self.violations.len());
        d.warnings_total = Some(self.warnings.len());
        d.violations.truncate(SHORTENED_LIST);
        d.warnings.truncate(SHORTENED_LIST);
        d.truncated = Some(format!("the full decision is attached as {whole_at}"));
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decision() -> Decision {
        Decision {
            result: Outcome::Deny,
            error: None,
            break_glass: None,
            system: Some("payments".into()),
            criticality: "critical".into(),
            environment: Some("production".into()),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            now: "2026-11-30T12:00:00Z".into(),
            violations: (0..60)
                .map(|i| Violation {
                    id: format!("DORA-X-{i:03}"),
                    msg: "m".into(),
                    refs: vec!["DORA Art. 9".into()],
                    fix: None,
                    fingerprint: None,
                    policy: "plumb.baseline".into(),
                    path: None,
                    line: None,
                    resource: None,
                })
                .collect(),
            warnings: vec![],
            disabled_rules: vec!["DORA-COV-001".into()],
            waivers: vec![WaiverUse {
                id: "W-1".into(),
                owner: "o".into(),
                approver: "a".into(),
                expires_at: "2027-01-01".into(),
                state: WaiverState::Invalid("approver is the owner".into()),
                covered: vec![],
            }],
            findings: FindingCounts::default(),
            tests: Some(TestTotals {
                total: 10,
                passed: 8,
                failed: 1,
                errors: 1,
                skipped: 0,
            }),
            coverage: Some(81.5),
            inputs: vec![Input {
                path: "junit.xml".into(),
                kind: "tests".into(),
                format: "junit".into(),
                sha256: "ab".repeat(32),
            }],
            policy: PolicyInfo {
                digest: "sha256:00".into(),
                sources: vec![("plumb/baseline.rego".into(), "sha256:11".into())],
                engine: "regorus".into(),
                plumb: "0.1.0".into(),
            },
            configuration: None,
            violations_total: None,
            warnings_total: None,
            truncated: None,
        }
    }

    #[test]
    fn decisions_round_trip_and_old_shapes_still_read() {
        let d = decision();
        let v = d.to_predicate();
        assert_eq!(Decision::from_predicate(&v).unwrap(), d);
        assert_eq!(v["tests"]["failed"], 1);
        assert_eq!(v["result"], "deny");
        assert!(v.get("truncated").is_none());
        // Recorded before: tests as five numbers, and a shortened record's inputs as a count.
        let mut old = v.clone();
        old["tests"] = json!([10, 8, 1, 1, 0]);
        old["inputs"] = json!(1);
        let read = Decision::from_predicate(&old).unwrap();
        assert_eq!(read.tests, d.tests);
        assert!(read.inputs.is_empty());
    }

    #[test]
    fn shortened_records_keep_their_totals() {
        let s = decision().shortened("decision.json");
        assert_eq!(s.violations.len(), SHORTENED_LIST);
        assert_eq!(s.violations_total, Some(60));
        assert_eq!(s.inputs.len(), 1);
        let back = Decision::from_predicate(&s.to_predicate()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn records_that_do_not_fit_are_refused_with_the_field() {
        let mut v = decision().to_predicate();
        v["result"] = json!("maybe");
        let e = Decision::from_predicate(&v).unwrap_err();
        assert!(e.contains("gate-decision") && e.contains("maybe"), "{e}");
        let mut v = decision().to_predicate();
        v["tests"] = json!([1, 2]);
        assert!(Decision::from_predicate(&v).is_err());
        let mut v = decision().to_predicate();
        v.as_object_mut().unwrap().remove("policy");
        let e = Decision::from_predicate(&v).unwrap_err();
        assert!(e.contains("policy"), "{e}");
    }
}
