//! docs/operations.md followed end to end, with the real components: one PostgreSQL (the
//! owner makes the tables, the servers connect as an application role that may only read and
//! append), evidence files in an S3 bucket under Object Lock (SeaweedFS), one witness process,
//! two `plumb serve` processes asking it to cosign. Both servers take appends with attached
//! files; an auditor's pack exported from one of them verifies offline with the log's key and
//! the witness's key, files included, and the log verifies.

use std::process::{Command, Stdio};

use plumb_ledger::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use plumb_ledger::keys::KeyPair;
use plumb_ledger::statement::{Statement, Subject};
use plumb_testkit::http;
use plumb_testkit::s3::S3Server;

const BIN: &str = env!("CARGO_BIN_EXE_plumb");

struct Env(Vec<(&'static str, String)>);

impl Env {
    fn run(&self, args: &[&str]) -> String {
        let o = Command::new(BIN)
            .args(args)
            .envs(self.0.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "plumb {args:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn spawn(&self, args: &[&str]) -> plumb_testkit::KillOnDrop {
        plumb_testkit::isolated(BIN)
            .args(args)
            .envs(self.0.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(plumb_testkit::KillOnDrop)
            .unwrap()
    }
}

fn append(addr: std::net::SocketAddr, token: &str, key: &KeyPair, n: u32) {
    let auth = format!("Bearer {token}");
    let report = format!("{{\"server\": \"{addr}\", \"n\": {n}}}");
    let r = http(
        addr,
        "POST",
        "/v1/blobs",
        &[("Authorization", &auth)],
        report.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let digest = r.json()["digest"].as_str().unwrap().to_string();
    let st = Statement::new(
        vec![Subject {
            name: "c".into(),
            digest: [("gitCommit".to_string(), format!("{n:040x}"))].into(),
        }],
        "https://in-toto.io/attestation/test-result/v0.1",
        serde_json::json!({"n": n}),
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
        &format!("/v1/entries?system=payments&blob=report.json@{digest}"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        &env,
    );
    assert_eq!(r.status, 201, "{}", r.text());
}

#[test]
fn the_operations_guide_end_to_end() {
    let Some(s3) = S3Server::start_if_installed() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let pg = plumb_testkit::server();
    let db = format!("ops_{}", std::process::id());
    let owner_url = pg.new_database(&db);
    let role = format!("plumb_app_{}", std::process::id());
    postgres::Client::connect(&owner_url, postgres::NoTls)
        .unwrap()
        .batch_execute(&format!("CREATE ROLE {role} LOGIN"))
        .unwrap();
    s3.locked_bucket("bank-evidence");
    let mut vars = s3.env();
    vars.push(("PLUMB_DATABASE_URL", owner_url.clone()));
    let owner = Env(vars.clone());

    // 1. The store, made by the owner: tables, application role, bucket checked.
    let store = d.path().join("plumb");
    let s = store.to_str().unwrap();
    owner.run(&[
        "--store",
        s,
        "init",
        "--origin",
        "evidence.bank.example/log",
        "--database",
        &owner_url,
        "--grant-role",
        &role,
        "--blobs",
        "s3://bank-evidence/plumb",
        "--s3-endpoint",
        &s3.endpoint,
        "--retention-days",
        "1",
    ]);
    let log_pub = d.path().join("log.pub");
    std::fs::write(&log_pub, owner.run(&["--store", s, "key", "show"])).unwrap();
    let token = owner
        .run(&[
            "--store", s, "token", "create", "--role", "recorder", "--system", "payments",
        ])
        .lines()
        .next()
        .unwrap()
        .to_string();
    let auditor = owner
        .run(&["--store", s, "token", "create", "--role", "auditor"])
        .lines()
        .next()
        .unwrap()
        .to_string();

    // 2. The witness, elsewhere.
    let wkey = d.path().join("w1.key");
    let vkey = owner
        .run(&[
            "witness",
            "keygen",
            "--name",
            "witness.partner.example/w1",
            "--out",
            wkey.to_str().unwrap(),
        ])
        .trim()
        .to_string();
    let wport = plumb_testkit::free_port();
    let _witness = owner.spawn(&[
        "witness",
        "serve",
        "--key",
        wkey.to_str().unwrap(),
        "--log",
        log_pub.to_str().unwrap(),
        "--state",
        d.path().join("w1.json").to_str().unwrap(),
        "--init",
        "--listen",
        &format!("127.0.0.1:{wport}"),
    ]);
    plumb_testkit::wait_for_port("plumb witness", wport);

    // 3. Two servers as the application role, asking the witness.
    let mut app_vars = s3.env();
    app_vars.push(("PLUMB_DATABASE_URL", pg.url_as(&db, &role)));
    let app = Env(app_vars);
    let witness = format!("{vkey}@http://127.0.0.1:{wport}");
    let ports = [plumb_testkit::free_port(), plumb_testkit::free_port()];
    let servers: Vec<_> = ports
        .iter()
        .map(|p| {
            app.spawn(&[
                "--store",
                s,
                "serve",
                "--listen",
                &format!("127.0.0.1:{p}"),
                "--checkpoint-every-ms",
                "200",
                "--witness",
                &witness,
            ])
        })
        .collect();
    for p in ports {
        plumb_testkit::wait_for_port("plumb serve", p);
    }
    let addrs: Vec<std::net::SocketAddr> = ports
        .iter()
        .map(|p| std::net::SocketAddr::from(([127, 0, 0, 1], *p)))
        .collect();
    let key = KeyPair::read_private(&store.join("keys/signing.key")).unwrap();
    for n in 0..20u32 {
        append(addrs[(n % 2) as usize], &token, &key, n);
    }
    assert!(
        !store.join("blobs/sha256").exists(),
        "the files went to S3, not to the servers' disks"
    );

    // 4. The auditor's pack, from the second server: at a checkpoint the witness cosigned (a
    // download packs the newest one it did, so once the servers' rounds have caught up with the
    // appends, it covers them all).
    let auth = format!("Bearer {auditor}");
    let mut pack = Vec::new();
    plumb_testkit::wait_until(
        "a cosigned pack of every entry",
        std::time::Duration::from_secs(30),
        || {
            let r = http(
                addrs[1],
                "GET",
                "/v1/export",
                &[("Authorization", &auth)],
                b"",
            );
            assert_eq!(r.status, 200, "{}", r.text());
            pack = r.body;
            let f = d.path().join("pack.tar");
            std::fs::write(&f, &pack).unwrap();
            let o = Command::new(BIN)
                .args(["verify-pack", f.to_str().unwrap(), "--trusted-key"])
                .arg(&log_pub)
                .args(["--witness-key", &vkey, "--format", "json"])
                .output()
                .unwrap();
            let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
            o.status.success()
                && report["report"]["checkpoint_size"]
                    .as_u64()
                    .is_some_and(|n| n >= 20)
        },
    );
    let report = plumb_ledger::pack::verify_pack_witnessed(
        std::io::Cursor::new(&pack),
        &[KeyPair::read_private(&store.join("keys/signing.key"))
            .unwrap()
            .public()],
        &plumb_ledger::cosigners::WitnessPolicy::new(std::slice::from_ref(&vkey), None).unwrap(),
    )
    .unwrap();
    assert!(
        report
            .entries
            .iter()
            .filter(|e| e.system.as_deref() == Some("payments"))
            .count()
            >= 20
    );
    assert_eq!(report.blobs, 20, "every attached file, read back from S3");
    assert_eq!(report.cosigned_by.len(), 1);
    for srv in servers {
        srv.stop();
    }
    // 5. After the servers, the log verifies (files re-hashed from S3).
    let out = owner.run(&["--store", s, "verify"]);
    assert!(out.contains("ok"), "{out}");
}
