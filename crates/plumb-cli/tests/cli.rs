//! End-to-end tests of the real `plumb` binary: the auditor's walk-through, bad input and exit
//! codes, envelopes signed elsewhere, PostgreSQL stores, concurrent writers, and crash safety
//! under SIGKILL.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use plumb_ledger::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use plumb_ledger::keys::KeyPair;
use plumb_ledger::statement::{Statement, Subject};

const NOW: &str = "2026-11-21T09:30:00Z";
const TEST: &str = "https://in-toto.io/attestation/test-result/v0.1";

fn plumb(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .arg("--store")
        .arg(store)
        .args(["--now", NOW])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fails(o: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {err}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(err.contains(needle), "stderr lacks {needle:?}: {err}");
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).unwrap()
}

fn init(dir: &Path, extra: &[&str]) -> PathBuf {
    let store = dir.join("store");
    let mut args = vec!["init", "--origin", "bank.example/evidence"];
    args.extend_from_slice(extra);
    ok(&plumb(&store, &args));
    store
}

fn size(store: &Path) -> usize {
    json(&plumb(
        store,
        &["log", "--format", "json", "--limit", "100000"],
    ))
    .as_array()
    .unwrap()
    .len()
}

fn envelope(key: &KeyPair, n: u32) -> String {
    let st = Statement::new(
        vec![Subject {
            name: format!("c{n}"),
            digest: [("gitCommit".to_string(), format!("{:040x}", n + 1))].into(),
        }],
        TEST,
        serde_json::json!({"result": "PASSED", "n": n}),
    );
    serde_json::to_string(&Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        &serde_json::to_vec(&st).unwrap(),
        key,
    ))
    .unwrap()
}

fn store_key(store: &Path) -> KeyPair {
    KeyPair::read_private(&store.join("keys/signing.key")).unwrap()
}

