//! Chaos Toolkit, the real one (PyPI `chaostoolkit`, installed by `scripts/test`), runs an
//! experiment against a local HTTP service: the steady state (it answers), the method (its
//! process is killed), the steady state again. Supervised, the service comes back and the
//! journal is a passed test; unsupervised it does not, and the journal is a failed one.
//! `plumb resilience record` records each with the functions of the model.

use std::path::Path;
use std::process::{Command, Stdio};

/// Starts the service (python3's http.server) on `port`, restarted when `supervised`; its
/// current process id is kept in `service.pid`.
fn service(dir: &Path, port: u16, supervised: bool) -> plumb_testkit::Supervised {
    let command = format!(
        "python3 -m http.server {port} --bind 127.0.0.1 --directory '{}'",
        dir.display()
    );
    plumb_testkit::Supervised::start(dir, &command, port, &dir.join("service.pid"), supervised)
}

fn experiment(dir: &Path, port: u16) -> std::path::PathBuf {
    let e = serde_json::json!({
        "version": "1.0.0",
        "title": "Payments answers again after its process is killed",
        "description": "Kill the service's process and check that it is serving again within seconds.",
        "tags": ["payments"],
        "steady-state-hypothesis": {
            "title": "payments answers",
            "probes": [{
                "type": "probe", "name": "answers", "tolerance": 200,
                "provider": {"type": "http", "url": format!("http://127.0.0.1:{port}/"), "timeout": 2}
            }]
        },
        "method": [{
            "type": "action", "name": "kill the service",
            "provider": {"type": "process", "path": "sh",
                         "arguments": ["-c", format!("kill $(cat '{}')", dir.join("service.pid").display())]},
            "pauses": {"after": 3}
        }],
        "rollbacks": []
    });
    let p = dir.join("experiment.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&e).unwrap()).unwrap();
    p
}

fn run_chaos(dir: &Path, port: u16) -> std::path::PathBuf {
    let journal = dir.join("journal.json");
    let o = Command::new(plumb_testkit::chaos())
        .args(["--no-version-check", "--log-file"])
        .arg(dir.join("chaostoolkit.log"))
        .args(["run", "--journal-path"])
        .arg(&journal)
        .arg(experiment(dir, port))
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        journal.exists(),
        "no journal: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    journal
}

fn record(store: &Path, journal: &Path) -> serde_json::Value {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    let o = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .arg("--store")
        .arg(store)
        .args(["--format", "json", "resilience", "record"])
        .arg(journal)
        .args([
            "--system",
            "payments",
            "--recovery-minutes",
            "0.1",
            "--model",
        ])
        .arg(model)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn a_real_chaos_toolkit_run_is_recorded_with_its_outcome() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let o = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .arg("--store")
        .arg(&store)
        .arg("init")
        .output()
        .unwrap();
    assert!(o.status.success());

    // Supervised: the service is back before the steady state is checked again.
    let up = d.path().join("supervised");
    std::fs::create_dir(&up).unwrap();
    let port = plumb_testkit::free_port();
    let svc = service(&up, port, true);
    let v = record(&store, &run_chaos(&up, port));
    drop(svc);
    assert_eq!(v["test"]["outcome"], "passed", "{v}");
    assert_eq!(v["test"]["source"], "chaos-toolkit");
    assert!(
        v["test"]["functions"].to_string().contains("Payments"),
        "{v}"
    );

    // Unsupervised: it stays down, the hypothesis deviates, the test failed.
    let down = d.path().join("unsupervised");
    std::fs::create_dir(&down).unwrap();
    let port = plumb_testkit::free_port();
    let svc = service(&down, port, false);
    let v = record(&store, &run_chaos(&down, port));
    drop(svc);
    assert_eq!(v["test"]["outcome"], "failed", "{v}");
    assert!(v["test"]["detail"].to_string().contains("deviated"), "{v}");
}
