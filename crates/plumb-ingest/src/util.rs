//! Shared reading helpers: input limits, text decoding, JSON access, safe XML, fingerprints.

use serde_json::Value;

use crate::error::{IngestError, Result};

pub use plumb_base::input::{MAX_INPUT_BYTES, text};
pub use plumb_base::xml::{MAX_XML_DEPTH, XmlEvent, XmlStart, xml_events, xml_root};

/// Most findings a gate evaluates, all inputs together: past it the inputs are refused before
/// the policy input is built (the policy engine's copy is the largest).
pub const MAX_FINDINGS: usize = 50_000;

/// Parses JSON, reporting the line of a syntax error. Nesting is limited by serde_json (128).
pub fn json(file: &str, bytes: &[u8]) -> Result<Value> {
    let t = text(file, bytes)?;
    serde_json::from_str(t).map_err(|e| {
        let what = if e.to_string().contains("recursion limit") {
            "JSON is nested too deeply".to_string()
        } else {
            format!("not valid JSON: {e}")
        };
        IngestError::at(file, e.line() as u64, what)
    })
}

/// A string field, or None.
pub fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// An array field (missing or null = empty), refusing other types.
pub fn arr<'a>(file: &str, v: &'a Value, key: &str) -> Result<&'a [Value]> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(IngestError::new(file, format!("`{key}` must be an array"))),
    }
}

/// The string values of an array field.
pub fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A stable fingerprint from identifying fields.
pub fn fingerprint(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    plumb_base::hex(&h.finalize()[..16])
}
