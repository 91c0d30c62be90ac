//! The EBA's DPM validation rules for the DORA module as data (`data/rules.tsv`, read off the
//! project's reference): each rule with its status, template and what it demands. Only active
//! rules are run; deactivated ones are listed so `check` can say it skipped them.

use std::sync::OnceLock;

const RULES: &str = include_str!("../data/rules.tsv");

/// What a rule demands of each row of its template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Demand {
    /// These columns are reported.
    Required(Vec<String>),
    /// The column is reported when any of the others is.
    RequiredIfAny(String, Vec<String>),
    /// The column is reported when another column has one of these values.
    RequiredIfValue(String, String, Vec<String>),
    /// The column is reported unless another column has one of these values.
    RequiredUnlessValue(String, String, Vec<String>),
    /// The column, when reported, is not negative.
    NonNegative(String),
    /// The column, when reported, has the shape of an LEI.
    LeiPattern(String),
    /// The first column is a later date than the second.
    DateAfter(String, String),
    /// The first column has one of these values when the second has this value.
    ValueInIf(String, Vec<String>, String, String),
    /// The column has the shape of an LEI when another column has this value.
    LeiPatternIf(String, String, String),
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its EBA identifier (`v8866_m`).
    pub id: String,
    /// Active in the EBA's current set.
    pub active: bool,
    /// The template it is about.
    pub template: String,
    /// What it demands.
    pub demand: Demand,
    /// Its text in the reference.
    pub text: String,
}

fn list(s: &str) -> Vec<String> {
    s.split([',', '|'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// `c0020=a|b` as (column, values).
fn condition(s: &str) -> Result<(String, Vec<String>), String> {
    let (c, v) = s
        .split_once('=')
        .ok_or_else(|| format!("condition {s:?} is not column=value"))?;
    Ok((c.to_string(), list(v)))
}

fn demand(kind: &str, cols: &str, cond: &str) -> Result<Demand, String> {
    Ok(match kind {
        "required" => Demand::Required(list(cols)),
        "required_if_any" => Demand::RequiredIfAny(cols.into(), list(cond)),
        "required_if_value" => {
            let (c, v) = condition(cond)?;
            Demand::RequiredIfValue(cols.into(), c, v)
        }
        "required_unless_value" => {
            let (c, v) = condition(cond)?;
            Demand::RequiredUnlessValue(cols.into(), c, v)
        }
        "non_negative" => Demand::NonNegative(cols.into()),
        "lei_pattern" => Demand::LeiPattern(cols.into()),
        "date_after" => Demand::DateAfter(cols.into(), cond.into()),
        "value_in_if" => {
            let (c, v) = condition(cols)?;
            let (c2, v2) = condition(cond)?;
            Demand::ValueInIf(c, v, c2, v2.join("|"))
        }
        "lei_pattern_if" => {
            let (c2, v2) = condition(cond)?;
            Demand::LeiPatternIf(cols.into(), c2, v2.join("|"))
        }
        other => return Err(format!("unknown rule kind {other:?}")),
    })
}

fn parse() -> Result<Vec<Rule>, String> {
    let mut out = Vec::new();
    for (n, line) in RULES.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        let [id, status, template, kind, cols, cond, text] = cells.as_slice() else {
            return Err(format!("rules.tsv line {}: expected 7 columns", n + 1));
        };
        out.push(Rule {
            id: id.to_string(),
            active: *status == "active",
            template: template.to_string(),
            demand: demand(kind, cols, cond)
                .map_err(|e| format!("rules.tsv line {}: {e}", n + 1))?,
            text: text.to_string(),
        });
    }
    Ok(out)
}

/// The rules, parsed once (compiled in; a failure is a build defect the tests catch).
pub fn rules() -> Result<&'static [Rule], String> {
    static R: OnceLock<Result<Vec<Rule>, String>> = OnceLock::new();
    R.get_or_init(parse)
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}
