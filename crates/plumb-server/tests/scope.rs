//! Read scoping: auditor and incident-manager tokens limited to systems read only those
//! systems, through every read route (entries, proofs, blobs, exports, incidents) and the UI.
//! An entry or incident outside the scope is "not found", exactly like one that does not exist.

use plumb_server::tokens::Role;
use plumb_testkit::{Resp, http};
use serde_json::{Value, json};

mod common;

use common::{Server, envelope, login};

fn call(srv: &Server, method: &str, path: &str, token: &str, body: &[u8]) -> Resp {
    let auth = format!("Bearer {token}");
    http(
        srv.addr,
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body,
    )
}

/// Appends one entry for `system` attaching a blob with `content`; returns (index, digest).
fn record(srv: &Server, admin: &str, system: &str, n: u32, content: &[u8]) -> (u64, String) {
    let r = call(srv, "POST", "/v1/blobs", admin, content);
    assert_eq!(r.status, 201, "{}", r.text());
    let digest = r.json()["digest"].as_str().unwrap().to_string();
    let r = call(
        srv,
        "POST",
        &format!("/v1/entries?system={system}&blob=report.json@{digest}"),
        admin,
        &envelope(&srv.store, n),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    (r.json()["index"].as_u64().unwrap(), digest)
}

fn systems_of(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["system"].as_str().unwrap_or("-").to_string())
        .collect()
}

