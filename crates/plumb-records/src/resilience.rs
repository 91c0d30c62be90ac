//! Resilience test evidence (DORA Arts. 24-25): a failover drill, a Chaos Toolkit experiment or
//! a LitmusChaos run, with what it exercised and the recovery it measured, recorded so the
//! testing programme's results are evidence and can be checked against each function's RTO.
//! Written by `plumb resilience record`, read by `plumb resilience status`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Record;

impl Record for ResilienceTest {
    const PREDICATE_TYPE: &'static str = "https://plumbline.dev/attestation/resilience-test/v1";
    const NAME: &'static str = "resilience-test";
}

/// How a test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestOutcome {
    /// The system held (or recovered) as the test expected.
    Passed,
    /// It did not: the steady state deviated, the verdict failed, or recovery was not reached.
    Failed,
    /// The test was stopped before it ended.
    Aborted,
    /// Only the plan is known (a chaos engine without a result): not evidence of a test run.
    Planned,
}

/// One resilience test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResilienceTest {
    /// What produced the record: `chaos-toolkit`, `litmus` or `drill`.
    pub source: String,
    /// What was tested.
    pub title: String,
    /// When it started (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// How it ended.
    pub outcome: TestOutcome,
    /// The measured recovery time in minutes (from the failure to regular service), when the
    /// test measured one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_minutes: Option<f64>,
    /// Systems (pipeline service names) it exercised.
    #[serde(default)]
    pub systems: Vec<String>,
    /// Critical or important functions depending on them, from the architecture model.
    #[serde(default)]
    pub functions: Vec<String>,
    /// Who ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_by: Option<String>,
    /// Why the outcome is what it is, sentence by sentence.
    #[serde(default)]
    pub detail: Vec<String>,
}
