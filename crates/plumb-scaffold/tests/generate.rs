//! Generation from the demo bank and from broken models: what is generated, that it is
//! deterministic, and that every bad input is a clear error before anything is written.

use std::path::PathBuf;

use plumb_model::Model;
use plumb_scaffold::spec::Selection;
use plumb_scaffold::template::Catalog;
use plumb_scaffold::{Options, ScaffoldError, generate};

fn bank() -> Model {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    plumb_model::load(&p).unwrap()
}

fn opts() -> Options {
    Options {
        model_source: "bank.yaml".into(),
        ..Options::default()
    }
}

fn text(g: &plumb_scaffold::Generation, path: &str) -> String {
    String::from_utf8(
        g.files
            .get(path)
            .unwrap_or_else(|| panic!("{path} not generated"))
            .body
            .clone(),
    )
    .unwrap()
}

/// (service name, template) of each generated service.
fn services_of(g: &plumb_scaffold::Generation) -> Vec<(&str, &str)> {
    g.services
        .iter()
        .map(|s| (s.slug.as_str(), s.template.as_str()))
        .collect()
}

fn err(m: &Model, o: &Options) -> ScaffoldError {
    generate(m, o, &Catalog::embedded()).expect_err("must be refused")
}

#[test]
fn the_demo_bank_becomes_three_services_with_everything_around_them() {
    let g = generate(&bank(), &opts(), &Catalog::embedded()).unwrap();
    let names = services_of(&g);
    assert_eq!(
        names,
        [
            ("payments", "rust-axum"),
            ("onboarding", "python-fastapi"),
            ("identity", "rust-axum")
        ],
        "the core ledger chooses no template and is left out"
    );
    for path in [
        "README.md",
        "Cargo.toml",
        "infrastructure/docker-compose.yml",
        ".github/workflows/ci.yml",
        ".gitlab-ci.yml",
        "ci/gate.sh",
        "scripts/verify",
        "scripts/check-rust-axum.sh",
        "scripts/check-python-fastapi.sh",
        "services/payments/src/workflow.rs",
        "services/payments/plumb-gate.yaml",
        "migrations/payments/0001_initial.sql",
        "runbooks/onboarding.md",
        "compliance/identity/dora.md",
        "compliance/onboarding/gdpr-records.md",
        "compliance/payments/soc2.md",
        "architecture/blueprint.xml",
    ] {
        assert!(g.files.contains_key(path), "{path} missing");
    }
    // Identity has no onboarding process in the model: no workflow module.
    assert!(!g.files.contains_key("services/identity/src/workflow.rs"));
    assert!(!g.files.contains_key("services/identity/src/onboarding.rs"));
    // The workflow is the model's.
    let wf = text(&g, "services/payments/src/workflow.rs");
    for s in [
        "merchant_applied",
        "business_verification",
        "merchant_active",
        "merchant_declined",
        "verify_business",
        "Activate",
        "Decline",
    ] {
        assert!(wf.contains(s), "{s} missing from the workflow");
    }
    // Scripts are executable; the pipelines and compliance documents are managed.
    assert!(g.files["scripts/verify"].executable);
    assert!(g.files["ci/gate.sh"].executable);
    assert!(!g.files["README.md"].executable);
    assert!(g.files["compliance/payments/dora.md"].managed);
    assert!(g.files[".github/workflows/ci.yml"].managed);
    assert!(
        !g.files["services/payments/src/auth.rs"].managed,
        "service code is the team's"
    );
    // The manifest records the model, the templates and every file's digest.
    assert_eq!(g.manifest.model.digest, bank().digest());
    assert_eq!(g.manifest.files.len(), g.files.len());
    for f in &g.manifest.files {
        assert_eq!(
            f.sha256,
            plumb_scaffold::sha256(&g.files[&f.path].body),
            "{}",
            f.path
        );
    }
    let versions: Vec<&str> = g
        .manifest
        .templates
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(versions, ["repository", "rust-axum", "python-fastapi"]);
    // The local environment publishes every service on the loopback address only.
    let compose = text(&g, "infrastructure/docker-compose.yml");
    let published: Vec<&str> = compose
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("- \"") && l.ends_with(":8080\""))
        .collect();
    assert_eq!(published.len(), 3, "{compose}");
    assert!(
        published.iter().all(|l| l.starts_with("- \"127.0.0.1:")),
        "{published:?}"
    );
}

