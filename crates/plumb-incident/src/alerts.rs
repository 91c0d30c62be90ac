//! Alerts from monitoring, normalised: Prometheus Alertmanager webhooks (payload version 4) and
//! Plumbline's generic JSON alert. A payload is read whole or refused whole.
//!
//! Deduplication is per alert, not per notification: Alertmanager re-sends a group on every
//! repeat interval, so the key is the alert's fingerprint (or, in older payloads without one, a
//! hash of its labels) with its start time; the same alert firing again later has a new start
//! time and is a new alert.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result, fmt_time};

pub use plumb_records::incident::Alert;

/// Most alerts accepted in one payload.
pub const MAX_ALERTS: usize = 1000;

fn bad(field: impl Into<String>, detail: impl Into<String>) -> Error {
    Error::invalid(field, detail)
}

fn time(field: &str, v: &Value) -> Result<Option<DateTime<Utc>>> {
    let Some(s) = v.as_str() else {
        return Err(bad(field, "missing or not a string"));
    };
    // Alertmanager's zero time means "no end yet".
    if s.starts_with("0001-01-01") {
        return Ok(None);
    }
    crate::error::parse_time(field, s).map(Some)
}

fn string_map(field: &str, v: Option<&Value>) -> Result<BTreeMap<String, String>> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(bad(format!("{field}.{k}"), "must be a string")),
            })
            .collect(),
        Some(_) => Err(bad(field, "must be an object of strings")),
    }
}

fn first<'a>(maps: &[&'a BTreeMap<String, String>], keys: &[&str]) -> Option<&'a String> {
    keys.iter()
        .find_map(|k| maps.iter().find_map(|m| m.get(*k)))
        .filter(|s| !s.is_empty())
}

