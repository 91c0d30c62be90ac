//! Hostile input through the binary: entity bombs, external entities, 10,000-deep nesting, a
//! 200 MB SARIF, invalid UTF-8, NUL bytes, truncated files and lying tar headers, for
//! `plumb gate`, `plumb model check`, `plumb incident alert`, `plumb append` and
//! `plumb verify-pack`, and the matching server routes. Each is a clear error (exit 2, or a 4xx
//! problem; a gate's answer is an error decision, which denies), never a panic, with peak memory
//! under 1 GiB (measured by GNU time as the child's maximum resident set), and nothing written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PLUMB: &str = env!("CARGO_BIN_EXE_plumb");
const MAX_RSS_KB: u64 = 1024 * 1024;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs plumb under GNU time; returns the output and the peak resident set in KiB.
fn run(args: &[&str]) -> (Output, u64) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "maxrss=%M"])
        .arg(PLUMB)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("GNU time (/usr/bin/time, Debian package time) runs the binary");
    let err = String::from_utf8_lossy(&out.stderr);
    let rss = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("maxrss="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no maxrss line: {err}"));
    (out, rss)
}

/// Asserts a clear refusal: exit 2, a message naming `says`, no panic, bounded memory.
fn refused(what: &str, args: &[&str], says: &str) {
    let (out, rss) = run(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{what}: {text}");
    assert!(!text.contains("panicked"), "{what}: {text}");
    assert!(
        text.to_lowercase().contains(&says.to_lowercase()),
        "{what}: expected {says:?} in {text}"
    );
    assert!(rss < MAX_RSS_KB, "{what}: peak memory {rss} KiB");
}

fn log_size(store: &Path) -> u64 {
    let out = Command::new(PLUMB)
        .arg("--store")
        .arg(store)
        .args(["--format", "json", "log", "--limit", "1", "--newest"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["items"][0]["index"].as_u64().map_or(0, |i| i + 1)
}

/// The hostile files, written once.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let w = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
        let mut laughs =
            String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_string()
            } else {
                format!("lol{}", i - 1)
            };
            laughs.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&{prev};").repeat(10)
            ));
        }
        laughs.push_str("]><testsuite name=\"x\"><testcase name=\"&lol9;\"/></testsuite>");
        w("laughs.xml", laughs.as_bytes());
        w(
            "xxe.xml",
            b"<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><testsuite name=\"&e;\"/>",
        );
        w(
            "deep.json",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).as_bytes(),
        );
        w(
            "deep.xml",
            format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000)).as_bytes(),
        );
        w(
            "invalid-utf8.json",
            b"{\"version\": \"2.1.0\", \"x\": \"\xc3\x28\"}",
        );
        w("nul.json", b"{\"version\": \"2.1.0\0\", \"runs\": []}");
        let sarif = std::fs::read(repo().join("examples/sample-app/reports/bandit.sarif")).unwrap();
        w("truncated.sarif", &sarif[..sarif.len() / 2]);
        // Well-formed SARIF: 200 MB (over the input limit), and just under the limit with
        // more findings than the gate evaluates.
        let one = b"{\"ruleId\":\"R1\",\"level\":\"error\",\"message\":{\"text\":\"a finding a finding a finding\"},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"src/main.rs\"},\"region\":{\"startLine\":1}}}]},";
        for (name, size) in [
            ("big.sarif", 200_000_000),
            ("max.sarif", plumb_ingest::util::MAX_INPUT_BYTES - 1000),
        ] {
            let mut out =
                std::io::BufWriter::new(std::fs::File::create(dir.path().join(name)).unwrap());
            out.write_all(
                b"{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"x\"}},\"results\":[",
            )
            .unwrap();
            for _ in 0..(size / one.len()) {
                out.write_all(one).unwrap();
            }
            out.write_all(b"{\"ruleId\":\"R1\",\"message\":{\"text\":\"last\"}}]}]}")
                .unwrap();
        }
        Files { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

#[test]
fn hostile_files_are_refused_clearly_with_bounded_memory_and_nothing_written() {
    let f = Files::new();
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let s = store.display().to_string();
    assert!(run(&["--store", &s, "init"]).0.status.success());
    let before = log_size(&store);

    // The gate: every input kind that parses XML or JSON.
    for (flag, file, says) in [
        ("--tests", "laughs.xml", "entit"),
        ("--tests", "xxe.xml", "entit"),
        ("--tests", "deep.xml", "deep"),
        ("--sast", "deep.json", "nested too deeply"),
        ("--sast", "invalid-utf8.json", "UTF-8"),
        ("--sast", "nul.json", "control character"),
        ("--sast", "truncated.sarif", "EOF"),
        ("--sast", "big.sarif", "limit"),
        ("--sast", "max.sarif", "findings"),
    ] {
        let p = f.path(file);
        refused(
            &format!("gate {flag} {file}"),
            &["--store", &s, "gate", flag, &p, "--system", "payments"],
            says,
        );
    }
    // The model check.
    for (file, says) in [
        ("laughs.xml", "entit"),
        ("deep.xml", "deep"),
        ("invalid-utf8.json", "model"),
    ] {
        let p = f.path(file);
        refused(
            &format!("model check {file}"),
            &["model", "check", &p],
            says,
        );
    }
    // Alerts, appends.
    let cfg = repo().join("examples/incident/incident.yaml");
    let cfg = cfg.display().to_string();
    for file in [
        "deep.json",
        "invalid-utf8.json",
        "nul.json",
        "truncated.sarif",
    ] {
        let p = f.path(file);
        for kind in ["alertmanager", "generic"] {
            refused(
                &format!("incident alert {kind} {file}"),
                &[
                    "--store", &s, "incident", "--config", &cfg, "alert", &p, "--kind", kind,
                ],
                "",
            );
        }
        refused(
            &format!("append {file}"),
            &["--store", &s, "append", &p],
            "",
        );
    }
    assert_eq!(log_size(&store), before, "nothing was written");
}

#[test]
fn hostile_packs_are_refused_with_bounded_memory() {
    let f = Files::new();
    let d = tempfile::tempdir().unwrap();
    let key = d.path().join("key.pub");
    let store = d.path().join("store");
    let s = store.display().to_string();
    assert!(run(&["--store", &s, "init"]).0.status.success());
    let pubkey = Command::new(PLUMB)
        .args(["--store", &s, "key", "show"])
        .output()
        .unwrap();
    std::fs::write(&key, &pubkey.stdout).unwrap();
    let k = key.display().to_string();
    // A tar header that claims 8 GiB for a member of a few bytes.
    let mut liar = vec![0u8; 1024];
    liar[..9].copy_from_slice(b"entries/x");
    liar[124..135].copy_from_slice(b"77777777777");
    liar[156] = b'0';
    liar[257..262].copy_from_slice(b"ustar");
    let sum: u32 = liar[..512]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    liar[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    std::fs::write(d.path().join("liar.tar"), &liar).unwrap();
    for file in [
        d.path().join("liar.tar").display().to_string(),
        f.path("deep.json"),
        f.path("big.sarif"),
    ] {
        let (out, rss) = run(&["verify-pack", &file, "--trusted-key", &k]);
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(1) | Some(2)),
            "{file}: {text}"
        );
        assert!(!text.contains("panicked"), "{file}: {text}");
        assert!(rss < MAX_RSS_KB, "{file}: peak memory {rss} KiB");
    }
}

