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
    copy_store(&store, &fork);
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

fn plumb_in(store: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--store", store.to_str().unwrap()];
    all.extend_from_slice(args);
    plumb(&all)
}

fn record(store: &Path, n: u32) {
    let o = plumb_in(
        store,
        &[
            "record",
            "--subject",
            &format!("gitCommit:{n:040x}"),
            "--predicate-type",
            "https://plumbline.dev/test/v1",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The log side, through the binary: `plumb serve --witness` has every checkpoint cosigned,
/// receipts and packs carry the cosignatures, and `prove` and `verify-pack` with
/// `--witness-key` accept them; a copy of the log that takes another history is refused by
/// the witnesses (`plumb checkpoint --witness` says so) and its pack by `verify-pack`.
#[test]
fn the_server_collects_cosignatures_and_verify_pack_refuses_a_fork() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("log");
    let o = plumb_in(&store, &["init", "--origin", "bank.example/evidence"]);
    assert!(o.status.success());
    let log_pub = d.path().join("log.pub");
    std::fs::write(&log_pub, plumb_in(&store, &["key", "show"]).stdout).unwrap();
    let (_w1, a1, k1) = witness(d.path(), "w1", &log_pub);
    let (_w2, a2, k2) = witness(d.path(), "w2", &log_pub);
    // One key as a file, one as text: both are accepted.
    let k1_file = d.path().join("w1.vkey");
    std::fs::write(&k1_file, format!("{k1}\n")).unwrap();
    let demand = [
        "--witness-key",
        k1_file.to_str().unwrap(),
        "--witness-key",
        &k2,
    ];
    let w1 = format!("{k1}@http://{a1}");
    let w2 = format!("{k2}@http://{a2}/");

    for n in 0..3 {
        record(&store, n);
    }
    let port = plumb_testkit::free_port();
    let server = plumb_testkit::isolated(env!("CARGO_BIN_EXE_plumb"))
        .args(["--store", store.to_str().unwrap(), "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "--checkpoint-every-ms",
            "100",
            "--witness",
            &w1,
            "--witness",
            &w2,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(plumb_testkit::KillOnDrop)
        .unwrap();
    plumb_testkit::wait_for_port("plumb serve", port);
    record(&store, 3);
    // The server signs a checkpoint of the 4 entries and has both witnesses cosign it.
    let mut args = vec!["prove", "3"];
    args.extend_from_slice(&demand);
    let proved = (0..100)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            plumb_in(&store, &args)
        })
        .find(|o| o.status.success())
        .expect("the server never published a cosigned checkpoint of entry 3");
    let receipt = String::from_utf8(proved.stdout).unwrap();
    assert_eq!(receipt.matches("\u{2014} witness.example/").count(), 2);
    // The API publishes the checkpoint with them.
    let token =
        String::from_utf8(plumb_in(&store, &["token", "create", "--role", "auditor"]).stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
    // (Creating the token is itself recorded: the log grew, and the new checkpoint is
    // cosigned within moments.)
    let v = (0..100)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let r = plumb_testkit::http(
                std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                "GET",
                "/v1/checkpoint",
                &[("authorization", &format!("Bearer {token}"))],
                b"",
            );
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()
        })
        .find(|v| v["cosigned_by"].as_array().is_some_and(|a| a.len() == 2))
        .expect("the API never published a cosigned checkpoint");
    assert_eq!(
        v["note"].as_str().unwrap().matches("\u{2014} ").count(),
        3,
        "{v}"
    );
    drop(server);

    // The copy takes another history; the real log goes on and is cosigned from the CLI.
    let fork = d.path().join("fork");
    copy_store(&store, &fork);
    record(&store, 4);
    let o = plumb_in(&store, &["checkpoint", "--witness", &w1, "--witness", &w2]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .matches("cosigned by witness.example/")
            .count(),
        2
    );
    record(&fork, 1000);
    let o = plumb_in(
        &fork,
        &[
            "--format",
            "json",
            "checkpoint",
            "--witness",
            &w1,
            "--witness",
            &w2,
        ],
    );
    assert_eq!(o.status.code(), Some(1), "the witnesses refused the fork");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // (`plumb record` signed the fork's checkpoint; the witnesses were asked for it now.)
    assert_eq!(v["ok"], false);
    for w in v["witnesses"].as_array().unwrap() {
        assert_eq!(w["cosigned"], false, "{w}");
        assert!(w["error"].as_str().unwrap().contains("409"), "{w}");
    }

    // The packs: the real one verifies with the witnesses, the fork's only without them.
    for (s, name) in [(&store, "real.tar"), (&fork, "fork.tar")] {
        let out = d.path().join(name);
        let o = plumb_in(s, &["export", "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let verify = |pack: &str, extra: &[&str]| {
        let pack = d.path().join(pack);
        let mut args = vec![
            "--format",
            "json",
            "verify-pack",
            pack.to_str().unwrap(),
            "--trusted-key",
            log_pub.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = plumb(&args);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        (o.status.code(), v)
    };
    let (code, v) = verify("real.tar", &demand);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["report"]["cosigned_by"].as_array().unwrap().len(), 2);
    assert_eq!(verify("fork.tar", &[]).0, Some(0), "the log key alone");
    let (code, v) = verify("fork.tar", &demand);
    assert_eq!(code, Some(1), "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("cosigned by 0 of the trusted witnesses, 2 required"),
        "{v}"
    );
    let mut one = demand.to_vec();
    one.extend_from_slice(&["--min-witnesses", "1"]);
    assert_eq!(verify("fork.tar", &one).0, Some(1));
    assert_eq!(verify("real.tar", &one).0, Some(0));
    // Usage errors: a key that is not a witness key, more witnesses than keys.
    assert_eq!(
        verify("real.tar", &["--witness-key", "nonsense"]).0,
        Some(2)
    );
    let mut three = demand.to_vec();
    three.extend_from_slice(&["--min-witnesses", "3"]);
    assert_eq!(verify("real.tar", &three).0, Some(2));

    // `plumb verify` checks the stored cosignatures too: the real log's latest checkpoint is
    // cosigned by both witnesses; the fork's is not.
    let verify_store = |s: &Path| {
        let mut args = vec!["--format", "json", "verify", "--no-blobs"];
        args.extend_from_slice(&demand);
        let o = plumb_in(s, &args);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        (o.status.code(), v)
    };
    let (code, v) = verify_store(&store);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(
        v["witnesses"]["cosigned_by"].as_array().unwrap().len(),
        2,
        "{v}"
    );
    let (code, v) = verify_store(&fork);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(
        v["report"]["problems"].as_array().unwrap().len(),
        0,
        "the fork is intact"
    );
    assert!(
        v["witnesses"]["problems"][0]
            .as_str()
            .unwrap()
            .contains("cosigned by 0 of the trusted witnesses"),
        "{v}"
    );
    // A stored cosignature edited behind the log's back (triggers dropped, as a database
    // administrator could) no longer verifies, and says whose it was.
    let db = rusqlite::Connection::open(store.join("ledger.db")).unwrap();
    db.execute_batch(
        "DROP TRIGGER cosignatures_no_update;
         UPDATE cosignatures SET line = replace(line, substr(line, -12, 6), 'AAAAAA')
           WHERE rowid = (SELECT max(rowid) FROM cosignatures);",
    )
    .unwrap();
    drop(db);
    let (code, v) = verify_store(&store);
    assert_eq!(code, Some(1), "{v}");
    let problems = v["witnesses"]["problems"].to_string();
    assert!(problems.contains("does not verify with its key"), "{v}");
}

fn copy_store(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -a {} {}", from.display(), to.display());
}
