//! The access trail without amplification. Routine traffic (authenticated machine requests,
//! requests without a token, failed authentications) is counted in memory and written as one
//! signed summary per interval: who (token id or client address), which route, what outcome,
//! how many. Security-relevant events (login, token create and revoke, the first use of a token
//! in this process, role and scope refusals) are written one by one, but at most
//! [`MAX_EVENTS_PER_MINUTE`] a minute; the rest are counted in the next summary. So the log
//! grows by the evidence appended plus a bounded number of audit entries, whatever the load.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use plumb_records::audit::AuditEvent;

use crate::state::lock;

/// Distinct (principal, method, route, outcome) rows one summary holds; further rows are
/// counted in `overflow` so memory stays bounded under a flood of distinct clients.
pub const MAX_ROWS: usize = 4096;
/// Individual security events written per minute at most.
pub const MAX_EVENTS_PER_MINUTE: u32 = 120;
/// Individual records of failed authentications a minute, a budget of their own: failures from
/// many addresses cannot use up the budget that records logins, token changes and refusals.
pub const MAX_FAILURE_EVENTS_PER_MINUTE: u32 = 60;
/// Tokens remembered as already used (the first use of each is an individual event).
const MAX_SEEN_TOKENS: usize = 65_536;

/// One row of a summary (the record type).
pub use plumb_records::audit::AccessRow as Row;

/// What one summary says; written as [`AuditEvent::AccessSummary`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Start of the interval (RFC 3339).
    pub from: String,
    /// End of the interval.
    pub to: String,
    /// Counts by principal, route and outcome.
    pub rows: Vec<Row>,
    /// Requests not given a row because the summary was full.
    pub overflow: u64,
    /// Security events not written individually because of the per-minute cap.
    pub events_suppressed: u64,
}

impl Summary {
    /// The audit record that carries it.
    pub fn into_event(self) -> AuditEvent {
        AuditEvent::AccessSummary {
            from: self.from,
            to: self.to,
            rows: self.rows,
            overflow: self.overflow,
            events_suppressed: self.events_suppressed,
        }
    }
}

struct Inner {
    since: DateTime<Utc>,
    rows: BTreeMap<(String, String, String, String), u64>,
    overflow: u64,
    seen: HashSet<String>,
    minute: Instant,
    events: u32,
    failure_events: u32,
    suppressed: u64,
}

/// The counters, shared by every request.
pub struct AccessLog(Mutex<Inner>);

impl AccessLog {
    /// An empty trail starting at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        AccessLog(Mutex::new(Inner {
            since: now,
            rows: BTreeMap::new(),
            overflow: 0,
            seen: HashSet::new(),
            minute: Instant::now(),
            events: 0,
            failure_events: 0,
            suppressed: 0,
        }))
    }

    /// Counts one request. The method is kept only if it is a standard one (a client may
    /// send any token as a method, of any length), so every row stays small.
    pub fn count(&self, principal: &str, method: &str, route: &str, outcome: &str) {
        const KNOWN: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
        let method = if KNOWN.contains(&method) {
            method
        } else {
            "OTHER"
        };
        let principal = crate::ui::prefix(principal, 64);
        let mut g = lock(&self.0);
        let key = (
            principal.to_string(),
            method.to_string(),
            route.to_string(),
            outcome.to_string(),
        );
        if let Some(n) = g.rows.get_mut(&key) {
            *n += 1;
        } else if g.rows.len() < MAX_ROWS {
            g.rows.insert(key, 1);
        } else {
            g.overflow += 1;
        }
    }

    /// Whether this is the first time this process sees token `id` used.
    pub fn first_use(&self, id: &str) -> bool {
        let mut g = lock(&self.0);
        if g.seen.contains(id) {
            return false;
        }
        if g.seen.len() >= MAX_SEEN_TOKENS {
            g.seen.clear();
        }
        g.seen.insert(id.to_string());
        true
    }

    /// Whether one more individual security event may be written this minute; when not, it is
    /// counted as suppressed in the next summary. Failed authentications (`failure`) have a
    /// budget of their own.
    pub fn allow_event(&self, failure: bool) -> bool {
        let mut g = lock(&self.0);
        if g.minute.elapsed() >= Duration::from_secs(60) {
            g.minute = Instant::now();
            g.events = 0;
            g.failure_events = 0;
        }
        let (used, cap) = if failure {
            (&mut g.failure_events, MAX_FAILURE_EVENTS_PER_MINUTE)
        } else {
            (&mut g.events, MAX_EVENTS_PER_MINUTE)
        };
        if *used < cap {
            *used += 1;
            true
        } else {
            g.suppressed += 1;
            false
        }
    }

    /// The summary of everything counted since the last one, and a fresh interval; `None`
    /// when nothing happened (an idle server writes nothing).
    pub fn take(&self, now: DateTime<Utc>) -> Option<Summary> {
        let mut g = lock(&self.0);
        if g.rows.is_empty() && g.overflow == 0 && g.suppressed == 0 {
            g.since = now;
            return None;
        }
        let rows = std::mem::take(&mut g.rows)
            .into_iter()
            .map(|((principal, method, route, outcome), count)| Row {
                principal,
                method,
                route,
                outcome,
                count,
            })
            .collect();
        let s = Summary {
            from: plumb_ledger::entry::format_time(g.since),
            to: plumb_ledger::entry::format_time(now),
            rows,
            overflow: std::mem::take(&mut g.overflow),
            events_suppressed: std::mem::take(&mut g.suppressed),
        };
        g.since = now;
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_summarised_once_and_bounded() {
        let t0 = Utc::now();
        let log = AccessLog::new(t0);
        assert!(log.take(t0).is_none(), "an idle interval writes nothing");
        for _ in 0..1000 {
            log.count("token abc", "GET", "/v1/entries", "ok");
        }
        for i in 0..(MAX_ROWS + 10) {
            log.count(
                &format!("client 10.0.0.{i}"),
                "GET",
                "/v1/export",
                "no-token",
            );
        }
        log.count("client 1", &"X".repeat(100_000), "(unknown)", "no-token");
        let s = log.take(t0).unwrap();
        assert_eq!(s.rows.len(), MAX_ROWS);
        assert!(
            s.rows.iter().all(|r| r.method.len() <= 7),
            "hostile methods are not kept"
        );
        assert_eq!(
            s.overflow, 12,
            "one row for the token, the rest over the cap"
        );
        let tok = s.rows.iter().find(|r| r.principal == "token abc").unwrap();
        assert_eq!(tok.count, 1000);
        assert!(log.take(t0).is_none(), "taken means reset");
    }

    #[test]
    fn individual_events_are_capped_per_minute() {
        let log = AccessLog::new(Utc::now());
        // Failures first: they cannot use up the budget of the other events.
        let failures = (0..500).filter(|_| log.allow_event(true)).count();
        assert_eq!(failures, MAX_FAILURE_EVENTS_PER_MINUTE as usize);
        let allowed = (0..500).filter(|_| log.allow_event(false)).count();
        assert_eq!(allowed, MAX_EVENTS_PER_MINUTE as usize);
        assert_eq!(
            log.take(Utc::now()).unwrap().events_suppressed,
            1000 - 60 - 120
        );
        assert!(log.first_use("t1"));
        assert!(!log.first_use("t1"));
    }
}
