//! The web UI over HTTP: login with CSRF, sessions, the pages, the proof data for the
//! in-browser check, logout, export.

mod common;

use std::time::Duration;

use common::{Server, TestClock, cookie_value, hidden_csrf, login, set_cookie};
use plumb_server::tokens::Role;
use plumb_testkit::http;

#[test]
fn an_auditor_logs_in_browses_checks_and_exports() {
    let srv = Server::start();
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let (aud, _) = srv.token(Role::Auditor, &[]);
    let mut last = 0;
    for n in 0..3 {
        let r = common::record_payment(&srv, &rec, n);
        assert_eq!(r.status, 201);
        last = r.json()["index"].as_u64().unwrap_or(0);
    }
    // Audit events may sit between the entries: wait for the last one's index.
    common::wait_for_checkpoint(&srv, &aud, last + 1);
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
    assert!(list.contains("<caption>3 entries for payments,"), "{list}");
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
    assert!(r.text().contains("recorder tokens cannot log in"));
    let css = http(srv.addr, "GET", "/ui/static/app.css", &[], b"");
    assert!(css.headers.to_ascii_lowercase().contains("text/css"));
    srv.stop();
}

/// Sessions end with their token (revoked or expired), after the idle timeout, and when an
/// administrator ends them; administrators see them without their cookie values.
#[test]
fn sessions_end_with_their_token_and_can_be_listed_and_ended() {
    let clock = TestClock::default();
    let c2 = clock.clone();
    let srv = Server::start_with(move |c| {
        c.session_idle = Duration::from_millis(1500);
        c.clock = c2.clock();
    });
    let (aud, aud_id) = srv.token(Role::Auditor, &[]);
    let (admin, _) = srv.token(Role::Admin, &[]);
    let bearer = format!("Bearer {admin}");
    let admin_h = [("Authorization", bearer.as_str())];
    // Revoking the token ends the session at once.
    let (session, _) = login(&srv, &aud);
    let c = [("Cookie", session.as_str())];
    assert_eq!(http(srv.addr, "GET", "/ui", &c, b"").status, 200);
    let listed = http(srv.addr, "GET", "/v1/sessions", &admin_h, b"").json();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["token"], aud_id.as_str());
    let cookie_secret = session.split('=').nth(1).unwrap();
    assert!(
        !listed.to_string().contains(cookie_secret),
        "the cookie value is never listed"
    );
    let r = http(
        srv.addr,
        "DELETE",
        &format!("/v1/tokens/{aud_id}"),
        &admin_h,
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        http(srv.addr, "GET", "/ui", &c, b"").status,
        303,
        "a revoked token's session is over"
    );
    // An administrator ends a session by its public id.
    let (aud2, _) = srv.token(Role::Auditor, &[]);
    let (session2, _) = login(&srv, &aud2);
    let c2 = [("Cookie", session2.as_str())];
    let listed = http(srv.addr, "GET", "/v1/sessions", &admin_h, b"").json();
    let id = listed["items"][0]["id"].as_str().unwrap().to_string();
    let r = http(
        srv.addr,
        "DELETE",
        &format!("/v1/sessions/{id}"),
        &admin_h,
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(http(srv.addr, "GET", "/ui", &c2, b"").status, 303);
    // An idle session times out; an active one does not.
    let (session3, _) = login(&srv, &aud2);
    let c3 = [("Cookie", session3.as_str())];
    for _ in 0..3 {
        clock.advance(Duration::from_millis(700));
        assert_eq!(http(srv.addr, "GET", "/ui", &c3, b"").status, 200, "active");
    }
    clock.advance(Duration::from_millis(1800));
    assert_eq!(
        http(srv.addr, "GET", "/ui", &c3, b"").status,
        303,
        "idle past the timeout"
    );
    srv.stop();
}

/// A session whose token expires ends with it.
#[test]
fn a_session_ends_when_its_token_expires() {
    let clock = TestClock::default();
    let c2 = clock.clone();
    let srv = Server::start_with(move |c| c.clock = c2.clock());
    // A token that expires in a moment: created an hour (its shortest life) ago, less 2 s.
    let mut t = plumb_server::tokens::Tokens::load(&srv.store).unwrap();
    let created = chrono::Utc::now() - chrono::Duration::hours(1) + chrono::Duration::seconds(2);
    let (secret, _) = t
        .create(
            Role::Auditor,
            vec![],
            "short",
            Some(chrono::Duration::hours(1)),
            created,
        )
        .unwrap();
    let (session, _) = login(&srv, &secret);
    let c = [("Cookie", session.as_str())];
    assert_eq!(http(srv.addr, "GET", "/ui", &c, b"").status, 200);
    clock.advance(Duration::from_millis(2500));
    assert_eq!(http(srv.addr, "GET", "/ui", &c, b"").status, 303);
    srv.stop();
}

