//! Policies over the raw infrastructure documents, conftest style: a policy whose package is
//! under `plumb.raw` (for example `package plumb.raw.terraform`) is evaluated once per raw
//! document of every `--infra` input (the plan's JSON, each manifest document), with that
//! document as `input`, exactly as conftest evaluates `package main`. So a conftest policy
//! written for raw Terraform JSON runs here with its package line changed and nothing else.
//! Its violations name the input they came from.

use serde::Deserialize;
use serde_json::Value;

use crate::engine::{self, PolicySource, Violation};
use crate::error::GateError;
use plumb_ingest::Kind;

/// The package prefix of raw policies.
pub const RAW_PACKAGE: &str = "plumb.raw";

/// Whether `p` is a raw policy (its package is `plumb.raw` or under it).
pub fn is_raw(p: &PolicySource) -> bool {
    engine::code_only(&p.text).lines().any(|l| {
        l.trim()
            .strip_prefix("package ")
            .map(str::trim)
            .is_some_and(|pkg| pkg == RAW_PACKAGE || pkg.starts_with("plumb.raw."))
    })
}

/// The raw documents of one infrastructure input: its JSON, a Terraform configuration as JSON
/// (blocks as objects keyed by their labels), or each YAML document. Inputs the
/// readers refused never get here (the facts are built first).
fn documents(bytes: &[u8]) -> Vec<Value> {
    let Ok(text) = std::str::from_utf8(bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes))
    else {
        return vec![];
    };
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text)
            .map(|v| vec![v])
            .unwrap_or_default();
    }
    if plumb_ingest::infra::hcl::looks_like(text) {
        return plumb_ingest::infra::hcl::raw_document(text)
            .into_iter()
            .collect();
    }
    yaml_serde::Deserializer::from_str(text)
        .filter_map(|de| Value::deserialize(de).ok())
        .filter(|v| !v.is_null())
        .collect()
}

/// Evaluates `policies` (all raw) against every raw document of the infrastructure inputs.
pub fn evaluate(
    policies: &[PolicySource],
    inputs: &[(Kind, String, Vec<u8>)],
    config: &Value,
    timeout_ms: u64,
) -> Result<(Vec<Violation>, Vec<Violation>), GateError> {
    let (mut deny, mut warn) = (Vec::new(), Vec::new());
    if policies.is_empty() {
        return Ok((deny, warn));
    }
    let mut e = engine::PolicyEngine::new(policies, config, timeout_ms)?;
    for (_, name, bytes) in inputs.iter().filter(|i| i.0 == Kind::Infra) {
        let docs = documents(bytes);
        let many = docs.len() > 1;
        for (n, doc) in docs.iter().enumerate() {
            e.set_input(doc)?;
            let (d, w) = e.eval()?;
            let at = if many {
                format!(" (in {name}, document {})", n + 1)
            } else {
                format!(" (in {name})")
            };
            for (from, to) in [(d, &mut deny), (w, &mut warn)] {
                to.extend(from.into_iter().map(|mut v| {
                    v.msg.push_str(&at);
                    v
                }));
            }
        }
    }
    Ok((deny, warn))
}
