//! Waivers: accepted risks as data, each with a matcher, a justification, an owner, an approver
//! and an expiry. Expired or over-long waivers never apply; every decision lists the waivers
//! used, unused, expired and invalid.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use plumb_ingest::facts::Finding;

use crate::error::GateError;

/// What a waiver covers. Every field given must match; at least one must be given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// Tool name (case-insensitive).
    #[serde(default)]
    pub tool: Option<String>,
    /// Rule id.
    #[serde(default)]
    pub rule: Option<String>,
    /// Vulnerability id or one of its aliases.
    #[serde(default)]
    pub vulnerability: Option<String>,
    /// Package URL; without `@version` it matches every version.
    #[serde(default)]
    pub purl: Option<String>,
    /// Path glob (`*` within a segment, `**` across segments).
    #[serde(default)]
    pub path: Option<String>,
    /// Exact finding fingerprint.
    #[serde(default)]
    pub fingerprint: Option<String>,
}

/// One waiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// Unique id.
    pub id: String,
    /// What it covers.
    #[serde(rename = "match")]
    pub matcher: Matcher,
    /// Why the risk is accepted.
    pub justification: String,
    /// Who owns the risk.
    pub owner: String,
    /// Who approved it.
    pub approver: String,
    /// When it was approved (RFC 3339 with offset); bounds its lifetime.
    #[serde(default)]
    pub approved_at: Option<String>,
    /// When it stops applying (RFC 3339 with offset).
    pub expires_at: String,
}

/// A waiver file: `waivers: [...]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    waivers: Vec<Waiver>,
}

pub use plumb_records::gate::{WaiverState, WaiverUse};

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    plumb_base::time::parse_rfc3339(s).ok()
}

/// Parses a waiver file (YAML or JSON) and checks each waiver's fields.
pub fn load(name: &str, text: &str) -> Result<Vec<Waiver>, GateError> {
    let f: WaiverFile =
        yaml_serde::from_str(text).map_err(|e| GateError::Usage(format!("{name}: {e}")))?;
    let mut ids = std::collections::BTreeSet::new();
    for w in &f.waivers {
        if !ids.insert(w.id.clone()) {
            return Err(GateError::Usage(format!(
                "{name}: waiver id {} is used twice",
                w.id
            )));
        }
        for (field, v) in [
            ("justification", &w.justification),
            ("owner", &w.owner),
            ("approver", &w.approver),
        ] {
            if v.trim().is_empty() {
                return Err(GateError::Usage(format!(
                    "{name}: waiver {} has an empty {field}",
                    w.id
                )));
            }
        }
        if parse_time(&w.expires_at).is_none() {
            return Err(GateError::Usage(format!(
                "{name}: waiver {}: expires_at {:?} must be an RFC 3339 timestamp with offset, e.g. 2026-12-31T23:59:59+01:00",
                w.id, w.expires_at
            )));
        }
        if w.approved_at
            .as_deref()
            .is_some_and(|a| parse_time(a).is_none())
        {
            return Err(GateError::Usage(format!(
                "{name}: waiver {}: approved_at must be an RFC 3339 timestamp with offset",
                w.id
            )));
        }
        if w.matcher == Matcher::default() {
            return Err(GateError::Usage(format!(
                "{name}: waiver {} matches nothing: give tool, rule, vulnerability, purl, path or fingerprint",
                w.id
            )));
        }
    }
    Ok(f.waivers)
}

impl Waiver {
    /// Its state at `now`, given the maximum lifetime.
    pub fn state(&self, now: DateTime<Utc>, max_days: u32) -> WaiverState {
        // Checked on load; a waiver built another way with an unreadable expiry never applies.
        let Some(expires) = parse_time(&self.expires_at) else {
            return WaiverState::Invalid(format!(
                "expires_at {:?} is not an RFC 3339 time",
                self.expires_at
            ));
        };
        let max = chrono::Duration::days(max_days as i64);
        if let Some(approved) = self.approved_at.as_deref().and_then(parse_time) {
            if expires.signed_duration_since(approved) > max {
                return WaiverState::Invalid(format!(
                    "runs {} days from approval, longer than the {max_days}-day maximum",
                    expires.signed_duration_since(approved).num_days()
                ));
            }
            if approved > now {
                return WaiverState::Invalid("approved in the future".into());
            }
        }
        if expires <= now {
            return WaiverState::Expired;
        }
        if expires.signed_duration_since(now) > max {
            return WaiverState::Invalid(format!("expires more than {max_days} days from now"));
        }
        WaiverState::Active
    }

    /// Whether it covers a finding.
    pub fn matches(&self, f: &Finding) -> bool {
        let m = &self.matcher;
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_ref().is_none_or(|w| have == Some(w.as_str()))
        };
        m.tool
            .as_ref()
            .is_none_or(|t| t.eq_ignore_ascii_case(&f.tool))
            && eq(&m.rule, f.rule.as_deref())
            && eq(&m.fingerprint, Some(&f.fingerprint))
            && m.vulnerability
                .as_ref()
                .is_none_or(|v| f.vulnerability.as_deref() == Some(v) || f.aliases.contains(v))
            && m.purl.as_ref().is_none_or(|p| {
                f.purl.as_deref().is_some_and(|fp| {
                    fp == p || (!p.contains('@') && fp.split('@').next() == Some(p.as_str()))
                })
            })
            && m.path.as_ref().is_none_or(|g| {
                f.path
                    .as_deref()
                    .is_some_and(|p| plumb_ingest::change::pattern_matches(g, p))
            })
    }
}

/// Marks findings covered by active waivers and reports every waiver's use.
pub fn apply(
    waivers: &[Waiver],
    findings: &mut [Finding],
    now: DateTime<Utc>,
    max_days: u32,
) -> Vec<WaiverUse> {
    let mut uses: Vec<WaiverUse> = waivers
        .iter()
        .map(|w| WaiverUse {
            id: w.id.clone(),
            owner: w.owner.clone(),
            approver: w.approver.clone(),
            expires_at: w.expires_at.clone(),
            state: w.state(now, max_days),
            covered: vec![],
        })
        .collect();
    for f in findings.iter_mut().filter(|f| f.suppressed.is_none()) {
        for (w, u) in waivers.iter().zip(uses.iter_mut()) {
            if u.state == WaiverState::Active && w.matches(f) {
                f.waived_by = Some(w.id.clone());
                u.covered.push(f.fingerprint.clone());
                break;
            }
        }
    }
    uses
}
