//! The exchange format on every real model in the corpus: import, export, import again gives
//! the same graph; the ArchiMate 2.1 file is converted, every rename listed (or refused clearly
//! when conversion is off).

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

/// The Open Group's ArchiMate 2.1 exchange file is converted as Archi converts a 2.x model:
/// every element and relationship kept, names read from 2.1's labels, properties through
/// 2.1's property definitions, each rename counted in the notes, and relationships 3.x does
/// not allow reported with the alternatives. With conversion off it is refused clearly.
#[test]
fn archimate_2_is_converted_with_every_rename_listed() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    let (name, bytes) = corpus("archimate/archi-tools-rb/archisurance.xml");
    let e = exchange::read_converting(&name, &bytes, false).unwrap_err();
    assert!(e.message.contains("ArchiMate 2.1 exchange format"), "{e}");
    assert!(e.line.is_some());

    let m = exchange::read(&name, &bytes).unwrap();
    assert_eq!(m.name, "Archisurance");
    assert_eq!((m.elements.len(), m.relationships.len()), (120, 178));
    let idx = m.index();
    assert_eq!(idx.elements["id-1544"].name, "mail");
    let count = |k: plumb_model::ElementType| m.elements.iter().filter(|e| e.kind == k).count();
    assert_eq!(count(plumb_model::ElementType::TechnologyService), 5);
    assert_eq!(count(plumb_model::ElementType::CommunicationNetwork), 3);
    let rels = |k: plumb_model::RelType| m.relationships.iter().filter(|r| r.kind == k).count();
    assert_eq!(rels(plumb_model::RelType::Serving), 32);
    assert_eq!(rels(plumb_model::RelType::Realization), 31);
    assert_eq!(rels(plumb_model::RelType::Specialization), 5);
    for want in [
        "32 × UsedByRelationship renamed Serving",
        "31 × RealisationRelationship renamed Realization",
        "5 × SpecialisationRelationship renamed Specialization",
        "5 × InfrastructureService renamed TechnologyService",
        "3 × Network renamed CommunicationNetwork",
    ] {
        assert!(
            m.notes.iter().any(|n| n == want),
            "{want} not in {:#?}",
            m.notes
        );
    }
    // Properties resolve through 2.1's <propertydefs>, folders through <organization>.
    assert!(
        m.properties
            .iter()
            .any(|(k, v)| k == "Property1" && v == "Value of Property 1"),
        "{:?}",
        m.properties
    );
    assert!(!m.organizations.is_empty());
    // What 3.x does not allow is reported, never dropped, with what it allows instead.
    let invalid: Vec<&String> = m
        .notes
        .iter()
        .filter(|n| n.contains("is not allowed in ArchiMate 3.x"))
        .collect();
    for n in &invalid {
        assert!(n.contains("allowed there: "), "{n}");
    }
    let report = plumb_model::check::check(&m, Default::default());
    let disallowed = report
        .findings
        .iter()
        .filter(|f| f.message.contains("not allowed"))
        .count();
    assert_eq!(invalid.len(), disallowed, "the notes and the check agree");
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
