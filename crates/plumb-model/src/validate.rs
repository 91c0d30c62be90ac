//! Structural validation on import: unique identifiers that are XML NCNames, and relationship
//! ends that resolve to an element or a relationship.

use std::collections::HashSet;

use crate::error::{ModelError, Result};
use crate::model::Model;

/// Whether `s` is an XML NCName (what `xs:ID` requires): starts with a letter or `_`, then
/// letters, digits, `-`, `_`, `.`.
pub fn is_ncname(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_alphabetic() || f == '_')
        && c.all(|x| x.is_alphanumeric() || matches!(x, '-' | '_' | '.'))
}

/// Checks identifiers and references.
pub fn references(file: &str, m: &Model) -> Result<()> {
    let mut seen: HashSet<&str> = HashSet::new();
    for (id, line) in m
        .elements
        .iter()
        .map(|e| (&e.id, e.line))
        .chain(m.relationships.iter().map(|r| (&r.id, r.line)))
    {
        if !is_ncname(id) {
            return Err(ModelError::at(
                file,
                line,
                format!(
                    "identifier {id:?} is not a valid XML ID (it must start with a letter or _, e.g. id-{id})"
                ),
            ));
        }
        if !seen.insert(id) {
            return Err(ModelError::at(
                file,
                line,
                format!("identifier {id:?} is used twice"),
            ));
        }
    }
    for r in &m.relationships {
        for (end, id) in [("source", &r.source), ("target", &r.target)] {
            if !seen.contains(id.as_str()) {
                return Err(ModelError::at(
                    file,
                    r.line,
                    format!(
                        "relationship {} has {end} {id:?}, which is neither an element nor a relationship in the model",
                        r.id
                    ),
                ));
            }
        }
    }
    Ok(())
}
