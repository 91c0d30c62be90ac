//! The CLI against a running `plumb serve` (`--server`): gate, model check, record, append and
//! export give the same answers as locally, land in the server's log, and the exported pack
//! verifies offline. Refusals (bad token, a recorder outside its systems, commands that only
//! read locally) are clear.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plumb(store: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_plumb"));
    c.arg("--store").arg(store).env_remove("PLUMB_TOKEN");
    c.env_remove("PLUMB_SERVER").stdin(Stdio::null());
    c
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn token(store: &Path, args: &[&str]) -> String {
    let out = plumb_testkit::sh(plumb(store).args(["token", "create"]).args(args));
    out.lines().next().unwrap().trim().to_string()
}

#[test]
fn cli_commands_work_against_a_server_as_they_do_locally() {
    let dir = tempfile::tempdir().unwrap();
    let (server_store, client_store) = (dir.path().join("server"), dir.path().join("client"));
    plumb_testkit::sh(plumb(&server_store).arg("init"));
    plumb_testkit::sh(plumb(&client_store).arg("init"));
    // The pipeline's key is trusted by the server, so its own signed statements are accepted.
    let ci_pub = dir.path().join("ci.pub");
    std::fs::write(
        &ci_pub,
        plumb_testkit::sh(plumb(&client_store).args(["key", "show"])),
    )
    .unwrap();
    plumb_testkit::sh(plumb(&server_store).args(["key", "trust"]).arg(&ci_pub));
    let recorder = token(
        &server_store,
        &["--role", "recorder", "--system", "payments"],
    );
    let auditor = token(&server_store, &["--role", "auditor"]);
    let port = plumb_testkit::free_port();
    let server = plumb(&server_store)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--checkpoint-every-ms", "100", "--gate-config"])
        .arg(root().join("examples/gate/server"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = plumb_testkit::KillOnDrop(server);
    plumb_testkit::wait_for_port("plumb serve", port);
    let url = format!("http://127.0.0.1:{port}");
    let remote = |tok: &str| {
        let mut c = plumb(&client_store);
        c.args(["--server", &url, "--format", "json"])
            .env("PLUMB_TOKEN", tok);
        c
    };

    // Gate: the server applies its own configuration for payments (the same rules as the
    // example's local file), so its decision equals the local one.
    let config = root().join("examples/gate/plumb-gate.yaml");
    let md = dir.path().join("gate.md");
    let there = remote(&recorder)
        .args(["gate", "--config"])
        .arg(&config)
        .args(["--record", "--run", "ci-5", "--markdown-out"])
        .arg(&md)
        .output()
        .unwrap();
    let here = plumb(&client_store)
        .args(["--format", "json", "gate", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let (there_d, here_d) = (json(&there), json(&here));
    assert_eq!(there.status.code(), here.status.code());
    for key in [
        "result",
        "violations",
        "findings",
        "tests",
        "coverage",
        "inputs",
        "waivers",
        "criticality",
        "disabled_rules",
    ] {
        assert_eq!(there_d[key], here_d[key], "{key}");
    }
    assert_eq!(there_d["configuration"]["held_by"], "server");
    assert_eq!(there_d["configuration"]["source"], "payments.yaml");
    assert_eq!(here_d["configuration"]["held_by"], "client");
    assert!(
        String::from_utf8_lossy(&there.stderr)
            .contains("the server applies its own gate configuration"),
        "the pipeline is told its local rules were not sent"
    );
    let gate_entry = there_d["recorded_entry"]
        .as_u64()
        .expect("recorded on the server");
    assert!(std::fs::read_to_string(&md).unwrap().contains("payments"));

    // Model check, recorded.
    let model = root().join("examples/model/bank.yaml");
    let there = json(
        &remote(&recorder)
            .args(["model", "check"])
            .arg(&model)
            .output()
            .unwrap(),
    );
    let here = json(
        &plumb(&client_store)
            .args(["--format", "json", "model", "check"])
            .arg(&model)
            .output()
            .unwrap(),
    );
    assert_eq!(there["report"], here["report"]);
    assert_eq!(there["ok"], here["ok"]);

    // Record (signed with the pipeline's key) and append (an envelope signed beforehand).
    let digest = format!("sha256:{}", "ab".repeat(32));
    let rec = remote(&recorder)
        .args(["record", "--subject", &format!("app.tar={digest}")])
        .args(["--predicate-type", "https://example.com/build/v1"])
        .args(["--system", "payments", "--attach"])
        .arg(root().join("examples/sample-app/reports/junit.xml"))
        .output()
        .unwrap();
    assert!(
        rec.status.success(),
        "{}",
        String::from_utf8_lossy(&rec.stderr)
    );
    let recorded = json(&rec)["indexes"][0].as_u64().unwrap();
    let envelope = dir.path().join("env.json");
    std::fs::write(
        &envelope,
        plumb_testkit::sh(
            plumb(&client_store)
                .args(["sign", "--subject", &digest])
                .args(["--predicate-type", "https://example.com/scan/v1"]),
        ),
    )
    .unwrap();
    let app = remote(&recorder)
        .args(["append", "--system", "payments"])
        .arg(&envelope)
        .output()
        .unwrap();
    assert!(
        app.status.success(),
        "{}",
        String::from_utf8_lossy(&app.stderr)
    );
    let appended = json(&app)["indexes"][0].as_u64().unwrap();
    assert!(appended > gate_entry);

    // A recorder outside its systems, a wrong token, a command that only reads locally.
    let out = remote(&recorder)
        .args(["append", "--system", "cards"])
        .arg(&envelope)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("403"));
    let out = remote("plumb_wrong")
        .args(["model", "check"])
        .arg(&model)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("401") && err.contains("expired or revoked"),
        "{err}"
    );
    let out = remote(&auditor).arg("log").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--server works with"));
    let out = plumb(&client_store)
        .args(["--server", &url, "export", "--out", "x.tar"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("PLUMB_TOKEN"));

    // Export from the server; the pack verifies offline against the server's key and holds
    // the entries the pipeline sent (durable once acknowledged; the export signs its own
    // checkpoint, so nothing needs waiting for).
    let pack = dir.path().join("payments.tar");
    let out = remote(&auditor)
        .args(["export", "--system", "payments", "--out"])
        .arg(&pack)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server_pub = dir.path().join("server.pub");
    std::fs::write(
        &server_pub,
        plumb_testkit::sh(plumb(&server_store).args(["key", "show"])),
    )
    .unwrap();
    let v = plumb(&client_store)
        .args(["--format", "json", "verify-pack"])
        .arg(&pack)
        .arg("--trusted-key")
        .arg(&server_pub)
        .arg("--trusted-key")
        .arg(&ci_pub)
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    server.stop();
    let verify = plumb(&server_store).arg("verify").output().unwrap();
    assert!(verify.status.success());
    // The attachment went up as a blob and the entry names it.
    let shown = json(
        &plumb(&server_store)
            .args(["--format", "json", "show", &recorded.to_string()])
            .output()
            .unwrap(),
    );
    assert_eq!(shown["blobs"][0]["name"], "junit.xml", "{shown}");
}
