//! The API against a real server on a loopback port: every route against every role, the
//! OpenAPI document against the routes, appends, abuse, the audit trail and shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use plumb_ledger::keys::KeyPair;
use plumb_server::routes::ROUTES;
use plumb_server::tokens::{Role, Tokens};

mod common;

use common::{Server, envelope};
use plumb_testkit::Resp;

fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(a) = &auth {
        headers.push(("Authorization", a));
    }
    if let Some(ct) = content_type {
        headers.push(("Content-Type", ct));
    }
    plumb_testkit::http(addr, method, path, &headers, body)
}

fn concrete(path: &str, token_id: &str) -> String {
    path.replace("{index}", "0")
        .replace("{digest}", &format!("sha256:{}", "0".repeat(64)))
        .replace("{id}", token_id)
        .replace("{stage}", "initial")
}

#[test]
fn openapi_lists_exactly_the_served_routes() {
    let srv = Server::start();
    let doc = http(srv.addr, "GET", "/v1/openapi.json", None, None, b"").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    documented.sort();
    let mut table: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    table.sort();
    assert_eq!(documented, table);
    let admin = srv.token(Role::Admin, &[]).0;
    for (method, path) in &table {
        let r = http(
            srv.addr,
            method,
            &concrete(path, "x"),
            Some(&admin),
            Some("application/json"),
            b"{}",
        );
        let body = String::from_utf8_lossy(&r.body);
        assert!(
            !body.contains("no such route"),
            "{method} {path} is documented but not served"
        );
    }
    let r = http(srv.addr, "GET", "/v1/nope", None, None, b"");
    assert_eq!(
        r.status, 401,
        "an anonymous caller learns nothing of the routes"
    );
    let r = http(srv.addr, "GET", "/v1/nope", Some(&admin), None, b"");
    assert_eq!(r.status, 404);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("openapi.json")
    );
    srv.stop();
}

