//! The server's audit records: who used the API and the UI (access summaries, one per
//! interval), and the security events written one by one (token created, revoked or first
//! used, a login, a failed authentication, a forbidden request, a session ended). The server
//! writes them, signed by the store key, as the system `plumb-server`; an auditor reads them
//! like any other evidence.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Record;

/// One row of an access summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AccessRow {
    /// `token <id>` or `client <address>`.
    pub principal: String,
    /// HTTP method.
    pub method: String,
    /// The route from the route table (never the raw path, so rows stay few).
    pub route: String,
    /// `ok`, `no-token`, `bad-token`, `forbidden`, `rate-limited`.
    pub outcome: String,
    /// Requests in the interval.
    pub count: u64,
}

/// An audit record: what happened, by its `event` name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "event")]
pub enum AuditEvent {
    /// Requests of one interval, counted by principal, route and outcome.
    #[serde(rename = "access.summary")]
    AccessSummary {
        /// Start of the interval (RFC 3339).
        from: String,
        /// End of the interval.
        to: String,
        /// Counts by principal, route and outcome.
        rows: Vec<AccessRow>,
        /// Requests not given a row because the summary was full.
        overflow: u64,
        /// Security events not written individually because of the per-minute cap.
        events_suppressed: u64,
    },
    /// An API token was created.
    #[serde(rename = "token.create")]
    TokenCreate {
        /// Its id.
        token: String,
        /// Its role.
        role: String,
        /// The systems it is limited to (none: all).
        systems: Vec<String>,
        /// The admin token that created it.
        by: String,
    },
    /// An API token was revoked.
    #[serde(rename = "token.revoke")]
    TokenRevoke {
        /// Its id.
        token: String,
        /// The admin token that revoked it.
        by: String,
    },
    /// A token was used for the first time since the server started.
    #[serde(rename = "token.first-use")]
    TokenFirstUse {
        /// Its id.
        token: String,
        /// Its role.
        role: String,
        /// HTTP method.
        method: String,
        /// The route.
        route: String,
        /// The client address.
        client: String,
    },
    /// A UI session was ended by an admin.
    #[serde(rename = "session.revoke")]
    SessionRevoke {
        /// The session id.
        session: String,
        /// The token it was opened with.
        token: String,
        /// The admin token that ended it.
        by: String,
    },
    /// A token was refused a route its role does not allow.
    #[serde(rename = "auth.forbidden")]
    AuthForbidden {
        /// Its id.
        token: String,
        /// Its role.
        role: String,
        /// HTTP method.
        method: String,
        /// The route.
        route: String,
    },
    /// Someone logged in to the UI with a token.
    #[serde(rename = "auth.login")]
    AuthLogin {
        /// How (`ui-login`).
        via: String,
        /// The token's id.
        token: String,
        /// Its role.
        role: String,
        /// The session opened.
        session: String,
        /// The client address.
        client: String,
    },
    /// An authentication failed.
    #[serde(rename = "auth.failure")]
    AuthFailure {
        /// Where (`ui-login`).
        via: String,
        /// Why.
        reason: String,
        /// The client address.
        client: String,
    },
}

impl Record for AuditEvent {
    const PREDICATE_TYPE: &'static str = "https://plumbline.dev/attestation/audit/v1";
    const NAME: &'static str = "audit";
}

impl AuditEvent {
    /// Whether it is a failed authentication (those have their own per-minute budget).
    pub fn is_failure(&self) -> bool {
        matches!(self, AuditEvent::AuthFailure { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn audit_records_round_trip_with_their_event_names() {
        let e = AuditEvent::TokenCreate {
            token: "t1".into(),
            role: "auditor".into(),
            systems: vec!["payments".into()],
            by: "admin".into(),
        };
        let v = e.to_predicate();
        assert_eq!(
            v,
            json!({"event": "token.create", "token": "t1", "role": "auditor", "systems": ["payments"], "by": "admin"})
        );
        assert_eq!(AuditEvent::from_predicate(&v).unwrap(), e);
        let s = AuditEvent::AccessSummary {
            from: "a".into(),
            to: "b".into(),
            rows: vec![AccessRow {
                principal: "token t1".into(),
                method: "GET".into(),
                route: "/v1/entries".into(),
                outcome: "ok".into(),
                count: 3,
            }],
            overflow: 0,
            events_suppressed: 0,
        };
        assert_eq!(s.to_predicate()["event"], "access.summary");
        assert_eq!(AuditEvent::from_predicate(&s.to_predicate()).unwrap(), s);
        assert!(
            AuditEvent::AuthFailure {
                via: "ui-login".into(),
                reason: "r".into(),
                client: "c".into()
            }
            .is_failure()
        );
    }

    #[test]
    fn unknown_audit_events_are_refused() {
        let e =
            AuditEvent::from_predicate(&json!({"event": "token.steal", "token": "t"})).unwrap_err();
        assert!(e.contains("audit") && e.contains("token.steal"), "{e}");
    }
}
