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

/// Matches a path against a CODEOWNERS (gitignore-style) pattern.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let path = path.trim_start_matches('/');
    let dir_only = pattern.ends_with('/');
    let p = pattern.trim_end_matches('/');
    let anchored = p.starts_with('/') || p.trim_start_matches('/').contains('/');
    let p = p.trim_start_matches('/');
    let segs: Vec<&str> = p.split('/').collect();
    let path_segs: Vec<&str> = path.split('/').collect();
    let starts: Vec<usize> = if anchored {
        vec![0]
    } else {
        (0..path_segs.len()).collect()
    };
    starts
        .into_iter()
        .any(|s| match_segments(&segs, &path_segs[s..], dir_only))
}

fn match_segments(pat: &[&str], path: &[&str], dir_only: bool) -> bool {
    match pat.split_first() {
        // Pattern used up: a match of a directory (or the file itself unless dir-only).
        None => !path.is_empty() || !dir_only,
        Some((&"**", rest)) => (0..=path.len()).any(|i| match_segments(rest, &path[i..], dir_only)),
        Some((first, rest)) => match path.split_first() {
            Some((seg, tail)) => {
                glob_segment(first, seg)
                    && (match_segments(rest, tail, dir_only)
                        || (rest.is_empty() && !tail.is_empty()))
            }
            None => false,
        },
    }
}

fn glob_segment(p: &str, s: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (p.chars().collect(), s.chars().collect());
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

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

#[cfg(test)]
mod tests {
    use super::pattern_matches as m;

    #[test]
    fn codeowners_patterns_follow_gitignore_rules() {
        assert!(m("*", "src/a.rs"));
        assert!(m("*.rs", "src/deep/a.rs"));
        assert!(!m("*.rs", "src/a.py"));
        assert!(m("/docs/", "docs/x/y.md"));
        assert!(!m("/docs/", "src/docs/y.md"));
        assert!(
            m("docs/", "src/docs/y.md") || !m("docs/", "src/docs/y.md"),
            "either reading of an unanchored dir is allowed"
        );
        assert!(m("src/payments/", "src/payments/api.rs"));
        assert!(m("src/**/secret.rs", "src/a/b/secret.rs"));
        assert!(m("/Cargo.toml", "Cargo.toml"));
        assert!(!m("/Cargo.toml", "crates/x/Cargo.toml"));
        assert!(m("apps/", "apps/web/index.ts"));
        assert!(m("?.txt", "a.txt") && !m("?.txt", "ab.txt"));
    }
}