#[test]
fn bad_input_and_abuse_are_answered_correctly() {
    let srv = Server::start();
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let (admin, _) = srv.token(Role::Admin, &[]);
    let ok = envelope(&srv.store, 3);
    let post = |path: &str, tok: &str, ct: &str, body: &[u8]| {
        http(srv.addr, "POST", path, Some(tok), Some(ct), body)
    };
    assert_eq!(
        post("/v1/entries?system=payments", &rec, "application/json", &ok).status,
        201
    );
    assert_eq!(
        post(
            "/v1/entries?system=core-ledger",
            &rec,
            "application/json",
            &ok
        )
        .status,
        403,
        "recorder outside its systems"
    );
    assert_eq!(
        post("/v1/entries", &rec, "application/json", &ok).status,
        403,
        "recorder must name its system"
    );
    assert_eq!(
        post("/v1/entries?system=payments", &rec, "text/plain", &ok).status,
        415
    );
    assert_eq!(
        post(
            "/v1/entries?system=payments",
            &rec,
            "application/json",
            b"{\"payload\":"
        )
        .status,
        400
    );
    assert_eq!(
        post(
            "/v1/entries?system=payments",
            &rec,
            "application/json",
            &vec![b' '; 80_000]
        )
        .status,
        413
    );
    let r = post("/v1/entries?system=payments", &rec, "application/json", br#"{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"keyid":"x","sig":"AAAA"}]}"#);
    assert_eq!(r.status, 422, "unknown signature");
    assert!(!String::from_utf8_lossy(&r.body).contains("panicked"));
    let r = http(
        srv.addr,
        "GET",
        "/v1/blobs/..%2F..%2Fkeys%2Fsigning.key",
        Some(&admin),
        None,
        b"",
    );
    assert_eq!(
        r.status,
        400,
        "path traversal in a blob name: {}",
        String::from_utf8_lossy(&r.body)
    );
    // Blob references on an append: malformed, traversal, and a blob never uploaded.
    let unknown = format!("x@sha256:{}", "0".repeat(64));
    for (blob, status) in [
        ("nodigest", 400),
        ("x@..%2F..%2Fkeys%2Fsigning.key", 400),
        (unknown.as_str(), 422),
    ] {
        let r = post(
            &format!("/v1/entries?system=payments&blob={blob}"),
            &rec,
            "application/json",
            &envelope(&srv.store, 7),
        );
        assert_eq!(
            r.status,
            status,
            "blob={blob}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let r = http(
        srv.addr,
        "POST",
        "/v1/blobs",
        Some(&rec),
        Some("application/octet-stream"),
        b"raw report bytes",
    );
    assert_eq!(r.status, 201);
    let digest = r.json()["digest"].as_str().unwrap().to_string();
    assert_eq!(
        http(
            srv.addr,
            "GET",
            &format!("/v1/blobs/{digest}"),
            Some(&admin),
            None,
            b""
        )
        .body,
        b"raw report bytes"
    );
    // Expired and revoked tokens.
    let mut t = Tokens::load(&srv.store).unwrap();
    let (old, _) = t
        .create(
            Role::Auditor,
            vec![],
            "old",
            Some(chrono::Duration::hours(1)),
            Utc::now() - chrono::Duration::hours(2),
        )
        .unwrap();
    let r = http(srv.addr, "GET", "/v1/checkpoint", Some(&old), None, b"");
    assert_eq!(r.status, 401);
    assert!(r.json()["detail"].as_str().unwrap().contains("expired"));
    let created = http(
        srv.addr,
        "POST",
        "/v1/tokens",
        Some(&admin),
        Some("application/json"),
        br#"{"role":"auditor","label":"temp"}"#,
    )
    .json();
    let (secret, id) = (
        created["token"].as_str().unwrap().to_string(),
        created["id"].as_str().unwrap().to_string(),
    );
    assert_eq!(
        http(srv.addr, "GET", "/v1/entries", Some(&secret), None, b"").status,
        200
    );
    assert_eq!(
        http(
            srv.addr,
            "DELETE",
            &format!("/v1/tokens/{id}"),
            Some(&admin),
            None,
            b""
        )
        .status,
        200
    );
    assert_eq!(
        http(srv.addr, "GET", "/v1/entries", Some(&secret), None, b"").status,
        401,
        "revoked"
    );
    // Failed authentications are rate-limited per address.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(
            http(
                srv.addr,
                "GET",
                "/v1/entries",
                Some("plumb_guess"),
                None,
                b"",
            )
            .status,
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // Someone else's failures from the same address never lock out a valid token.
    let r = http(srv.addr, "GET", "/v1/checkpoint", Some(&rec), None, b"");
    assert_ne!(r.status, 429, "a valid token is not rate-limited");
    assert_ne!(r.status, 401);
    let r = http(srv.addr, "GET", "/healthz", None, None, b"");
    for h in [
        "x-content-type-options: nosniff",
        "x-frame-options: deny",
        "content-security-policy",
        "x-request-id",
    ] {
        assert!(r.headers.to_ascii_lowercase().contains(h), "{h}");
    }
    // Metrics need a metrics (or admin) token; readiness says nothing about the data.
    assert_eq!(
        http(srv.addr, "GET", "/metrics", None, None, b"").status,
        429,
        "this address is still held back"
    );
    let (scraper, _) = srv.token(Role::Metrics, &[]);
    let metrics =
        String::from_utf8(http(srv.addr, "GET", "/metrics", Some(&scraper), None, b"").body)
            .unwrap();
    assert!(metrics.contains("plumb_auth_failures_total") && metrics.contains("plumb_log_entries"));
    let ready = http(srv.addr, "GET", "/readyz", None, None, b"").json();
    assert_eq!(ready, serde_json::json!({"status": "ready"}));
    srv.stop();
}

#[test]
fn appended_entries_are_provable_and_survive_shutdown() {
    let srv = Server::start();
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let (aud, _) = srv.token(Role::Auditor, &[]);
    let mut indexes = Vec::new();
    for n in 0..20 {
        let r = http(
            srv.addr,
            "POST",
            "/v1/entries?system=payments&run=ci-9",
            Some(&rec),
            Some("application/json"),
            &envelope(&srv.store, n),
        );
        assert_eq!(r.status, 201);
        indexes.push(r.json()["index"].as_u64().unwrap());
    }
    let last = *indexes.last().unwrap();
    let proof = || {
        http(
            srv.addr,
            "GET",
            &format!("/v1/entries/{last}/proof"),
            Some(&aud),
            None,
            b"",
        )
    };
    // Proofs exist once the checkpoint ticker has signed a checkpoint covering the entry.
    plumb_testkit::wait_until(
        "a checkpoint covering the entry",
        Duration::from_secs(10),
        || proof().status == 200,
    );
    let p = proof().json();
    assert!(
        p["receipt"]
            .as_str()
            .unwrap()
            .starts_with("c2sp.org/tlog-proof@v1")
    );
    let list = http(
        srv.addr,
        "GET",
        "/v1/entries?system=payments&run=ci-9&limit=5",
        Some(&aud),
        None,
        b"",
    )
    .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 5);
    assert_eq!(
        list["next_after"], list["items"][4]["index"],
        "the cursor is the last index of the page"
    );
    let pack = http(
        srv.addr,
        "GET",
        "/v1/export?system=payments",
        Some(&aud),
        None,
        b"",
    );
    assert_eq!(pack.status, 200);
    let key = KeyPair::read_private(&srv.store.join("keys/signing.key"))
        .unwrap()
        .public();
    assert!(plumb_ledger::pack::verify_pack(&pack.body, &[key]).is_ok());
    let (store, _keep) = srv.stop();
    let mut l = plumb_ledger::Ledger::open(&store).unwrap();
    for i in indexes {
        assert!(l.entry(i).is_ok(), "acknowledged entry {i} is durable");
    }
    assert!(
        l.verify(plumb_ledger::verify::VerifyOptions::default())
            .unwrap()
            .ok()
    );
}

/// The record schemas are served as plumb-records defines them; unknown names are 404.
#[test]
fn record_schemas_are_served() {
    let srv = Server::start();
    let r = plumb_testkit::http(srv.addr, "GET", "/v1/schemas/deployment", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        v["schema"],
        <plumb_records::deployment::Deployment as plumb_records::Record>::schema()
    );
    assert_eq!(
        v["predicate_type"],
        "https://plumbline.dev/attestation/deployment/v1"
    );
    let r = plumb_testkit::http(srv.addr, "GET", "/v1/schemas/nothing", &[], b"");
    assert_eq!(r.status, 404);
    srv.stop();
}

/// The server reads one clock, the one it is given: entries, checkpoints and the access trail
/// are stamped with its time, not the machine's.
#[test]
fn the_server_takes_its_time_from_the_clock_it_is_given() {
    let fixed = chrono::Utc::now() - chrono::Duration::days(30);
    let srv =
        Server::start_with(move |c| c.clock = plumb_server::state::Clock::from_fn(move || fixed));
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let (aud, _) = srv.token(Role::Auditor, &[]);
    let r = http(
        srv.addr,
        "POST",
        "/v1/entries?system=payments",
        Some(&rec),
        Some("application/json"),
        &envelope(&srv.store, 1),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let i = r.json()["index"].as_u64().unwrap();
    let e = http(
        srv.addr,
        "GET",
        &format!("/v1/entries/{i}"),
        Some(&aud),
        None,
        b"",
    )
    .json();
    let day = fixed.format("%Y-%m-%d").to_string();
    assert!(
        e["time"].as_str().unwrap_or("").starts_with(&day),
        "entry time {} is not the server clock's day {day}",
        e["time"]
    );
}

/// The delivery measures are gauges on /metrics, per system, computed from the deployment
/// records the pipelines append (one failed of two; label values escaped).
#[test]
fn delivery_measures_are_gauges_per_system() {
    let srv = Server::start();
    let (rec, _) = srv.token(Role::Recorder, &["payments", "we\"ird"]);
    let commit_time = (chrono::Utc::now() - chrono::Duration::hours(5)).to_rfc3339();
    for (n, (system, status)) in [
        ("payments", "succeeded"),
        ("payments", "rolled_back"),
        ("we\"ird", "succeeded"),
    ]
    .into_iter()
    .enumerate()
    {
        let body = common::statement(
            &srv.store,
            "https://plumbline.dev/attestation/deployment/v1",
            &format!("{:040x}", n + 1),
            serde_json::json!({"environment": "production", "status": status,
                "commits": [{"sha": format!("{:040x}", n + 1), "time": commit_time}]}),
        );
        let r = http(
            srv.addr,
            "POST",
            &format!("/v1/entries?system={}", system.replace('"', "%22")),
            Some(&rec),
            Some("application/json"),
            &body,
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let (scraper, _) = srv.token(Role::Metrics, &[]);
    let m = String::from_utf8(http(srv.addr, "GET", "/metrics", Some(&scraper), None, b"").body)
        .unwrap();
    assert!(
        m.contains("plumb_delivery_deployments{system=\"payments\"} 2\n"),
        "{m}"
    );
    assert!(
        m.contains("plumb_delivery_change_failure_ratio{system=\"payments\"} 0.5\n"),
        "{m}"
    );
    assert!(
        m.contains("plumb_delivery_rework_ratio{system=\"payments\"} 0\n"),
        "{m}"
    );
    assert!(
        m.contains("plumb_delivery_deployments{system=\"we\\\"ird\"} 1\n"),
        "{m}"
    );
    let lead = m
        .lines()
        .find(|l| {
            l.starts_with("plumb_delivery_lead_time_hours{system=\"payments\",quantile=\"0.5\"}")
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .expect("a lead time gauge");
    assert!((4.9..5.2).contains(&lead), "{lead}");
    srv.stop();
}