#[test]
fn documentation_spanning_lines_stays_in_comments() {
    let mut m = bank();
    for e in &mut m.elements {
        if e.id == "app-payments" {
            e.documentation = Some(
                "Takes card payments.\n    let x = 1; // not code\n```rust\npanic!()\n```".into(),
            );
        }
    }
    let g = generate(&m, &opts(), &Catalog::embedded()).unwrap();
    let lib = text(&g, "services/payments/src/lib.rs");
    for line in lib.lines().take_while(|l| !l.starts_with("pub mod")) {
        assert!(
            line.is_empty() || line.starts_with("//!"),
            "escaped the doc comment: {line:?}"
        );
    }
    assert!(lib.contains("//! Takes card payments. let x = 1; // not code ```rust panic!() ```"));
}

#[test]
fn generation_is_deterministic() {
    let a = generate(&bank(), &opts(), &Catalog::embedded()).unwrap();
    let b = generate(&bank(), &opts(), &Catalog::embedded()).unwrap();
    assert_eq!(a.files, b.files);
    assert_eq!(a.manifest.to_bytes(), b.manifest.to_bytes());
}

#[test]
fn the_pipelines_keep_their_ci_syntax_and_run_the_gate() {
    let g = generate(&bank(), &opts(), &Catalog::embedded()).unwrap();
    let gh = text(&g, ".github/workflows/ci.yml");
    assert!(
        gh.contains("${{ secrets.PLUMB_TOKEN }}"),
        "GitHub expressions pass through"
    );
    let v: serde_json::Value = yaml_serde::from_str(&gh).unwrap();
    let steps: Vec<&str> = v["jobs"]["verify-and-gate"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "ci/setup.sh",
            "scripts/verify",
            "ci/scan.sh",
            "ci/change.sh",
            "ci/gate.sh",
            "ci/infra-gate.sh"
        ],
        "build and test, then scan, then the gate, for the code and the infrastructure"
    );
    assert!(v["jobs"]["verify-and-gate"]["services"]["postgres"].is_object());
    let gl: serde_json::Value = yaml_serde::from_str(&text(&g, ".gitlab-ci.yml")).unwrap();
    let script: Vec<&str> = gl["verify-and-gate"]["script"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(script, steps, "both CI systems run the same steps");
    let gate = text(&g, "ci/gate.sh");
    assert!(gate.contains("gate --config \"services/$service/plumb-gate.yaml\" --record"));
    assert!(gate.contains("for service in payments onboarding identity ;"));
    // Each service's gate configuration carries its criticality from the model.
    for s in &g.services {
        let cfg: serde_json::Value =
            yaml_serde::from_str(&text(&g, &format!("services/{}/plumb-gate.yaml", s.slug)))
                .unwrap();
        assert_eq!(cfg["system"], s.slug.as_str());
        assert_eq!(cfg["criticality"], s.criticality.as_str());
    }
    // Python pages keep their Jinja2 syntax: our delimiters are different.
    let page = g
        .files
        .iter()
        .find(|(p, _)| p.starts_with("services/onboarding/") && p.ends_with(".html"))
        .expect("the FastAPI service has HTML templates");
    assert!(
        String::from_utf8_lossy(&page.1.body).contains("{{")
            || String::from_utf8_lossy(&page.1.body).contains("{%")
    );
}