/// Two systems gated at the same commit: a deployment page shows the decision of its own
/// system, even when the deployment record names the other system's decision.
#[test]
fn a_deployment_page_shows_the_decision_of_its_own_system() {
    let srv = Server::start();
    let (admin, _) = srv.token(Role::Admin, &[]);
    let (aud, _) = srv.token(Role::Auditor, &[]);
    let bearer = format!("Bearer {admin}");
    let h = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
    ];
    let gate = |system: &str, failed: u32| {
        let body = common::gate_body(system, failed, true).to_string();
        let r = http(srv.addr, "POST", "/v1/gate", &h, body.as_bytes());
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["recorded_entry"].as_u64().unwrap()
    };
    let payments = gate("payments", 0);
    let cards = gate("cards", 2);
    let commit = plumb_gate::samples::COMMIT;
    let dep = common::statement(
        &srv.store,
        plumb_incident::store::DEPLOYMENT,
        commit,
        serde_json::json!({"environment": "production", "result": "succeeded", "gate_decision": cards}),
    );
    let r = http(srv.addr, "POST", "/v1/entries?system=payments", &h, &dep);
    assert_eq!(r.status, 201, "{}", r.text());
    let index = r.json()["index"].as_u64().unwrap();
    let (session, _) = login(&srv, &aud);
    let page = http(
        srv.addr,
        "GET",
        &format!("/ui/deployments/{index}"),
        &[("Cookie", session.as_str())],
        b"",
    )
    .text();
    assert!(
        page.contains(&format!("href=\"/ui/entries/{payments}\"")),
        "payments' own decision: {page}"
    );
    assert!(
        !page.contains(&format!("href=\"/ui/entries/{cards}\"")),
        "never cards' decision: {page}"
    );
    assert!(page.contains("<span class=\"pass\">PASS</span>"), "{page}");
    assert!(
        page.contains("built-in default"),
        "the configuration is named: {page}"
    );
    srv.stop();
}

/// One token logging in over and over holds at most its own share of sessions: its oldest
/// make room, and nobody else's session is pushed out.
#[test]
fn one_token_cannot_crowd_out_other_sessions() {
    let srv = Server::start();
    let (admin, _) = srv.token(Role::Admin, &[]);
    let (aud, aud_id) = srv.token(Role::Auditor, &[]);
    let (other, _) = srv.token(Role::Auditor, &[]);
    let (theirs, _) = login(&srv, &other);
    let first = login(&srv, &aud).0;
    for _ in 0..plumb_server::state::MAX_SESSIONS_PER_TOKEN + 4 {
        login(&srv, &aud);
    }
    let bearer = format!("Bearer {admin}");
    let listed = http(
        srv.addr,
        "GET",
        "/v1/sessions",
        &[("Authorization", bearer.as_str())],
        b"",
    )
    .json();
    let mine = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["token"] == aud_id.as_str())
        .count();
    assert_eq!(
        mine,
        plumb_server::state::MAX_SESSIONS_PER_TOKEN,
        "{listed}"
    );
    let ui = |c: &str| http(srv.addr, "GET", "/ui", &[("Cookie", c)], b"").status;
    assert_eq!(ui(&theirs), 200, "another token's session is untouched");
    assert_eq!(ui(&first), 303, "the token's oldest session made room");
    srv.stop();
}

