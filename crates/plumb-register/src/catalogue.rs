//! The templates of the register as data: each column with its code, type, key, closed list
//! and foreign key; each closed list with its EBA codes; each reference between templates with
//! the EBA rule that checks it. Parsed once from the tables in `data/` (compiled in), so the
//! catalogue cannot differ between machines.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const TEMPLATES: &str = include_str!("../data/templates.tsv");
const CLOSED_LISTS: &str = include_str!("../data/closed-lists.tsv");
const FOREIGN_KEYS: &str = include_str!("../data/foreign-keys.tsv");

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Free text (identifiers, names, references).
    Text,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A whole number (notice periods, RTO and RPO in hours).
    Integer,
    /// An amount in the base currency.
    Monetary,
    /// A code of a closed list (an EBA QName such as `eba_CT:x12`).
    Code,
    /// A flag that is only ever `true` (its absence means false).
    TrueOnly,
}

/// One column of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The template, e.g. `B_02.01`.
    pub template: String,
    /// The column code, e.g. `c0010`.
    pub code: String,
    /// What it holds.
    pub meaning: String,
    /// Its type.
    pub kind: ColumnType,
    /// Part of the template's key.
    pub key: bool,
    /// The closed list its codes come from.
    pub closed_list: Option<String>,
    /// The column it refers to, as the reference writes it (`B_01.02.c0010 [R6]`).
    pub foreign_key: Option<String>,
}

/// One template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Its code, e.g. `B_02.01` (the filing indicator).
    pub code: String,
    /// Its columns in order.
    pub columns: Vec<Column>,
}

impl Template {
    /// Its file in the report package: the code in lower case (`b_02.01.csv`).
    pub fn file_name(&self) -> String {
        format!("{}.csv", self.code.to_ascii_lowercase())
    }

    /// Its key columns.
    pub fn key(&self) -> Vec<&Column> {
        self.columns.iter().filter(|c| c.key).collect()
    }
}

/// A reference between templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The referring template.
    pub from_template: String,
    /// Its columns (one, or a composite).
    pub from_columns: Vec<String>,
    /// The referred template.
    pub to_template: String,
    /// Its key columns.
    pub to_columns: Vec<String>,
    /// The EBA rule that checks it.
    pub rule: String,
}

/// The whole catalogue.
#[derive(Debug)]
pub struct Catalogue {
    /// The templates in filing order.
    pub templates: Vec<Template>,
    /// Each closed list's codes with their labels, by list name.
    pub closed_lists: BTreeMap<String, Vec<(String, String)>>,
    /// The references between templates.
    pub foreign_keys: Vec<ForeignKey>,
}

impl Catalogue {
    /// A template by code.
    pub fn template(&self, code: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.code == code)
    }

    /// Whether `code` is a code of closed list `list`.
    pub fn is_code(&self, list: &str, code: &str) -> bool {
        self.closed_lists
            .get(list)
            .is_some_and(|l| l.iter().any(|(c, _)| c == code))
    }
}

fn kind(t: &str) -> Result<ColumnType, String> {
    Ok(match t {
        "string" => ColumnType::Text,
        "date" => ColumnType::Date,
        "integer" => ColumnType::Integer,
        "monetary" => ColumnType::Monetary,
        "enum (QName)" => ColumnType::Code,
        "true-only flag" => ColumnType::TrueOnly,
        other => return Err(format!("unknown column type {other:?}")),
    })
}

fn opt(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Rows of a table after its header, as cells.
fn rows(table: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    table
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| (n + 1, l.split('\t').collect()))
}

fn parse() -> Result<Catalogue, String> {
    let mut templates: Vec<Template> = Vec::new();
    for (n, cells) in rows(TEMPLATES) {
        let cell = |i: usize| cells.get(i).copied();
        let (Some(t), Some(c), Some(m), Some(k)) = (cell(0), cell(1), cell(2), cell(3)) else {
            return Err(format!("templates.tsv line {n}: too few columns"));
        };
        let col = Column {
            template: t.to_string(),
            code: c.to_string(),
            meaning: m.to_string(),
            kind: kind(k).map_err(|e| format!("templates.tsv line {n}: {e}"))?,
            key: cell(4) == Some("PK"),
            closed_list: opt(cell(5)),
            foreign_key: opt(cell(6)),
        };
        match templates.last_mut() {
            Some(last) if last.code == t => last.columns.push(col),
            _ => templates.push(Template {
                code: t.to_string(),
                columns: vec![col],
            }),
        }
    }
    let mut closed_lists: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (n, cells) in rows(CLOSED_LISTS) {
        let [list, code, label] = cells.as_slice() else {
            return Err(format!("closed-lists.tsv line {n}: expected 3 columns"));
        };
        closed_lists
            .entry(list.to_string())
            .or_default()
            .push((code.to_string(), label.to_string()));
    }
    let mut foreign_keys = Vec::new();
    for (n, cells) in rows(FOREIGN_KEYS) {
        let [ft, fc, tt, tc, rule] = cells.as_slice() else {
            return Err(format!("foreign-keys.tsv line {n}: expected 5 columns"));
        };
        let split = |s: &str| s.split('+').map(|x| x.trim().to_string()).collect();
        foreign_keys.push(ForeignKey {
            from_template: ft.to_string(),
            from_columns: split(fc),
            to_template: tt.to_string(),
            to_columns: split(tc),
            rule: rule.trim().to_string(),
        });
    }
    Ok(Catalogue {
        templates,
        closed_lists,
        foreign_keys,
    })
}

/// The catalogue, parsed once. The tables are compiled in and checked by the tests, so a
/// failure here is a build defect: it is reported, never papered over.
pub fn catalogue() -> Result<&'static Catalogue, String> {
    static C: OnceLock<Result<Catalogue, String>> = OnceLock::new();
    C.get_or_init(parse).as_ref().map_err(Clone::clone)
}