#[test]
fn compliance_documents_state_what_the_model_says() {
    let mut m = bank();
    let g = generate(&m, &opts(), &Catalog::embedded()).unwrap();
    let dora = text(&g, "compliance/payments/dora.md");
    assert!(
        dora.contains("| Payments (`fn-payments`) | critical | 2 | 0.25 |"),
        "{dora}"
    );
    assert!(dora.contains("5299000CARDPR0C0EU62"), "CardProc's LEI");
    assert!(dora.contains("Card authorisation (S19)"));
    assert!(dora.contains("RTS 2024/1774 Art. 17 (ICT change management)"));
    let identity = text(&g, "compliance/identity/dora.md");
    assert!(
        identity.contains("Strong authentication and access control"),
        "the requirement identity realises"
    );
    let gdpr = text(&g, "compliance/onboarding/gdpr-records.md");
    assert!(gdpr.contains("Five years after the business relationship ends"));
    assert!(gdpr.contains("Applicants and retail customers"));
    assert!(gdpr.contains("CloudCo Europe (processor"));
    let runbook = text(&g, "runbooks/payments.md");
    assert!(runbook.contains("| recovery time objective (RTO) | 2 hours |"));
    assert!(runbook.contains("## Fall-back"));
    // Citations as the law has them: criticality is one of three ways into Art. 6, and Art.
    // 12(3) is about restoring onto segregated systems, not about where backups are kept.
    assert!(
        !runbook.contains("decides whether it can be a major"),
        "{runbook}"
    );
    assert!(runbook.contains("Art. 6(a)") && runbook.contains("(6(b), (c))"));
    assert!(runbook.contains("segregated from the source system (DORA\n  Art. 12(3))"));

    // Change the model: the documents follow.
    for e in &mut m.elements {
        if e.id == "fn-payments" {
            e.properties.retain(|(k, _)| k != "dora:rto-hours");
            e.properties.push(("dora:rto-hours".into(), "1".into()));
        }
    }
    let g2 = generate(&m, &opts(), &Catalog::embedded()).unwrap();
    assert!(
        text(&g2, "compliance/payments/dora.md")
            .contains("| Payments (`fn-payments`) | critical | 1 | 0.25 |")
    );
    assert!(
        text(&g2, "runbooks/payments.md").contains("| recovery time objective (RTO) | 1 hours |")
    );
    assert_ne!(g.manifest.model.digest, g2.manifest.model.digest);
}

#[test]
fn the_blueprint_is_a_valid_model_with_the_generated_artifacts() {
    let g = generate(&bank(), &opts(), &Catalog::embedded()).unwrap();
    let xml = &g.files["architecture/blueprint.xml"].body;
    let bp = plumb_model::exchange::read("blueprint.xml", xml).unwrap();
    let report = plumb_model::check::check(&bp, Default::default());
    assert!(report.ok(), "{:#?}", report.findings);
    let has = |id: &str| bp.elements.iter().any(|e| e.id == id);
    for id in [
        "app-payments",
        "fn-payments",
        "prov-cardproc",
        "proc-merch-onb",
        "step-merch-kyb",
        "gen-payments-service",
        "gen-onboarding-schema",
        "gen-repository",
    ] {
        assert!(has(id), "{id} missing from the blueprint");
    }
    assert!(!has("gen-core-ledger-service"), "not generated");
    assert!(
        bp.relationships
            .iter()
            .any(|r| r.source == "gen-payments-service" && r.target == "app-payments"),
        "the code artifact realises its component"
    );
    assert!(
        bp.properties
            .iter()
            .any(|(k, v)| k == "plumb:source-model-digest" && *v == bank().digest())
    );
}

#[test]
fn selection_by_component_and_default_template() {
    let o = Options {
        selection: Selection {
            components: vec!["app-ledger".into(), "identity".into()],
            default_template: Some("python-fastapi".into()),
        },
        ..opts()
    };
    let g = generate(&bank(), &o, &Catalog::embedded()).unwrap();
    let names = services_of(&g);
    assert_eq!(
        names,
        [("identity", "rust-axum"), ("core-ledger", "python-fastapi")],
        "model order"
    );
    assert_eq!(g.services[0].port, 8081);
    assert_eq!(g.services[1].port, 8082);
}

