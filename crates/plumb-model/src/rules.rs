//! Allowed relationships (ArchiMate 3.2 Appendix B), read from `data/relationships.tsv`.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::types::{ElementType, RelType};

const TABLE: &str = include_str!("../data/relationships.tsv");

/// Concept name of a relationship used as a source or target (relationship on relationship).
pub const RELATIONSHIP: &str = "Relationship";

fn table() -> &'static HashMap<(&'static str, &'static str), &'static str> {
    static T: OnceLock<HashMap<(&'static str, &'static str), &'static str>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m = HashMap::new();
        for line in TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (src, targets) = line.split_once('\t').expect("source<TAB>targets");
            for pair in targets.split(' ') {
                let (tgt, letters) = pair.split_once('=').expect("target=letters");
                m.insert((src, tgt), letters);
            }
        }
        m
    })
}

/// Whether `rel` from a concept named `src` to one named `tgt` is allowed (names as in the
/// table: element types, `Junction`, `Relationship`).
pub fn allowed_between(src: &str, rel: RelType, tgt: &str) -> bool {
    table()
        .get(&(src, tgt))
        .is_some_and(|l| l.contains(rel.letter()))
}

/// The relationship types allowed from `src` to `tgt`.
pub fn allowed_types(src: &str, tgt: &str) -> Vec<RelType> {
    let letters = table().get(&(src, tgt)).copied().unwrap_or("");
    RelType::ALL
        .iter()
        .copied()
        .filter(|r| letters.contains(r.letter()))
        .collect()
}

/// Whether `rel` from an element of type `src` to one of type `tgt` is allowed.
pub fn allowed(src: ElementType, rel: RelType, tgt: ElementType) -> bool {
    allowed_between(src.rule_name(), rel, tgt.rule_name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ElementType::*;

    /// Spot checks from the specification's table.
    #[test]
    fn table_lookups() {
        assert!(allowed(
            ApplicationComponent,
            RelType::Serving,
            BusinessProcess
        ));
        assert!(allowed(Node, RelType::Realization, ApplicationComponent));
        assert!(allowed(BusinessProcess, RelType::Realization, Requirement));
        assert!(!allowed(BusinessActor, RelType::Realization, Node));
        assert!(!allowed(Contract, RelType::Serving, TechnologyService));
        assert_eq!(
            allowed_types(Contract, TechnologyService)
                .into_iter()
                .collect::<Vec<_>>(),
            vec![RelType::Association]
        );
        assert!(allowed_between(
            "Grouping",
            RelType::Aggregation,
            RELATIONSHIP
        ));
        assert!(!allowed_between(
            "BusinessActor",
            RelType::Composition,
            RELATIONSHIP
        ));
        assert!(allowed(AndJunction, RelType::Serving, BusinessProcess));
        let sources = TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .count();
        assert_eq!(sources, 62, "60 element types, Junction and Relationship");
    }

    fn allowed_types(src: ElementType, tgt: ElementType) -> Vec<RelType> {
        super::allowed_types(src.rule_name(), tgt.rule_name())
    }
}