fn label_hash(labels: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    for (k, v) in labels {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    plumb_base::hex(&h.finalize()[..8])
}

/// Reads an Alertmanager webhook body (payload version 4).
pub fn alertmanager(body: &[u8]) -> Result<Vec<Alert>> {
    let v: Value = serde_json::from_slice(body).map_err(|e| Error::Parse {
        what: "Alertmanager webhook".into(),
        detail: e.to_string(),
    })?;
    let Some(top) = v.as_object() else {
        return Err(bad("body", "an Alertmanager webhook is a JSON object"));
    };
    match top.get("version").and_then(Value::as_str) {
        Some("4") => {}
        Some(other) => {
            return Err(bad(
                "version",
                format!("payload version {other:?} is not supported; Alertmanager sends \"4\""),
            ));
        }
        None => {
            return Err(bad(
                "version",
                "missing: not an Alertmanager webhook (payload version 4)",
            ));
        }
    }
    let group_status = top.get("status").and_then(Value::as_str);
    let group = top
        .get("groupKey")
        .and_then(Value::as_str)
        .map(str::to_string);
    let common = string_map("commonLabels", top.get("commonLabels"))?;
    let common_ann = string_map("commonAnnotations", top.get("commonAnnotations"))?;
    let Some(list) = top.get("alerts").and_then(Value::as_array) else {
        return Err(bad("alerts", "missing or not a list"));
    };
    if list.is_empty() {
        return Err(bad("alerts", "empty: nothing to record"));
    }
    if list.len() > MAX_ALERTS {
        return Err(bad(
            "alerts",
            format!("{} alerts; at most {MAX_ALERTS} per payload", list.len()),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        let f = |k: &str| format!("alerts[{i}].{k}");
        let Some(a) = a.as_object() else {
            return Err(bad(format!("alerts[{i}]"), "must be an object"));
        };
        let status = match a.get("status").and_then(Value::as_str).or(group_status) {
            Some(s @ ("firing" | "resolved")) => s,
            Some(other) => {
                return Err(bad(
                    f("status"),
                    format!("{other:?}: expected firing or resolved"),
                ));
            }
            None => {
                return Err(bad(
                    f("status"),
                    "missing status (neither the alert nor the notification has one)",
                ));
            }
        };
        let labels = string_map(&f("labels"), a.get("labels"))?;
        let ann = string_map(&f("annotations"), a.get("annotations"))?;
        let starts = time(&f("startsAt"), a.get("startsAt").unwrap_or(&Value::Null))?
            .ok_or_else(|| bad(f("startsAt"), "zero time: an alert must have started"))?;
        let ends = match a.get("endsAt") {
            None | Some(Value::Null) => None,
            Some(e) => time(&f("endsAt"), e)?,
        };
        let firing = status == "firing";
        if !firing && ends.is_none() {
            return Err(bad(f("endsAt"), "a resolved alert needs its end time"));
        }
        if let Some(e) = ends
            && e < starts
            && !firing
        {
            return Err(bad(
                f("endsAt"),
                format!(
                    "resolved at {} before it started at {}",
                    fmt_time(e),
                    fmt_time(starts)
                ),
            ));
        }
        let fp = match a.get("fingerprint") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::String(_)) | None | Some(Value::Null) => label_hash(&labels),
            Some(_) => return Err(bad(f("fingerprint"), "must be a string")),
        };
        let lm = [&labels, &common];
        let am = [&ann, &common_ann, &labels];
        let name = first(&lm, &["alertname"])
            .cloned()
            .unwrap_or_else(|| "unnamed alert".into());
        out.push(Alert {
            source: "alertmanager".into(),
            key: format!("{fp}@{}", fmt_time(starts)),
            group: group.clone(),
            firing,
            summary: first(&am, &["summary", "message", "description"])
                .cloned()
                .unwrap_or_else(|| name.clone()),
            name,
            starts_at: fmt_time(starts),
            ends_at: if firing { None } else { ends.map(fmt_time) },
            service: first(&lm, &["service", "app", "job"]).cloned(),
            environment: first(&lm, &["env", "environment"]).cloned(),
            severity: first(&lm, &["severity"]).cloned(),
            commit: first(&am, &["commit", "git_commit", "revision"]).cloned(),
            labels,
        });
    }
    Ok(out)
}

/// Plumbline's generic alert, for sources other than Alertmanager.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericAlert {
    /// The source's identifier for the alert (stable across re-sends).
    pub id: String,
    /// `firing` or `resolved`.
    pub status: String,
    /// Title.
    pub title: String,
    /// When it started (RFC 3339 with offset).
    pub started_at: String,
    /// When it ended (resolved alerts).
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Affected service (the pipelines' system name).
    #[serde(default)]
    pub service: Option<String>,
    /// Environment.
    #[serde(default)]
    pub environment: Option<String>,
    /// Severity.
    #[serde(default)]
    pub severity: Option<String>,
    /// A commit suspected of causing it.
    #[serde(default)]
    pub commit: Option<String>,
    /// Extra labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// Reads a generic alert body: one alert object, or `{"alerts": [...]}`.
pub fn generic(body: &[u8]) -> Result<Vec<Alert>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Body {
        Many { alerts: Vec<Value> },
        One(Value),
    }
    let parse = |what: &str, v: Value| -> Result<GenericAlert> {
        serde_json::from_value(v).map_err(|e| Error::Parse {
            what: what.into(),
            detail: e.to_string(),
        })
    };
    let b: Body = serde_json::from_slice(body).map_err(|e| Error::Parse {
        what: "generic alert".into(),
        detail: e.to_string(),
    })?;
    let list = match b {
        Body::Many { alerts } => alerts,
        Body::One(v) => vec![v],
    };
    if list.is_empty() {
        return Err(bad("alerts", "empty: nothing to record"));
    }
    if list.len() > MAX_ALERTS {
        return Err(bad(
            "alerts",
            format!("{} alerts; at most {MAX_ALERTS} per payload", list.len()),
        ));
    }
    let mut out = Vec::new();
    for (i, v) in list.into_iter().enumerate() {
        let g = parse(&format!("alerts[{i}]"), v)?;
        let f = |k: &str| format!("alerts[{i}].{k}");
        if g.id.trim().is_empty() || g.id.len() > 200 {
            return Err(bad(f("id"), "must be 1 to 200 characters"));
        }
        let firing = match g.status.as_str() {
            "firing" => true,
            "resolved" => false,
            other => {
                return Err(bad(
                    f("status"),
                    format!("{other:?}: expected firing or resolved"),
                ));
            }
        };
        let starts = crate::error::parse_time(&f("started_at"), &g.started_at)?;
        let ends = g
            .ended_at
            .as_deref()
            .map(|s| crate::error::parse_time(&f("ended_at"), s))
            .transpose()?;
        if !firing && ends.is_none() {
            return Err(bad(f("ended_at"), "a resolved alert needs its end time"));
        }
        if let Some(e) = ends
            && e < starts
        {
            return Err(bad(
                f("ended_at"),
                format!(
                    "ended at {} before it started at {}",
                    fmt_time(e),
                    fmt_time(starts)
                ),
            ));
        }
        out.push(Alert {
            source: "generic".into(),
            key: format!("{}@{}", g.id, fmt_time(starts)),
            group: None,
            firing,
            name: g.title.clone(),
            summary: g.title,
            starts_at: fmt_time(starts),
            ends_at: if firing { None } else { ends.map(fmt_time) },
            service: g.service,
            environment: g.environment,
            severity: g.severity,
            commit: g.commit,
            labels: g.labels,
        });
    }
    Ok(out)
}
