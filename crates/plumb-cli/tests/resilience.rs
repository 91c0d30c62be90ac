//! `plumb resilience` through the binary: a drill and a failed chaos journal recorded as signed
//! evidence with the functions they exercised, every critical or important function judged
//! against them (exit 1 while one has no passing test), and clear refusals.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn plumb(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["--now", "2026-11-30T12:00:00Z", "--store"])
        .arg(store)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
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

#[test]
fn tests_are_recorded_and_functions_judged_against_them() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    assert!(
        plumb(&store, &["init", "--origin", "bank.example/evidence"])
            .status
            .success()
    );
    let model = root().join("examples/model/bank.yaml");
    let model = model.to_str().unwrap();
    let drill = root().join("examples/resilience/failover-drill.yaml");
    let drill = drill.to_str().unwrap();

    // Nothing recorded: every function is without a test, and the command says so by exit 1.
    let o = plumb(
        &store,
        &["--format", "json", "resilience", "status", "--model", model],
    );
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["not_ok"], v["functions"].as_array().unwrap().len());

    // The drill is recorded with the functions depending on payments.
    let o = plumb(
        &store,
        &[
            "--format",
            "json",
            "resilience",
            "record",
            drill,
            "--model",
            model,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["test"]["outcome"], "passed");
    assert!(
        v["test"]["functions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "Payments"),
        "{v}"
    );
    let o = plumb(
        &store,
        &["--format", "json", "resilience", "status", "--model", model],
    );
    let v = json(&o);
    let payments = v["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Payments")
        .unwrap()
        .clone();
    assert_eq!(payments["state"], "ok", "{payments}");
    // A later drill over the RTO turns it to over_rto: the latest passed test decides.
    let slow = d.path().join("slow.yaml");
    std::fs::write(
        &slow,
        std::fs::read_to_string(drill)
            .unwrap()
            .replace("2026-11-12T07:10", "2026-11-20T07:10")
            .replace("2026-11-12T06:00", "2026-11-20T06:00")
            .replace("recovery_minutes: 42", "recovery_minutes: 190"),
    )
    .unwrap();
    assert!(
        plumb(&store, &["resilience", "record", slow.to_str().unwrap()])
            .status
            .success()
    );
    let o = plumb(&store, &["resilience", "status", "--model", model]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("over_rto") && text.contains("190 min"),
        "{text}"
    );

    // The model check reports it too, with --resilience (and only then).
    let o = plumb(
        &store,
        &["--format", "json", "model", "check", model, "--resilience"],
    );
    let v = json(&o);
    let has = |id: &str, el: &str| {
        v["report"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == id && f["elements"][0] == el)
    };
    assert!(has("DORA-RES-002", "fn-payments"), "{v}");
    assert!(has("DORA-RES-001", "fn-identity"), "{v}");
    assert_eq!(o.status.code(), Some(1));
    let o = plumb(&store, &["--format", "json", "model", "check", model]);
    assert!(!json(&o).to_string().contains("DORA-RES"));

    // The gate, when its configuration requires it, denies payments: its function's latest
    // drill is over the RTO (DORA-RES-003); without the requirement it says nothing.
    let cfg = d.path().join("gate.yaml");
    std::fs::write(&cfg, "require_resilience_test: true\n").unwrap();
    let gate = |config: Option<&std::path::Path>| {
        let mut args = vec![
            "--format",
            "json",
            "gate",
            "--system",
            "payments",
            "--criticality",
            "critical",
            "--model",
            model,
        ];
        if let Some(c) = config {
            args.extend(["--config", c.to_str().unwrap()]);
        }
        json(&plumb(&store, &args))
    };
    let v = gate(Some(&cfg));
    let res: Vec<&serde_json::Value> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["id"] == "DORA-RES-003")
        .collect();
    assert_eq!(res.len(), 1, "{v}");
    assert!(res[0]["msg"].as_str().unwrap().contains("over_rto"), "{v}");
    assert!(!gate(None).to_string().contains("DORA-RES-003"));

    // The records are in the ledger and verify.
    assert!(plumb(&store, &["verify"]).status.success());

    // Refusals: no system named, a system the model does not know, a file that is no result.
    let journal = d.path().join("journal.json");
    std::fs::write(
        &journal,
        br#"{"chaoslib-version": "1.42.0", "experiment": {"title": "kill a pod"}, "status": "completed", "deviated": false, "steady_states": {"after": {"steady_state_met": true}}, "start": "2026-11-01T10:00:00", "end": "2026-11-01T10:05:00"}"#,
    )
    .unwrap();
    let j = journal.to_str().unwrap();
    let o = plumb(&store, &["resilience", "record", j]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--system"));
    let o = plumb(
        &store,
        &[
            "resilience",
            "record",
            j,
            "--system",
            "nope",
            "--model",
            model,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an application component"));
    let o = plumb(&store, &["resilience", "record", model]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a recognised resilience test"));
    // With a system, the journal counts, and its naive times are said to be read as UTC.
    let o = plumb(
        &store,
        &[
            "--format",
            "json",
            "resilience",
            "record",
            j,
            "--system",
            "identity",
            "--recovery-minutes",
            "3",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["test"]["recovery_minutes"], 3.0);
    assert!(
        v["test"]["detail"].to_string().contains("read as UTC"),
        "{v}"
    );
}
