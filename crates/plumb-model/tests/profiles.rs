//! System profiles for the gate: criticality from the functions that depend on a system, and
//! personal data from the data objects it accesses, on the example bank model.

#[test]
fn the_bank_models_systems_have_their_profiles() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    let m = plumb_model::load(&path).expect("the example model loads");
    let p = plumb_model::dora::system_profiles(&m);
    let payments = &p["payments"];
    assert_eq!(
        (payments.criticality.as_str(), payments.personal_data),
        ("critical", true)
    );
    // The core ledger accesses only confidential postings: no personal data.
    assert!(!p["core-ledger"].personal_data);
    assert!(p["onboarding"].personal_data);
    assert!(
        p.values()
            .all(|s| ["critical", "important", "none"].contains(&s.criticality.as_str()))
    );
}
