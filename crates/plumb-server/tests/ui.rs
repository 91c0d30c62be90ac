//! The web UI over HTTP: login with CSRF, sessions, the pages, the proof data for the
//! in-browser check, logout, export.

mod common;

use std::time::Duration;

use common::{Server, envelope};
use plumb_server::tokens::Role;
use plumb_testkit::{Resp, http};

fn set_cookie(r: &Resp, name: &str) -> String {
    r.header_values("set-cookie")
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {}", r.headers))
}

fn cookie_value(set: &str) -> String {
    set.split(';').next().unwrap().to_string()
}

fn hidden_csrf(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[i..i + 32].to_string()
}

fn login(srv: &Server, token: &str) -> (String, String) {
    let form = http(srv.addr, "GET", "/ui/login", &[], b"");
    let pre = cookie_value(&set_cookie(&form, "plumb_csrf"));
    let csrf = hidden_csrf(&form.text());
    let body = format!("token={token}&csrf={csrf}");
    let r = http(
        srv.addr,
        "POST",
        "/ui/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &pre),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let set = set_cookie(&r, "plumb_session");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let session = cookie_value(&set);
    let page = http(srv.addr, "GET", "/ui", &[("Cookie", &session)], b"");
    (session, hidden_csrf(&page.text()))
}

#[test]
fn an_auditor_logs_in_browses_checks_and_exports() {
    let srv = Server::start();
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let (aud, _) = srv.token(Role::Auditor, &[]);
    for n in 0..3 {
        let r = http(
            srv.addr,
            "POST",
            "/v1/entries?system=payments",
            &[
                ("Authorization", &format!("Bearer {rec}")),
                ("Content-Type", "application/json"),
            ],
            &envelope(&srv.store, n),
        );
        assert_eq!(r.status, 201);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        http(srv.addr, "GET", "/ui", &[], b"").status,
        303,
        "not logged in: to the login page"
    );
    let (session, csrf) = login(&srv, &aud);
    let c = [("Cookie", session.as_str())];
    let overview = http(srv.addr, "GET", "/ui", &c, b"").text();
    assert!(overview.contains(">payments</a>"), "{overview}");
    let list = http(srv.addr, "GET", "/ui/entries?q=payments", &c, b"").text();
    assert!(list.contains("<p>3 entries.</p>"), "{list}");
    let first = list
        .find("<a href=\"/ui/entries/")
        .map(|i| &list[i + 21..])
        .unwrap();
    let index: u64 = first[..first.find('"').unwrap()].parse().unwrap();
    let entry = http(srv.addr, "GET", &format!("/ui/entries/{index}"), &c, b"").text();
    assert!(
        entry.contains("verified</span> (signed by api.test)"),
        "{entry}"
    );
    let start = entry.find("id=\"proof\">").unwrap() + 11;
    let data: serde_json::Value =
        serde_json::from_str(&entry[start..start + entry[start..].find("</script>").unwrap()])
            .unwrap();
    assert_eq!(data["index"], index);
    assert!(
        entry.contains("<script src=\"/ui/static/proof.js\"></script>"),
        "the check runs from our own script, not inline"
    );
    let cps = http(srv.addr, "GET", "/ui/checkpoints", &c, b"").text();
    assert!(cps.contains("signature ok"));
    let pack = http(srv.addr, "GET", "/ui/export?system=payments", &c, b"");
    assert_eq!(pack.status, 200);
    let key = plumb_ledger::keys::KeyPair::read_private(&srv.store.join("keys/signing.key"))
        .unwrap()
        .public();
    assert!(plumb_ledger::pack::verify_pack(&pack.body, &[key]).is_ok());
    // Logout needs the session's CSRF token.
    let bad = http(
        srv.addr,
        "POST",
        "/ui/logout",
        &[
            ("Cookie", &session),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"csrf=nope",
    );
    assert_eq!(bad.status, 403);
    let out = http(
        srv.addr,
        "POST",
        "/ui/logout",
        &[
            ("Cookie", &session),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(out.status, 303);
    assert_eq!(
        http(srv.addr, "GET", "/ui", &c, b"").status,
        303,
        "the session is gone"
    );
    srv.stop();
}

#[test]
fn login_refuses_forged_forms_bad_tokens_and_recorders() {
    let srv = Server::start();
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let form = http(srv.addr, "GET", "/ui/login", &[], b"");
    let pre = cookie_value(&set_cookie(&form, "plumb_csrf"));
    let csrf = hidden_csrf(&form.text());
    let post = |cookie: &str, body: String| {
        http(
            srv.addr,
            "POST",
            "/ui/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", cookie),
            ],
            body.as_bytes(),
        )
    };
    assert_eq!(
        post("", format!("token=x&csrf={csrf}")).status,
        403,
        "no CSRF cookie: a cross-site post"
    );
    assert_eq!(post(&pre, "token=x&csrf=forged".into()).status, 403);
    assert_eq!(
        post(&pre, format!("token=plumb_wrong&csrf={csrf}")).status,
        401
    );
    let r = post(&pre, format!("token={rec}&csrf={csrf}"));
    assert_eq!(r.status, 401);
    assert!(r.text().contains("recorder tokens can only append"));
    let css = http(srv.addr, "GET", "/ui/static/app.css", &[], b"");
    assert!(css.headers.to_ascii_lowercase().contains("text/css"));
    srv.stop();
}
