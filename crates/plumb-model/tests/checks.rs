//! DORA checks and impact analysis on the demo bank model and on the real corpus models.

use std::path::PathBuf;

use plumb_model::check::{Level, Options, check};
use plumb_model::graph::impact;

fn bank() -> plumb_model::Model {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    plumb_model::yaml::read("bank.yaml", &std::fs::read_to_string(p).unwrap()).unwrap()
}

fn ids(r: &plumb_model::check::Report, id: &str) -> Vec<Vec<String>> {
    r.findings
        .iter()
        .filter(|f| f.id == id)
        .map(|f| f.elements.clone())
        .collect()
}

#[test]
fn the_demo_bank_passes_with_its_known_risks_reported() {
    let r = check(&bank(), Options::default());
    assert!(r.ok(), "{:#?}", r.findings);
    assert_eq!(r.functions.len(), 4);
    // The core ledger's every supporting path crosses the mainframe. Payments also reach the
    // standby cluster (through identity) and the mainframe (through the ledger): no single node.
    let spofs = ids(&r, "DORA-MODEL-006");
    assert_eq!(
        spofs,
        vec![vec!["fn-ledger".to_string(), "node-mainframe".to_string()]]
    );
    // Without the standby cluster, identity's every path crosses eu-west.
    let mut m = bank();
    m.relationships.retain(|r| r.id != "rel-k8sdr-id");
    let spofs = ids(&check(&m, Options::default()), "DORA-MODEL-006");
    assert!(
        spofs.contains(&vec!["fn-identity".to_string(), "node-k8s".to_string()]),
        "{spofs:?}"
    );
    // CloudCo carries three of the four functions.
    let cloud = r
        .concentration
        .iter()
        .find(|c| c.provider == "prov-cloudco")
        .unwrap();
    assert_eq!(cloud.functions.len(), 3);
    assert!(
        ids(&r, "DORA-MODEL-007")
            .iter()
            .any(|e| e[0] == "prov-cloudco")
    );
}

#[test]
fn each_traceability_rule_fires_on_its_own_defect() {
    let mut m = bank();
    m.relationships.retain(|r| r.id != "rel-serve-led");
    m.relationships.retain(|r| r.id != "rel-main-led");
    m.relationships.retain(|r| r.id != "rel-ctr-2");
    m.relationships.retain(|r| r.id != "rel-req-3");
    for e in &mut m.elements {
        if e.id == "prov-cloudco" {
            e.properties.retain(|(k, _)| k != "dora:lei");
            e.properties
                .push(("dora:lei".into(), "5299000CLOUDC0EU0116".into()));
        }
        if e.id == "fn-onboarding" {
            e.properties.retain(|(k, _)| k != "dora:rto-hours");
        }
    }
    let r = check(&m, Options::default());
    assert!(!r.ok());
    let has = |id: &str, el: &str| {
        r.findings
            .iter()
            .any(|f| f.id == id && f.elements.contains(&el.to_string()))
    };
    assert!(
        has("DORA-MODEL-001", "fn-ledger"),
        "function without application"
    );
    assert!(
        has("DORA-MODEL-002", "app-ledger"),
        "application without technology"
    );
    assert!(
        has("DORA-MODEL-003", "prov-cardproc"),
        "provider without contract"
    );
    assert!(
        has("DORA-MODEL-004", "prov-cloudco"),
        "bad LEI check digits"
    );
    assert!(
        has("DORA-MODEL-005", "req-third-party"),
        "requirement not realised"
    );
    assert!(r.findings.iter().any(|f| f.id == "DORA-MODEL-010"
        && f.level == Level::Warning
        && f.elements == ["fn-onboarding"]));
    assert!(
        r.findings.iter().all(|f| f
            .refs
            .iter()
            .all(|x| x.starts_with("ArchiMate") || plumb_dora::is_known(x))),
        "every reference is known law"
    );
}

#[test]
fn invalid_relationships_name_what_is_allowed() {
    let mut m = bank();
    m.relationships.push(plumb_model::Relationship {
        line: Some(42),
        ..plumb_model::Relationship::new(
            "rel-bad",
            plumb_model::RelType::Realization,
            "prov-cloudco",
            "node-k8s",
        )
    });
    let r = check(&m, Options::default());
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "ARCHIMATE-REL-001")
        .unwrap();
    assert_eq!(f.line, Some(42));
    assert!(
        f.message.contains("allowed: ") && f.message.contains("Serving"),
        "{}",
        f.message
    );
}

#[test]
fn impact_follows_dependencies_up_to_the_functions() {
    let m = bank();
    let hit = impact(&m, "prov-cloudco");
    let mut fns: Vec<&str> = hit.iter().map(|i| i.function.as_str()).collect();
    fns.sort();
    assert_eq!(fns, ["fn-identity", "fn-onboarding", "fn-payments"]);
    let pay = hit.iter().find(|i| i.function == "fn-payments").unwrap();
    assert_eq!(pay.path.first().unwrap().id, "fn-payments");
    assert_eq!(pay.path.last().unwrap().id, "prov-cloudco");
    assert!(pay.path.iter().skip(1).all(|s| s.via.is_some()));
    // The identity service is shared: losing it hits payments and onboarding too.
    let hit = impact(&m, "app-identity");
    assert_eq!(hit.len(), 3);
    assert!(
        impact(&m, "data-customer")
            .iter()
            .any(|i| i.function == "fn-onboarding"),
        "access: the accessing behaviour depends on its data"
    );
    assert!(impact(&m, "req-continuity").is_empty());
}

#[test]
fn real_models_check_without_panicking_and_their_relationships_are_allowed() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    for rel in [
        "archimate/archi/archisurance.xml",
        "archimate/archi-tools-rb/everything.xml",
        "archimate/archi-tools-rb/location.xml",
    ] {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus")
            .join(rel);
        let m = plumb_model::exchange::read(rel, &std::fs::read(p).unwrap()).unwrap();
        let r = check(&m, Options::default());
        let bad: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.id == "ARCHIMATE-REL-001")
            .collect();
        if rel.ends_with("archisurance.xml") {
            assert!(
                bad.is_empty(),
                "every Archisurance relationship passes the 3.2 table: {bad:#?}"
            );
        }
    }
}
