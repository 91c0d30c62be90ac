//! The post-deployment verification record: what `plumb watch` saw after a deployment (every
//! sample of every query, each judged), the verdict it reached (Successful, Failed or
//! Inconclusive, as Argo Rollouts' analysis), and the deployment it verified. Written by
//! `plumb watch` through `plumb_resilience::watch::evidence`; read there for the server's
//! verdict endpoint, the deployment page and the resilience status.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Record;

impl Record for Verification {
    const PREDICATE_TYPE: &'static str =
        "https://plumbline.dev/attestation/deployment-verification/v1";
    const NAME: &'static str = "deployment-verification";
}

/// The verdict of a watch, of one query, or of one measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Healthy: the success condition held (or the failure condition did not).
    Successful,
    /// Degraded: the failure condition held, or the value passed the comparison with the
    /// window before the deployment.
    Failed,
    /// Neither condition held, or too many measurements could not be taken: a person decides.
    Inconclusive,
    /// One measurement could not be taken (Prometheus unreachable, an error, no data).
    Error,
}

/// One measurement of one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    /// When it was taken (RFC 3339, UTC).
    pub at: String,
    /// The value of each series, labelled; empty when none was read.
    #[serde(default)]
    pub values: Vec<SeriesValue>,
    /// How it was judged.
    pub phase: Phase,
    /// Why, when not plainly successful (an error, a breached condition, warnings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One series' value in a measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesValue {
    /// The series' labels as PromQL writes them (`{code="500",job="payments"}`), empty for a
    /// scalar.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub labels: String,
    /// The value.
    pub value: f64,
}

/// One query and what it measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryResult {
    /// Its name in the configuration (e.g. `error-rate`).
    pub name: String,
    /// The PromQL.
    pub query: String,
    /// The success condition, as configured (e.g. `< 0.01`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<String>,
    /// The failure condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The value before the deployment, when the query is compared with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// The highest value allowed by the comparison (`baseline × max_ratio + slack`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<f64>,
    /// How the query was assessed over its measurements.
    pub phase: Phase,
    /// Every measurement, in order.
    pub measurements: Vec<Measurement>,
}

/// The limits the watch applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Seconds between measurements.
    pub interval_seconds: u64,
    /// Measurements per query.
    pub count: u32,
    /// Failed measurements tolerated per query (more fail the watch).
    pub failure_limit: u32,
    /// Inconclusive measurements tolerated per query.
    pub inconclusive_limit: u32,
    /// Consecutive errors tolerated per query (more make the watch inconclusive).
    pub consecutive_error_limit: u32,
}

/// The predicate of a post-deployment verification; its subject is the verified commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// The system (pipeline service name).
    pub system: String,
    /// The environment watched.
    pub environment: String,
    /// The ledger entry of the deployment verified, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<u64>,
    /// The Prometheus queried (its base URL, never a credential).
    pub source: String,
    /// When the watch started and ended (RFC 3339, UTC).
    pub started_at: String,
    /// When it ended.
    pub ended_at: String,
    /// The verdict: `successful`, `failed` or `inconclusive` (never `error`).
    pub verdict: Phase,
    /// Why, in a sentence.
    pub reason: String,
    /// The limits applied (a verification imported from a controller has its own, per metric).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// Every query with its measurements.
    pub queries: Vec<QueryResult>,
    /// The rollback command configured, run when the verdict is failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollback: Vec<String>,
}
