//! A real server on a loopback port for tests, and envelopes signed with its key.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use plumb_ledger::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use plumb_ledger::keys::KeyPair;
use plumb_ledger::statement::{Statement, Subject};
use plumb_server::tokens::{Role, Tokens};
use plumb_testkit::{Resp, http};

pub struct Server {
    pub addr: SocketAddr,
    pub store: PathBuf,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(|_| {})
    }

    /// A server whose configuration `f` adjusts first.
    pub fn start_with(f: impl FnOnce(&mut plumb_server::ServerConfig)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        plumb_ledger::Ledger::init(
            &store,
            plumb_ledger::InitOptions {
                origin: Some("api.test".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let cfg = plumb_server::ServerConfig {
            max_body: 70_000,
            checkpoint_every: Duration::from_millis(100),
            incidents: Some(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../examples/incident/incident.yaml"),
            ),
            audit_every: Duration::from_millis(200),
            ..plumb_server::ServerConfig::new(store.clone(), "127.0.0.1:0".parse().unwrap())
        };
        let mut cfg = cfg;
        f(&mut cfg);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(cfg.addr).await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                plumb_server::serve(cfg, listener, async move {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        Server {
            addr,
            store,
            _dir: dir,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn token(&self, role: Role, systems: &[&str]) -> (String, String) {
        let mut t = Tokens::load(&self.store).unwrap();
        let (secret, rec) = t
            .create(
                role,
                systems.iter().map(|s| s.to_string()).collect(),
                "test",
                None,
                Utc::now(),
            )
            .unwrap();
        (secret, rec.id)
    }

    /// Stops the server; the store stays on disk until the returned directory is dropped.
    pub fn stop(mut self) -> (PathBuf, tempfile::TempDir) {
        let _ = self.stop.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap();
        (
            self.store.clone(),
            std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap()),
        )
    }
}

/// A gate request for `system` whose inputs pass the baseline unless `failed_tests` fail.
pub fn gate_body(system: &str, failed_tests: u32, record: bool) -> serde_json::Value {
    use base64::Engine as _;
    use plumb_gate::samples::{approvals, change, junit, lcov, sarif, sbom, trivy};
    let input = |kind: &str, name: &str, text: &str| serde_json::json!({"kind": kind, "name": name, "content": base64::engine::general_purpose::STANDARD.encode(text)});
    serde_json::json!({
        "system": system,
        "inputs": [
            input("sast", "reports/bandit.sarif", &sarif("note", "B101")),
            input("tests", "junit.xml", &junit(failed_tests)),
            input("coverage", "lcov.info", &lcov(90, 100)),
            input("sbom", "sbom.json", &sbom()),
            input("vulns", "trivy.json", &trivy(Utc::now(), 0, "MEDIUM")),
            input("secrets", "gitleaks.json", "[]"),
            input("change", "change.json", &change("production", true)),
            input("approvals", "approvals.json", &approvals(false)),
        ],
        "record": record,
        "run": "ci-77",
    })
}

/// A statement of `predicate_type` about `commit`, signed with the store's key.
pub fn statement(
    store: &std::path::Path,
    predicate_type: &str,
    commit: &str,
    predicate: serde_json::Value,
) -> Vec<u8> {
    let key = KeyPair::read_private(&store.join("keys/signing.key")).unwrap();
    let st = Statement::new(
        vec![Subject {
            name: format!("commit {commit}"),
            digest: [("gitCommit".to_string(), commit.to_string())].into(),
        }],
        predicate_type,
        predicate,
    );
    serde_json::to_vec(&Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        &serde_json::to_vec(&st).unwrap(),
        &key,
    ))
    .unwrap()
}

pub fn envelope(store: &std::path::Path, n: u32) -> Vec<u8> {
    let key = KeyPair::read_private(&store.join("keys/signing.key")).unwrap();
    let st = Statement::new(
        vec![Subject {
            name: "c".into(),
            digest: [("gitCommit".to_string(), format!("{:040x}", n + 1))].into(),
        }],
        "https://in-toto.io/attestation/test-result/v0.1",
        serde_json::json!({"n": n}),
    );
    serde_json::to_vec(&Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        &serde_json::to_vec(&st).unwrap(),
        &key,
    ))
    .unwrap()
}

pub fn set_cookie(r: &Resp, name: &str) -> String {
    r.header_values("set-cookie")
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {}", r.headers))
}

pub fn cookie_value(set: &str) -> String {
    set.split(';').next().unwrap().to_string()
}

pub fn hidden_csrf(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[i..i + 32].to_string()
}

pub fn login(srv: &Server, token: &str) -> (String, String) {
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

/// A server clock the test moves forward instead of sleeping: the wall clock plus an offset.
#[derive(Clone, Default)]
pub struct TestClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl TestClock {
    /// Moves the server's time forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }

    /// The clock to give the server.
    pub fn clock(&self) -> plumb_server::state::Clock {
        let offset = self.0.clone();
        plumb_server::state::Clock::from_fn(move || {
            Utc::now()
                + chrono::Duration::milliseconds(offset.load(std::sync::atomic::Ordering::SeqCst))
        })
    }
}

/// Records envelope `n` for the system `payments` with a recorder's `token`.
pub fn record_payment(srv: &Server, token: &str, n: u32) -> Resp {
    http(
        srv.addr,
        "POST",
        "/v1/entries?system=payments",
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("Content-Type", "application/json"),
        ],
        &envelope(&srv.store, n),
    )
}

/// Waits until the server has signed a checkpoint covering `size` entries (it signs one every
/// `checkpoint_every`), instead of sleeping for a guessed time.
pub fn wait_for_checkpoint(srv: &Server, token: &str, size: u64) {
    plumb_testkit::wait_until(
        "a checkpoint covering the entries",
        Duration::from_secs(10),
        || {
            let r = http(
                srv.addr,
                "GET",
                "/v1/checkpoint",
                &[("Authorization", &format!("Bearer {token}"))],
                b"",
            );
            r.status == 200 && r.json()["size"].as_u64().is_some_and(|s| s >= size)
        },
    );
}