#[test]
fn auditor_walk_through_record_export_verify_elsewhere() {
    let d = tempfile::tempdir().unwrap();
    let store = init(d.path(), &[]);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(store.join("keys/signing.key"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let junit = d.path().join("junit.xml");
    std::fs::write(&junit, "<testsuite tests=\"3\"/>").unwrap();
    let pred = d.path().join("result.json");
    std::fs::write(&pred, r#"{"result":"PASSED"}"#).unwrap();
    let artifact = d.path().join("app.tar");
    std::fs::write(&artifact, b"image bytes").unwrap();
    let out = ok(&plumb(
        &store,
        &[
            "record",
            "--subject",
            "gitCommit:0123456789abcdef0123456789abcdef01234567",
            "--artifact",
            artifact.to_str().unwrap(),
            "--predicate-type",
            TEST,
            "--predicate",
            pred.to_str().unwrap(),
            "--system",
            "payments",
            "--run",
            "gh-77",
            "--attach",
            junit.to_str().unwrap(),
            "--receipt",
            d.path().join("r.proof").to_str().unwrap(),
        ],
    ));
    assert!(
        out.contains("recorded entry 0") && out.contains("c2sp.org/tlog-proof@v1\nindex 0\n"),
        "{out}"
    );
    for n in 1..4 {
        ok(&plumb(
            &store,
            &[
                "record",
                "--subject",
                &format!("gitCommit:{:040x}", n),
                "--predicate-type",
                TEST,
                "--system",
                "onboarding",
            ],
        ));
    }
    let listed = json(&plumb(
        &store,
        &[
            "log",
            "--format",
            "json",
            "--subject",
            "0123456789abcdef0123456789abcdef01234567",
        ],
    ));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["system"], "payments");
    assert_eq!(listed[0]["blobs"][0]["name"], "junit.xml");
    let art_digest = plumb_ledger::hash::hex(&plumb_ledger::hash::sha256(b"image bytes"));
    assert_eq!(
        json(&plumb(
            &store,
            &[
                "log",
                "--format",
                "json",
                "--subject",
                &format!("sha256:{art_digest}")
            ]
        ))
        .as_array()
        .unwrap()
        .len(),
        1
    );
    assert_eq!(
        json(&plumb(
            &store,
            &["log", "--format", "json", "--system", "onboarding"]
        ))
        .as_array()
        .unwrap()
        .len(),
        3
    );
    let shown = json(&plumb(&store, &["show", "0", "--format", "json"]));
    assert_eq!(shown["predicate"]["result"], "PASSED");
    assert_eq!(shown["signatures"][0]["key_name"], "bank.example/evidence");
    let proof = json(&plumb(&store, &["prove", "0", "--format", "json"]));
    assert_eq!(proof["tree_size"], 4);
    assert_eq!(proof["proof"].as_array().unwrap().len(), 2);
    ok(&plumb(&store, &["verify"]));

    // The bank exports; the auditor, on another machine, has only the pack and the public key.
    let pack = d.path().join("pack.tar");
    ok(&plumb(
        &store,
        &[
            "export",
            "--system",
            "payments",
            "--out",
            pack.to_str().unwrap(),
        ],
    ));
    let pubkey = ok(&plumb(&store, &["key", "show"]));
    let auditor = tempfile::tempdir().unwrap();
    std::fs::copy(&pack, auditor.path().join("pack.tar")).unwrap();
    std::fs::write(auditor.path().join("bank.pub"), &pubkey).unwrap();
    let nowhere = auditor.path().join("no-store-here");
    let verified = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .current_dir(auditor.path())
        .args([
            "verify-pack",
            "pack.tar",
            "--trusted-key",
            "bank.pub",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["report"]["entries"].as_array().unwrap().len(), 1);
    // One changed byte and the pack fails, with a reason.
    let mut bytes = std::fs::read(auditor.path().join("pack.tar")).unwrap();
    let i = bytes.len() / 3;
    bytes[i] ^= 0x20;
    std::fs::write(auditor.path().join("pack.tar"), &bytes).unwrap();
    let o = plumb(
        &nowhere,
        &[
            "verify-pack",
            auditor.path().join("pack.tar").to_str().unwrap(),
            "--trusted-key",
            auditor.path().join("bank.pub").to_str().unwrap(),
        ],
    );
    fails(&o, 1, "does not verify");
}

/// A subject under an algorithm Plumbline does not know keeps whatever text it was given;
/// `plumb log` shortens it by characters, not bytes (a cut inside one panicked).
#[test]
fn log_lists_a_subject_of_any_text() {
    let d = tempfile::tempdir().unwrap();
    let store = init(d.path(), &[]);
    ok(&plumb(
        &store,
        &[
            "record",
            "--subject",
            "x-custom:aéééééééééééé",
            "--predicate-type",
            TEST,
        ],
    ));
    let out = ok(&plumb(&store, &["log"]));
    assert!(out.contains("x-custom:aééééééééééé"), "{out}");
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let store = init(d.path(), &[]);
    // Under --format json the error is JSON on stdout, in one shape, and on stderr for people.
    let o = plumb(
        &store,
        &[
            "--format",
            "json",
            "verify-pack",
            "/nonexistent/pack.tar",
            "--trusted-key",
            "/nonexistent/k.pub",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    assert_eq!(v["error"]["exit"], 2, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("/nonexistent/")),
        "{v}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: "));
    // A server takes its time from its clock: --now (which plumb() always passes) is refused.
    let o = plumb(&store, &["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--now cannot be given to serve"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    ok(&plumb(
        &store,
        &[
            "record",
            "--subject",
            "gitCommit:0123456789abcdef0123456789abcdef01234567",
            "--predicate-type",
            TEST,
        ],
    ));
    let write = |name: &str, body: &str| {
        let p = d.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let key = store_key(&store);
    let good = envelope(&key, 1);
    fails(
        &plumb(
            &store,
            &["append", &write("malformed.json", "{\"payload\": ")],
        ),
        2,
        "not a DSSE envelope",
    );
    fails(
        &plumb(
            &store,
            &[
                "append",
                &write(
                    "wrong-type.json",
                    &good.replace(IN_TOTO_PAYLOAD_TYPE, "text/plain"),
                ),
            ],
        ),
        2,
        "payloadType",
    );
    let stranger = KeyPair::from_seed("stranger", [5; 32]).unwrap();
    fails(
        &plumb(
            &store,
            &["append", &write("unknown.json", &envelope(&stranger, 2))],
        ),
        2,
        "plumb key trust",
    );
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    v["signatures"][0]["sig"] = serde_json::json!("AAAA");
    fails(
        &plumb(&store, &["append", &write("badsig.json", &v.to_string())]),
        2,
        "signature",
    );
    let huge = format!(
        "{{\"payload\":\"{}\",\"payloadType\":\"x\",\"signatures\":[]}}",
        "A".repeat(70_000)
    );
    fails(
        &plumb(&store, &["append", &write("huge.json", &huge)]),
        2,
        "over the limit of 65536 bytes",
    );
    // A batch of files is all or nothing: one bad file means none is appended.
    fails(
        &plumb(
            &store,
            &[
                "append",
                &write("ok.json", &good),
                &write("bad2.json", "[]"),
            ],
        ),
        2,
        "bad2.json",
    );
    fails(
        &plumb(
            &store,
            &[
                "record",
                "--subject",
                "sha256:xyz",
                "--predicate-type",
                TEST,
            ],
        ),
        2,
        "--subject",
    );
    fails(
        &plumb(&store, &["record", "--predicate-type", TEST]),
        2,
        "at least one --subject",
    );
    fails(&plumb(&store, &["show", "99"]), 2, "does not exist");
    fails(
        &plumb(&store, &["log", "--since", "yesterday"]),
        2,
        "RFC 3339",
    );
    assert_eq!(size(&store), 1, "nothing was written by rejected input");
    ok(&plumb(&store, &["verify"]));

    // A store written by an unknown version is refused, clearly.
    let cfg = store.join("plumb-store.json");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace("\"version\": 1", "\"version\": 99")).unwrap();
    fails(
        &plumb(&store, &["log"]),
        2,
        "store format version 99 is not supported",
    );
    fails(
        &plumb(&d.path().join("none"), &["log"]),
        2,
        "no plumb store",
    );
    // Initialising over an existing store is refused.
    std::fs::write(&cfg, text).unwrap();
    fails(&plumb(&store, &["init"]), 2, "not empty");
}

#[test]
fn envelopes_signed_elsewhere_are_accepted_once_their_key_is_trusted() {
    let d = tempfile::tempdir().unwrap();
    let bank = init(d.path(), &[]);
    let ci = d.path().join("ci");
    ok(&plumb(&ci, &["init", "--origin", "ci.bank.example"]));
    let env = ok(&plumb(
        &ci,
        &[
            "sign",
            "--subject",
            "gitCommit:0123456789abcdef0123456789abcdef01234567",
            "--predicate-type",
            TEST,
        ],
    ));
    let file = d.path().join("env.json");
    std::fs::write(&file, &env).unwrap();
    fails(
        &plumb(&bank, &["append", file.to_str().unwrap()]),
        2,
        "no signature is by a key this store trusts",
    );
    std::fs::write(d.path().join("ci.pub"), ok(&plumb(&ci, &["key", "show"]))).unwrap();
    ok(&plumb(
        &bank,
        &["key", "trust", d.path().join("ci.pub").to_str().unwrap()],
    ));
    let out = ok(&plumb(
        &bank,
        &["append", file.to_str().unwrap(), "--system", "payments"],
    ));
    assert!(out.contains("as entry 0"), "{out}");
    let shown = json(&plumb(&bank, &["show", "0", "--format", "json"]));
    assert_eq!(shown["signatures"][0]["key_name"], "ci.bank.example");
    ok(&plumb(&bank, &["verify"]));
}

#[test]
fn verify_names_the_first_bad_entry_and_exits_1() {
    let d = tempfile::tempdir().unwrap();
    let store = init(d.path(), &[]);
    for n in 0..6 {
        ok(&plumb(
            &store,
            &[
                "record",
                "--subject",
                &format!("gitCommit:{:040x}", n + 1),
                "--predicate-type",
                TEST,
            ],
        ));
    }
    // Progress on stderr when asked (stderr is no terminal here, so only then), ending with
    // every entry counted; never on stdout.
    let o = plumb(&store, &["verify", "--progress"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .last()
            .unwrap_or("")
            .starts_with("verify: 6 of 6 entries (100%)"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("entries (100%)"));
    assert!(
        !String::from_utf8_lossy(&plumb(&store, &["verify"]).stderr).contains("entries (100%)")
    );
    // Export and verify-pack the same way: six entries surveyed and written, then verified.
    let pack = d.path().join("p.tar");
    let o = plumb(
        &store,
        &["export", "--out", pack.to_str().unwrap(), "--progress"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .last()
            .unwrap_or("")
            .starts_with("export: 12 of 12 steps (100%)"),
        "{err}"
    );
    let public = d.path().join("p.pub");
    std::fs::write(&public, plumb(&store, &["key", "show"]).stdout).unwrap();
    let o = plumb(
        &store,
        &[
            "verify-pack",
            pack.to_str().unwrap(),
            "--trusted-key",
            public.to_str().unwrap(),
            "--progress",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .last()
            .unwrap_or("")
            .starts_with("verify-pack: 6 of 6 entries (100%)"),
        "{err}"
    );
    let c = rusqlite::Connection::open(store.join("ledger.db")).unwrap();
    c.execute_batch("DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE idx = 4;")
        .unwrap();
    let o = plumb(&store, &["verify"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("first bad entry: 4") && out.contains("entry 4 is missing"),
        "{out}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&plumb(&store, &["verify", "--format", "json"]).stdout).unwrap();
    assert_eq!(v["first_bad_entry"], 4);
}

/// Appends through `plumb append -`, kills the process with SIGKILL mid-stream, and checks that
/// every acknowledged entry survived and the log still verifies. Three rounds on one store.
#[test]
fn acknowledged_appends_survive_sigkill() {
    let d = tempfile::tempdir().unwrap();
    let store = init(d.path(), &[]);
    let key = store_key(&store);
    let mut acked_total: Vec<(u64, String)> = Vec::new();
    let mut next = 0u32;
    for round in 0..3 {
        let lines: Vec<String> = (next..next + 30_000).map(|n| envelope(&key, n)).collect();
        next += 30_000;
        let mut child = Command::new(env!("CARGO_BIN_EXE_plumb"))
            .arg("--store")
            .arg(&store)
            .args(["append", "-", "--system", "payments"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for l in lines {
                    if writeln!(stdin, "{l}").is_err() {
                        return;
                    }
                }
            })
        };
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut acked = Vec::new();
        let mut line = String::new();
        let kill_after = 2_000 + round * 3_000;
        while reader.read_line(&mut line).unwrap() > 0 {
            let idx: u64 = line
                .trim()
                .strip_prefix("appended entry ")
                .unwrap()
                .parse()
                .unwrap();
            acked.push(idx);
            line.clear();
            if acked.len() == kill_after {
                child.kill().unwrap(); // SIGKILL
            }
        }
        child.wait().unwrap();
        feeder.join().unwrap();
        assert!(
            acked.len() >= kill_after,
            "round {round}: only {} acks",
            acked.len()
        );
        assert!(
            acked.len() < lines.len(),
            "round {round}: the process finished before it was killed"
        );
        let base = acked_total.len() as u64;
        for (k, idx) in acked.iter().enumerate() {
            assert_eq!(*idx, base + k as u64, "indexes are acknowledged in order");
            acked_total.push((*idx, lines[k].clone()));
        }
        // Every acknowledged entry is present with the exact envelope that was sent.
        let mut l = plumb_ledger::Ledger::open(&store).unwrap();
        let size = l.size().unwrap();
        assert!(size >= acked_total.len() as u64);
        for (idx, sent) in acked_total.iter().step_by(97) {
            let e = plumb_ledger::entry::LogEntry::parse(&l.entry(*idx).unwrap().bytes).unwrap();
            let sent: Envelope = serde_json::from_str(sent).unwrap();
            assert_eq!(e.envelope, sent, "entry {idx}");
        }
        // Entries past the last ack may also be durable (written, not yet acknowledged): fine.
        while (acked_total.len() as u64) < size {
            let i = acked_total.len();
            acked_total.push((i as u64, lines[i - base as usize].clone()));
        }
        ok(&plumb(&store, &["verify", "--no-blobs"]));
        ok(&plumb(&store, &["checkpoint"]));
    }
}

#[test]
fn postgres_store_through_the_binary_with_two_concurrent_writers() {
    let pg = plumb_testkit::server();
    let url = pg.new_database(&format!("cli_{}", std::process::id()));
    let d = tempfile::tempdir().unwrap();
    let store = init(d.path(), &["--database", &url]);
    ok(&plumb(
        &store,
        &[
            "record",
            "--subject",
            "gitCommit:0123456789abcdef0123456789abcdef01234567",
            "--predicate-type",
            TEST,
        ],
    ));
    let key = store_key(&store);
    // Two processes append to the same log at the same time: the database sequences them.
    let spawn = |from: u32| {
        let body: String = (from..from + 500)
            .map(|n| envelope(&key, n) + "\n")
            .collect();
        let mut c = Command::new(env!("CARGO_BIN_EXE_plumb"))
            .arg("--store")
            .arg(&store)
            .args(["append", "-", "--format", "json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = c.stdin.take().unwrap();
        std::thread::spawn(move || stdin.write_all(body.as_bytes()).unwrap());
        c
    };
    let (a, b) = (spawn(1000), spawn(5000));
    let mut seen = Vec::new();
    for c in [a, b] {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success());
        for l in String::from_utf8_lossy(&o.stdout).lines() {
            seen.push(
                serde_json::from_str::<serde_json::Value>(l).unwrap()["index"]
                    .as_u64()
                    .unwrap(),
            );
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        (1..1001).collect::<Vec<u64>>(),
        "no index was given twice and none is missing"
    );
    ok(&plumb(&store, &["verify"]));
    let cps = json(&plumb(
        &store,
        &["checkpoint", "--list", "--format", "json"],
    ));
    assert!(cps.as_array().unwrap().iter().any(|c| c["size"] == 1001));
}

#[test]
fn demo_runs_and_help_teaches() {
    let d = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["--now", NOW, "demo", "--no-serve", "--dir"])
        .arg(d.path().join("demo"))
        .output()
        .unwrap();
    let out = ok(&o);
    assert!(
        out.contains("verify-pack ok") && out.contains("verify       ok"),
        "{out}"
    );
    for story in [
        "DENY      entry",
        "PASS      entry",
        "OVERRIDE  entry",
        "waived by security: passes",
    ] {
        assert!(out.contains(story), "{story}: {out}");
    }
    // The infrastructure pipeline: the example plan denied, its fix passing.
    let line = |story: &str| {
        out.lines()
            .find(|l| l.contains(story))
            .unwrap_or_else(|| panic!("{story}: {out}"))
            .to_string()
    };
    assert!(
        line("infra plan: unencrypted bucket").contains("DENY"),
        "{out}"
    );
    assert!(line("infra plan fixed").contains("PASS"), "{out}");
    assert!(d.path().join("demo/payments-evidence.tar").exists());
    // The initial notification the demo writes is the authority's IR document and passes.
    let o = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["incident", "validate"])
        .arg(d.path().join("demo/initial-notification.json"))
        .output()
        .unwrap();
    assert!(ok(&o).contains("every per-stage and conditional rule holds"));
    // The scaffold check the demo suggests passes, from another working directory too.
    for cwd in [d.path().to_path_buf(), d.path().join("demo/bank-services")] {
        let o = Command::new(env!("CARGO_BIN_EXE_plumb"))
            .current_dir(&cwd)
            .args(["scaffold", "--check", "--out"])
            .arg(d.path().join("demo/bank-services"))
            .output()
            .unwrap();
        ok(&o);
    }
    // Running it again replaces its own directory; it never touches one it did not make.
    ok(&Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["demo", "--no-serve", "--dir"])
        .arg(d.path().join("demo"))
        .output()
        .unwrap());
    std::fs::create_dir_all(d.path().join("mine")).unwrap();
    std::fs::write(d.path().join("mine/notes.txt"), "keep").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["demo", "--no-serve", "--dir"])
        .arg(d.path().join("mine"))
        .output()
        .unwrap();
    fails(&o, 2, "was not made by plumb demo");
    assert!(d.path().join("mine/notes.txt").exists());
    let help = ok(&Command::new(env!("CARGO_BIN_EXE_plumb"))
        .arg("--help")
        .output()
        .unwrap());
    for cmd in [
        "init",
        "record",
        "append",
        "log",
        "prove",
        "checkpoint",
        "verify",
        "export",
        "verify-pack",
        "demo",
    ] {
        assert!(help.contains(cmd), "--help lists {cmd}");
    }
    let usage = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .arg("recrod")
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn append_shows_progress_when_asked_for_files_and_for_a_redirected_stream() {
    let d = tempfile::tempdir().unwrap();
    let store = init(d.path(), &[]);
    let mut files = Vec::new();
    let mut lines = String::new();
    for n in 0..5 {
        let env = ok(&plumb(
            &store,
            &[
                "sign",
                "--subject",
                &format!("gitCommit:{:040x}", n + 1),
                "--predicate-type",
                TEST,
            ],
        ));
        let f = d.path().join(format!("e{n}.json"));
        std::fs::write(&f, &env).unwrap();
        files.push(f.display().to_string());
        lines.push_str(env.trim());
        lines.push('\n');
    }
    let mut args = vec!["append", "--progress"];
    args.extend(files.iter().take(3).map(String::as_str));
    let o = plumb(&store, &args);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .last()
            .unwrap_or("")
            .starts_with("append: 3 of 3 envelopes checked (100%)"),
        "{err}"
    );
    // Without --progress and without a terminal: nothing on stderr.
    let o = plumb(&store, &["append", &files[3]]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).is_empty());
    // A redirected file on standard input: progress in bytes, ending at its size.
    let stream = d.path().join("more.jsonl");
    std::fs::write(&stream, &lines).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .arg("--store")
        .arg(&store)
        .args(["--now", NOW, "append", "-", "--progress"])
        .stdin(std::fs::File::open(&stream).unwrap())
        .output()
        .unwrap();
    let out = ok(&o);
    assert_eq!(out.lines().count(), 5, "{out}");
    let err = String::from_utf8_lossy(&o.stderr);
    let size = lines.len();
    assert!(
        err.lines()
            .last()
            .unwrap_or("")
            .starts_with(&format!("append: {size} of {size} bytes read (100%)")),
        "{err}"
    );
}
