//! The recovery tests `plumb scaffold` generates from the model, run for real against a
//! generated service: the demo bank's onboarding service (python-fastapi) is installed from its
//! pinned requirements (PyPI); its own tests of verified TLS to PostgreSQL, of the refused
//! weak sslmodes and of its clients' breakers run; it runs on PostgreSQL under a supervisor, and its generated Chaos
//! Toolkit experiment kills it and waits for it to answer again; the journal is recorded with
//! `plumb resilience record` against the generated blueprint (a passed test naming the function;
//! unsupervised, a failed one). Prometheus then scrapes the service as its own job and the
//! generated watch configuration judges a deployment of it with `plumb watch`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use plumb_testkit::Supervised;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plumb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .current_dir(root())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn show(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The onboarding service on `port`, restarted when `supervised`; the pid of the running
/// process is kept in `pidfile` for the experiment's kill command.
fn service(repo: &Path, url: &str, port: u16, pidfile: &Path, supervised: bool) -> Supervised {
    let command = format!(
        "(cd services/onboarding && DATABASE_URL='{url}' BIND=127.0.0.1 PORT={port} LOG_LEVEL=warning exec .venv/bin/python -m app)"
    );
    Supervised::start(repo, &command, port, pidfile, supervised)
}

/// Runs the generated experiment of onboarding from the repository root.
fn experiment(repo: &Path, port: u16, pidfile: &Path, recovery: &str, journal: &Path) {
    let o = Command::new(plumb_testkit::chaos())
        .args(["--no-version-check", "run", "--journal-path"])
        .arg(journal)
        .arg("resilience/onboarding/experiment.json")
        .current_dir(repo)
        .env("ONBOARDING_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env(
            "CHAOS_KILL_COMMAND",
            format!("kill $(cat '{}')", pidfile.display()),
        )
        .env("CHAOS_RECOVERY_SECONDS", recovery)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(journal.exists(), "no journal: {}", show(&o));
}

fn record(store: &Path, repo: &Path, journal: &Path) -> serde_json::Value {
    let o = plumb(&[
        "--store",
        s(store),
        "--format",
        "json",
        "resilience",
        "record",
        s(journal),
        "--system",
        "onboarding",
        "--model",
        s(&repo.join("architecture/blueprint.xml")),
    ]);
    assert!(o.status.success(), "{}", show(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_generated_experiment_and_watch_run_against_the_generated_service() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("bank-services");
    let o = plumb(&[
        "scaffold",
        "--model",
        "examples/model/bank.yaml",
        "--out",
        s(&repo),
    ]);
    assert!(o.status.success(), "{}", show(&o));
    let store = d.path().join("store");
    assert!(plumb(&["--store", s(&store), "init"]).status.success());

    // The service as generated, from its pinned requirements.
    let svc_dir = repo.join("services/onboarding");
    let o = plumb_testkit::isolated("python3")
        .args(["-m", "venv", ".venv"])
        .current_dir(&svc_dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", show(&o));
    let o = plumb_testkit::isolated(svc_dir.join(".venv/bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            "requirements-dev.txt",
        ])
        .current_dir(&svc_dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "pip: {}", show(&o));

    // The generated tests of what the hardening added that need no browser: verified TLS to
    // PostgreSQL (scripts/with-postgres gives a server with a certificate from a throwaway CA,
    // and another CA that must be refused), the weak sslmodes refused, the clients' breakers.
    let o = plumb_testkit::isolated("scripts/with-postgres")
        .args([
            "bash",
            "-c",
            "cd services/onboarding && .venv/bin/python -m pytest -q -ra -p no:cacheprovider tests/test_tls.py tests/test_config.py tests/test_upstream.py",
        ])
        .current_dir(&repo)
        .output()
        .unwrap();
    let text = show(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains(" passed") && !text.contains("skipped") && !text.contains("SKIPPED"),
        "every test ran: {text}"
    );
    let url = plumb_testkit::server().new_database(&format!("recovery_{}", std::process::id()));

    // Supervised: killed, it answers again well within the limit; a passed test of the
    // functions the blueprint says depend on onboarding.
    let port = plumb_testkit::free_port();
    let pidfile = d.path().join("onboarding.pid");
    let svc = service(&repo, &url, port, &pidfile, true);
    let prometheus =
        plumb_testkit::prometheus::Prometheus::scraping(port, "onboarding", "http_requests_total");
    let journal = d.path().join("journal-supervised.json");
    experiment(&repo, port, &pidfile, "60", &journal);
    let v = record(&store, &repo, &journal);
    assert_eq!(v["test"]["outcome"], "passed", "{v}");
    assert!(
        v["test"]["functions"]
            .to_string()
            .contains("Customer onboarding"),
        "{v}"
    );

    // The generated watch of onboarding, pointed at this Prometheus and shortened, judges a
    // deployment of the running service: its own error rate and latency are fine. The watch
    // treats no traffic as unknown (0/0), so the service is kept busy while it is watched:
    // after the experiment's restart, the probes alone did not always reach two scrapes.
    let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let traffic = {
        let busy = busy.clone();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        std::thread::spawn(move || {
            while busy.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = plumb_testkit::http(addr, "GET", "/login", &[], b"");
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        })
    };
    std::thread::sleep(std::time::Duration::from_secs(3));
    let watch = std::fs::read_to_string(repo.join("resilience/watch.yaml")).unwrap();
    let watch = watch
        .replace("http://prometheus.monitoring.svc:9090", &prometheus.url())
        .replace("interval: 30s", "interval: 1s")
        .replace("duration: 10m", "count: 3");
    let watch_file = d.path().join("watch.yaml");
    std::fs::write(&watch_file, watch).unwrap();
    let predicate = d.path().join("deployment.json");
    std::fs::write(&predicate, br#"{"environment": "production"}"#).unwrap();
    let o = plumb(&[
        "--store",
        s(&store),
        "record",
        "--subject",
        "gitCommit:1111111111111111111111111111111111111111",
        "--predicate-type",
        "https://plumbline.dev/attestation/deployment/v1",
        "--predicate",
        s(&predicate),
        "--system",
        "onboarding",
    ]);
    assert!(o.status.success(), "{}", show(&o));
    let o = plumb(&[
        "--store",
        s(&store),
        "--format",
        "json",
        "watch",
        "--config",
        s(&watch_file),
        "--system",
        "onboarding",
        "--no-rollback",
        "--incidents",
        "examples/incident/incident.yaml",
    ]);
    busy.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = traffic.join();
    let text = show(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "successful", "{v}");
    drop(svc);
    drop(prometheus);

    // Unsupervised: killed, it stays down; the experiment deviates and the test failed.
    let port = plumb_testkit::free_port();
    let svc = service(&repo, &url, port, &pidfile, false);
    let journal = d.path().join("journal-unsupervised.json");
    experiment(&repo, port, &pidfile, "3", &journal);
    drop(svc);
    let v = record(&store, &repo, &journal);
    assert_eq!(v["test"]["outcome"], "failed", "{v}");
}
