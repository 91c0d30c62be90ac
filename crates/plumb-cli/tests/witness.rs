//! Two witnesses, each a `plumb witness serve` process, follow a log: they cosign its
//! checkpoints as it grows, and when a copy of the log (same key, same origin) takes another
//! history, both refuse to cosign it, so no client that demands their cosignatures can be
//! shown the fork.

use std::path::Path;
use std::process::{Command, Stdio};

use plumb_ledger::{Ledger, RecordRequest};

fn plumb(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn append(l: &mut Ledger, what: &str) {
    l.record(
        RecordRequest {
            subjects: vec![plumb_ledger::statement::Subject {
                name: what.into(),
                digest: [(
                    "sha256".to_string(),
                    plumb_base::sha256_hex(what.as_bytes()),
                )]
                .into(),
            }],
            predicate_type: "https://plumbline.dev/test/v1".into(),
            predicate: serde_json::json!({"what": what}),
            system: None,
            run: None,
            attachments: vec![],
        },
        chrono::Utc::now(),
    )
    .unwrap();
}

/// The log's latest checkpoint, signed, after checkpointing now.
fn checkpoint(l: &mut Ledger) -> (u64, String) {
    let (stored, _) = l.checkpoint(chrono::Utc::now()).unwrap();
    (stored.size, stored.note)
}

fn submit(addr: std::net::SocketAddr, body: &str) -> (u16, String) {
    let r = plumb_testkit::http(addr, "POST", "/add-checkpoint", &[], body.as_bytes());
    (r.status, r.text())
}

fn witness(
    dir: &Path,
    name: &str,
    log_pub: &Path,
) -> (plumb_testkit::KillOnDrop, std::net::SocketAddr, String) {
    let key = dir.join(format!("{name}.key"));
    let o = plumb(&[
        "witness",
        "keygen",
        "--name",
        &format!("witness.example/{name}"),
        "--out",
        key.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let vkey = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let port = plumb_testkit::free_port();
    let state = dir.join(format!("{name}.json"));
    let child = plumb_testkit::isolated(env!("CARGO_BIN_EXE_plumb"))
        .args([
            "witness",
            "serve",
            "--key",
            key.to_str().unwrap(),
            "--log",
            log_pub.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--init",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(plumb_testkit::KillOnDrop)
        .unwrap();
    plumb_testkit::wait_for_port("plumb witness", port);
    (
        child,
        std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        vkey,
    )
}

#[test]
fn two_witnesses_cosign_growth_and_refuse_a_fork() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("log");
    assert!(
        plumb(&[
            "--store",
            store.to_str().unwrap(),
            "init",
            "--origin",
            "bank.example/evidence"
        ])
        .status
        .success()
    );
    let log_pub = d.path().join("log.pub");
    std::fs::write(
        &log_pub,
        plumb(&["--store", store.to_str().unwrap(), "key", "show"]).stdout,
    )
    .unwrap();
    let (_w1, a1, k1) = witness(d.path(), "w1", &log_pub);
    let (_w2, a2, k2) = witness(d.path(), "w2", &log_pub);
    let trusted = [
        plumb_ledger::witness::parse_vkey(&k1).unwrap(),
        plumb_ledger::witness::parse_vkey(&k2).unwrap(),
    ];

    let mut l = Ledger::open(&store).unwrap();
    for i in 0..3 {
        append(&mut l, &format!("entry {i}"));
    }
    let (s3, n3) = checkpoint(&mut l);
    let mut cosigned = n3.clone();
    for a in [a1, a2] {
        let (status, body) = submit(a, &plumb_ledger::witness::request(0, &[], &n3));
        assert_eq!(status, 200, "{body}");
        cosigned.push_str(&body);
    }
    assert_eq!(
        plumb_ledger::witness::cosigned_by(&cosigned, &trusted).len(),
        2
    );

    // A copy of the log, made now, shares its key and history so far.
    drop(l);
    let fork = d.path().join("fork");
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(&store)
            .arg(&fork)
            .status()
            .unwrap()
            .success()
    );
    let mut l = Ledger::open(&store).unwrap();
    let mut f = Ledger::open(&fork).unwrap();
    for i in 3..6 {
        append(&mut l, &format!("entry {i}"));
        append(&mut f, &format!("another entry {i}"));
    }
    // The log grows: both witnesses cosign, with the proof from what they cosigned.
    let (s6, n6) = checkpoint(&mut l);
    let proof = l.consistency_proof(s3, s6).unwrap();
    for a in [a1, a2] {
        let (status, body) = submit(a, &plumb_ledger::witness::request(s3, &proof, &n6));
        assert_eq!(status, 200, "{body}");
    }
    // The fork, signed by the same key, at the same size: refused by both (another root).
    let (fs6, fn6) = checkpoint(&mut f);
    assert_eq!(fs6, s6);
    for a in [a1, a2] {
        let (status, _) = submit(a, &plumb_ledger::witness::request(s6, &[], &fn6));
        assert_eq!(status, 409, "same size, another root");
    }
    // Grown further, with a proof consistent within the fork: refused (it cannot connect to
    // what the witnesses cosigned).
    append(&mut f, "yet another");
    let (fs7, fn7) = checkpoint(&mut f);
    let fproof = f.consistency_proof(s6, fs7).unwrap();
    for a in [a1, a2] {
        let (status, _) = submit(a, &plumb_ledger::witness::request(s6, &fproof, &fn7));
        assert_eq!(status, 422, "the fork's growth");
    }
    // A log the witnesses do not follow, and a stale request.
    let other = d.path().join("other");
    assert!(
        plumb(&[
            "--store",
            other.to_str().unwrap(),
            "init",
            "--origin",
            "elsewhere.example/log"
        ])
        .status
        .success()
    );
    let mut o = Ledger::open(&other).unwrap();
    append(&mut o, "x");
    let (_, on) = checkpoint(&mut o);
    assert_eq!(
        submit(a1, &plumb_ledger::witness::request(0, &[], &on)).0,
        404
    );
    let (status, body) = submit(a1, &plumb_ledger::witness::request(0, &[], &n3));
    assert_eq!((status, body.as_str()), (409, "6\n"));
}
