//! The API's routes in one table: the router is checked against it, the OpenAPI document must
//! list exactly these, and the role-matrix test walks it.

use crate::tokens::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No authentication (health, metrics, the OpenAPI document).
    Public,
    /// Only these roles.
    Roles(&'static [Role]),
}

const READERS: &[Role] = &[Role::Admin, Role::Auditor, Role::IncidentManager];
const WRITERS: &[Role] = &[Role::Admin, Role::Recorder];
const ALL: &[Role] = &[
    Role::Admin,
    Role::Auditor,
    Role::IncidentManager,
    Role::Recorder,
];
const ADMIN: &[Role] = &[Role::Admin];
const EXPORTERS: &[Role] = &[Role::Admin, Role::Auditor];
const INCIDENT_MANAGERS: &[Role] = &[Role::Admin, Role::IncidentManager];
/// Monitoring sends alerts with a recorder or incident-manager token.
const ALERTERS: &[Role] = &[Role::Admin, Role::IncidentManager, Role::Recorder];

/// (method, path as in OpenAPI, access, summary)
pub const ROUTES: &[(&str, &str, Access, &str)] = &[
    ("GET", "/healthz", Access::Public, "Liveness"),
    (
        "GET",
        "/readyz",
        Access::Public,
        "Readiness: the store answers",
    ),
    ("GET", "/metrics", Access::Public, "Prometheus metrics"),
    ("GET", "/v1/openapi.json", Access::Public, "This document"),
    (
        "POST",
        "/v1/entries",
        Access::Roles(WRITERS),
        "Append a DSSE envelope (signature verified against the store's trusted keys); blob=NAME@sha256:HEX references uploaded blobs",
    ),
    (
        "GET",
        "/v1/entries",
        Access::Roles(READERS),
        "Query entries by subject, system, predicate type, run and time, paginated",
    ),
    (
        "GET",
        "/v1/entries/{index}",
        Access::Roles(READERS),
        "One entry with its statement",
    ),
    (
        "GET",
        "/v1/entries/{index}/proof",
        Access::Roles(READERS),
        "Inclusion proof to the latest checkpoint (C2SP tlog-proof)",
    ),
    (
        "GET",
        "/v1/checkpoint",
        Access::Roles(ALL),
        "The latest signed checkpoint",
    ),
    (
        "GET",
        "/v1/consistency",
        Access::Roles(READERS),
        "Consistency proof between two tree sizes",
    ),
    (
        "POST",
        "/v1/blobs",
        Access::Roles(WRITERS),
        "Upload a blob (streamed, size-limited); returns its digest",
    ),
    (
        "GET",
        "/v1/blobs/{digest}",
        Access::Roles(READERS),
        "Download a blob by SHA-256",
    ),
    (
        "GET",
        "/v1/export",
        Access::Roles(EXPORTERS),
        "Evidence pack (tar) for a selection",
    ),
    (
        "POST",
        "/v1/gate",
        Access::Roles(WRITERS),
        "Evaluate a gate request (inputs inline) at the server's time; optionally record the decision",
    ),
    (
        "POST",
        "/v1/model/check",
        Access::Roles(WRITERS),
        "Check an ArchiMate model (exchange XML or YAML body); optionally record the check",
    ),
    (
        "POST",
        "/v1/alerts/alertmanager",
        Access::Roles(ALERTERS),
        "Alertmanager webhook (payload version 4): opens, joins or mitigates incidents, deduplicated per alert",
    ),
    (
        "POST",
        "/v1/alerts",
        Access::Roles(ALERTERS),
        "Generic JSON alert(s): one object or {\"alerts\": [...]}",
    ),
    (
        "GET",
        "/v1/incidents",
        Access::Roles(READERS),
        "Incidents with status, classification and reporting deadlines",
    ),
    (
        "POST",
        "/v1/incidents",
        Access::Roles(INCIDENT_MANAGERS),
        "Open an incident by hand",
    ),
    (
        "GET",
        "/v1/incidents/{id}",
        Access::Roles(READERS),
        "One incident: timeline from the ledger, links, classification, reports, deadlines",
    ),
    (
        "POST",
        "/v1/incidents/{id}",
        Access::Roles(INCIDENT_MANAGERS),
        "An operation: classify, reclassify, report, submit, notice, mitigate, resolve, root_cause, link",
    ),
    (
        "GET",
        "/v1/incidents/{id}/reports/{stage}",
        Access::Roles(READERS),
        "The latest generated report document (JSON, or ?format=html)",
    ),
    (
        "GET",
        "/v1/tokens",
        Access::Roles(ADMIN),
        "List tokens (never secrets)",
    ),
    ("POST", "/v1/tokens", Access::Roles(ADMIN), "Create a token"),
    (
        "DELETE",
        "/v1/tokens/{id}",
        Access::Roles(ADMIN),
        "Revoke a token",
    ),
];

/// The access rule of a route.
pub fn access(method: &str, path: &str) -> Option<Access> {
    ROUTES
        .iter()
        .find(|(m, p, _, _)| *m == method && *p == path)
        .map(|r| r.2)
}
