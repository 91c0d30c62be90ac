//! The xBRL-CSV report package the authority receives: one zip holding one root folder named
//! like the zip, with `META-INF/reportPackage.json`, `reports/report.json` (extending the DORA
//! 4.0 module), `parameters.csv`, `FilingIndicators.csv` and one CSV per template (UTF-8, comma,
//! CRLF, header of column codes). Written deterministically: the same register and creation
//! time give the same bytes (entries in a fixed order, every timestamp the creation time).
//! Read back into files by path, bounded, for `import` and `check`.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::catalogue::Catalogue;
use crate::tables::{Parameters, Tables};

/// The DORA 4.0 module's entry point, the one `report.json` extends.
pub const ENTRY_POINT: &str = "http://www.eba.europa.eu/eu/fr/xbrl/crr/fws/dora/4.0/mod/dora.json";
/// Framework code and module version (1.1.0) as the package name writes them.
pub const MODULE_VERSION: &str = "DORA010100";

const REPORT_PACKAGE: &str = "{\r\n  \"documentInfo\": {\r\n   \"documentType\": \"https://xbrl.org/report-package/2023\"\r\n  }\r\n}";

/// The most a package may hold uncompressed, and the largest zip read: a register of 2,000
/// contracts is 2 MB of tables, so this leaves room for the largest groups while a hostile
/// package cannot exhaust memory (rows are capped too, `read::MAX_ROWS`).
pub const MAX_PACKAGE_BYTES: u64 = 64 * 1024 * 1024;
/// The most files a package may hold.
const MAX_FILES: usize = 64;

/// A written package.
#[derive(Debug)]
pub struct Built {
    /// The file name, `<LEI>.<CON|IND>_<CC>_DORA010100_DORA_<date>_<17 digits>.zip`.
    pub file_name: String,
    /// The zip.
    pub bytes: Vec<u8>,
}

/// The package name without `.zip` (also its root folder).
pub fn stem(p: &Parameters, created: DateTime<Utc>) -> String {
    format!(
        "{}.{}_{}_{MODULE_VERSION}_DORA_{}_{}",
        p.entity,
        p.consolidation.suffix(),
        p.country,
        p.reference_date,
        created.format("%Y%m%d%H%M%S%3f")
    )
}

fn report_json() -> String {
    format!(
        "{{\r\n    \"documentInfo\": {{\r\n        \"documentType\": \"https://xbrl.org/2021/xbrl-csv\",\r\n        \"extends\": [\r\n            \"{ENTRY_POINT}\"\r\n        ]\r\n    }}\r\n}}"
    )
}

fn parameters_csv(p: &Parameters) -> String {
    format!(
        "name,value\r\nentityID,rs:{}.{}\r\nrefPeriod,{}\r\nbaseCurrency,iso4217:{}\r\ndecimalsInteger,0\r\ndecimalsMonetary,-3\r\n",
        p.entity,
        p.consolidation.suffix(),
        p.reference_date,
        p.currency
    )
}

fn filing_indicators(c: &Catalogue) -> String {
    let mut s = String::from("templateID,reported\r\n");
    for t in &c.templates {
        s.push_str(&t.code);
        s.push_str(",true\r\n");
    }
    s
}

/// One template's CSV: every column in catalogue order, the rows as given.
pub fn table_csv(t: &crate::catalogue::Template, tables: &Tables) -> Result<Vec<u8>, String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header: Vec<&str> = t.columns.iter().map(|c| c.code.as_str()).collect();
    w.write_record(&header).map_err(|e| e.to_string())?;
    for row in tables.of(&t.code) {
        w.write_record(
            t.columns
                .iter()
                .map(|c| row.get(&c.code).map(String::as_str).unwrap_or("")),
        )
        .map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// Every file of the package by its path under the root folder, in writing order.
pub fn files(p: &Parameters, tables: &Tables) -> Result<Vec<(String, Vec<u8>)>, String> {
    let c = crate::catalogue::catalogue()?;
    let mut out = vec![
        (
            "META-INF/reportPackage.json".to_string(),
            REPORT_PACKAGE.as_bytes().to_vec(),
        ),
        ("reports/report.json".into(), report_json().into_bytes()),
        (
            "reports/parameters.csv".into(),
            parameters_csv(p).into_bytes(),
        ),
        (
            "reports/FilingIndicators.csv".into(),
            filing_indicators(c).into_bytes(),
        ),
    ];
    for t in &c.templates {
        out.push((format!("reports/{}", t.file_name()), table_csv(t, tables)?));
    }
    Ok(out)
}

/// Whether `s` has the shape the package name and `entityID` give an LEI: 20 capitals and
/// digits (the check digits are checked with the register's other LEIs).
pub fn lei_like(s: &str) -> bool {
    s.len() == 20
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Checks the parameters that make the package's name and `parameters.csv`: an LEI-shaped
/// entity, a country and a currency code, a date. Anything else could put a path or a line
/// break where a name or a value belongs.
pub fn check_parameters(p: &Parameters) -> Result<(), String> {
    let upper = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_uppercase());
    if !lei_like(&p.entity) {
        return Err(format!(
            "parameters.entity {:?} is not an LEI (20 capitals and digits)",
            p.entity
        ));
    }
    if !upper(&p.country, 2) {
        return Err(format!(
            "parameters.country {:?} is not a country code such as DE",
            p.country
        ));
    }
    if !upper(&p.currency, 3) {
        return Err(format!(
            "parameters.currency {:?} is not a currency code such as EUR",
            p.currency
        ));
    }
    if p.reference_date.len() != 10
        || chrono::NaiveDate::parse_from_str(&p.reference_date, "%Y-%m-%d").is_err()
    {
        return Err(format!(
            "parameters.reference_date {:?} is not a date YYYY-MM-DD",
            p.reference_date
        ));
    }
    Ok(())
}

/// Writes the package.
pub fn write(p: &Parameters, tables: &Tables, created: DateTime<Utc>) -> Result<Built, String> {
    check_parameters(p)?;
    let root = stem(p, created);
    let time = zip::DateTime::from_date_and_time(
        u16::try_from(created.year()).map_err(|_| "creation year out of range")?,
        created.month() as u8,
        created.day() as u8,
        created.hour() as u8,
        created.minute() as u8,
        created.second() as u8,
    )
    .map_err(|e| format!("creation time cannot be written in a zip: {e}"))?;
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time)
        .unix_permissions(0o644);
    // Directories need the execute bit, or an unzipped package cannot be entered.
    let dir_opts = opts.unix_permissions(0o755);
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for dir in ["", "META-INF/", "reports/"] {
        z.add_directory(format!("{root}/{dir}"), dir_opts)
            .map_err(|e| e.to_string())?;
    }
    for (path, bytes) in files(p, tables)? {
        z.start_file(format!("{root}/{path}"), opts)
            .map_err(|e| e.to_string())?;
        z.write_all(&bytes).map_err(|e| e.to_string())?;
    }
    let bytes = z.finish().map_err(|e| e.to_string())?.into_inner();
    Ok(Built {
        file_name: format!("{root}.zip"),
        bytes,
    })
}

