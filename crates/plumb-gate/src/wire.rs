//! A gate request as JSON, for `POST /v1/gate`: the same request the CLI evaluates locally,
//! with the file contents inline instead of paths. The server supplies `now` (its own clock),
//! so a pipeline cannot backdate a decision to make a stale scan look fresh; and the server
//! supplies the configuration (see [`crate::held`]), so a pipeline cannot loosen the rules.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use plumb_ingest::Kind;

use crate::held::HeldConfigs;
use crate::{BreakGlassRequest, GateError, GateRequest};

/// One input file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireInput {
    /// Its kind, as in `plumb gate` flags: sast, sbom, vulns, secrets, tests, coverage, change,
    /// approvals, codeowners.
    pub kind: String,
    /// Its name (a path, for reports).
    pub name: String,
    /// Its bytes, base64.
    pub content: String,
}

/// A named text (waiver file or Rego policy).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireText {
    /// Its name.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// A break-glass request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireBreakGlass {
    /// Why.
    pub justification: String,
    /// The approving executive.
    pub approver: String,
}

/// The request body of `POST /v1/gate`: the system, its inputs and the change, nothing that
/// says how strict the gate is. The server applies the configuration it holds for the system
/// ([`crate::held`]); a request carrying a configuration, waivers or policies is refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireGateRequest {
    /// The system gated (required: it selects the configuration and scopes the record).
    #[serde(default)]
    pub system: Option<String>,
    /// Target environment (else the change metadata's).
    #[serde(default)]
    pub environment: Option<String>,
    /// Refused when present: the server holds the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    /// Input files.
    #[serde(default)]
    pub inputs: Vec<WireInput>,
    /// Refused when not empty: waivers are part of the server's configuration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<WireText>,
    /// Refused when not empty: policies are part of the server's configuration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<WireText>,
    /// Break-glass (the server's configuration says who may approve it).
    #[serde(default)]
    pub break_glass: Option<WireBreakGlass>,
    /// Record the decision in the server's ledger.
    #[serde(default)]
    pub record: bool,
    /// Pipeline run id, for the record.
    #[serde(default)]
    pub run: Option<String>,
}

/// Longest environment name accepted.
const MAX_ENVIRONMENT: usize = 64;

impl WireGateRequest {
    /// The wire form of a request evaluated locally: its system, environment, inputs and
    /// break-glass. Its configuration, waivers and policies stay behind: the server has its own.
    pub fn from_request(req: &GateRequest, record: bool, run: Option<String>) -> Self {
        WireGateRequest {
            system: req.config.system.clone(),
            environment: req.config.environment.clone(),
            config: None,
            inputs: req
                .inputs
                .iter()
                .map(|(k, n, b)| WireInput {
                    kind: k.name().into(),
                    name: n.clone(),
                    content: STANDARD.encode(b),
                })
                .collect(),
            waivers: vec![],
            policies: vec![],
            break_glass: req.break_glass.as_ref().map(|b| WireBreakGlass {
                justification: b.justification.clone(),
                approver: b.approver.clone(),
            }),
            record,
            run,
        }
    }

    /// The request to evaluate at `now` under the configuration `held` has for its system.
    pub fn into_request(
        self,
        held: &HeldConfigs,
        now: DateTime<Utc>,
    ) -> Result<GateRequest, GateError> {
        if self.config.is_some() || !self.waivers.is_empty() || !self.policies.is_empty() {
            return Err(GateError::Usage(
                "the server holds each system's gate configuration (criticality, thresholds, rules, policies, waivers, executives): send only system, environment, inputs and break_glass".into(),
            ));
        }
        let system = self.system.ok_or_else(|| {
            GateError::Usage("system is required: it selects the gate configuration".into())
        })?;
        plumb_ledger::entry::check_label("system", &system)
            .map_err(|e| GateError::Usage(e.to_string()))?;
        if let Some(e) = &self.environment
            && (e.is_empty()
                || e.len() > MAX_ENVIRONMENT
                || !e
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        {
            return Err(GateError::Usage(format!(
                "environment {e:?} must be 1 to {MAX_ENVIRONMENT} letters, digits, '-', '_' or '.'"
            )));
        }
        let mut inputs = Vec::with_capacity(self.inputs.len());
        for w in self.inputs {
            let kind = Kind::from_name(&w.kind).ok_or_else(|| {
                GateError::Usage(format!(
                    "input {:?}: unknown kind {:?} (one of {})",
                    w.name,
                    w.kind,
                    Kind::ALL.map(Kind::name).join(", ")
                ))
            })?;
            let bytes = STANDARD.decode(w.content.as_bytes()).map_err(|e| {
                GateError::Usage(format!("input {:?}: content is not base64: {e}", w.name))
            })?;
            inputs.push((kind, w.name, bytes));
        }
        let break_glass = self.break_glass.map(|b| BreakGlassRequest {
            justification: b.justification,
            approver: b.approver,
        });
        Ok(held
            .for_system(&system)
            .request(&system, self.environment, inputs, break_glass, now))
    }
}
