//! The role matrix, generated from the route table: every route (API and UI) × every role ×
//! its method and HEAD, plus no token, an expired token and a revoked token; methods and
//! paths the table does not know; OPTIONS. Then the audit trail: routine access is summarised,
//! not written once per request.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{Server, envelope, login};
use plumb_server::routes::{Access, ROUTES, UI_ROUTES};
use plumb_server::tokens::{Role, Tokens};
use plumb_testkit::{Resp, http};

const BANK_MODEL: &str = include_str!("../../../examples/model/bank.yaml");
const ROLES: [Role; 6] = [
    Role::Admin,
    Role::Recorder,
    Role::Auditor,
    Role::IncidentManager,
    Role::Metrics,
    Role::Controller,
];

fn call(
    srv: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    ct: &str,
    body: &[u8],
) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h: Vec<(&str, &str)> = vec![("Content-Type", ct)];
    if let Some(a) = &auth {
        h.push(("Authorization", a));
    }
    http(srv.addr, method, path, &h, body)
}

fn concrete(path: &str, id: &str) -> String {
    path.replace("{index}", "0")
        .replace("{digest}", &format!("sha256:{}", "0".repeat(64)))
        .replace("{id}", id)
        .replace("{stage}", "initial")
        .replace("{name}", "deployment")
}

/// A request that the handler can act on, for each API row.
fn request(
    method: &str,
    path: &str,
    srv: &Server,
    victim: &str,
) -> (String, &'static str, Vec<u8>) {
    let p = concrete(path, victim);
    let p = match (method, path) {
        ("GET", "/v1/consistency") => format!("{p}?old=0&new=1"),
        ("GET", "/v1/verifications/latest") => format!("{p}?system=payments"),
        ("POST", "/v1/entries") => format!("{p}?system=payments"),
        ("POST", "/v1/model/check") => format!("{p}?record=true&system=payments&name=bank.yaml"),
        _ => p,
    };
    let body: Vec<u8> = match (method, path) {
        ("POST", "/v1/entries") => envelope(&srv.store, 2),
        ("POST", "/v1/tokens") => br#"{"role":"auditor","label":"x"}"#.to_vec(),
        ("POST", "/v1/blobs") => b"blob".to_vec(),
        ("POST", "/v1/gate") => br#"{"system":"payments","record":true}"#.to_vec(),
        ("POST", "/v1/model/check") => BANK_MODEL.as_bytes().to_vec(),
        ("POST", "/v1/alerts/alertmanager") => br#"{"version":"4","status":"firing","alerts":[{"labels":{"alertname":"X","service":"payments"},"startsAt":"2026-01-01T00:00:00Z"}]}"#.to_vec(),
        ("POST", "/v1/alerts") => br#"{"id":"a1","status":"firing","title":"X","service":"payments","started_at":"2026-01-01T00:00:00Z"}"#.to_vec(),
        ("POST", "/v1/incidents") => br#"{"title":"opened by the role test"}"#.to_vec(),
        ("POST", "/v1/watches") => br#"{"system":"payments"}"#.to_vec(),
        ("POST", "/v1/flagger/gate" | "/v1/flagger/rollback") => {
            br#"{"name":"payments","namespace":"prod","phase":"Progressing","metadata":{"system":"payments"}}"#.to_vec()
        }
        ("POST", "/v1/incidents/{id}") => br#"{"op":"resolve"}"#.to_vec(),
        ("POST", "/v1/threats") => br#"{"detected_at":"2026-01-01T00:00:00Z","description":"x","potential_impact":"y","criteria":["data_losses"],"status":"active","actions_taken":"z","services":["payments"],"test":{"could_affect_critical_functions_or_others":true,"high_probability":false}}"#.to_vec(),
        _ => vec![],
    };
    let ct = if path == "/v1/model/check" {
        "application/yaml"
    } else {
        "application/json"
    };
    (p, ct, body)
}

