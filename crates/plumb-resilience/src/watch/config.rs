//! The watch configuration (`plumb watch --config watch.yaml`): per system, the Prometheus to
//! ask, the queries with their conditions, how often and how long, the limits, and the
//! rollback command. Read strictly: an unknown field, a bad duration or condition, or a limit
//! out of range is refused with the field's path, before anything is watched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::condition::Condition;

/// Largest configuration read.
const MAX_BYTES: usize = 1 << 20;
/// Most queries per system.
const MAX_QUERIES: usize = 20;
/// Most measurements per query.
const MAX_COUNT: u32 = 1000;
/// Most measurements of all queries together.
const MAX_MEASUREMENTS: usize = 240;

/// Where Prometheus is and how to authenticate. Tokens come from a file or the environment,
/// never from the configuration itself (it lives in git).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    /// Base URL, e.g. `https://prometheus.bank.internal`.
    pub url: String,
    /// A file holding the bearer token.
    #[serde(default)]
    pub bearer_token_file: Option<PathBuf>,
    /// An environment variable holding the bearer token.
    #[serde(default)]
    pub bearer_token_env: Option<String>,
    /// How long to wait for one answer (default 10s).
    #[serde(default)]
    pub timeout: Option<Text>,
}

impl PrometheusConfig {
    /// The bearer token, read now from its file or this process's environment.
    pub fn token(&self) -> Result<Option<String>, String> {
        if let Some(f) = &self.bearer_token_file {
            return std::fs::read_to_string(f)
                .map(|t| Some(t.trim().to_string()))
                .map_err(|e| format!("bearer_token_file {}: {e}", f.display()));
        }
        if let Some(v) = &self.bearer_token_env {
            return std::env::var(v)
                .map(|t| Some(t.trim().to_string()))
                .map_err(|_| format!("bearer_token_env: the variable {v} is not set"));
        }
        Ok(None)
    }
}

/// A duration as written: text such as `30s`, or a bare number (refused: it has no unit).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Text {
    /// Text.
    S(String),
    /// A number.
    N(serde_json::Number),
}

impl Text {
    fn as_text(&self) -> String {
        match self {
            Text::S(s) => s.clone(),
            Text::N(n) => n.to_string(),
        }
    }
}

/// Comparison with the same query evaluated at the deployment time.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Compare {
    /// A measurement fails above `baseline × max_ratio + slack`.
    pub max_ratio: f64,
    /// Absolute slack added to the ceiling (so a zero baseline does not fail on any noise).
    #[serde(default)]
    pub slack: f64,
}

/// One query as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuery {
    name: String,
    query: String,
    #[serde(default)]
    success: Option<String>,
    #[serde(default)]
    failure: Option<String>,
    #[serde(default)]
    compare: Option<Compare>,
}

/// One system as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSystem {
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    prometheus: Option<PrometheusConfig>,
    #[serde(default)]
    interval: Option<Text>,
    #[serde(default)]
    initial_delay: Option<Text>,
    #[serde(default)]
    baseline_offset: Option<Text>,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    duration: Option<Text>,
    #[serde(default)]
    failure_limit: Option<u32>,
    #[serde(default)]
    inconclusive_limit: Option<u32>,
    #[serde(default)]
    consecutive_error_limit: Option<u32>,
    queries: Vec<RawQuery>,
    #[serde(default)]
    rollback: Vec<String>,
    #[serde(default)]
    rollback_timeout: Option<Text>,
    #[serde(default)]
    incident: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    version: u32,
    #[serde(default)]
    prometheus: Option<PrometheusConfig>,
    systems: BTreeMap<String, RawSystem>,
}

/// A query ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Its name.
    pub name: String,
    /// The PromQL.
    pub query: String,
    /// The success condition.
    pub success: Option<Condition>,
    /// The failure condition.
    pub failure: Option<Condition>,
    /// The comparison with the value at the deployment.
    pub compare: Option<Compare>,
}

/// One system's watch, validated, defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemWatch {
    /// The system.
    pub system: String,
    /// The environment (default `production`).
    pub environment: String,
    /// Where to ask.
    pub prometheus: PrometheusConfig,
    /// The answer timeout.
    pub timeout: Duration,
    /// Between measurements (default 30 s).
    pub interval: Duration,
    /// Before the first (default none).
    pub initial_delay: Duration,
    /// How long before the deployment the compared queries' baseline is read (default 0: at
    /// the deployment record's time).
    pub baseline_offset: Duration,
    /// Measurements per query (default 20: ten minutes at 30 s).
    pub count: u32,
    /// Failed measurements tolerated (default 0).
    pub failure_limit: u32,
    /// Inconclusive measurements tolerated (default 0).
    pub inconclusive_limit: u32,
    /// Consecutive errors tolerated (default 4, as Argo Rollouts).
    pub consecutive_error_limit: u32,
    /// The queries.
    pub queries: Vec<Query>,
    /// The rollback command (argv; no shell).
    pub rollback: Vec<String>,
    /// Longest the rollback may run (default 10 min).
    pub rollback_timeout: Duration,
    /// Whether a failed watch opens an incident (default yes).
    pub incident: bool,
}

