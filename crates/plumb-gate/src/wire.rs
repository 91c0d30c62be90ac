//! A gate request as JSON, for `POST /v1/gate`: the same request the CLI evaluates locally,
//! with the file contents inline instead of paths. The server supplies `now` (its own clock),
//! so a pipeline cannot backdate a decision to make a stale scan look fresh.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use plumb_ingest::Kind;

use crate::{BreakGlassRequest, GateConfig, GateError, GateRequest, PolicySource};

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

/// The request body of `POST /v1/gate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireGateRequest {
    /// Configuration; file lists in it (inputs, waivers, policies) must be empty, their
    /// contents travel in the fields below.
    #[serde(default)]
    pub config: Option<GateConfig>,
    /// Input files.
    #[serde(default)]
    pub inputs: Vec<WireInput>,
    /// Waiver files.
    #[serde(default)]
    pub waivers: Vec<WireText>,
    /// The user's Rego policies.
    #[serde(default)]
    pub policies: Vec<WireText>,
    /// Break-glass.
    #[serde(default)]
    pub break_glass: Option<WireBreakGlass>,
    /// Record the decision in the server's ledger.
    #[serde(default)]
    pub record: bool,
    /// Pipeline run id, for the record.
    #[serde(default)]
    pub run: Option<String>,
}

impl WireGateRequest {
    /// The wire form of a request evaluated locally (paths in the configuration dropped: their
    /// contents are already in the request).
    pub fn from_request(req: &GateRequest, record: bool, run: Option<String>) -> Self {
        let mut config = req.config.clone();
        config.waivers.clear();
        config.policies.clear();
        config.inputs = Default::default();
        config.record = false;
        WireGateRequest {
            config: Some(config),
            inputs: req
                .inputs
                .iter()
                .map(|(k, n, b)| WireInput {
                    kind: k.name().into(),
                    name: n.clone(),
                    content: STANDARD.encode(b),
                })
                .collect(),
            waivers: req
                .waivers
                .iter()
                .map(|(name, text)| WireText {
                    name: name.clone(),
                    text: text.clone(),
                })
                .collect(),
            policies: req
                .policies
                .iter()
                .map(|p| WireText {
                    name: p.name.clone(),
                    text: p.text.clone(),
                })
                .collect(),
            break_glass: req.break_glass.as_ref().map(|b| WireBreakGlass {
                justification: b.justification.clone(),
                approver: b.approver.clone(),
            }),
            record,
            run,
        }
    }

    /// The request to evaluate at `now`. Refuses file paths in the configuration: a server
    /// must never read its own disk on a client's behalf.
    pub fn into_request(self, now: DateTime<Utc>) -> Result<GateRequest, GateError> {
        let config = self.config.unwrap_or_default();
        let i = &config.inputs;
        let has_paths = !config.waivers.is_empty()
            || !config.policies.is_empty()
            || [
                &i.sast,
                &i.sbom,
                &i.vulns,
                &i.secrets,
                &i.tests,
                &i.coverage,
            ]
            .iter()
            .any(|v| !v.is_empty())
            || i.change.is_some()
            || i.approvals.is_some()
            || i.codeowners.is_some();
        if has_paths {
            return Err(GateError::Usage(
                "config names files (inputs, waivers or policies): send their contents in the request's inputs, waivers and policies instead".into(),
            ));
        }
        config.validate()?;
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
        Ok(GateRequest {
            config,
            inputs,
            waivers: self.waivers.into_iter().map(|w| (w.name, w.text)).collect(),
            policies: self
                .policies
                .into_iter()
                .map(|p| PolicySource {
                    name: p.name,
                    text: p.text,
                })
                .collect(),
            now,
            break_glass: self.break_glass.map(|b| BreakGlassRequest {
                justification: b.justification,
                approver: b.approver,
            }),
        })
    }
}