#[test]
fn an_auditor_of_payments_reads_payments_only() {
    let srv = Server::start();
    let (admin, _) = srv.token(Role::Admin, &[]);
    let (pay, _) = srv.token(Role::Auditor, &["payments"]);
    let (all, _) = srv.token(Role::Auditor, &[]);
    let (p, p_blob) = record(&srv, &admin, "payments", 1, b"payments report");
    let (i, i_blob) = record(&srv, &admin, "identity", 2, b"identity report");
    let (third, shared) = record(&srv, &admin, "identity", 3, b"payments report");
    assert_eq!(p_blob, shared, "one blob, attached by both systems");
    // Proofs need a checkpoint covering the entries (signed every 100 ms here).
    common::wait_for_checkpoint(&srv, &all, third + 1);

    // Lists and filters.
    let v = call(&srv, "GET", "/v1/entries", &pay, b"").json();
    let seen = systems_of(&v);
    assert!(
        !seen.is_empty() && seen.iter().all(|s| s == "payments"),
        "{seen:?}"
    );
    let r = call(&srv, "GET", "/v1/entries?system=identity", &pay, b"");
    assert_eq!(r.status, 403, "{}", r.text());
    let seen = systems_of(&call(&srv, "GET", "/v1/entries", &all, b"").json());
    assert!(seen.contains(&"identity".to_string()), "unscoped: {seen:?}");

    // Entries and proofs: identity's is not found, as if it did not exist.
    for path in [format!("/v1/entries/{i}"), format!("/v1/entries/{i}/proof")] {
        let r = call(&srv, "GET", &path, &pay, b"");
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        let gone = call(
            &srv,
            "GET",
            &path.replace(&i.to_string(), "99999"),
            &pay,
            b"",
        );
        assert_eq!(r.json()["type"], gone.json()["type"], "{path}");
        assert_eq!(call(&srv, "GET", &path, &all, b"").status, 200);
    }
    assert_eq!(
        call(&srv, "GET", &format!("/v1/entries/{p}"), &pay, b"").status,
        200
    );

    // Blobs: a scoped reader names the entry it reads through.
    let blob = |d: &str, entry: Option<u64>| {
        let q = entry.map(|e| format!("?entry={e}")).unwrap_or_default();
        call(&srv, "GET", &format!("/v1/blobs/{d}{q}"), &pay, b"").status
    };
    assert_eq!(blob(&p_blob, None), 400);
    assert_eq!(blob(&p_blob, Some(p)), 200);
    assert_eq!(blob(&i_blob, Some(i)), 404, "identity's entry");
    assert_eq!(
        blob(&i_blob, Some(p)),
        404,
        "payments' entry does not attach it"
    );
    assert_eq!(
        call(&srv, "GET", &format!("/v1/blobs/{i_blob}"), &all, b"").status,
        200
    );

    // Exports: only payments in the pack; asking for identity is refused.
    let r = call(&srv, "GET", "/v1/export?system=identity", &pay, b"");
    assert_eq!(r.status, 403, "{}", r.text());
    let r = call(&srv, "GET", "/v1/export", &pay, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    // Streamed from a file that is already gone from the store's tmp directory.
    assert_eq!(
        r.header_values("content-length"),
        [r.body.len().to_string()],
        "{}",
        r.headers
    );
    let left: Vec<_> = std::fs::read_dir(srv.store.join("tmp"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let mut pack = tar::Archive::new(&r.body[..]);
    let mut entries = 0;
    for f in pack.entries().unwrap() {
        let mut f = f.unwrap();
        let name = f.path().unwrap().display().to_string();
        if name.starts_with("entries/") {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut f, &mut text).unwrap();
            let e: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(e["system"], "payments", "{name}");
            entries += 1;
        }
    }
    assert_eq!(entries, 1);

    // Checkpoints say nothing about systems: every reader gets them.
    assert_eq!(call(&srv, "GET", "/v1/checkpoint", &pay, b"").status, 200);

    // Admin and metrics tokens cannot be scoped (it would mean nothing).
    for role in ["admin", "metrics"] {
        let r = call(
            &srv,
            "POST",
            "/v1/tokens",
            &admin,
            json!({"role": role, "systems": ["payments"]})
                .to_string()
                .as_bytes(),
        );
        assert_eq!(r.status, 400, "{role}: {}", r.text());
    }

    // The UI: the entry page and search honour the scope too.
    let (session, _) = login(&srv, &pay);
    let ui = |path: &str| http(srv.addr, "GET", path, &[("Cookie", &session)], b"");
    assert_eq!(ui(&format!("/ui/entries/{i}")).status, 404);
    assert_eq!(ui(&format!("/ui/entries/{p}")).status, 200);
    let page = ui("/ui/entries").text();
    assert!(page.contains(&format!("/ui/entries/{p}\"")), "{page}");
    assert!(!page.contains(&format!("/ui/entries/{i}\"")), "{page}");
    assert!(!page.contains("identity"), "{page}");
    assert!(!ui("/ui/").text().contains("identity"));
    assert_eq!(ui("/ui/entries?q=identity").status, 403);
    assert_eq!(ui("/ui/export?system=identity").status, 403);
    srv.stop();
}

#[test]
fn an_incident_manager_of_payments_handles_payments_incidents_only() {
    let srv = Server::start();
    let (admin, _) = srv.token(Role::Admin, &[]);
    let (pay, _) = srv.token(Role::IncidentManager, &["payments"]);
    let open = |token: &str, services: Value| {
        let title = format!("outage of {services}");
        call(
            &srv,
            "POST",
            "/v1/incidents",
            token,
            json!({"title": title, "services": services})
                .to_string()
                .as_bytes(),
        )
    };
    let r = open(&admin, json!(["identity"]));
    assert_eq!(r.status, 201, "{}", r.text());
    let identity = r.json()["id"].as_str().unwrap().to_string();
    let r = open(&pay, json!(["payments"]));
    assert_eq!(r.status, 201, "{}", r.text());
    let payments = r.json()["id"].as_str().unwrap().to_string();
    for services in [
        json!(["identity"]),
        json!([]),
        json!(["payments", "identity"]),
    ] {
        assert_eq!(open(&pay, services.clone()).status, 403, "{services}");
    }

    let list = call(&srv, "GET", "/v1/incidents", &pay, b"").json();
    let ids: Vec<&str> = list["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [payments.as_str()], "{list}");
    let size = |srv: &Server| {
        call(srv, "GET", "/v1/checkpoint", &admin, b"");
        call(srv, "GET", "/v1/entries?order=newest&limit=1", &admin, b"").json()["items"][0]
            ["index"]
            .as_u64()
            .unwrap()
    };
    let before = size(&srv);
    for (method, path, body) in [
        ("GET", format!("/v1/incidents/{identity}"), ""),
        (
            "POST",
            format!("/v1/incidents/{identity}"),
            r#"{"op":"mitigate"}"#,
        ),
        (
            "GET",
            format!("/v1/incidents/{identity}/reports/initial"),
            "",
        ),
    ] {
        let r = call(&srv, method, &path, &pay, body.as_bytes());
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text());
    }
    assert_eq!(
        size(&srv),
        before,
        "nothing written for a refused operation"
    );
    assert_eq!(
        call(&srv, "GET", &format!("/v1/incidents/{payments}"), &pay, b"").status,
        200
    );

    let (session, _) = login(&srv, &pay);
    let ui = |path: &str| http(srv.addr, "GET", path, &[("Cookie", &session)], b"");
    let page = ui("/ui/incidents").text();
    assert!(
        page.contains(&payments) && !page.contains(&identity),
        "{page}"
    );
    assert_eq!(ui(&format!("/ui/incidents/{identity}")).status, 404);
    srv.stop();
}

/// A recurring group that reaches into a system outside a token's scope is neither shown to nor
/// opened by that token (counted as hidden); a token that sees every system opens it, once.
#[test]
fn recurring_groups_across_systems_need_a_token_that_sees_them_whole() {
    let srv = Server::start();
    let (admin, _) = srv.token(Role::Admin, &[]);
    let (pay, _) = srv.token(Role::IncidentManager, &["payments"]);
    for (days, system, state) in [(30, "payments", "DE"), (3, "identity", "AT")] {
        let at = (chrono::Utc::now() - chrono::Duration::days(days)).format("%Y-%m-%dT%H:%M:%SZ");
        let r = call(
            &srv,
            "POST",
            "/v1/incidents",
            &admin,
            format!(r#"{{"title":"TLS {days}","services":["{system}"],"detected_at":"{at}"}}"#)
                .as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let path = format!("/v1/incidents/{}", r.json()["id"].as_str().unwrap());
        for op in [
            format!(
                r#"{{"op":"classify","assessment":{{"supports_critical_functions":true,"costs_eur":60000,"member_states":["{state}"]}}}}"#
            ),
            r#"{"op":"root_cause","root_cause":"Expired TLS certificate"}"#.to_string(),
        ] {
            let r = call(&srv, "POST", &path, &admin, op.as_bytes());
            assert_eq!(r.status, 200, "{}", r.text());
        }
    }
    let seen = call(&srv, "GET", "/v1/recurring", &pay, b"").json();
    assert_eq!(
        (
            seen["groups"].as_array().map(Vec::len),
            seen["hidden"].as_u64()
        ),
        (Some(0), Some(1)),
        "{seen}"
    );
    let r = call(&srv, "POST", "/v1/recurring", &pay, b"{}");
    assert_eq!(
        (r.status, r.json()["opened"].clone()),
        (200, json!([])),
        "{}",
        r.text()
    );
    let r = call(&srv, "POST", "/v1/recurring", &admin, b"{}");
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["opened"].as_array().map(Vec::len), Some(1));
    let r = call(&srv, "POST", "/v1/recurring", &admin, b"{}");
    assert_eq!(r.json()["opened"], json!([]), "once only");
    let all = call(&srv, "GET", "/v1/recurring", &admin, b"").json();
    assert_eq!(
        (
            all["groups"].as_array().map(Vec::len),
            all["opened"].as_array().map(Vec::len)
        ),
        (Some(0), Some(1)),
        "{all}"
    );
    srv.stop();
}