#[test]
fn bad_models_are_refused_with_a_reason_and_a_fix() {
    // No application components at all.
    let mut m = bank();
    m.elements
        .retain(|e| e.kind != plumb_model::ElementType::ApplicationComponent);
    m.relationships.clear();
    let e = err(&m, &opts());
    assert!(
        e.to_string().contains("has no application components"),
        "{e}"
    );
    assert!(e.hint().unwrap().contains("plumb:template"));

    // A component naming a template that does not exist.
    let mut m = bank();
    set(&mut m, "app-payments", "plumb:template", "cobol-cics");
    let e = err(&m, &opts());
    assert!(
        e.to_string()
            .contains("names template \"cobol-cics\", which does not exist"),
        "{e}"
    );
    assert!(
        e.hint().unwrap().contains("rust-axum"),
        "lists the templates"
    );

    // Names that are not identifiers.
    for bad in [
        "Payments API",
        "payments_api",
        "-x",
        "postgres",
        "zahlung-ä",
    ] {
        let mut m = bank();
        set(&mut m, "app-payments", "plumb:service", bad);
        let e = err(&m, &opts());
        assert!(
            e.to_string().contains(&format!("service name {bad:?}")),
            "{bad}: {e}"
        );
    }
    let mut m = bank();
    for e in &mut m.elements {
        if e.id == "app-payments" {
            e.properties.retain(|(k, _)| k != "plumb:service");
        }
    }
    let e = err(&m, &opts());
    assert!(
        e.hint().unwrap().contains("\"payments-api\""),
        "suggests a name: {:?}",
        e.hint()
    );

    // A name the template's language or dependencies own.
    for reserved in ["match", "tokio"] {
        let mut m = bank();
        set(&mut m, "app-payments", "plumb:service", reserved);
        let e = err(&m, &opts());
        assert!(
            e.to_string().contains("is reserved by template rust-axum"),
            "{e}"
        );
    }

    // Two components with one service name.
    let mut m = bank();
    set(&mut m, "app-identity", "plumb:service", "payments");
    assert!(
        err(&m, &opts())
            .to_string()
            .contains("both have the service name \"payments\"")
    );

    // No component chooses a template.
    let mut m = bank();
    for e in &mut m.elements {
        e.properties.retain(|(k, _)| k != "plumb:template");
    }
    assert!(
        err(&m, &opts())
            .to_string()
            .contains("none of the 4 application components chooses a template")
    );

    // An unknown component asked for.
    let o = Options {
        selection: Selection {
            components: vec!["app-nope".into()],
            default_template: None,
        },
        ..opts()
    };
    let e = err(&bank(), &o);
    assert!(e.to_string().contains("\"app-nope\""));
    assert!(e.hint().unwrap().contains("app-payments (payments)"));

    // A bad repository name.
    let o = Options {
        repository: Some("My Repo".into()),
        ..opts()
    };
    assert!(
        err(&bank(), &o)
            .to_string()
            .contains("repository name \"My Repo\"")
    );
}

fn set(m: &mut Model, id: &str, key: &str, value: &str) {
    let e = m.elements.iter_mut().find(|e| e.id == id).unwrap();
    e.properties.retain(|(k, _)| k != key);
    e.properties.push((key.into(), value.into()));
}

/// A change to the demo model.
type Edit = Box<dyn Fn(&mut Model)>;

