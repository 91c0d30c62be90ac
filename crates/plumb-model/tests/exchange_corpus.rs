//! The exchange format on every real model in the corpus: import, export, import again gives
//! the same graph; the ArchiMate 2.1 file is refused clearly.

use std::path::PathBuf;

use plumb_model::exchange;

fn corpus(rel: &str) -> (String, Vec<u8>) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(rel);
    (
        rel.to_string(),
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
}

const MODELS: [&str; 10] = [
    "archimate/archi/archisurance.xml",
    "archimate/archi/bendpoint.test.xml",
    "archimate/archi/sample1.xml",
    "archimate/archi-tools-rb/Basic_Model.xml",
    "archimate/archi-tools-rb/Basic_Model_Metadata.xml",
    "archimate/archi-tools-rb/Basic_Model_Organization.xml",
    "archimate/archi-tools-rb/Basic_Model_Properties.xml",
    "archimate/archi-tools-rb/Model_View.xml",
    "archimate/archi-tools-rb/everything.xml",
    "archimate/archi-tools-rb/location.xml",
];

#[test]
fn every_real_model_round_trips_through_the_exchange_format() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    for rel in MODELS {
        let (name, bytes) = corpus(rel);
        let m = exchange::read(&name, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let again = exchange::read("export.xml", exchange::write(&m).as_bytes())
            .unwrap_or_else(|e| panic!("{rel}: re-import: {e}"));
        assert_eq!(m.canonical(), again.canonical(), "{rel}");
        assert_eq!(
            m.raw_views.is_some(),
            again.raw_views.is_some(),
            "{rel}: views kept"
        );
    }
}

#[test]
fn archisurance_has_the_stated_counts() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    let (name, bytes) = corpus("archimate/archi/archisurance.xml");
    let m = exchange::read(&name, &bytes).unwrap();
    assert_eq!((m.elements.len(), m.relationships.len()), (122, 179));
    assert_eq!(m.property_types.len(), 6);
    assert!(!m.organizations.is_empty());
    assert!(m.raw_views.as_deref().unwrap().matches("<view ").count() >= 18);
    let (name, bytes) = corpus("archimate/archi-tools-rb/everything.xml");
    let m = exchange::read(&name, &bytes).unwrap();
    assert_eq!(m.elements.len(), 61);
    let rel_targets = m
        .relationships
        .iter()
        .filter(|r| m.relationships.iter().any(|x| x.id == r.target))
        .count();
    assert_eq!(
        rel_targets, 3,
        "relationships whose target is a relationship resolve"
    );
}

#[test]
fn archimate_2_is_refused_with_a_clear_error() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    let (name, bytes) = corpus("archimate/archi-tools-rb/archisurance.xml");
    let e = exchange::read(&name, &bytes).unwrap_err();
    assert!(e.message.contains("ArchiMate 2.1 exchange format"), "{e}");
    assert!(e.line.is_some());
}

/// Exchange -> CSV -> exchange and exchange -> YAML -> exchange keep the graph. Views and
/// property definition types live only in the exchange format; duplicate property keys on one
/// concept collapse in YAML, so models with them are compared through CSV only.
#[test]
fn every_real_model_round_trips_through_csv_and_yaml() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    for rel in MODELS {
        let (name, bytes) = corpus(rel);
        let m = exchange::read(&name, &bytes).unwrap();
        let (e, r, p) = plumb_model::csv::write(&m);
        let from_csv = plumb_model::csv::read(
            ("elements.csv", &e),
            ("relations.csv", &r),
            Some(("properties.csv", &p)),
        )
        .unwrap_or_else(|err| panic!("{rel}: {err}"));
        assert_eq!(m.canonical(), from_csv.canonical(), "{rel} via CSV");
        let y = plumb_model::yaml::write(&m);
        let from_yaml =
            plumb_model::yaml::read("model.yaml", &y).unwrap_or_else(|err| panic!("{rel}: {err}"));
        let dup_keys = m.elements.iter().any(|e| {
            let mut k: Vec<_> = e.properties.iter().map(|p| &p.0).collect();
            let n = k.len();
            k.sort();
            k.dedup();
            k.len() != n
        });
        if !dup_keys {
            assert_eq!(m.canonical(), from_yaml.canonical(), "{rel} via YAML");
        }
        // And back to the exchange format from YAML.
        let back = exchange::read("back.xml", exchange::write(&from_yaml).as_bytes()).unwrap();
        assert_eq!(back.canonical(), from_yaml.canonical(), "{rel} YAML -> XML");
    }
}

#[test]
fn the_structure_check_rejects_what_the_schema_rejects() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    let (name, bytes) = corpus("archimate/archi/sample1.xml");
    let good = exchange::write(&exchange::read(&name, &bytes).unwrap());
    plumb_model::validate::exchange_structure(&good).unwrap();
    let swapped = good.replacen(
        "<name xml:lang=\"en\">",
        "<documentation xml:lang=\"en\">x</documentation><name xml:lang=\"en\">",
        1,
    );
    assert!(
        plumb_model::validate::exchange_structure(&swapped)
            .unwrap_err()
            .contains("order")
    );
    let bad_type = good.replace("type=\"string\"", "type=\"text\"");
    if bad_type != good {
        assert!(
            plumb_model::validate::exchange_structure(&bad_type)
                .unwrap_err()
                .contains("propertyDefinition type")
        );
    }
}