/// A package's files as read: the root folder and each file by its path under it.
#[derive(Debug, Default)]
pub struct Contents {
    /// The root folders seen (a valid package has exactly one).
    pub roots: Vec<String>,
    /// Files by path under the root (`reports/b_01.01.csv`).
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Reads a zip's files, refusing zip bombs, too many files and paths that leave the root.
pub fn read_zip(bytes: &[u8]) -> Result<Contents, String> {
    if bytes.len() as u64 > MAX_PACKAGE_BYTES {
        return Err(format!(
            "larger than {MAX_PACKAGE_BYTES} bytes: not a register"
        ));
    }
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a zip: {e}"))?;
    if z.has_duplicate_names() {
        return Err("the zip names a file twice; which copy counts would be ambiguous".into());
    }
    if z.len() > MAX_FILES * 2 {
        return Err(format!(
            "{} entries; a report package has about 25",
            z.len()
        ));
    }
    let mut out = Contents::default();
    let mut total = 0u64;
    for i in 0..z.len() {
        let mut f = z.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
        let name = f.name().map_err(|e| format!("entry {i}: {e}"))?.to_string();
        if name.contains("..") || name.starts_with('/') || name.contains('\\') {
            return Err(format!("entry {name:?}: a path outside the package"));
        }
        let (root, rest) = name.split_once('/').unwrap_or((name.as_str(), ""));
        if !out.roots.iter().any(|r| r == root) {
            out.roots.push(root.to_string());
        }
        if f.is_dir() || rest.is_empty() {
            continue;
        }
        let mut buf = Vec::new();
        let limit = MAX_PACKAGE_BYTES.saturating_sub(total) + 1;
        (&mut f)
            .take(limit)
            .read_to_end(&mut buf)
            .map_err(|e| format!("{name}: {e}"))?;
        total += buf.len() as u64;
        if total > MAX_PACKAGE_BYTES {
            return Err(format!(
                "more than {MAX_PACKAGE_BYTES} bytes uncompressed: not a register"
            ));
        }
        out.files.insert(rest.to_string(), buf);
    }
    Ok(out)
}

/// Reads a directory: an unzipped package (holding `reports/`) or a folder of the tables'
/// CSV files as a spreadsheet exports them (taken as `reports/`).
pub fn read_dir(dir: &std::path::Path) -> Result<Contents, String> {
    let mut out = Contents::default();
    let (base, prefix) = if dir.join("reports").is_dir() {
        (dir.to_path_buf(), "")
    } else {
        (dir.to_path_buf(), "reports/")
    };
    out.roots.push(
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let mut total = 0u64;
    for sub in ["", "META-INF", "reports"] {
        let d = base.join(sub);
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut names: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        names.sort();
        for p in names {
            if out.files.len() >= MAX_FILES {
                return Err(format!("{}: more than {MAX_FILES} files", dir.display()));
            }
            let meta =
                std::fs::symlink_metadata(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            if !meta.is_file() {
                continue;
            }
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let key = match sub {
                "" if prefix.is_empty() => continue,
                "" => format!("{prefix}{name}"),
                s => format!("{s}/{name}"),
            };
            let mut bytes = Vec::new();
            std::fs::File::open(&p)
                .and_then(|f| {
                    f.take(MAX_PACKAGE_BYTES - total + 1)
                        .read_to_end(&mut bytes)
                })
                .map_err(|e| format!("{}: {e}", p.display()))?;
            total += bytes.len() as u64;
            if total > MAX_PACKAGE_BYTES {
                return Err(format!(
                    "{}: more than {MAX_PACKAGE_BYTES} bytes",
                    dir.display()
                ));
            }
            out.files.insert(key, bytes);
        }
    }
    Ok(out)
}

/// Reads a package from a zip file or a directory: its contents and, for a zip, its name.
pub fn load(path: &std::path::Path) -> Result<(Contents, Option<String>), String> {
    if path.is_dir() {
        return Ok((read_dir(path)?, None));
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > MAX_PACKAGE_BYTES {
        return Err(format!(
            "{}: larger than {MAX_PACKAGE_BYTES} bytes",
            path.display()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    Ok((read_zip(&bytes)?, name))
}
