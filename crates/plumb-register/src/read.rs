//! A report package read back: its structure checked as the authority's receiving system
//! checks it (one root folder named like the zip, the package and report descriptors,
//! parameters, filing indicators, one CSV per template with a header of known column codes
//! and rows of equal length), its tables read into [`Tables`]. Every defect is a finding with
//! the check's number; nothing here panics or stops at the first defect.

use std::collections::BTreeSet;

use crate::catalogue::{Catalogue, Template};
use crate::finding::{Finding, Severity};
use crate::package::{Contents, ENTRY_POINT, MODULE_VERSION};
use crate::tables::{Consolidation, Parameters, Tables};

/// What a package holds.
#[derive(Debug)]
pub struct Read {
    /// Its parameters, when `parameters.csv` gives them all.
    pub parameters: Option<Parameters>,
    /// Its tables.
    pub tables: Tables,
    /// Which templates the filing indicators report.
    pub reported: BTreeSet<String>,
    /// Its structural defects.
    pub findings: Vec<Finding>,
}

fn blocking(rule: &str, file: &str, message: String, fix: &str) -> Finding {
    Finding::new(rule, Severity::Blocking, file, message, fix)
}

/// Reads a package's contents; `zip_name` is the file name it came with, when it came as a
/// zip (a directory of CSVs has none, and its naming is not checked).
pub fn read(c: &Contents, zip_name: Option<&str>) -> Result<Read, String> {
    let cat = crate::catalogue::catalogue()?;
    let mut r = Read {
        parameters: None,
        tables: Tables::default(),
        reported: BTreeSet::new(),
        findings: Vec::new(),
    };
    if let Some(name) = zip_name {
        r.findings.extend(check_name(name, &c.roots));
    }
    descriptors(c, &mut r.findings);
    let name_parts = zip_name.and_then(name_parts);
    r.parameters = parameters(c, name_parts.as_ref(), &mut r.findings);
    r.reported = indicators(c, cat, &mut r.findings);
    for t in &cat.templates {
        let path = format!("reports/{}", t.file_name());
        match c.files.get(&path) {
            None => r.findings.push(blocking(
                "808",
                &t.code,
                format!("{path} is missing"),
                "ship every template's file, with its header row when it has no rows",
            )),
            Some(bytes) => table(t, bytes, &mut r),
        }
    }
    for t in &cat.templates {
        if !r.reported.contains(&t.code) && !r.tables.of(&t.code).is_empty() {
            r.findings.push(blocking(
                "808",
                &t.code,
                format!("{} has rows but its filing indicator is not true", t.code),
                "report every template true",
            ));
        }
    }
    extraneous(c, cat, &mut r.findings);
    Ok(r)
}

/// The parts of a package name: subject (LEI.CON), country, reference date.
struct NameParts {
    subject: String,
    date: String,
}

fn name_parts(name: &str) -> Option<NameParts> {
    let stem = name.strip_suffix(".zip")?;
    let parts: Vec<&str> = stem.split('_').collect();
    let [subject, _country, _version, _module, date, _created] = parts.as_slice() else {
        return None;
    };
    Some(NameParts {
        subject: subject.to_string(),
        date: date.to_string(),
    })
}

