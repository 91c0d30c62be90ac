//! `plumb register build|check|import|diff` end to end, as a bank runs them: the demo bank's
//! register built from the model (the same bytes twice), recorded and verifiable; a package
//! imported, changed, rebuilt and refused for what broke; two registers compared.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn plumb(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn example(p: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(p)
        .display()
        .to_string()
}

const CREATED: &str = "2026-03-20T09:00:00Z";
const NAME: &str = "5299000SMALLBANK0D95.IND_DE_DORA010100_DORA_2025-12-31_20260320090000000.zip";

fn build(store: &Path, out: &Path, extra: &[&str]) -> Output {
    let (register, model) = (
        example("register/register.yaml"),
        example("model/bank.yaml"),
    );
    let out = out.display().to_string();
    let mut args = vec![
        "--format",
        "json",
        "register",
        "build",
        &register,
        "--model",
        &model,
        "--out",
        &out,
        "--created",
        CREATED,
    ];
    args.extend_from_slice(extra);
    plumb(store, &args)
}

#[test]
fn the_demo_register_is_built_recorded_checked_imported_and_compared() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    assert!(plumb(&store, &["init"]).status.success());
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let sarif = d.path().join("register.sarif");
    let o = build(
        &store,
        &a,
        &["--record", "--sarif-out", sarif.to_str().unwrap()],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    assert_eq!(
        (v["blocking"].as_u64(), v["warnings"].as_u64()),
        (Some(0), Some(0)),
        "{v}"
    );
    let entry = v["entry"].as_u64().expect("recorded");
    let zip = a.join(NAME);
    let first = std::fs::read(&zip).unwrap();
    assert_eq!(v["sha256"], plumb_base::sha256_hex(&first));
    // Same inputs, same bytes; a package already there is never replaced by other bytes.
    assert!(build(&store, &b, &[]).status.success());
    assert_eq!(std::fs::read(b.join(NAME)).unwrap(), first);
    assert!(
        build(&store, &b, &[]).status.success(),
        "the same bytes again are fine"
    );
    std::fs::write(b.join(NAME), b"filed last week").unwrap();
    let o = build(&store, &b, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("may have been filed"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(std::fs::read(b.join(NAME)).unwrap(), b"filed last week");
    // The record: the package's digest and check, signed, the zip attached; the ledger verifies.
    let shown = json(&plumb(
        &store,
        &["--format", "json", "show", &entry.to_string()],
    ))
    .to_string();
    assert!(
        shown.contains("register-package") && shown.contains(NAME),
        "{shown}"
    );
    assert!(plumb(&store, &["verify"]).status.success());
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);

    third_parties_page(&store, &first);

    // check, on the zip: clean (with the model's cross-checks too).
    let o = plumb(
        &store,
        &[
            "--format",
            "json",
            "register",
            "check",
            zip.to_str().unwrap(),
            "--model",
            &example("model/bank.yaml"),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // import, then break a reference by hand as a spreadsheet user might: a contract in
    // B_02.02 that B_02.01 does not have. The rebuilt package is refused, naming the rule.
    let imported = d.path().join("imported.yaml");
    let o = plumb(
        &store,
        &[
            "register",
            "import",
            zip.to_str().unwrap(),
            "--out",
            imported.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let again = plumb(
        &store,
        &[
            "register",
            "import",
            zip.to_str().unwrap(),
            "--out",
            imported.to_str().unwrap(),
        ],
    );
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing file is never overwritten"
    );
    let text = std::fs::read_to_string(&imported).unwrap();
    let broken = d.path().join("broken.yaml");
    std::fs::write(
        &broken,
        text.replacen("c0010: SB-ICT-2024-007", "c0010: SB-ICT-2024-999", 1),
    )
    .unwrap();
    let out = d.path().join("c");
    let o = plumb(
        &store,
        &[
            "--format",
            "json",
            "register",
            "build",
            broken.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--created",
            CREATED,
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "807" && f["severity"] == "blocking"),
        "{v}"
    );
    // The imported register, unchanged, rebuilds the very same package.
    let same = d.path().join("d");
    assert!(
        plumb(
            &store,
            &[
                "register",
                "build",
                imported.to_str().unwrap(),
                "--out",
                same.to_str().unwrap(),
                "--created",
                CREATED
            ]
        )
        .status
        .success()
    );
    assert_eq!(std::fs::read(same.join(NAME)).unwrap(), first);

    // A folder of the tables' CSV files, as a spreadsheet exports them, builds the same
    // package once the authority's country is given.
    let csv = d.path().join("csv");
    std::fs::create_dir_all(&csv).unwrap();
    let contents = plumb_register::package::read_zip(&first).unwrap();
    for (path, bytes) in &contents.files {
        if let Some(name) = path
            .strip_prefix("reports/")
            .filter(|n| n.ends_with(".csv"))
        {
            std::fs::write(csv.join(name), bytes).unwrap();
        }
    }
    let from_csv = d.path().join("f");
    let o = plumb(
        &store,
        &[
            "register",
            "build",
            csv.to_str().unwrap(),
            "--out",
            from_csv.to_str().unwrap(),
            "--created",
            CREATED,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--country"));
    let o = plumb(
        &store,
        &[
            "register",
            "build",
            csv.to_str().unwrap(),
            "--country",
            "DE",
            "--out",
            from_csv.to_str().unwrap(),
            "--created",
            CREATED,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(from_csv.join(NAME)).unwrap(), first);

    // diff: what changed, as Markdown for a review.
    let o = plumb(
        &store,
        &[
            "register",
            "diff",
            imported.to_str().unwrap(),
            broken.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(
        md.contains("## B_02.01 (contracts)") && md.contains("SB-ICT-2024-999"),
        "{md}"
    );

    // A register file that cannot be built says every gap, and writes nothing.
    let gaps = d.path().join("gaps.yaml");
    std::fs::write(
        &gaps,
        std::fs::read_to_string(example("register/register.yaml"))
            .unwrap()
            .replace("  fn-ledger:\n", "  fn-nothing:\n"),
    )
    .unwrap();
    let empty = d.path().join("e");
    let o = plumb(
        &store,
        &[
            "register",
            "build",
            gaps.to_str().unwrap(),
            "--model",
            &example("model/bank.yaml"),
            "--out",
            empty.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("function fn-ledger") && err.contains("docs/register.md"),
        "{err}"
    );
    assert!(!empty.exists());
}

/// A package that is not one: refused with a reason, exit 2, never a pass.
#[test]
fn hostile_input_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let bad = d.path().join("x.zip");
    std::fs::write(&bad, b"PK\x03\x04 truncated").unwrap();
    let o = plumb(&store, &["register", "check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a zip"));
    let yaml = d.path().join("r.yaml");
    std::fs::write(&yaml, "format: plumbline/register/v1\nparameters: [1, 2]\n").unwrap();
    let o = plumb(&store, &["register", "check", yaml.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

/// The UI's Third parties page shows the recorded package, its providers with their share of
/// the critical functions, and offers the very zip; a reader of some systems only is told the
/// register is not theirs.
fn third_parties_page(store: &Path, zip: &[u8]) {
    let bin = env!("CARGO_BIN_EXE_plumb");
    let auditor = plumb_testkit::plumb_token(bin, store, &["--role", "auditor"]);
    let scoped =
        plumb_testkit::plumb_token(bin, store, &["--role", "auditor", "--system", "payments"]);
    let (_server, addr) = plumb_testkit::plumb_serve(bin, store, &[]);
    let (cookie, _) = plumb_testkit::ui_login(addr, &auditor);
    let page = plumb_testkit::http(
        addr,
        "GET",
        "/ui/third-parties",
        &[("Cookie", &cookie)],
        b"",
    );
    assert_eq!(page.status, 200);
    let html = page.text();
    for expect in [
        "CloudCo Europe",
        "75 %",
        "passes the EBA",
        NAME,
        "S17 Cloud services: IaaS",
        "SB-ICT-2024-007",
    ] {
        assert!(html.contains(expect), "{expect} not in the page: {html}");
    }
    let dl = plumb_testkit::http(
        addr,
        "GET",
        "/ui/third-parties/package",
        &[("Cookie", &cookie)],
        b"",
    );
    assert_eq!(dl.status, 200);
    assert_eq!(dl.body, zip);
    assert!(dl.headers.contains(NAME), "{}", dl.headers);
    let (cookie, _) = plumb_testkit::ui_login(addr, &scoped);
    let page = plumb_testkit::http(
        addr,
        "GET",
        "/ui/third-parties",
        &[("Cookie", &cookie)],
        b"",
    );
    assert!(page.text().contains("covers every system") && !page.text().contains("CloudCo"));
    let dl = plumb_testkit::http(
        addr,
        "GET",
        "/ui/third-parties/package",
        &[("Cookie", &cookie)],
        b"",
    );
    assert_eq!(dl.status, 404);
}
