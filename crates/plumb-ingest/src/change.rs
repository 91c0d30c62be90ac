//! The change itself: change metadata (JSON), approvals (JSON), and CODEOWNERS matched against
//! the changed paths.

use serde_json::Value;

use crate::error::{IngestError, Result};
use crate::facts::{Approval, Change, CodeOwners, Facts};
use crate::util::{json, text};

/// Reads change metadata: a JSON object with the fields of [`Change`] (unknown fields refused).
pub fn read_change(file: &str, bytes: &[u8], facts: &mut Facts) -> Result<()> {
    let v = json(file, bytes)?;
    let c: Change = serde_json::from_value(v)
        .map_err(|e| IngestError::new(file, format!("change metadata: {e}")))?;
    facts.change = Some(c);
    Ok(())
}

/// Reads approvals: a JSON array of approvals, or an object with an `approvals` array.
pub fn read_approvals(file: &str, bytes: &[u8], facts: &mut Facts) -> Result<()> {
    let v = json(file, bytes)?;
    let list = match v {
        Value::Array(_) => v,
        Value::Object(mut o) => o.remove("approvals").ok_or_else(|| {
            IngestError::new(
                file,
                "approvals file must be an array or an object with `approvals`",
            )
        })?,
        _ => {
            return Err(IngestError::new(
                file,
                "approvals file must be an array or an object with `approvals`",
            ));
        }
    };
    let approvals: Vec<Approval> = serde_json::from_value(list)
        .map_err(|e| IngestError::new(file, format!("approvals: {e}")))?;
    for a in &approvals {
        chrono::DateTime::parse_from_rfc3339(&a.at).map_err(|_| {
            IngestError::new(
                file,
                format!(
                    "approval by {}: `at` {:?} is not an RFC 3339 time",
                    a.by, a.at
                ),
            )
        })?;
    }
    facts.approvals.extend(approvals);
    Ok(())
}

pub use plumb_base::glob::pattern_matches;

/// Reads a CODEOWNERS file and finds the owners of the change's paths (the last matching rule
/// wins, as on GitHub and GitLab). Needs the change metadata to be read first.
pub fn read_codeowners(file: &str, bytes: &[u8], facts: &mut Facts) -> Result<()> {
    let t = text(file, bytes)?;
    let mut rules: Vec<(String, Vec<String>)> = Vec::new();
    for (i, line) in t.lines().enumerate() {
        let line = line.split(" #").next().unwrap_or("").trim();
        if line.is_empty()
            || line.starts_with('#')
            || (line.starts_with('[') && line.ends_with(']'))
        {
            continue;
        }
        let mut parts = line.split_whitespace();
        let pattern = parts.next().expect("non-empty line");
        let owners: Vec<String> = parts
            .map(|o| o.trim_start_matches('@').to_string())
            .collect();
        if pattern.contains('\0') {
            return Err(IngestError::at(file, i as u64 + 1, "invalid pattern"));
        }
        rules.push((pattern.to_string(), owners));
    }
    let paths = facts
        .change
        .as_ref()
        .map(|c| c.changed_paths.clone())
        .unwrap_or_default();
    if paths.is_empty() {
        return Err(IngestError::new(
            file,
            "CODEOWNERS needs the changed paths: give change metadata with `changed_paths`",
        ));
    }
    let mut owners = Vec::new();
    let mut unowned = Vec::new();
    for p in &paths {
        match rules.iter().rev().find(|(pat, _)| pattern_matches(pat, p)) {
            Some((_, o)) if !o.is_empty() => owners.extend(o.iter().cloned()),
            _ => unowned.push(p.clone()),
        }
    }
    owners.sort();
    owners.dedup();
    facts.codeowners = Some(CodeOwners {
        owners,
        unowned_paths: unowned,
    });
    Ok(())
}
