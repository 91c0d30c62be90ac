//! Two `plumb serve` processes behind one PostgreSQL log: both append concurrently, every
//! acknowledged entry is there exactly once, and the log verifies.

use std::process::{Command, Stdio};

use plumb_ledger::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use plumb_ledger::keys::KeyPair;
use plumb_ledger::statement::{Statement, Subject};
use plumb_testkit::http;

#[test]
fn two_servers_share_one_postgresql_log_without_forking_it() {
    let pg = plumb_testkit::server();
    let url = pg.new_database(&format!("servers_{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let plumb = env!("CARGO_BIN_EXE_plumb");
    let run = |args: &[&str]| {
        Command::new(plumb)
            .arg("--store")
            .arg(&store)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["init", "--database", &url]).status.success());
    let token = String::from_utf8(
        run(&[
            "token", "create", "--role", "recorder", "--system", "payments",
        ])
        .stdout,
    )
    .unwrap()
    .lines()
    .next()
    .unwrap()
    .to_string();
    let ports = [plumb_testkit::free_port(), plumb_testkit::free_port()];
    let servers: Vec<_> = ports
        .iter()
        .map(|p| {
            Command::new(plumb)
                .arg("--store")
                .arg(&store)
                .args(["serve", "--listen", &format!("127.0.0.1:{p}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map(plumb_testkit::KillOnDrop)
                .unwrap()
        })
        .collect();
    for p in ports {
        plumb_testkit::wait_for_port("plumb serve", p);
    }
    let key = KeyPair::read_private(&store.join("keys/signing.key")).unwrap();
    let acked: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = ports
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let (token, key) = (&token, &key);
                s.spawn(move || {
                    let addr: std::net::SocketAddr = format!("127.0.0.1:{p}").parse().unwrap();
                    let auth = format!("Bearer {token}");
                    (0..150u32)
                        .map(|n| {
                            let st = Statement::new(
                                vec![Subject {
                                    name: "c".into(),
                                    digest: [(
                                        "gitCommit".to_string(),
                                        format!("{:040x}", k as u32 * 1000 + n + 1),
                                    )]
                                    .into(),
                                }],
                                "https://in-toto.io/attestation/test-result/v0.1",
                                serde_json::json!({"server": k, "n": n}),
                            );
                            let env = serde_json::to_vec(&Envelope::sign(
                                IN_TOTO_PAYLOAD_TYPE,
                                &serde_json::to_vec(&st).unwrap(),
                                key,
                            ))
                            .unwrap();
                            let r = http(
                                addr,
                                "POST",
                                "/v1/entries?system=payments",
                                &[
                                    ("Authorization", &auth),
                                    ("Content-Type", "application/json"),
                                ],
                                &env,
                            );
                            assert_eq!(r.status, 201, "{}", r.text());
                            r.json()["index"].as_u64().unwrap()
                        })
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    for s in servers {
        s.stop();
    }
    let mut unique = acked.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 300, "no index was given to two entries");
    let mut l = plumb_ledger::Ledger::open(&store).unwrap();
    for i in &acked {
        let e = plumb_ledger::entry::LogEntry::parse(&l.entry(*i).unwrap().bytes).unwrap();
        assert_eq!(
            e.system.as_deref(),
            Some("payments"),
            "acknowledged entry {i} is the appended one"
        );
    }
    let rep = l
        .verify(plumb_ledger::verify::VerifyOptions::default())
        .unwrap();
    assert!(rep.ok(), "{:?}", rep.problems);
    assert!(run(&["verify"]).status.success());
}