/// The incidents list comes in pages of 50, newest first, with links between them.
#[test]
fn the_incidents_list_is_paged() {
    let srv = Server::start();
    let (admin, _) = srv.token(Role::Admin, &[]);
    let bearer = format!("Bearer {admin}");
    for n in 0..55 {
        let r = http(
            srv.addr,
            "POST",
            "/v1/incidents",
            &[
                ("Authorization", bearer.as_str()),
                ("Content-Type", "application/json"),
            ],
            format!(r#"{{"title":"outage number {n}","services":["payments"]}}"#).as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let (session, _) = login(&srv, &admin);
    let page = |q: &str| {
        http(
            srv.addr,
            "GET",
            &format!("/ui/incidents{q}"),
            &[("Cookie", session.as_str())],
            b"",
        )
        .text()
    };
    let rows = |html: &str| html.matches("<a href=\"/ui/incidents/INC-").count();
    let first = page("");
    assert_eq!(rows(&first), 50, "{first}");
    assert!(
        first.contains("1 to 50 of 55") && first.contains("?page=2"),
        "{first}"
    );
    assert!(first.contains("outage number 54"), "newest first: {first}");
    let second = page("?page=2");
    assert_eq!(rows(&second), 5, "{second}");
    assert!(
        second.contains("outage number 0") && second.contains("?page=1"),
        "{second}"
    );
    assert_eq!(rows(&page("?page=9")), 0);
    srv.stop();
}

/// Recurring incidents on the incidents page: two non-major incidents with one root cause show
/// as a group not yet opened; once the incident manager opens it (POST /v1/recurring), the page
/// links the aggregated incident, whose own page names the incidents it aggregates.
#[test]
fn recurring_incidents_show_on_the_incidents_pages() {
    let srv = Server::start();
    let (admin, _) = srv.token(Role::Admin, &[]);
    let bearer = format!("Bearer {admin}");
    let post = |path: &str, body: String| {
        http(
            srv.addr,
            "POST",
            path,
            &[
                ("Authorization", bearer.as_str()),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    };
    let mut ids = Vec::new();
    for (days, state) in [(30, "DE"), (3, "AT")] {
        let at = (chrono::Utc::now() - chrono::Duration::days(days)).format("%Y-%m-%dT%H:%M:%SZ");
        let r = post(
            "/v1/incidents",
            format!(
                r#"{{"title":"TLS outage {days}","services":["payments"],"detected_at":"{at}"}}"#
            ),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_string();
        let path = format!("/v1/incidents/{id}");
        let r = post(
            &path,
            format!(
                r#"{{"op":"classify","assessment":{{"supports_critical_functions":true,"costs_eur":60000,"member_states":["{state}"]}}}}"#
            ),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let r = post(
            &path,
            r#"{"op":"root_cause","root_cause":"Expired TLS certificate"}"#.into(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        ids.push(id);
    }
    let (session, _) = login(&srv, &admin);
    let page = |p: &str| http(srv.addr, "GET", p, &[("Cookie", session.as_str())], b"").text();
    let list = page("/ui/incidents");
    assert!(
        list.contains("Expired TLS certificate") && list.contains("not opened yet"),
        "{list}"
    );
    let r = post("/v1/recurring", "{}".into());
    assert_eq!(r.status, 201, "{}", r.text());
    let opened = r.json()["opened"][0].as_str().unwrap().to_string();
    let list = page("/ui/incidents");
    assert!(
        list.contains(&format!("reported as <a href=\"/ui/incidents/{opened}\"")),
        "{list}"
    );
    let shown = page(&format!("/ui/incidents/{opened}"));
    assert!(
        shown.contains("reported in aggregated form")
            && ids.iter().all(|i| shown.contains(i.as_str())),
        "{shown}"
    );
    // A cyber threat recorded through the API shows on the same page, with its test.
    let threat = plumb_incident::threat::parse_details(
        include_bytes!("../../../examples/incident/threat.yaml"),
        "threat.yaml",
    )
    .unwrap();
    let r = post("/v1/threats", serde_json::to_string(&threat).unwrap());
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert_eq!(v["significant"], true);
    assert_eq!(v["notification"]["cyberThreat"]["status"], "active");
    let list = page("/ui/incidents");
    assert!(
        list.contains(v["id"].as_str().unwrap()) && list.contains("Credential-stuffing"),
        "{list}"
    );
    srv.stop();
}

/// The Delivery page: each system the reader may see with its measures and a weekly chart;
/// one system's deployments behind the numbers; a bad period answered clearly.
#[test]
fn the_delivery_page_shows_the_measures_a_reader_may_see() {
    let srv = Server::start();
    let (rec, _) = srv.token(Role::Recorder, &["payments", "identity"]);
    let commit_time = (chrono::Utc::now() - chrono::Duration::hours(5)).to_rfc3339();
    for (n, (system, status)) in [
        ("payments", "succeeded"),
        ("payments", "rolled_back"),
        ("identity", "succeeded"),
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
            &format!("/v1/entries?system={system}"),
            &[
                ("Authorization", &format!("Bearer {rec}")),
                ("Content-Type", "application/json"),
            ],
            &body,
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let (all, _) = srv.token(Role::Auditor, &[]);
    let (session, _) = login(&srv, &all);
    let c = [("Cookie", session.as_str())];
    let page = http(srv.addr, "GET", "/ui/delivery", &c, b"").text();
    assert!(
        page.contains(">payments</a>") && page.contains(">identity</a>"),
        "{page}"
    );
    assert!(page.contains("<svg") && page.contains("50.0 %"), "{page}");
    assert!(
        page.contains("change failure rate, % per week"),
        "three trend charts per system"
    );
    let one = http(srv.addr, "GET", "/ui/delivery?system=payments", &c, b"").text();
    assert!(
        one.contains("rolled back") && one.contains("/ui/deployments/"),
        "{one}"
    );
    assert!(!one.contains(">identity<"), "{one}");
    let bad = http(srv.addr, "GET", "/ui/delivery?period=2026-Q9", &c, b"");
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("not a quarter"));

    // A reader limited to identity sees identity only.
    let (limited, _) = srv.token(Role::Auditor, &["identity"]);
    let (session, _) = login(&srv, &limited);
    let page = http(
        srv.addr,
        "GET",
        "/ui/delivery",
        &[("Cookie", session.as_str())],
        b"",
    )
    .text();
    assert!(
        page.contains(">identity</a>") && !page.contains("payments"),
        "{page}"
    );
    srv.stop();
}

/// The Resilience page judges by the model the server was started with (`--model`), which no
/// pipeline can move; without one and without a recorded model check it says so.
#[test]
fn the_resilience_page_judges_by_the_servers_own_model() {
    let model =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    // Without an incident configuration, whose model would otherwise be the reference.
    let srv = Server::start_with(|c| {
        c.incidents = None;
        c.model = Some(model.clone());
    });
    let (auditor, _) = srv.token(Role::Auditor, &[]);
    let (cookie, _) = login(&srv, &auditor);
    let page = http(
        srv.addr,
        "GET",
        "/ui/resilience",
        &[("Cookie", &cookie)],
        b"",
    )
    .text();
    assert!(
        page.contains("Payments") && page.contains("the server's reference model"),
        "{page}"
    );
    let bare = Server::start_with(|c| c.incidents = None);
    let (auditor, _) = bare.token(Role::Auditor, &[]);
    let (cookie, _) = login(&bare, &auditor);
    let page = http(
        bare.addr,
        "GET",
        "/ui/resilience",
        &[("Cookie", &cookie)],
        b"",
    )
    .text();
    assert!(page.contains("no model check recorded yet"), "{page}");
}

/// Checks and records an exchange-format model through the API (`query` names it).
fn record_model(srv: &Server, admin: &str, query: &str, model: &str) {
    let r = http(
        srv.addr,
        "POST",
        &format!("/v1/model/check?record=true&{query}"),
        &[
            ("Authorization", &format!("Bearer {admin}")),
            ("Content-Type", "application/xml"),
        ],
        model.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

/// A recorded exchange-format model's own views are listed on the Architecture page and one
/// is drawn as the architect drew it, its relationship with an error-level finding (a type
/// ArchiMate does not allow there) marked; every model value is escaped in the drawing.
#[test]
fn the_architecture_page_draws_the_models_own_views() {
    let srv = Server::start();
    let (admin, _) = srv.token(Role::Admin, &[]);
    let model = r#"<?xml version="1.0" encoding="UTF-8"?>
<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="id-m">
  <name xml:lang="en">Drawn &lt;bank&gt;</name>
  <elements>
    <element identifier="id-n" xsi:type="Node"><name xml:lang="en">Mainframe &lt;script&gt;</name></element>
    <element identifier="id-b" xsi:type="BusinessActor"><name xml:lang="en">Bank</name></element>
  </elements>
  <relationships>
    <relationship identifier="id-r" source="id-n" target="id-b" xsi:type="Realization"/>
  </relationships>
  <views>
    <diagrams>
      <view identifier="id-v" xsi:type="Diagram">
        <name xml:lang="en">Hand drawn</name>
        <node identifier="id-vn" elementRef="id-n" xsi:type="Element" x="20" y="200" w="140" h="60"/>
        <node identifier="id-vb" elementRef="id-b" xsi:type="Element" x="20" y="20" w="140" h="60"/>
        <connection identifier="id-vc" relationshipRef="id-r" xsi:type="Relationship" source="id-vn" target="id-vb"/>
      </view>
    </diagrams>
  </views>
</model>
"#;
    record_model(&srv, &admin, "name=drawn.xml", model);
    let (auditor, _) = srv.token(Role::Auditor, &[]);
    let (session, _) = login(&srv, &auditor);
    let c = [("Cookie", session.as_str())];
    let page = http(srv.addr, "GET", "/ui/architecture", &c, b"").text();
    assert!(
        page.contains("<option value=\"id-v\">Hand drawn</option>"),
        "{page}"
    );
    let drawn = http(srv.addr, "GET", "/ui/architecture?view=id-v", &c, b"").text();
    assert!(drawn.contains("<g data-node=\"id-vn\">"), "{drawn}");
    assert!(drawn.contains("data-kind=\"Realization\""), "{drawn}");
    assert!(drawn.contains("url(#m-hollow)"), "{drawn}");
    // The realization is not allowed from a Node to a BusinessActor: an error finding, marked.
    assert!(
        drawn.contains("stroke=\"#d00000\" stroke-width=\"3\" stroke-dasharray=\"3,3\""),
        "{drawn}"
    );
    assert!(drawn.contains("Mainframe &lt;script&gt;") && !drawn.contains("<script>"));
    assert!(drawn.contains(" selected>Hand drawn</option>"));
    // An unknown view falls back to the generated layout.
    let other = http(srv.addr, "GET", "/ui/architecture?view=nope", &c, b"").text();
    assert!(
        !other.contains("data-node=") && other.contains("<svg"),
        "{other}"
    );
    srv.stop();
}

/// Drift on a drawn view: an application never deployed is marked (≠) and named; a reader
/// scoped to one system is judged on its systems only (it cannot see the others'
/// deployments, so their applications are not called undeployed to it).
#[test]
fn the_architecture_page_marks_drift_on_a_view_within_the_readers_scope() {
    let srv = Server::start();
    let (admin, _) = srv.token(Role::Admin, &[]);
    let model = r#"<?xml version="1.0" encoding="UTF-8"?>
<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="id-m">
  <name xml:lang="en">Drift</name>
  <elements>
    <element identifier="id-pay" xsi:type="ApplicationComponent"><name xml:lang="en">Payments app</name><properties><property propertyDefinitionRef="p1"><value xml:lang="en">payments</value></property></properties></element>
    <element identifier="id-card" xsi:type="ApplicationComponent"><name xml:lang="en">Cards app</name><properties><property propertyDefinitionRef="p1"><value xml:lang="en">cards</value></property></properties></element>
  </elements>
  <propertyDefinitions>
    <propertyDefinition identifier="p1" type="string"><name xml:lang="en">plumb:service</name></propertyDefinition>
  </propertyDefinitions>
  <views>
    <diagrams>
      <view identifier="id-v" xsi:type="Diagram">
        <name xml:lang="en">Apps</name>
        <node identifier="id-vp" elementRef="id-pay" xsi:type="Element" x="20" y="20" w="140" h="60"/>
        <node identifier="id-vc" elementRef="id-card" xsi:type="Element" x="200" y="20" w="140" h="60"/>
      </view>
    </diagrams>
  </views>
</model>
"#;
    // Recorded under payments, so an auditor scoped to payments may read the model too.
    record_model(&srv, &admin, "name=drift.xml&system=payments", model);
    // Payments shipped; cards never did.
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let body = common::statement(
        &srv.store,
        "https://plumbline.dev/attestation/deployment/v1",
        &format!("{:040x}", 7),
        serde_json::json!({"environment": "production", "status": "succeeded"}),
    );
    let r = http(
        srv.addr,
        "POST",
        "/v1/entries?system=payments",
        &[
            ("Authorization", &format!("Bearer {rec}")),
            ("Content-Type", "application/json"),
        ],
        &body,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let page = |token: &str, url: &str| {
        let (session, _) = login(&srv, token);
        http(srv.addr, "GET", url, &[("Cookie", session.as_str())], b"").text()
    };
    let (all, _) = srv.token(Role::Auditor, &[]);
    let drawn = page(&all, "/ui/architecture?view=id-v&drift=1");
    assert!(
        drawn.contains("<g data-node=\"id-vc\" data-drift=\"true\">")
            && drawn.contains("<g data-node=\"id-vp\">"),
        "{drawn}"
    );
    assert!(
        drawn.contains("1 application(s) of this view were never deployed"),
        "{drawn}"
    );
    assert!(drawn.contains("Cards app"));
    // The boxes' links keep the drift overlay on.
    assert!(
        drawn.contains("href=\"?view=id-v&amp;drift=1&amp;impact=id-pay\""),
        "{drawn}"
    );
    // Without drift=1, nothing is marked.
    assert!(!page(&all, "/ui/architecture?view=id-v").contains("data-drift"));
    // An auditor of payments alone: cards is not judged, payments was deployed.
    let (scoped, _) = srv.token(Role::Auditor, &["payments"]);
    let drawn = page(&scoped, "/ui/architecture?view=id-v&drift=1");
    assert!(!drawn.contains("data-drift"), "{drawn}");
    assert!(
        drawn.contains("every application of this view you may see has deployments"),
        "{drawn}"
    );
    srv.stop();
}
