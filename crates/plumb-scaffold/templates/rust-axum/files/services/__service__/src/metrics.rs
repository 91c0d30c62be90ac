//! Prometheus metrics in the text exposition format (version 0.0.4), kept in memory.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::AppState;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    durations: BTreeMap<(String, String), Histogram>,
    logins: BTreeMap<&'static str, u64>,
    registrations: u64,
    transitions: BTreeMap<String, u64>,
}

/// The service's metrics.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g);
    }

    /// Counts a request to a route (the route pattern, never the raw path: bounded labels).
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.with(|m| {
            *m.requests
                .entry((method.into(), route.into(), status))
                .or_default() += 1;
            let h = m
                .durations
                .entry((method.into(), route.into()))
                .or_default();
            for (i, le) in BUCKETS.iter().enumerate() {
                if seconds <= *le {
                    h.buckets[i] += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        });
    }

    /// Counts a sign-in attempt.
    pub fn login(&self, ok: bool) {
        self.with(|m| {
            *m.logins
                .entry(if ok { "success" } else { "failure" })
                .or_default() += 1
        });
    }

    /// Counts a registration.
    pub fn registration(&self) {
        self.with(|m| m.registrations += 1);
    }

    /// Counts an onboarding transition.
    pub fn transition(&self, key: &str) {
        self.with(|m| *m.transitions.entry(key.into()).or_default() += 1);
    }

    /// The exposition text.
    pub fn text(&self) -> String {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut o = String::new();
        o.push_str("# HELP http_requests_total HTTP requests by method, route and status.\n# TYPE http_requests_total counter\n");
        for ((method, route, status), n) in &g.requests {
            let _ = writeln!(
                o,
                "http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                label(method),
                label(route)
            );
        }
        o.push_str("# HELP http_request_duration_seconds HTTP request latency.\n# TYPE http_request_duration_seconds histogram\n");
        for ((method, route), h) in &g.durations {
            let l = format!("method=\"{}\",route=\"{}\"", label(method), label(route));
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "http_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {}",
                    h.buckets[i]
                );
            }
            let _ = writeln!(
                o,
                "http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(o, "http_request_duration_seconds_sum{{{l}}} {}", h.sum);
            let _ = writeln!(o, "http_request_duration_seconds_count{{{l}}} {}", h.count);
        }
        o.push_str("# HELP auth_logins_total Sign-in attempts by result.\n# TYPE auth_logins_total counter\n");
        for result in ["success", "failure"] {
            let _ = writeln!(
                o,
                "auth_logins_total{{result=\"{result}\"}} {}",
                g.logins.get(result).copied().unwrap_or(0)
            );
        }
        o.push_str("# HELP auth_registrations_total Accounts registered.\n# TYPE auth_registrations_total counter\n");
        let _ = writeln!(o, "auth_registrations_total {}", g.registrations);
        if crate::HAS_ONBOARDING {
            o.push_str("# HELP onboarding_transitions_total Onboarding steps taken, by transition.\n# TYPE onboarding_transitions_total counter\n");
            for (k, n) in &g.transitions {
                let _ = writeln!(
                    o,
                    "onboarding_transitions_total{{transition=\"{}\"}} {n}",
                    label(k)
                );
            }
        }
        o
    }
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.text(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.request("GET", "/", 200, 0.02);
        m.request("GET", "/", 200, 3.0);
        let t = m.text();
        assert!(
            t.contains("http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 2"),
            "{t}"
        );
        assert!(t.contains("le=\"0.01\"} 0"));
        assert!(t.contains("le=\"0.025\"} 1"));
        assert!(t.contains("le=\"5\"} 2"));
        assert!(t.contains("le=\"+Inf\"} 2"));
        assert!(t.contains("auth_logins_total{result=\"failure\"} 0"));
    }
}