fn check_name(name: &str, roots: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    let fix = "name it <LEI>.<CON|IND>_<country>_DORA010100_DORA_<reference date>_<yyyyMMddHHmmssSSS>.zip";
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        out.push(blocking(
            "104",
            name,
            "the package name has characters other than letters, digits, '-', '_' and '.'".into(),
            fix,
        ));
    }
    let stem = name.strip_suffix(".zip").unwrap_or(name);
    let parts: Vec<&str> = stem.split('_').collect();
    let shape_ok = match parts.as_slice() {
        [subject, country, version, module, date, created] => {
            subject_ok(subject)
                && country.len() == 2
                && country.bytes().all(|b| b.is_ascii_uppercase())
                && version.starts_with("DORA")
                && version.len() == 10
                && *module == "DORA"
                && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
                && created.len() == 17
                && created.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    if !shape_ok {
        out.push(blocking(
            "105",
            name,
            "the package name does not follow the DORA naming pattern".into(),
            fix,
        ));
    } else if parts.get(2) != Some(&MODULE_VERSION) {
        out.push(blocking(
            "106",
            name,
            format!(
                "module version {:?} is not the one in force ({MODULE_VERSION})",
                parts.get(2).copied().unwrap_or("")
            ),
            "build the package again with this version of Plumbline",
        ));
    }
    if roots.len() != 1 || roots.first().map(String::as_str) != Some(stem) {
        out.push(blocking(
            "103",
            name,
            format!(
                "the zip holds root folder(s) {roots:?}; it must hold exactly one, named {stem:?}"
            ),
            "zip exactly one folder named like the zip",
        ));
    }
    out
}

fn subject_ok(s: &str) -> bool {
    match s.split_once('.') {
        Some((lei, suffix)) => {
            crate::package::lei_like(lei) && (suffix == "CON" || suffix == "IND")
        }
        None => false,
    }
}

fn descriptors(c: &Contents, out: &mut Vec<Finding>) {
    let package = c.files.get("META-INF/reportPackage.json");
    let package_ok = package
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .is_some_and(|v| {
            v["documentInfo"]["documentType"] == "https://xbrl.org/report-package/2023"
        });
    if !package_ok {
        out.push(blocking(
            "103",
            "META-INF/reportPackage.json",
            "missing, or not a 2023 xBRL report package descriptor".into(),
            "let plumb register build write it",
        ));
    }
    let report = c
        .files
        .get("reports/report.json")
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
    let extends_ok = report.as_ref().is_some_and(|v| {
        v["documentInfo"]["documentType"] == "https://xbrl.org/2021/xbrl-csv"
            && v["documentInfo"]["extends"] == serde_json::json!([ENTRY_POINT])
    });
    if !extends_ok {
        out.push(blocking(
            "505",
            "reports/report.json",
            format!(
                "missing, not JSON, or not extending exactly the DORA 4.0 entry point {ENTRY_POINT}"
            ),
            "let plumb register build write it",
        ));
    }
}

/// Rows of a small CSV (parameters, filing indicators) as cells; `None` when it is not CSV.
fn records(bytes: &[u8]) -> Option<Vec<Vec<String>>> {
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    rd.records()
        .map(|r| r.ok().map(|r| r.iter().map(str::to_string).collect()))
        .collect()
}

/// The first reference date the DORA 4.0 module applies to (its `FromReferenceDate`).
fn first_reference_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap_or_default()
}

/// One of the package's own small CSV files: its rows, or a 701 finding when it is missing
/// or not CSV; a header other than `header` is reported by `header_rule`.
fn small_table(
    c: &Contents,
    file: &str,
    header: &str,
    header_rule: &str,
    out: &mut Vec<Finding>,
) -> Option<Vec<Vec<String>>> {
    let Some(rows) = c.files.get(file).and_then(|b| records(b)) else {
        out.push(blocking(
            "701",
            file,
            "missing or not CSV".into(),
            "let plumb register build write it",
        ));
        return None;
    };
    if rows.first().map(|h| h.join(",")).as_deref() != Some(header) {
        out.push(blocking(
            header_rule,
            file,
            format!("the header is not {header}"),
            &format!("start the file with {header}"),
        ));
    }
    Some(rows)
}

