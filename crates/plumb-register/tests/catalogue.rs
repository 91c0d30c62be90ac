//! The catalogue of the register's templates: 15 templates in filing order, every column typed,
//! every closed list and foreign key resolving, and the same columns as the EBA taxonomy's own
//! table definitions (when the reference is beside the repository).

use plumb_register::catalogue::{ColumnType, catalogue};

const FILING_ORDER: [&str; 15] = [
    "B_01.01", "B_01.02", "B_01.03", "B_02.01", "B_02.02", "B_02.03", "B_03.01", "B_03.02",
    "B_03.03", "B_04.01", "B_05.01", "B_05.02", "B_06.01", "B_07.01", "B_99.01",
];

#[test]
fn fifteen_templates_whose_references_resolve() {
    let c = catalogue().unwrap();
    let codes: Vec<&str> = c.templates.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes, FILING_ORDER);
    assert_eq!(
        c.templates.iter().map(|t| t.columns.len()).sum::<usize>(),
        120
    );
    assert_eq!(c.template("B_02.01").unwrap().file_name(), "b_02.01.csv");
    // Every template but the closed-list one has a key; every closed list named exists.
    for t in &c.templates {
        assert!(
            t.code == "B_99.01" || !t.key().is_empty(),
            "{} has no key",
            t.code
        );
        for col in &t.columns {
            if let Some(l) = &col.closed_list {
                assert!(
                    c.closed_lists.contains_key(l),
                    "{}.{}: {l}",
                    t.code,
                    col.code
                );
                assert_eq!(col.kind, ColumnType::Code, "{}.{}", t.code, col.code);
            }
        }
    }
    // Every foreign key names existing columns, and its target columns are the target's key.
    for fk in &c.foreign_keys {
        let from = c.template(&fk.from_template).unwrap();
        let to = c.template(&fk.to_template).unwrap();
        for col in &fk.from_columns {
            assert!(from.columns.iter().any(|x| &x.code == col), "{fk:?}");
        }
        for col in &fk.to_columns {
            assert!(to.columns.iter().any(|x| &x.code == col && x.key), "{fk:?}");
        }
    }
    // Codes, not labels: the EBA's own enumeration codes.
    assert!(c.is_code("ENTITY_TYPE", "eba_CT:x12"));
    assert!(!c.is_code("ENTITY_TYPE", "Credit institutions"));
    assert_eq!(c.closed_lists["ICT_SERVICE_TYPE"].len(), 19);
}

#[test]
fn the_same_columns_as_the_taxonomy() {
    let Some(corpus) = plumb_testkit::corpus() else {
        return;
    };
    let reference = corpus.join("../reference/register-of-information");
    // The data is the reference's tables, unchanged.
    for f in ["templates.tsv", "closed-lists.tsv", "foreign-keys.tsv"] {
        let ours = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data")
                .join(f),
        )
        .unwrap();
        assert_eq!(ours, std::fs::read(reference.join(f)).unwrap(), "{f}");
    }
    // Each template's columns are the columns of the taxonomy's table definition.
    let c = catalogue().unwrap();
    for t in &c.templates {
        let lower = t.code.to_ascii_lowercase();
        let p = reference.join(format!("eba-taxonomy-dora-4.0/tab/{lower}/{lower}.json"));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let text = v.to_string();
        for col in &t.columns {
            assert!(
                text.contains(&format!("\"{}\"", col.code)),
                "{} {} not in {}",
                t.code,
                col.code,
                p.display()
            );
        }
    }
}
