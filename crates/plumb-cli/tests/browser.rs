//! The demo in a real headless Chromium: log in as the auditor, open a system, open a gate
//! decision, watch the inclusion proof verify in the page, export a pack. Screenshots go to
//! target/browser-screenshots/.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use plumb_testkit::{Browser, http};

#[test]
fn an_auditor_walks_the_demo_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let port = plumb_testkit::free_port();
    let listen = format!("127.0.0.1:{port}");
    let demo = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args([
            "--now",
            "2026-11-21T10:00:00Z",
            "demo",
            "--listen",
            &listen,
            "--dir",
        ])
        .arg(dir.path().join("demo"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut demo = plumb_testkit::KillOnDrop(demo);
    let mut token = None;
    let mut watched = None;
    for line in BufReader::new(demo.0.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split("watch of payments deployment ").nth(1) {
            watched = rest.split(' ').next().and_then(|n| n.parse::<u64>().ok());
        }
        if let Some(t) = line.strip_prefix("auditor token ") {
            token = Some(t.trim().to_string());
            break;
        }
    }
    let token = token.expect("the demo prints an auditor token");
    plumb_testkit::wait_for_port("the demo UI", port);
    let addr: std::net::SocketAddr = listen.parse().unwrap();
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
    let base = format!("http://{listen}");

    let b = Browser::start();
    b.goto(&format!("{base}/ui"));
    assert!(
        b.url().ends_with("/ui/login"),
        "not logged in: sent to the login page"
    );
    b.type_into("input[name=token]", &token);
    b.screenshot(&shots.join("1-login.png"));
    b.click("form button");
    b.wait_text("h1", "Overview");
    let overview = b.text("main");
    for system in ["payments", "onboarding", "identity", "core-ledger"] {
        assert!(overview.contains(system), "{system}: {overview}");
    }
    assert!(
        overview.contains("BREAK-GLASS OVERRIDE") && overview.contains("DENY"),
        "{overview}"
    );
    b.screenshot(&shots.join("2-overview.png"));

    // The Delivery page: the demo's eight weeks of history, per system, with trend charts.
    b.goto(&format!("{base}/ui/delivery"));
    b.wait_text("h1", "Delivery");
    let delivery = b.text("main");
    assert!(
        delivery.contains("core-ledger") && delivery.contains("deployment days a week"),
        "{delivery}"
    );
    b.screenshot(&shots.join("2b-delivery.png"));

    // The Resilience page: the demo's drill keeps Payments within its RTO; nothing tested
    // identity; the latest watch of payments was successful.
    b.goto(&format!("{base}/ui/resilience"));
    b.wait_text("h1", "Resilience");
    let res = b.text("main");
    for fact in [
        "Payments",
        "failover",
        "42 min",
        "no_test",
        "payments: successful",
    ] {
        assert!(res.contains(fact), "{fact}: {res}");
    }
    b.screenshot(&shots.join("2c-resilience.png"));
    // The Third parties page: the demo's recorded register, its providers by concentration,
    // its check passed.
    b.goto(&format!("{base}/ui/third-parties"));
    b.wait_text("h1", "Third parties");
    let tp = b.text("main");
    for fact in [
        "CloudCo Europe",
        "75 %",
        "CardProc Europe",
        "passes the EBA",
        "SB-ICT-2023-001",
    ] {
        assert!(tp.contains(fact), "{fact}: {tp}");
    }
    b.screenshot(&shots.join("2d-third-parties.png"));
    // The watched deployment shows its verdict with the samples as a chart.
    let watched = watched.expect("the demo names the watched deployment");
    b.goto(&format!("{base}/ui/deployments/{watched}"));
    let dep = b.wait_text("main", "Watched after the deployment");
    assert!(
        dep.contains("successful") && dep.contains("error-rate"),
        "{dep}"
    );
    b.find("figure svg");
    b.screenshot(&shots.join("2d-watched-deployment.png"));
    b.goto(&format!("{base}/ui"));
    b.wait_text("h1", "Overview");

    b.click("a[href='/ui/entries?q=payments']");
    b.wait_text("h1", "Evidence search");
    b.screenshot(&shots.join("3-payments.png"));
    b.click("tr[data-kind='gate-decision'] a[href^='/ui/entries/']");
    b.wait_text("h1", "Entry");
    let entry = b.text("main");
    assert!(entry.contains("Gate decision"), "a decision page: {entry}");
    let proof = b.wait_text("#proof-result", "verified in your browser");
    assert!(proof.contains("inclusion verified"), "{proof}");
    b.screenshot(&shots.join("4-decision-with-proof.png"));

    // The audit question for one deployment.
    b.goto(&format!("{base}/ui/entries?q=payments"));
    b.click("tr[data-kind='deployment'] a[href^='/ui/entries/']");
    b.click("a[href^='/ui/deployments/']");
    let audit = b.wait_text("main", "What happened afterwards");
    for fact in [
        "Who approved it",
        "akowalski",
        "sec-lina",
        "Which tests ran",
        "10 tests",
        "Waived under W-001",
        // The payments infrastructure pipeline's gate decisions came later the same day.
        "Later evidence for payments",
    ] {
        assert!(audit.contains(fact), "{fact}: {audit}");
    }
    b.screenshot(&shots.join("4b-deployment-audit.png"));

    b.click("a[href='/ui/architecture']");
    let arch = b.wait_text("main", "Concentration on ICT providers");
    assert!(arch.contains("CloudCo Europe: 3 of 4"), "{arch}");
    b.find("main svg");
    b.screenshot(&shots.join("4c-architecture.png"));
    // The demo bank's own drawn view, as its architect laid it out.
    assert!(arch.contains("Payments, end to end"), "{arch}");
    b.goto(&format!("{base}/ui/architecture?view=view-payments"));
    b.wait_text("main", "Payments, end to end");
    b.find("main svg g[data-node='vp-pay']");
    b.find("main svg g[data-node='vp-note']");
    // The findings link to what fails with their elements.
    b.find("main ul li a[href*='&impact=']");
    b.screenshot(&shots.join("4d-architecture-view.png"));
    // What fails with the cluster, drawn over the view: its box links there.
    b.click("main svg a[href$='impact=node-k8s']");
    let text = b.wait_text("main", "If Kubernetes cluster eu-west fails");
    assert!(
        text.contains("3 critical or important function(s)"),
        "{text}"
    );
    b.find("main svg g[data-node='vp-k8s'][data-impact='failed']");
    b.find("main svg g[data-node='vp-pay'][data-impact='path']");
    b.screenshot(&shots.join("4e-architecture-impact.png"));

    // Incidents: the demo's payments incident, major, with its clock and its cause.
    b.click("a[href='/ui/incidents']");
    let list = b.wait_text("main", "MAJOR");
    assert!(
        list.contains("Payments API: 38 % of card payments fail"),
        "{list}"
    );
    b.find(".countdown");
    b.click("a[href^='/ui/incidents/INC-']");
    let inc = b.wait_text("main", "Classification (RTS 2024/1772)");
    for fact in [
        "RTS 2024/1772 Art. 8(1)",
        "initial notification",
        "RTS 2025/301 Art. 5(1)(a)",
        "Deployments that may have caused it",
        "heuristic",
        "Gate decision",
        "Timeline (from the ledger)",
        "report_generated",
    ] {
        assert!(inc.contains(fact), "{fact}: {inc}");
    }
    b.screenshot(&shots.join("4d-incident.png"));

    b.click("a[href='/ui/checkpoints']");
    b.wait_text("h1", "Checkpoints");
    assert!(b.text("main").contains("signature ok"));
    b.screenshot(&shots.join("5-checkpoints.png"));

    // Export: the form on the overview downloads a pack that verifies offline.
    b.goto(&format!("{base}/ui"));
    b.type_into("input[name=system]", "payments");
    // The browser holds the session cookie (HttpOnly: scripts cannot read it), so fetch the
    // same export over HTTP with a fresh login to check the bytes.
    let session = plumb_testkit::ui_login(addr, &token).0;
    let pack = http(
        addr,
        "GET",
        "/ui/export?system=payments",
        &[("Cookie", &session)],
        b"",
    );
    assert_eq!(pack.status, 200);
    let key = plumb_ledger::keys::PublicKey::parse(
        &std::fs::read_to_string(dir.path().join("demo/signing.pub")).unwrap(),
    )
    .unwrap();
    assert!(plumb_ledger::pack::verify_pack(&pack.body, &[key]).is_ok());
    b.screenshot(&shots.join("6-export.png"));
    drop(b);

    demo.stop();
}