/// Parses a duration: a whole number with `ms`, `s`, `m` or `h`.
pub fn duration(field: &str, s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{field}: {s:?} needs a unit (ms, s, m or h), e.g. \"30s\""))?;
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{field}: {s:?} is not a duration such as \"30s\" or \"10m\""))?;
    let ms = match unit {
        "ms" => Some(n),
        "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => None,
    }
    .ok_or_else(|| format!("{field}: {s:?} is not a duration such as \"30s\" or \"10m\""))?;
    Ok(Duration::from_millis(ms))
}

fn within(field: &str, d: Duration, min: Duration, max: Duration) -> Result<Duration, String> {
    if d < min || d > max {
        return Err(format!(
            "{field}: {} s is outside {} s to {} s",
            d.as_secs_f64(),
            min.as_secs_f64(),
            max.as_secs_f64()
        ));
    }
    Ok(d)
}

/// The configuration, every system validated.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// By system name.
    pub systems: BTreeMap<String, SystemWatch>,
}

impl WatchConfig {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<WatchConfig, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and validates a configuration.
    pub fn parse(bytes: &[u8]) -> Result<WatchConfig, String> {
        if bytes.len() > MAX_BYTES {
            return Err(format!("larger than {} KiB", MAX_BYTES >> 10));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
        let doc: serde_json::Value =
            yaml_serde::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
        // A gate configuration may carry the watch under `watch:`, so a pipeline keeps one
        // file; anything else is a watch configuration of its own.
        let doc = match doc.get("watch") {
            Some(w) if doc.get("systems").is_none() => w.clone(),
            _ => doc,
        };
        let raw: RawConfig =
            serde_json::from_value(doc).map_err(|e| format!("not a watch configuration: {e}"))?;
        if raw.version != 1 {
            return Err(format!(
                "version {} is not supported (this Plumbline reads version 1)",
                raw.version
            ));
        }
        if raw.systems.is_empty() {
            return Err("systems: no system to watch".into());
        }
        let mut systems = BTreeMap::new();
        for (name, s) in raw.systems {
            let w = system(&name, s, raw.prometheus.as_ref())?;
            systems.insert(name, w);
        }
        Ok(WatchConfig { systems })
    }

    /// The watch of `system`, or an error naming the configured ones.
    pub fn system(&self, system: &str) -> Result<&SystemWatch, String> {
        self.systems.get(system).ok_or_else(|| {
            format!(
                "system {system:?} has no watch in the configuration (configured: {})",
                self.systems.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }
}

fn system(
    name: &str,
    s: RawSystem,
    default_prom: Option<&PrometheusConfig>,
) -> Result<SystemWatch, String> {
    let at = |f: &str| format!("systems.{name}.{f}");
    if name.is_empty() || name.len() > 128 {
        return Err("systems: a system name must be 1 to 128 characters".into());
    }
    let prometheus = s
        .prometheus
        .or_else(|| default_prom.cloned())
        .ok_or_else(|| {
            format!(
                "{}: no Prometheus (set it here or at the top)",
                at("prometheus")
            )
        })?;
    if !(prometheus.url.starts_with("http://") || prometheus.url.starts_with("https://")) {
        return Err(format!(
            "{}: {:?} is not an http(s) URL",
            at("prometheus.url"),
            prometheus.url
        ));
    }
    if let Some(rest) = prometheus.url.split_once("://").map(|(_, r)| r) {
        let authority = rest.split('/').next().unwrap_or("");
        if authority.contains('@') || rest.contains('?') || rest.contains('#') {
            return Err(format!(
                "{}: no credentials, query or fragment in the URL (it is recorded); use bearer_token_file or bearer_token_env",
                at("prometheus.url")
            ));
        }
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
        if prometheus.url.starts_with("http://")
            && !local
            && (prometheus.bearer_token_file.is_some() || prometheus.bearer_token_env.is_some())
        {
            return Err(format!(
                "{}: a bearer token would cross the network unencrypted; use https://",
                at("prometheus.url")
            ));
        }
    }
    if prometheus.bearer_token_file.is_some() && prometheus.bearer_token_env.is_some() {
        return Err(format!(
            "{}: give bearer_token_file or bearer_token_env, not both",
            at("prometheus")
        ));
    }
    let timeout = match &prometheus.timeout {
        Some(t) => within(
            &at("prometheus.timeout"),
            duration(&at("prometheus.timeout"), &t.as_text())?,
            Duration::from_millis(100),
            Duration::from_secs(300),
        )?,
        None => Duration::from_secs(10),
    };
    let interval = within(
        &at("interval"),
        duration(
            &at("interval"),
            s.interval
                .as_ref()
                .map_or("30s".to_string(), Text::as_text)
                .as_str(),
        )?,
        Duration::from_secs(1),
        Duration::from_secs(3600),
    )?;
    let initial_delay = within(
        &at("initial_delay"),
        duration(
            &at("initial_delay"),
            s.initial_delay
                .as_ref()
                .map_or("0s".to_string(), Text::as_text)
                .as_str(),
        )?,
        Duration::ZERO,
        Duration::from_secs(3600),
    )?;
    let baseline_offset = within(
        &at("baseline_offset"),
        duration(
            &at("baseline_offset"),
            s.baseline_offset
                .as_ref()
                .map_or("0s".to_string(), Text::as_text)
                .as_str(),
        )?,
        Duration::ZERO,
        Duration::from_secs(24 * 3600),
    )?;
    let count = match (s.count, &s.duration) {
        (Some(_), Some(_)) => {
            return Err(format!("{}: give count or duration, not both", at("count")));
        }
        (Some(c), None) => c,
        (None, Some(d)) => {
            let d = duration(&at("duration"), &d.as_text())?;
            u32::try_from(d.as_millis() / interval.as_millis().max(1)).unwrap_or(u32::MAX)
        }
        (None, None) => 20,
    };
    if count == 0 || count > MAX_COUNT {
        return Err(format!(
            "{}: {count} measurements; give 1 to {MAX_COUNT} (duration ÷ interval)",
            at("count")
        ));
    }
    if s.queries.is_empty() || s.queries.len() > MAX_QUERIES {
        return Err(format!(
            "{}: give 1 to {MAX_QUERIES} queries",
            at("queries")
        ));
    }
    let mut queries = Vec::new();
    for (i, q) in s.queries.into_iter().enumerate() {
        let qat = |f: &str| at(&format!("queries[{i}].{f}"));
        if q.name.trim().is_empty() || q.name.len() > 64 {
            return Err(format!("{}: 1 to 64 characters", qat("name")));
        }
        if queries.iter().any(|x: &Query| x.name == q.name) {
            return Err(format!("{}: {:?} is used twice", qat("name"), q.name));
        }
        if q.query.trim().is_empty() || q.query.len() > 4096 {
            return Err(format!("{}: 1 to 4096 characters of PromQL", qat("query")));
        }
        let cond = |f: &str, c: &Option<String>| {
            c.as_deref()
                .map(Condition::parse)
                .transpose()
                .map_err(|e| format!("{}: {e}", qat(f)))
        };
        let success = cond("success", &q.success)?;
        let failure = cond("failure", &q.failure)?;
        if let Some(c) = &q.compare
            && !(c.max_ratio.is_finite()
                && c.max_ratio >= 1.0
                && c.slack.is_finite()
                && c.slack >= 0.0)
        {
            return Err(format!(
                "{}: max_ratio must be at least 1 and slack not negative",
                qat("compare")
            ));
        }
        if success.is_none() && failure.is_none() && q.compare.is_none() {
            return Err(format!(
                "{}: give a success or failure condition (or a comparison): a query judged by nothing would always pass",
                qat("success")
            ));
        }
        queries.push(Query {
            name: q.name,
            query: q.query,
            success,
            failure,
            compare: q.compare,
        });
    }
    // Every measurement is kept in one signed record, which must fit the ledger's envelope.
    if count as usize * queries.len() > MAX_MEASUREMENTS {
        return Err(format!(
            "{}: {count} measurements × {} queries is more than the {MAX_MEASUREMENTS} one record keeps; lengthen the interval or split the queries",
            at("count"),
            queries.len()
        ));
    }
    if s.rollback.first().is_some_and(|c| c.trim().is_empty()) {
        return Err(format!("{}: the command is empty", at("rollback")));
    }
    let rollback_timeout = within(
        &at("rollback_timeout"),
        duration(
            &at("rollback_timeout"),
            s.rollback_timeout
                .as_ref()
                .map_or("10m".to_string(), Text::as_text)
                .as_str(),
        )?,
        Duration::from_secs(1),
        Duration::from_secs(3600),
    )?;
    Ok(SystemWatch {
        system: name.to_string(),
        environment: s.environment.unwrap_or_else(|| "production".into()),
        prometheus,
        timeout,
        interval,
        initial_delay,
        baseline_offset,
        count,
        failure_limit: s.failure_limit.unwrap_or(0),
        inconclusive_limit: s.inconclusive_limit.unwrap_or(0),
        consecutive_error_limit: s.consecutive_error_limit.unwrap_or(4),
        queries,
        rollback: s.rollback,
        rollback_timeout,
        incident: s.incident.unwrap_or(true),
    })
}