fn methods_of(method: &'static str) -> Vec<&'static str> {
    if method == "GET" {
        vec!["GET", "HEAD"]
    } else {
        vec![method]
    }
}

#[test]
fn every_route_against_every_role_and_method() {
    // The failure limiter has its own test (api.rs); here expired and revoked tokens are
    // presented on every route.
    let srv = Server::start_with(|c| c.max_auth_failures = 100_000);
    let tokens: Vec<(Role, String)> = ROLES
        .into_iter()
        // Recorders and controllers are scoped to the system the requests name (they must be);
        // readers are not scoped here
        // (read scoping has its own test, scope.rs).
        .map(|r| {
            let systems: &[&str] = if matches!(r, Role::Recorder | Role::Controller) {
                &["payments"]
            } else {
                &[]
            };
            (r, srv.token(r, systems).0)
        })
        .collect();
    let admin = tokens[0].1.clone();
    // An expired and a revoked token (both auditors, who may read).
    let mut t = Tokens::load(&srv.store).unwrap();
    let (expired, _) = t
        .create(
            Role::Auditor,
            vec![],
            "old",
            Some(chrono::Duration::hours(1)),
            Utc::now() - chrono::Duration::hours(2),
        )
        .unwrap();
    let (revoked, rid) = t
        .create(Role::Auditor, vec![], "gone", None, Utc::now())
        .unwrap();
    t.revoke(&rid.id, Utc::now()).unwrap();
    let r = call(
        &srv,
        "POST",
        "/v1/entries?system=payments",
        Some(&admin),
        "application/json",
        &envelope(&srv.store, 1),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    // Proof routes answer once a checkpoint covers the entry.
    let index = r.json()["index"].as_u64().unwrap_or(0);
    common::wait_for_checkpoint(&srv, &admin, index + 1);

    let mut calls = 0;
    for (method, path, access, _) in ROUTES {
        for m in methods_of(method) {
            let victim = srv.token(Role::Auditor, &[]).1;
            let (p, ct, body) = request(method, path, &srv, &victim);
            let anon = call(&srv, m, &p, None, ct, &body);
            calls += 1;
            match access {
                Access::Public => assert_eq!(anon.status, 200, "{m} {path}"),
                Access::Session(_) => unreachable!("API rows take tokens"),
                Access::Roles(allowed) | Access::Hook(allowed) => {
                    assert_eq!(anon.status, 401, "{m} {path} without a token");
                    if m == "HEAD" {
                        assert!(anon.body.is_empty(), "HEAD {path} answers no body");
                    } else {
                        assert!(anon.headers.contains("application/problem+json"));
                    }
                    for bad in [&expired, &revoked] {
                        let r = call(&srv, m, &p, Some(bad), ct, &body);
                        assert_eq!(r.status, 401, "{m} {path} with an expired or revoked token");
                    }
                    for (role, secret) in &tokens {
                        let r = call(&srv, m, &p, Some(secret), ct, &body);
                        calls += 1;
                        if allowed.contains(role) {
                            // 412: a Flagger hook's "no" (nothing is verified here).
                            assert!(
                                r.status < 400
                                    || r.status == 404
                                    || r.status == 409
                                    || (r.status == 412 && path.starts_with("/v1/flagger/")),
                                "{m} {path} as {role:?}: {} {}",
                                r.status,
                                r.text()
                            );
                        } else {
                            assert_eq!(r.status, 403, "{m} {path} as {role:?}");
                        }
                    }
                }
            }
        }
    }
    // Methods a path does not take: 401 without a token (nothing leaks), 405 with one; OPTIONS
    // answers Allow and no data, without a token.
    for (_, path, _, _) in ROUTES.iter().chain(UI_ROUTES) {
        let p = concrete(path, "x");
        let r = call(&srv, "PATCH", &p, None, "application/json", b"{}");
        assert_eq!(r.status, 401, "PATCH {path} anonymous");
        let r = call(&srv, "PATCH", &p, Some(&admin), "application/json", b"{}");
        assert_eq!(r.status, 405, "PATCH {path} as admin");
        let r = call(&srv, "OPTIONS", &p, None, "application/json", b"");
        assert_eq!(r.status, 204, "OPTIONS {path}");
        assert!(r.body.is_empty());
        assert!(
            r.header_values("allow")
                .iter()
                .any(|a| a.contains("OPTIONS")),
            "{}",
            r.headers
        );
    }
    // Paths the table does not know.
    for p in [
        "/v1/nothing",
        "/v1/entries/1/2/3",
        "/ui/nothing",
        "/%2e%2e/keys",
    ] {
        for m in ["GET", "HEAD", "POST", "DELETE"] {
            assert_eq!(
                call(&srv, m, p, None, "application/json", b"").status,
                401,
                "{m} {p}"
            );
            assert_eq!(
                call(&srv, m, p, Some(&admin), "application/json", b"").status,
                404,
                "{m} {p} as admin"
            );
        }
    }

    // The UI pages, with a session of each role that may log in, and without one.
    let sessions: Vec<(Role, String)> = tokens
        .iter()
        .filter(|(r, _)| matches!(r, Role::Admin | Role::Auditor | Role::IncidentManager))
        .map(|(r, t)| (*r, login(&srv, t).0))
        .collect();
    for (method, path, access, _) in UI_ROUTES {
        let p = concrete(path, "INC-0000000000");
        for m in methods_of(method) {
            let form = [("Content-Type", "application/x-www-form-urlencoded")];
            let anon = http(srv.addr, m, &p, &form, b"");
            match access {
                Access::Public => assert!(
                    anon.status == 200 || anon.status == 303 || (m == "POST" && anon.status == 403),
                    "{m} {path}: {}",
                    anon.status
                ),
                Access::Roles(_) | Access::Hook(_) => unreachable!(),
                Access::Session(allowed) => {
                    assert_eq!(
                        anon.status,
                        if m == "POST" { 401 } else { 303 },
                        "{m} {path} without a session"
                    );
                    for (role, cookie) in &sessions {
                        // A form post carries its session's CSRF token (a fresh session, so
                        // logging out does not end the one the other pages use).
                        let (cookie, body) = if m == "POST" {
                            let secret = &tokens.iter().find(|t| t.0 == *role).unwrap().1;
                            let (c, csrf) = login(&srv, secret);
                            (c, format!("csrf={csrf}"))
                        } else {
                            (cookie.clone(), String::new())
                        };
                        let r = http(
                            srv.addr,
                            m,
                            &p,
                            &[("Cookie", &cookie), form[0]],
                            body.as_bytes(),
                        );
                        if allowed.contains(role) {
                            assert!(
                                r.status != 401 && r.status != 403 && r.status < 500,
                                "{m} {path} as {role:?}: {}",
                                r.status
                            );
                        } else {
                            assert_eq!(r.status, 403, "{m} {path} as {role:?}");
                        }
                    }
                }
            }
        }
    }
    assert!(calls > 100);

    // The audit trail: token events individually, routine access summarised.
    std::thread::sleep(Duration::from_millis(600));
    let (store, _keep) = srv.stop();
    let mut l = plumb_ledger::Ledger::open(&store).unwrap();
    let audits = l
        .query(&plumb_ledger::store::Query {
            predicate_type: Some(plumb_server::state::AUDIT.into()),
            ..Default::default()
        })
        .unwrap();
    let mut events = std::collections::BTreeMap::new();
    let mut summarised = 0u64;
    for i in &audits {
        let e = plumb_ledger::entry::LogEntry::parse(&l.entry(*i).unwrap().bytes).unwrap();
        let p = e.statement().unwrap().predicate;
        let ev = p["event"].as_str().unwrap().to_string();
        if ev == "access.summary" {
            summarised += p["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["count"].as_u64().unwrap())
                .sum::<u64>();
        }
        *events.entry(ev).or_insert(0) += 1;
    }
    // Routine requests (allowed, or without a token) leave no record of their own: only
    // security events do, and those are capped per minute.
    for ev in events.keys() {
        assert!(
            [
                "access.summary",
                "auth.forbidden",
                "auth.login",
                "token.first-use",
                "token.create",
                "token.revoke"
            ]
            .contains(&ev.as_str()),
            "unexpected individual record {ev}: {events:?}"
        );
    }
    assert!(events["auth.forbidden"] <= plumb_server::audit::MAX_EVENTS_PER_MINUTE as usize);
    assert!(
        events["access.summary"] < 30,
        "one summary per interval: {events:?}"
    );
    assert!(
        summarised as usize >= calls,
        "every API request is counted: {summarised} < {calls}"
    );
    assert_eq!(
        (events["token.create"], events["token.revoke"]),
        (1, 1),
        "{events:?}"
    );
    assert!(
        events["auth.forbidden"] >= 1 && events["token.first-use"] >= 5,
        "{events:?}"
    );
    let report = l
        .verify(plumb_ledger::verify::VerifyOptions::default())
        .unwrap();
    assert!(report.ok(), "{report:?}");
}

/// Flagger cannot send headers, so its webhooks carry the token in `metadata.token`: it is
/// authenticated and authorised there exactly as a bearer token is, and nothing about the
/// request is answered before that.
#[test]
fn flagger_hooks_take_their_token_from_the_body() {
    let srv = Server::start_with(|c| c.max_auth_failures = 100_000);
    let (controller, _) = srv.token(Role::Controller, &["payments"]);
    let (metrics, _) = srv.token(Role::Metrics, &[]);
    let hook = |token: &str, system: &str| {
        serde_json::to_vec(&serde_json::json!({
            "name": "payments", "namespace": "prod", "phase": "Progressing",
            "checksum": "6d5f", "metadata": {"system": system, "token": token},
        }))
        .unwrap()
    };
    let post = |path: &str, auth: Option<&str>, body: &[u8]| {
        call(&srv, "POST", path, auth, "application/json", body)
    };
    for path in ["/v1/flagger/gate", "/v1/flagger/rollback"] {
        // Nothing is verified yet: neither proceed nor roll back.
        let r = post(path, None, &hook(&controller, "payments"));
        assert_eq!(r.status, 412, "{path}: {}", r.text());
        let v = r.json();
        assert_eq!(v["verdict"], "pending", "{v}");
        assert_eq!(v["canary"], "prod/payments", "{v}");
        assert!(!r.text().contains(&controller), "the token is never echoed");
        // Without a token, with a wrong one, with one that is not JSON: unauthenticated.
        for body in [
            hook("", "payments"),
            hook("plumb_nottherightone", "payments"),
            b"{not json".to_vec(),
            br#"{"metadata":{"token":42}}"#.to_vec(),
        ] {
            assert_eq!(post(path, None, &body).status, 401, "{path}");
        }
        // A valid token of a role that may not ask, or for another system: refused.
        assert_eq!(post(path, None, &hook(&metrics, "payments")).status, 403);
        assert_eq!(post(path, None, &hook(&controller, "cards")).status, 403);
        // A body larger than any webhook's is refused before it is parsed.
        let mut big = hook(&controller, "payments");
        big.extend(std::iter::repeat_n(b' ', 20 * 1024));
        assert_eq!(post(path, None, &big).status, 413, "{path}");
        // A bearer header works too; then the body must still be a Flagger payload naming
        // the system.
        assert_eq!(post(path, Some(&controller), b"[]").status, 400);
        let r = post(
            path,
            Some(&controller),
            br#"{"name":"p","namespace":"n","metadata":{}}"#,
        );
        assert_eq!(r.status, 400);
        assert!(
            r.text().contains("metadata must name the system"),
            "{}",
            r.text()
        );
    }
    // A controller token reads verdicts and nothing else.
    assert_eq!(
        call(&srv, "GET", "/v1/entries", Some(&controller), "", b"").status,
        403
    );
}
