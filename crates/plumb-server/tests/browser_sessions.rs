//! UI sessions in a real headless Chromium: a session ends when its token is revoked, when an
//! administrator ends it, after the idle timeout, and on log-out; each time the browser's next
//! page is the login page. A reader limited to a system sees only that system's rows.
//! Screenshots go to target/browser-screenshots/sessions-*.png.

use std::path::PathBuf;
use std::time::Duration;

use plumb_server::tokens::Role;
use plumb_testkit::{Browser, http};

mod common;

use common::{Server, envelope};

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots")
}

/// Logs the browser in with `token`; returns once the overview shows.
fn log_in(b: &Browser, base: &str, token: &str) -> String {
    b.goto(&format!("{base}/ui/login"));
    b.type_into("input[name=token]", token);
    b.click("main form button");
    b.wait_text("h1", "Overview");
    b.text("main")
}

/// Waits until the browser, opening the overview, lands on the login page.
fn sent_to_login(b: &Browser, base: &str) {
    b.goto(&format!("{base}/ui"));
    b.wait_text("h1", "Log in");
    assert!(b.url().ends_with("/ui/login"), "{}", b.url());
}

#[test]
fn browser_sessions_end_with_their_token_an_admin_idleness_and_log_out() {
    let clock = common::TestClock::default();
    let c2 = clock.clone();
    let srv = Server::start_with(move |c| {
        c.session_idle = Duration::from_secs(3);
        c.clock = c2.clock();
    });
    let (admin, _) = srv.token(Role::Admin, &[]);
    let bearer = format!("Bearer {admin}");
    let admin_h = [("Authorization", bearer.as_str())];
    for (system, n) in [("payments", 1), ("identity", 2)] {
        let r = http(
            srv.addr,
            "POST",
            &format!("/v1/entries?system={system}"),
            &[
                ("Authorization", bearer.as_str()),
                ("Content-Type", "application/json"),
            ],
            &envelope(&srv.store, n),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let base = format!("http://{}", srv.addr);
    let b = Browser::start();

    // A reader of payments sees payments only, and the header says so.
    let (pay, pay_id) = srv.token(Role::Auditor, &["payments"]);
    let main = log_in(&b, &base, &pay);
    assert!(
        main.contains("payments") && !main.contains("identity"),
        "{main}"
    );
    assert!(
        b.text("header").contains("payments"),
        "{}",
        b.text("header")
    );
    b.screenshot(&shots().join("sessions-1-scoped-overview.png"));

    // Revoking the token ends the session.
    let r = http(
        srv.addr,
        "DELETE",
        &format!("/v1/tokens/{pay_id}"),
        &admin_h,
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    sent_to_login(&b, &base);

    // An administrator lists the session and ends it.
    let (aud, aud_id) = srv.token(Role::Auditor, &[]);
    let main = log_in(&b, &base, &aud);
    assert!(main.contains("identity"), "unscoped: {main}");
    let listed = http(srv.addr, "GET", "/v1/sessions", &admin_h, b"").json();
    let mine = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["token"] == aud_id.as_str())
        .unwrap_or_else(|| panic!("the browser's session is listed: {listed}"));
    let r = http(
        srv.addr,
        "DELETE",
        &format!("/v1/sessions/{}", mine["id"].as_str().unwrap()),
        &admin_h,
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    sent_to_login(&b, &base);

    // An idle session times out; one in use does not.
    log_in(&b, &base, &aud);
    for _ in 0..3 {
        clock.advance(Duration::from_millis(1500));
        b.goto(&format!("{base}/ui/checkpoints"));
        b.wait_text("h1", "Checkpoints");
    }
    clock.advance(Duration::from_millis(3500));
    sent_to_login(&b, &base);
    b.screenshot(&shots().join("sessions-2-timed-out.png"));

    // Log-out ends the session: the old cookie is refused too.
    log_in(&b, &base, &aud);
    b.click("header form button");
    b.wait_text("h1", "Log in");
    sent_to_login(&b, &base);
    let listed = http(srv.addr, "GET", "/v1/sessions", &admin_h, b"").json();
    assert!(
        listed["items"].as_array().unwrap().is_empty(),
        "no session left: {listed}"
    );
    drop(b);
    srv.stop();
}
