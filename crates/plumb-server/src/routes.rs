//! Every route the server answers, API and web UI, in one table. Authorisation is decided from
//! it before any handler runs (see [`crate::authz`]): a method and path that are not in it are
//! refused, HEAD is authorised exactly as GET, OPTIONS answers without data. The OpenAPI
//! document lists exactly its API rows, and the role-matrix test walks every row.

use crate::tokens::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No authentication (health, readiness, the OpenAPI document, the login page, static files).
    Public,
    /// An API token (`Authorization: Bearer`) of one of these roles.
    Roles(&'static [Role]),
    /// A web UI session (cookie) whose token has one of these roles.
    Session(&'static [Role]),
    /// An API token of one of these roles, as `Authorization: Bearer` or, for callers that
    /// cannot send headers (Flagger's webhooks), in the JSON body at `metadata.token`.
    /// Authenticated and authorised exactly like [`Access::Roles`], before any handler runs.
    Hook(&'static [Role]),
}

const READERS: &[Role] = &[Role::Admin, Role::Auditor, Role::IncidentManager];
const WRITERS: &[Role] = &[Role::Admin, Role::Recorder];
/// A progressive delivery controller reads its system's verdicts with a controller token
/// (or the pipeline's recorder token).
const VERDICT_READERS: &[Role] = &[
    Role::Admin,
    Role::Auditor,
    Role::IncidentManager,
    Role::Recorder,
    Role::Controller,
];
/// A watch's state names its record and incident: for readers and the pipeline, not for a
/// controller's token.
const WATCH_READERS: &[Role] = &[
    Role::Admin,
    Role::Auditor,
    Role::IncidentManager,
    Role::Recorder,
];
const ALL: &[Role] = &[
    Role::Admin,
    Role::Auditor,
    Role::IncidentManager,
    Role::Recorder,
];
/// Every role that may log in to the web UI.
const UI: &[Role] = &[Role::Admin, Role::Auditor, Role::IncidentManager];
const ADMIN: &[Role] = &[Role::Admin];
const EXPORTERS: &[Role] = &[Role::Admin, Role::Auditor];
/// Prometheus scrapes with a metrics token.
const SCRAPERS: &[Role] = &[Role::Admin, Role::Metrics];
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
    (
        "GET",
        "/metrics",
        Access::Roles(SCRAPERS),
        "Prometheus metrics (a metrics or admin token)",
    ),
    ("GET", "/v1/openapi.json", Access::Public, "This document"),
    (
        "GET",
        "/v1/schemas/{name}",
        Access::Public,
        "The JSON Schema of an evidence record type (e.g. deployment), as plumb-records defines it",
    ),
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
        "GET",
        "/v1/verifications/latest",
        Access::Roles(VERDICT_READERS),
        "The latest post-deployment verification of a system (?system=, optional &commit=): successful, failed, inconclusive or pending; for Argo Rollouts' web metric",
    ),
    (
        "POST",
        "/v1/flagger/gate",
        Access::Hook(VERDICT_READERS),
        "Flagger webhook (confirm-promotion or rollout): 200 when the latest verification of metadata.system is successful, 412 otherwise; token in metadata.token",
    ),
    (
        "POST",
        "/v1/flagger/rollback",
        Access::Hook(VERDICT_READERS),
        "Flagger rollback webhook: 200 (roll back) when the latest verification of metadata.system failed, 412 otherwise; token in metadata.token",
    ),
    (
        "POST",
        "/v1/watches",
        Access::Roles(WRITERS),
        "Start a post-deployment watch of a system (JSON: system, optional deployment entry) under the server's watch configuration; 202 with its id",
    ),
    (
        "GET",
        "/v1/watches/{id}",
        Access::Roles(WATCH_READERS),
        "A watch the server runs: running, or done with its verdict, record and incident",
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
        "/v1/threats",
        Access::Roles(READERS),
        "Recorded cyber threats (RTS 2024/1772 Art. 10), with their notifications",
    ),
    (
        "POST",
        "/v1/threats",
        Access::Roles(INCIDENT_MANAGERS),
        "Record a cyber threat; a significant one gets its voluntary notification (CYB JSON)",
    ),
    (
        "GET",
        "/v1/recurring",
        Access::Roles(READERS),
        "Recurring incidents (RTS 2024/1772 Art. 8(2)): groups major together, and the incident opened for each",
    ),
    (
        "POST",
        "/v1/recurring",
        Access::Roles(INCIDENT_MANAGERS),
        "Open a major incident for each recurring group not yet opened",
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
    (
        "GET",
        "/v1/sessions",
        Access::Roles(ADMIN),
        "Live web UI sessions (never their cookies)",
    ),
    (
        "DELETE",
        "/v1/sessions/{id}",
        Access::Roles(ADMIN),
        "End a web UI session",
    ),
];

/// The web UI's routes: pages need a session, the login page and static files do not.
pub const UI_ROUTES: &[(&str, &str, Access, &str)] = &[
    ("GET", "/", Access::Public, "Redirect to the UI"),
    ("GET", "/ui/", Access::Public, "Redirect to the UI"),
    ("GET", "/ui/login", Access::Public, "Login form"),
    ("POST", "/ui/login", Access::Public, "Log in with a token"),
    ("GET", "/ui/static/app.css", Access::Public, "Style sheet"),
    (
        "GET",
        "/ui/static/proof.js",
        Access::Public,
        "In-browser proof check",
    ),
    (
        "GET",
        "/ui/static/countdown.js",
        Access::Public,
        "Deadline countdowns",
    ),
    ("POST", "/ui/logout", Access::Session(UI), "Log out"),
    ("GET", "/ui", Access::Session(UI), "Overview"),
    ("GET", "/ui/entries", Access::Session(UI), "Evidence search"),
    (
        "GET",
        "/ui/entries/{index}",
        Access::Session(UI),
        "One entry",
    ),
    ("GET", "/ui/checkpoints", Access::Session(UI), "Checkpoints"),
    (
        "GET",
        "/ui/delivery",
        Access::Session(UI),
        "Delivery measures",
    ),
    (
        "GET",
        "/ui/resilience",
        Access::Session(UI),
        "Resilience tests and watches per critical or important function",
    ),
    (
        "GET",
        "/ui/third-parties",
        Access::Session(UI),
        "The Register of Information: providers, contracts, concentration, chains, the latest package",
    ),
    (
        "GET",
        "/ui/third-parties/package",
        Access::Session(UI),
        "The latest recorded register package (zip)",
    ),
    (
        "GET",
        "/ui/deployments/{index}",
        Access::Session(UI),
        "One deployment",
    ),
    (
        "GET",
        "/ui/architecture",
        Access::Session(UI),
        "Architecture",
    ),
    (
        "GET",
        "/ui/export",
        Access::Session(EXPORTERS),
        "Evidence pack",
    ),
    ("GET", "/ui/incidents", Access::Session(UI), "Incidents"),
    (
        "GET",
        "/ui/incidents/{id}",
        Access::Session(UI),
        "One incident",
    ),
    (
        "GET",
        "/ui/incidents/{id}/reports/{stage}",
        Access::Session(UI),
        "A report document",
    ),
];

/// Every row: the API's, then the UI's.
pub fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, Access, &'static str)> {
    ROUTES.iter().chain(UI_ROUTES)
}