#[test]
fn the_server_answers_hostile_bodies_with_problems_and_writes_nothing() {
    let f = Files::new();
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let s = store.display().to_string();
    assert!(run(&["--store", &s, "init"]).0.status.success());
    let token = |role: &str, system: Option<&str>| {
        let mut c = Command::new(PLUMB);
        c.args(["--store", &s, "token", "create", "--role", role]);
        if let Some(sys) = system {
            c.args(["--system", sys]);
        }
        let out = c.output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap()
            .trim()
            .to_string()
    };
    let (admin, rec) = (token("admin", None), token("recorder", Some("payments")));
    let port = plumb_testkit::free_port();
    let cfg = repo().join("examples/incident/incident.yaml");
    let _server = plumb_testkit::KillOnDrop(
        Command::new(PLUMB)
            .args([
                "--store",
                &s,
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--incidents")
            .arg(cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    plumb_testkit::wait_for_port("plumb serve", port);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let post = |path: &str, tok: &str, ct: &str, body: &[u8]| {
        let auth = format!("Bearer {tok}");
        plumb_testkit::http(
            addr,
            "POST",
            path,
            &[("Authorization", &auth), ("Content-Type", ct)],
            body,
        )
    };
    let size = || {
        let auth = format!("Bearer {admin}");
        let r = plumb_testkit::http(
            addr,
            "GET",
            "/v1/entries?system=payments&limit=1",
            &[("Authorization", &auth)],
            b"",
        );
        r.json()["items"].as_array().map_or(0, Vec::len)
    };
    let read = |n: &str| std::fs::read(f.path(n)).unwrap();
    for name in ["laughs.xml", "xxe.xml", "deep.xml"] {
        let r = post("/v1/model/check", &admin, "application/xml", &read(name));
        assert_eq!(r.status, 400, "model check {name}: {}", r.text());
    }
    for name in [
        "deep.json",
        "invalid-utf8.json",
        "nul.json",
        "truncated.sarif",
    ] {
        let r = post(
            "/v1/entries?system=payments",
            &rec,
            "application/json",
            &read(name),
        );
        assert!(
            (400..500).contains(&r.status),
            "append {name}: {}",
            r.text()
        );
        for path in ["/v1/alerts", "/v1/alerts/alertmanager"] {
            let r = post(path, &rec, "application/json", &read(name));
            assert!(
                (400..500).contains(&r.status),
                "{path} {name}: {}",
                r.text()
            );
        }
        // In a gate request the bad input is a decision that denies, never a pass.
        use base64::Engine as _;
        let content = base64::engine::general_purpose::STANDARD.encode(read(name));
        let body = format!(
            r#"{{"system":"payments","inputs":[{{"kind":"sast","name":"{name}","content":"{content}"}}]}}"#
        );
        let r = post("/v1/gate", &rec, "application/json", body.as_bytes());
        assert_eq!(r.status, 200, "gate {name}: {}", r.text());
        assert_eq!(r.json()["result"], "error", "gate {name}: {}", r.text());
    }
    assert_eq!(size(), 0, "nothing was appended for payments");
}

/// A pack bigger than the memory either side may use: three 200 MiB blobs. Export holds one
/// blob at a time and verification none, so both stay far below the pack's size.
#[test]
fn a_large_pack_is_exported_and_verified_without_holding_it_in_memory() {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().join("store").display().to_string();
    assert!(run(&["--store", &s, "init"]).0.status.success());
    const BLOB_MIB: usize = 200;
    for i in 0..3u8 {
        let blob = d.path().join(format!("blob{i}.bin"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&blob).unwrap());
        f.write_all(&[i]).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..BLOB_MIB {
            f.write_all(&zeros).unwrap();
        }
        f.flush().unwrap();
        drop(f);
        let (out, _) = run(&[
            "--store",
            &s,
            "record",
            "--subject",
            &format!("gitCommit:{}", format!("{i:02x}").repeat(20)),
            "--predicate-type",
            "https://in-toto.io/attestation/test-result/v0.1",
            "--attach",
            &blob.display().to_string(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::remove_file(&blob).unwrap();
    }
    let pack = d.path().join("pack.tar").display().to_string();
    let (out, export_rss) = run(&["--store", &s, "export", "--out", &pack]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size = std::fs::metadata(&pack).unwrap().len();
    assert!(size > (3 * BLOB_MIB as u64) << 20, "{size}");
    let key = d.path().join("key.pub");
    let pubkey = Command::new(PLUMB)
        .args(["--store", &s, "key", "show"])
        .output()
        .unwrap();
    std::fs::write(&key, &pubkey.stdout).unwrap();
    let (out, verify_rss) = run(&[
        "verify-pack",
        &pack,
        "--trusted-key",
        &key.display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("pack {size} bytes: export peak {export_rss} KiB, verify-pack peak {verify_rss} KiB");
    // Neither side holds a blob (each is 200 MiB): export streams them from the store.
    assert!(export_rss < 100 * 1024, "export peak {export_rss} KiB");
    assert!(verify_rss < 100 * 1024, "verify-pack peak {verify_rss} KiB");
}
