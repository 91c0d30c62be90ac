//! The Prometheus HTTP API: an instant query (`GET /api/v1/query`) and its answer. The answer
//! is hostile input: a status other than `success` or `error`, a result type that is not a
//! vector, scalar or matrix, a value that is not a number in a string, are refused with the
//! reason; warnings are kept; no series is "no data", never zero.

use std::time::Duration;

use serde_json::Value;

use plumb_records::verification::SeriesValue;

/// Largest answer read.
const MAX_ANSWER: u64 = 8 << 20;
/// Most series kept from one answer.
const MAX_SERIES: usize = 1000;

/// What one query answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// One value per series (the last sample of each series for a range answer).
    pub values: Vec<SeriesValue>,
    /// Warnings Prometheus sent with the answer.
    pub warnings: Vec<String>,
}

fn labels(metric: Option<&Value>) -> Result<String, String> {
    let Some(m) = metric else {
        return Ok(String::new());
    };
    let m = m
        .as_object()
        .ok_or_else(|| "a series' `metric` is not an object".to_string())?;
    let mut parts = Vec::new();
    for (k, v) in m {
        let v = v
            .as_str()
            .ok_or_else(|| format!("label {k:?} is not a string"))?;
        parts.push(format!("{k}={v:?}"));
    }
    Ok(if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    })
}

/// A `[timestamp, "value"]` pair's value.
fn sample(v: &Value) -> Result<f64, String> {
    let pair = v
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| "a sample is not a [time, \"value\"] pair".to_string())?;
    if !pair.first().is_some_and(Value::is_number) {
        return Err("a sample's time is not a number".into());
    }
    let s = pair
        .get(1)
        .and_then(Value::as_str)
        .ok_or_else(|| "a sample's value is not a string".to_string())?;
    // Prometheus writes NaN and ±Inf as strings too; they parse, and the judge treats a
    // non-finite value as an error of the measurement.
    s.parse::<f64>()
        .map_err(|_| format!("sample value {s:?} is not a number"))
}

/// Parses an answer of the query API.
pub fn parse(body: &[u8]) -> Result<Answer, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let warnings: Vec<String> = v
        .get("warnings")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    match v.get("status").and_then(Value::as_str) {
        Some("success") => {}
        Some("error") => {
            return Err(format!(
                "Prometheus answered an error ({}): {}",
                v.get("errorType")
                    .and_then(Value::as_str)
                    .unwrap_or("no type"),
                v.get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("no message")
            ));
        }
        Some(other) => {
            return Err(format!(
                "status {other:?} is not one Prometheus documents (success or error){}",
                if warnings.is_empty() {
                    String::new()
                } else {
                    format!("; warnings: {}", warnings.join("; "))
                }
            ));
        }
        None => return Err("no `status`: not a Prometheus API answer".into()),
    }
    let data = v.get("data").ok_or("no `data`")?;
    let kind = data
        .get("resultType")
        .and_then(Value::as_str)
        .ok_or("no `data.resultType`")?;
    let result = data.get("result").ok_or("no `data.result`")?;
    let mut values = Vec::new();
    match kind {
        "scalar" => values.push(SeriesValue {
            labels: String::new(),
            value: sample(result)?,
        }),
        "vector" | "matrix" => {
            let series = result
                .as_array()
                .ok_or_else(|| format!("the {kind} result is not a list"))?;
            if series.len() > MAX_SERIES {
                return Err(format!(
                    "{} series: more than {MAX_SERIES}; aggregate the query (sum, max)",
                    series.len()
                ));
            }
            for s in series {
                let value = if kind == "vector" {
                    sample(s.get("value").ok_or("a series has no `value`")?)?
                } else {
                    let all = s
                        .get("values")
                        .and_then(Value::as_array)
                        .ok_or("a series has no `values`")?;
                    match all.last() {
                        Some(last) => sample(last)?,
                        None => continue,
                    }
                };
                values.push(SeriesValue {
                    labels: labels(s.get("metric"))?,
                    value,
                });
            }
        }
        other => {
            return Err(format!(
                "result type {other:?}: a watch query must give numbers (vector or scalar)"
            ));
        }
    }
    Ok(Answer { values, warnings })
}

/// A client of one Prometheus.
pub struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl Client {
    /// A client of `base` with an optional bearer token, each answer awaited at most `timeout`.
    pub fn new(base: &str, token: Option<String>, timeout: Duration) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .new_agent();
        Client {
            base: base.trim_end_matches('/').to_string(),
            token,
            agent,
        }
    }

    /// The base URL (for the record; never the token).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Evaluates `query` at `time` (Unix seconds; now when `None`).
    pub fn query(&self, query: &str, time: Option<f64>) -> Result<Answer, String> {
        let mut req = self
            .agent
            .get(format!("{}/api/v1/query", self.base))
            .query("query", query);
        if let Some(t) = time {
            req = req.query("time", format!("{t:.3}"));
        }
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut r = req
            .call()
            .map_err(|e| format!("Prometheus at {} unreachable: {e}", self.base))?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(|e| format!("reading the answer of {}: {e}", self.base))?;
        // Prometheus answers errors with 400, 422 and 503 and a JSON body that says why.
        match parse(&body) {
            Ok(a) if status == 200 => Ok(a),
            Ok(_) => Err(format!("HTTP {status} from {}", self.base)),
            Err(e) if status == 200 => Err(e),
            Err(e) => Err(format!("HTTP {status} from {}: {e}", self.base)),
        }
    }
}