/// Whether a concrete request path matches a table path (`{name}` matches one non-empty
/// segment).
pub fn matches(pattern: &str, path: &str) -> bool {
    let mut p = pattern.split('/');
    let mut q = path.split('/');
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) => {
                let param = a.starts_with('{') && a.ends_with('}');
                if !(a == b || (param && !b.is_empty())) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// What the table says of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The route and its access rule.
    Found(&'static str, Access),
    /// The path exists, but not with this method; these methods it takes.
    MethodNotAllowed(Vec<&'static str>),
    /// No such path.
    NotFound,
}

/// Looks a request up in the table. HEAD is looked up as GET; literal segments win over
/// parameters (`/ui/static/app.css` before any `{param}`).
pub fn lookup(method: &str, path: &str) -> Lookup {
    let method = if method == "HEAD" { "GET" } else { method };
    let candidates: Vec<_> = all().filter(|r| matches(r.1, path)).collect();
    if candidates.is_empty() {
        return Lookup::NotFound;
    }
    let mut best: Option<&(&str, &str, Access, &str)> = None;
    for r in candidates.iter().filter(|r| r.0 == method) {
        let literal = |p: &str| p.split('/').filter(|s| !s.starts_with('{')).count();
        if best.is_none_or(|b| literal(r.1) > literal(b.1)) {
            best = Some(r);
        }
    }
    match best {
        Some(r) => Lookup::Found(r.1, r.2),
        None => {
            let mut methods: Vec<&'static str> = candidates.iter().map(|r| r.0).collect();
            methods.sort_unstable();
            methods.dedup();
            Lookup::MethodNotAllowed(methods)
        }
    }
}

/// The methods a path takes, for `Allow` and OPTIONS (HEAD wherever GET, and OPTIONS).
pub fn allowed(path: &str) -> Vec<&'static str> {
    let mut m: Vec<&'static str> = all().filter(|r| matches(r.1, path)).map(|r| r.0).collect();
    if m.contains(&"GET") {
        m.push("HEAD");
    }
    if !m.is_empty() {
        m.push("OPTIONS");
    }
    m.sort_unstable();
    m.dedup();
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_segment_by_segment() {
        assert!(matches("/v1/entries/{index}", "/v1/entries/7"));
        assert!(!matches("/v1/entries/{index}", "/v1/entries/"));
        assert!(!matches("/v1/entries/{index}", "/v1/entries/7/proof"));
        assert!(!matches("/v1/entries", "/v1/entries/"));
        assert!(matches("/", "/"));
        assert!(!matches("/ui", "/ui/"));
    }

    #[test]
    fn head_is_get_and_unknown_methods_are_refused() {
        assert_eq!(
            lookup("HEAD", "/v1/export"),
            Lookup::Found("/v1/export", Access::Roles(EXPORTERS))
        );
        assert_eq!(
            lookup("PUT", "/v1/export"),
            Lookup::MethodNotAllowed(vec!["GET"])
        );
        assert_eq!(lookup("GET", "/v1/nothing"), Lookup::NotFound);
        assert_eq!(
            allowed("/v1/entries"),
            vec!["GET", "HEAD", "OPTIONS", "POST"]
        );
        assert!(matches!(
            lookup("GET", "/ui/static/app.css"),
            Lookup::Found("/ui/static/app.css", Access::Public)
        ));
    }

    #[test]
    fn every_path_is_unique_per_method() {
        let mut seen = std::collections::HashSet::new();
        for r in all() {
            assert!(seen.insert((r.0, r.1)), "{} {} twice", r.0, r.1);
        }
    }
}