fn parameters(
    c: &Contents,
    name: Option<&NameParts>,
    out: &mut Vec<Finding>,
) -> Option<Parameters> {
    const FILE: &str = "reports/parameters.csv";
    let rows = small_table(c, FILE, "name,value", "723", out)?;
    let get = |k: &str| {
        rows.iter()
            .skip(1)
            .find(|r| r.first().map(String::as_str) == Some(k))
            .and_then(|r| r.get(1).cloned())
    };
    let mut names = BTreeSet::new();
    for (i, row) in rows.iter().enumerate().skip(1) {
        let name = row.first().cloned().unwrap_or_default();
        if !names.insert(name.clone()) {
            out.push(
                blocking(
                    "CSV-022",
                    FILE,
                    format!("parameter {name:?} is given twice"),
                    "give each parameter once",
                )
                .at(i, "name"),
            );
        }
    }
    let entity = get("entityID").unwrap_or_default();
    let (lei, consolidation) = match entity.strip_prefix("rs:").and_then(|e| e.split_once('.')) {
        Some((lei, "CON")) => (lei.to_string(), Some(Consolidation::Consolidated)),
        Some((lei, "IND")) => (lei.to_string(), Some(Consolidation::Individual)),
        _ => (String::new(), None),
    };
    if consolidation.is_none() {
        out.push(blocking(
            "514",
            FILE,
            format!("entityID {entity:?} is not rs:<LEI>.CON or rs:<LEI>.IND"),
            "write entityID as rs:<LEI of B_01.01>.CON (or .IND)",
        ));
    }
    let date = get("refPeriod").unwrap_or_default();
    match chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
        Err(_) => out.push(blocking(
            "320",
            FILE,
            format!("refPeriod {date:?} is not a YYYY-MM-DD date"),
            "write the reference date, e.g. 2025-12-31",
        )),
        Ok(d) if d < first_reference_date() => out.push(blocking(
            "EBA-DATE-001",
            FILE,
            format!(
                "reference date {date} is before {}, from which the DORA 4.0 module applies",
                first_reference_date()
            ),
            "report a reference date the module applies to (the 31 December of the year reported)",
        )),
        Ok(_) => {}
    }
    if let Some(n) = name {
        if n.date != date {
            out.push(blocking(
                "320",
                FILE,
                format!(
                    "refPeriod {date:?} differs from the package name's {:?}",
                    n.date
                ),
                "use one reference date in both",
            ));
        }
        if consolidation.is_some() && n.subject != entity.trim_start_matches("rs:") {
            out.push(blocking(
                "714",
                FILE,
                format!(
                    "entityID {entity:?} differs from the package name's {:?}",
                    n.subject
                ),
                "use one entity in both",
            ));
        }
    }
    let currency = get("baseCurrency").unwrap_or_default();
    let Some(cur) = currency.strip_prefix("iso4217:").filter(|c| c.len() == 3) else {
        out.push(blocking(
            "CSV-024",
            FILE,
            format!("baseCurrency {currency:?} is not iso4217:<code>"),
            "write e.g. iso4217:EUR",
        ));
        return None;
    };
    if get("decimalsInteger").as_deref() != Some("0") {
        out.push(blocking(
            "EBA-DEC-003",
            FILE,
            "decimalsInteger is not 0".into(),
            "write decimalsInteger,0",
        ));
    }
    let monetary_ok = get("decimalsMonetary")
        .and_then(|d| d.parse::<i32>().ok())
        .is_some_and(|d| d >= -4);
    if !monetary_ok {
        out.push(blocking(
            "EBA-DEC-001",
            FILE,
            "decimalsMonetary is missing or below -4".into(),
            "write decimalsMonetary,-3",
        ));
    }
    let consolidation = consolidation?;
    if !crate::package::lei_like(&lei) {
        out.push(blocking(
            "514",
            FILE,
            format!("entityID names {lei:?}, which is not an LEI"),
            "write entityID as rs:<LEI of B_01.01>.CON (or .IND)",
        ));
        return None;
    }
    Some(Parameters {
        entity: lei,
        consolidation,
        reference_date: date,
        currency: cur.to_string(),
        country: String::new(),
    })
}

fn indicators(c: &Contents, cat: &Catalogue, out: &mut Vec<Finding>) -> BTreeSet<String> {
    const FILE: &str = "reports/FilingIndicators.csv";
    let mut reported = BTreeSet::new();
    let Some(rows) = small_table(c, FILE, "templateID,reported", "702", out) else {
        return reported;
    };
    let mut seen = BTreeSet::new();
    for (i, r) in rows.iter().enumerate().skip(1) {
        let (code, value) = (
            r.first().cloned().unwrap_or_default(),
            r.get(1).cloned().unwrap_or_default(),
        );
        if cat.template(&code).is_none() {
            out.push(
                blocking(
                    "510",
                    FILE,
                    format!("{code:?} is not a DORA template code"),
                    "write codes as B_01.01 .. B_99.01",
                )
                .at(i, "templateID"),
            );
            continue;
        }
        if !seen.insert(code.clone()) {
            out.push(
                blocking(
                    "703",
                    FILE,
                    format!("{code} is declared twice"),
                    "declare each template once",
                )
                .at(i, "templateID"),
            );
        }
        match value.as_str() {
            "true" | "1" => {
                reported.insert(code);
            }
            "false" | "0" => {}
            _ => out.push(
                blocking(
                    "704",
                    FILE,
                    format!("{code}: {value:?} is not true or false"),
                    "write true",
                )
                .at(i, "reported"),
            ),
        }
    }
    for t in &cat.templates {
        if !seen.contains(&t.code) {
            out.push(blocking(
                "705",
                FILE,
                format!("{} has no filing indicator", t.code),
                "declare every template, reported true",
            ));
        }
    }
    reported
}