#[test]
fn broken_onboarding_processes_are_refused() {
    let mut cases: Vec<(&str, Edit)> = vec![
        (
            "no initial step",
            Box::new(|m: &mut Model| {
                m.relationships.push(rel(
                    "t-loop",
                    plumb_model::RelType::Triggering,
                    "step-merch-declined",
                    "step-merch-applied",
                ));
                m.relationships.push(rel(
                    "t-loop2",
                    plumb_model::RelType::Triggering,
                    "step-merch-active",
                    "step-merch-applied",
                ));
            }),
        ),
        (
            "steps are triggered by no other step",
            Box::new(|m: &mut Model| m.relationships.retain(|r| r.id != "rel-merch-t1")),
        ),
        (
            "two steps have the key",
            Box::new(|m: &mut Model| {
                for e in &mut m.elements {
                    if e.id == "step-merch-declined" {
                        e.name = "Merchant active".into();
                    }
                }
            }),
        ),
        (
            "holds letters outside ASCII",
            Box::new(|m: &mut Model| {
                for e in &mut m.elements {
                    if e.id == "step-merch-kyb" {
                        e.name = "Prüfung".into();
                    }
                }
            }),
        ),
        (
            "step(s); a workflow needs at least two",
            Box::new(|m: &mut Model| {
                m.relationships
                    .retain(|r| !r.id.starts_with("rel-merch-c") || r.id == "rel-merch-c1")
            }),
        ),
        (
            "is a BusinessFunction, not a BusinessProcess",
            Box::new(|m: &mut Model| {
                for e in &mut m.elements {
                    if e.id == "proc-merch-onb" {
                        e.kind = plumb_model::ElementType::BusinessFunction;
                    }
                }
            }),
        ),
        (
            "serves 2 onboarding processes",
            Box::new(|m: &mut Model| {
                m.relationships.push(rel(
                    "s2",
                    plumb_model::RelType::Serving,
                    "app-payments",
                    "proc-cust-onb",
                ))
            }),
        ),
    ];
    cases.push((
        "no final step can be reached",
        Box::new(|m: &mut Model| {
            m.relationships
                .retain(|r| r.id != "rel-merch-t2" && r.id != "rel-merch-t3");
            m.relationships.push(rel(
                "loop1",
                plumb_model::RelType::Triggering,
                "step-merch-kyb",
                "step-merch-active",
            ));
            m.relationships.push(rel(
                "loop2",
                plumb_model::RelType::Triggering,
                "step-merch-active",
                "step-merch-kyb",
            ));
            m.relationships.push(rel(
                "fin",
                plumb_model::RelType::Triggering,
                "step-merch-applied",
                "step-merch-declined",
            ));
        }),
    ));
    cases.push((
        "the key \"start\" is what the audit trail calls opening a case",
        Box::new(|m: &mut Model| {
            for r in &mut m.relationships {
                if r.id == "rel-merch-t1" {
                    r.name = "Start".into();
                }
            }
        }),
    ));
    for (expect, edit) in cases {
        let mut m = bank();
        edit(&mut m);
        let e = err(&m, &opts());
        assert!(e.to_string().contains(expect), "{expect}: got {e}");
        assert!(e.hint().is_some());
    }
    // An explicit key repairs a name that cannot be one.
    let mut m = bank();
    for e in &mut m.elements {
        if e.id == "step-merch-kyb" {
            e.name = "Prüfung".into();
            e.properties
                .push(("plumb:key".into(), "business_check".into()));
        }
    }
    let g = generate(&m, &opts(), &Catalog::embedded()).unwrap();
    assert!(text(&g, "services/payments/src/workflow.rs").contains("\"business_check\""));
}

fn rel(id: &str, kind: plumb_model::RelType, s: &str, t: &str) -> plumb_model::Relationship {
    plumb_model::Relationship::new(id, kind, s, t)
}

/// Found by review: recovery objectives and names go into code, comments and configuration of
/// the generated services. An RTO that is not a number (here one carrying a Terraform block
/// and a Python statement after a newline) reaches none of them, and names stay inside their
/// comments.
#[test]
fn model_values_cannot_inject_code_into_generated_files() {
    let mut m = bank();
    let payload = "2\nresource \"null_resource\" \"x\" {}\nimport injected_marker";
    for e in m.elements.iter_mut() {
        if e.id == "fn-payments" {
            for (k, v) in e.properties.iter_mut() {
                if k == "dora:rto-hours" {
                    *v = payload.to_string();
                }
            }
        }
        if e.id == "app-identity" {
            e.name =
                "Identity \"\"\" import os; os.system('x') \"\"\"\nimport injected_marker".into();
        }
    }
    let g = generate(&m, &opts(), &Catalog::embedded()).unwrap();
    // Code and configuration (documents such as the blueprint carry the value as escaped data).
    let code = [
        ".py", ".rs", ".tf", ".yaml", ".yml", ".json", ".sh", ".toml",
    ];
    for (path, f) in g
        .files
        .iter()
        .filter(|(p, _)| code.iter().any(|x| p.ends_with(x)))
    {
        let body = String::from_utf8_lossy(&f.body);
        assert!(!body.contains("null_resource"), "{path}");
        assert!(!body.contains("\nimport injected_marker"), "{path}");
    }
    // The Python client names its upstreams in comments only.
    let py = text(&g, "services/onboarding/app/upstream.py");
    let line = py.lines().find(|l| l.contains("os.system")).unwrap();
    assert!(line.starts_with("# IDENTITY_URL:"), "{line}");
}
