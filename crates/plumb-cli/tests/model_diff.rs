//! `plumb model diff`: a change to the demo bank's model (an RTO raised, an application's
//! serving relationship removed, an element added) is reported with what it does to DORA: the
//! function's RTO, the elements and provider it no longer depends on, the concentration, the
//! findings introduced; the same through `--git`; `--fail-on new-errors` fails the CI step.

use std::path::Path;
use std::process::{Command, Stdio};

fn plumb(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

const BANK: &str = include_str!("../../../examples/model/bank.yaml");

fn changed_bank() -> String {
    let mut lines: Vec<String> = BANK
        .lines()
        .filter(|l| !l.contains("id: rel-serve-led,"))
        .map(|l| {
            if l.contains("id: fn-payments,") {
                l.replace("dora:rto-hours: \"2\"", "dora:rto-hours: \"6\"")
            } else if l.contains("id: ts-card-auth,") {
                l.replace("dora:provider: prov-cardproc, ", "")
            } else {
                l.to_string()
            }
        })
        .collect();
    let at = lines
        .iter()
        .position(|l| l.contains("id: app-ledger,"))
        .unwrap();
    lines.insert(
        at + 1,
        "  - {id: app-fraud, type: ApplicationComponent, name: Fraud screening}".into(),
    );
    lines.join("\n") + "\n"
}

#[test]
fn a_model_change_is_reviewed_for_dora() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(dir.join("old.yaml"), BANK).unwrap();
    std::fs::write(dir.join("bank.yaml"), changed_bank()).unwrap();

    // No change: said so, exit 0.
    let o = plumb(dir, &["model", "diff", "old.yaml", "old.yaml"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("No change."));

    let o = plumb(
        dir,
        &["--format", "json", "model", "diff", "old.yaml", "bank.yaml"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids("elements_added"), ["app-fraud"]);
    assert_eq!(ids("relationships_removed"), ["rel-serve-led"]);
    assert!(ids("elements_removed").is_empty() && ids("relationships_added").is_empty());
    let changed = &v["elements_changed"];
    assert_eq!(changed[0]["concept"]["id"], "fn-payments");
    assert_eq!(
        changed[0]["changes"][0],
        serde_json::json!({"field": "property dora:rto-hours", "old": "2", "new": "6"})
    );
    assert_eq!(changed[1]["concept"]["id"], "ts-card-auth");
    assert_eq!(
        changed[1]["changes"][0],
        serde_json::json!({"field": "property dora:provider", "old": "prov-cardproc", "new": null})
    );
    let function = |id: &str| {
        v["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("{id} not among the functions: {v}"))
            .clone()
    };
    let payments = function("fn-payments");
    assert_eq!(payments["rto_hours"], serde_json::json!(["2", "6"]));
    assert_eq!(
        payments["providers_removed"],
        serde_json::json!(["CardProc Europe"])
    );
    let ledger = function("fn-ledger");
    assert_eq!(
        ledger["supported_by_removed"],
        serde_json::json!(["Core ledger", "Ledger postings", "On-premises mainframe"]),
        "{ledger}"
    );
    assert!(
        v["functions"].as_array().unwrap().len() == 2,
        "only the two functions the change touches: {}",
        v["functions"]
    );
    assert_eq!(
        v["concentration"],
        serde_json::json!([{"provider": "prov-cardproc", "name": "CardProc Europe", "share": [0.25, 0.0]}])
    );
    let introduced = v["findings_introduced"].as_array().unwrap();
    assert!(
        introduced.iter().any(|f| f["level"] == "error"
            && f["elements"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e == "fn-ledger")),
        "{introduced:?}"
    );

    // Markdown for the pull request, and the CI gate.
    let md =
        String::from_utf8(plumb(dir, &["model", "diff", "old.yaml", "bank.yaml"]).stdout).unwrap();
    for want in [
        "## Architecture model review",
        "RTO hours: 2 → 6",
        "### Findings introduced",
        "| `rel-serve-led` |",
        "### Provider concentration",
    ] {
        assert!(md.contains(want), "{want} missing from:\n{md}");
    }
    let o = plumb(
        dir,
        &[
            "model",
            "diff",
            "old.yaml",
            "bank.yaml",
            "--fail-on",
            "new-errors",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error-level finding"));
    let o = plumb(
        dir,
        &[
            "model",
            "diff",
            "bank.yaml",
            "old.yaml",
            "--fail-on",
            "new-errors",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "the reverse change fixes them");

    // Against the committed version.
    git(dir, &["init", "-q"]);
    std::fs::write(dir.join("bank.yaml"), BANK).unwrap();
    git(dir, &["add", "bank.yaml"]);
    git(dir, &["commit", "-q", "-m", "model"]);
    std::fs::write(dir.join("bank.yaml"), changed_bank()).unwrap();
    let o = plumb(
        dir,
        &[
            "--format",
            "json",
            "model",
            "diff",
            "--git",
            "HEAD",
            "bank.yaml",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let via_git: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(via_git, v, "the same review as from two files");
    for bad in [
        &["model", "diff", "--git", "no-such-rev", "bank.yaml"][..],
        &["model", "diff", "--git", "HEAD", "bank.yaml", "old.yaml"],
        &["model", "diff", "--git", "--upload-pack=x", "bank.yaml"],
        &["model", "diff", "missing.yaml", "bank.yaml"],
    ] {
        assert_eq!(plumb(dir, bad).status.code(), Some(2), "{bad:?}");
    }
}

/// A coArchi repository (a directory, one file per concept) reviewed against its committed
/// version: the function's RTO raised in its file shows in the review, as for a single file.
#[test]
fn a_coarchi_repository_is_reviewed_against_its_committed_version() {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("architecture");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/coarchi-payments"),
        &repo,
    );
    git(d.path(), &["init", "-q"]);
    git(d.path(), &["add", "-A"]);
    git(d.path(), &["commit", "-q", "-m", "model"]);
    let f = repo.join("model/business/id-folder-functions/BusinessFunction_id-fn-payments.xml");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, text.replace("value=\"4\"", "value=\"12\"")).unwrap();
    let review = || {
        let o = plumb(
            d.path(),
            &[
                "--format",
                "json",
                "model",
                "diff",
                "--git",
                "HEAD",
                "architecture",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let v = review();
    assert_eq!(v["functions"][0]["id"], "id-fn-payments", "{v:#}");
    assert_eq!(
        v["functions"][0]["rto_hours"],
        serde_json::json!(["4", "12"]),
        "{v:#}"
    );
    // Unchanged against itself: nothing to review.
    git(d.path(), &["commit", "-q", "-am", "rto"]);
    let same = review();
    assert_eq!(same["functions"], serde_json::json!([]), "{same:#}");
    assert_eq!(same["elements_changed"], serde_json::json!([]), "{same:#}");
    // A revision where the directory did not exist yet is a clear error.
    let o = plumb(
        d.path(),
        &["model", "diff", "--git", "HEAD~1", "missing-dir"],
    );
    assert_eq!(o.status.code(), Some(2));
}
