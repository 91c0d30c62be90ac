//! The register as the report package holds it: the package parameters and, per template,
//! rows of column code → value (EBA codes, `YYYY-MM-DD` dates, plain numbers). Every other
//! step reads and writes this form: `build` derives it, `import` reads it from a package,
//! `check` judges it, `diff` compares two of them. Empty cells are not stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One row: column code (`c0010`) → value. Ordered, so the same register always serialises
/// the same way.
pub type Row = BTreeMap<String, String>;

/// Whether the register covers one entity or a (sub-)consolidated group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Consolidation {
    /// An individual register (`.IND`).
    #[serde(rename = "IND")]
    Individual,
    /// A consolidated or sub-consolidated register (`.CON`).
    #[serde(rename = "CON")]
    Consolidated,
}

impl Consolidation {
    /// The suffix of the entity identifier and the package name.
    pub fn suffix(self) -> &'static str {
        match self {
            Consolidation::Individual => "IND",
            Consolidation::Consolidated => "CON",
        }
    }
}

/// What `parameters.csv` and the package name say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// LEI of the entity that maintains the register (B_01.01 c0010).
    pub entity: String,
    /// Individual or consolidated.
    pub consolidation: Consolidation,
    /// The reference date, `YYYY-MM-DD` (the 31 December of the year reported).
    pub reference_date: String,
    /// ISO 4217 code of every amount (`EUR`).
    pub currency: String,
    /// ISO 3166-1 alpha-2 code in the package name: the competent authority's country.
    pub country: String,
}

/// The whole register.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tables {
    /// Rows per template code (`B_02.01`), in the order they were given.
    pub rows: BTreeMap<String, Vec<Row>>,
}

impl Tables {
    /// The rows of a template (none when it has none).
    pub fn of(&self, template: &str) -> &[Row] {
        self.rows.get(template).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Adds a row, dropping empty cells.
    pub fn push(&mut self, template: &str, row: Row) {
        let row: Row = row
            .into_iter()
            .map(|(k, v)| (k, v.trim().to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        self.rows.entry(template.to_string()).or_default().push(row);
    }

    /// Adds a row as read from a package: values exactly as filed (the authority compares
    /// them byte for byte), empty cells dropped.
    pub fn push_as_filed(&mut self, template: &str, row: Row) {
        let row: Row = row.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        self.rows.entry(template.to_string()).or_default().push(row);
    }

    /// How many rows in all.
    pub fn len(&self) -> usize {
        self.rows.values().map(Vec::len).sum()
    }

    /// Whether no template has a row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
