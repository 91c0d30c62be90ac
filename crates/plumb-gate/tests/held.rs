//! The gate configuration a server holds per system: loaded from a directory, validated when
//! loaded (a broken file stops the start, never a pipeline), digested so two decisions under
//! the same rules can be told from two under different ones.

use std::path::Path;

use plumb_gate::held::{BUILTIN, HeldConfigs};

fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    d
}

const POLICY: &str = "package bank\nimport rego.v1\ndeny contains v if { false; v := {\"id\": \"B-1\", \"msg\": \"m\"} }\n";

#[test]
fn systems_get_their_own_file_else_the_default_else_the_builtin() {
    let d = dir(&[
        (
            "payments.yaml",
            "criticality: important\npolicies: [policies]\n",
        ),
        ("policies/bank.rego", POLICY),
        ("policies/bank_test.rego", "this is not even Rego"),
        ("default.yml", "criticality: none\n"),
        ("notes.txt", "not a configuration"),
    ]);
    let h = HeldConfigs::load(d.path()).unwrap();
    let p = h.for_system("payments");
    assert_eq!(p.origin.source, "payments.yaml");
    assert_eq!(p.origin.held_by, "server");
    assert_eq!(p.config.criticality, "important");
    // Named by their place in the directory, never by a server path; tests left out.
    let names: Vec<&str> = p.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["policies/bank.rego"]);
    assert_eq!(h.for_system("cards").origin.source, "default.yml");
    assert_eq!(h.for_system("cards").config.criticality, "none");
    assert_eq!(h.systems().count(), 1);

    let empty = dir(&[]);
    let h = HeldConfigs::load(empty.path()).unwrap();
    assert_eq!(h.for_system("cards").origin.source, BUILTIN);
    assert_eq!(h.for_system("cards").config.criticality, "critical");
    assert!(h.for_system("cards").config.disabled().is_empty());
}

#[test]
fn the_digest_changes_with_any_rule_and_only_then() {
    let load = |policy: &str, cov: u32| {
        let d = dir(&[
            (
                "payments.yaml",
                &format!("coverage_threshold: {cov}\npolicies: [bank.rego]\n"),
            ),
            ("bank.rego", policy),
        ]);
        HeldConfigs::load(d.path())
            .unwrap()
            .for_system("payments")
            .origin
            .digest
            .clone()
    };
    let base = load(POLICY, 80);
    assert_eq!(base, load(POLICY, 80), "same files, same digest");
    assert_ne!(base, load(POLICY, 81));
    assert_ne!(base, load(&POLICY.replace("B-1", "B-2"), 80));
}

#[test]
fn broken_configurations_are_refused_with_the_file_named() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("payments.yaml", "inputs: {sast: [x.sarif]}\n")],
            "names inputs",
        ),
        (&[("payments.yaml", "system: cards\n")], "says system"),
        (&[("default.yaml", "system: cards\n")], "remove `system"),
        (
            &[("payments.yaml", "criticality: extreme\n")],
            "criticality",
        ),
        (&[("payments.yaml", "coverage: 80\n")], "unknown field"),
        (&[("payments.yaml", "rules: [")], "payments.yaml"),
        (
            &[(
                "payments.yaml",
                "rules: {DORA-NOPE-001: {enabled: false}}\n",
            )],
            "not a baseline rule",
        ),
        (
            &[("payments.yaml", "policies: [missing.rego]\n")],
            "missing.rego",
        ),
        (
            &[
                ("payments.yaml", "policies: [p.rego]\n"),
                ("p.rego", "package p\ndeny contains x if {"),
            ],
            "p.rego",
        ),
        (
            &[
                ("payments.yaml", "policies: [p.rego]\n"),
                (
                    "p.rego",
                    "package p\nimport rego.v1\ndeny contains x if { x := time.now_ns() }\n",
                ),
            ],
            "time.now_ns",
        ),
        (
            &[
                ("payments.yaml", "waivers: [w.yaml]\n"),
                (
                    "w.yaml",
                    "waivers:\n  - id: W-1\n    match: {rule: B1}\n    justification: j\n    owner: o\n    approver: a\n    expires_at: tomorrow\n",
                ),
            ],
            "expires_at",
        ),
        (
            &[("payments.yaml", "{}\n"), ("payments.yml", "{}\n")],
            "two files",
        ),
        (
            &[
                ("payments.yaml", "policies: [p.rego]\n"),
                ("p.rego", "\u{0}\u{ff}"),
            ],
            "p.rego",
        ),
    ];
    for (files, says) in cases {
        let d = dir(files);
        let e = HeldConfigs::load(d.path()).unwrap_err().to_string();
        assert!(e.contains(says), "{files:?}: {e}");
    }
    let e = HeldConfigs::load(Path::new("/nonexistent/plumb-gate-config"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/plumb-gate-config"), "{e}");
}

#[test]
fn the_example_directory_loads() {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/gate/server");
    let h = HeldConfigs::load(&d).unwrap();
    let p = h.for_system("payments");
    assert_eq!(p.origin.source, "payments.yaml");
    assert!(!p.policies.is_empty() && !p.waivers.is_empty());
    assert_eq!(h.for_system("identity").origin.source, "default.yaml");
}