/// The most rows a package may hold in all: a register of 2,000 contracts has about 17,000;
/// past this a hostile package of tiny rows would cost far more memory than its bytes.
pub const MAX_ROWS: usize = 250_000;

fn table(t: &Template, bytes: &[u8], r: &mut Read) {
    let file = format!("reports/{}", t.file_name());
    if std::str::from_utf8(bytes).is_err() {
        r.findings.push(blocking(
            "306",
            &t.code,
            format!("{file} is not UTF-8"),
            "save it as UTF-8",
        ));
        return;
    }
    let mut rd = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let header: Vec<String> = match rd.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => {
            r.findings.push(blocking(
                "809",
                &t.code,
                format!("{file}: {e}"),
                "write comma-separated rows of equal length",
            ));
            return;
        }
    };
    let mut seen = BTreeSet::new();
    for h in &header {
        if !t.columns.iter().any(|c| &c.code == h) {
            r.findings.push(blocking(
                "801",
                &t.code,
                format!("header cell {h:?} is not a column of {}", t.code),
                "use the column codes of the template (c0010, ...)",
            ));
        } else if !seen.insert(h.clone()) {
            r.findings.push(blocking(
                "802",
                &t.code,
                format!("column {h} appears twice"),
                "write each column once",
            ));
        }
    }
    if header.iter().all(|h| h.is_empty()) {
        r.findings.push(blocking(
            "CSV-041",
            &t.code,
            format!("{file} has no header row"),
            "start the file with the template's column codes",
        ));
        return;
    }
    for c in &t.columns {
        if !header.contains(&c.code) {
            r.findings.push(blocking(
                "CSV-041",
                &t.code,
                format!("column {} is missing from the header", c.code),
                "write every column of the template in the header, empty where nothing is reported",
            ));
        }
    }
    for (i, rec) in rd.records().enumerate() {
        if r.tables.len() >= MAX_ROWS {
            r.findings.push(blocking(
                "809",
                &t.code,
                format!("more than {MAX_ROWS} rows in the package: not read further"),
                "split nothing: a register this large is not one Plumbline reads",
            ));
            return;
        }
        match rec {
            Ok(rec) => {
                let row: crate::tables::Row = header
                    .iter()
                    .cloned()
                    .zip(rec.iter().map(str::to_string))
                    .collect();
                for (col, v) in &row {
                    if v.trim() != v {
                        r.findings.push(blocking("CSV-SPACE", &t.code, format!("{v:?} has spaces around it; the authority compares values as filed"), "remove the spaces").at(i + 1, col));
                    }
                }
                r.tables.push_as_filed(&t.code, row);
            }
            Err(e) => {
                r.findings.push(blocking(
                    "809",
                    &t.code,
                    format!("row {}: {e}", i + 1),
                    "write rows of equal length, quoted as RFC 4180 says",
                ));
                return;
            }
        }
    }
}

fn extraneous(c: &Contents, cat: &Catalogue, out: &mut Vec<Finding>) {
    for path in c.files.keys() {
        let known = path == "META-INF/reportPackage.json"
            || path == "reports/report.json"
            || path == "reports/parameters.csv"
            || path == "reports/FilingIndicators.csv"
            || path == "reports/FootNotes.csv"
            || cat
                .templates
                .iter()
                .any(|t| *path == format!("reports/{}", t.file_name()));
        if !known {
            out.push(blocking(
                "720",
                path,
                format!("{path} is not a file of the DORA package"),
                "remove it (table files are lower case: b_01.01.csv)",
            ));
        }
    }
}
