//! `plumb register build|check|import|diff`: the register's package built from the model and
//! the register file, checked, imported and compared (`plumb_register`). Output only; every
//! decision is in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use plumb_register::finding::{Finding, Severity};
use plumb_register::tables::{Parameters, Tables};
use serde_json::json;

use crate::cli::Format;
use crate::output::{Failure, emit};

fn load_model(p: &Path) -> Result<plumb_model::Model, Failure> {
    plumb_model::load(p).map_err(|e| Failure::usage(format!("{}: {e}", p.display())))
}

fn is_register_file(p: &Path) -> bool {
    p.is_file()
        && p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// A register file turned into its tables, every gap listed.
fn derive(file: &Path, model: Option<&Path>) -> Result<(Parameters, Tables), Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let f = plumb_register::file::parse(&text)
        .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let m = model.map(load_model).transpose()?;
    plumb_register::derive::derive(&f, m.as_ref()).map_err(|errors| {
        Failure::usage(format!(
            "{}: the register cannot be built yet:\n  - {}",
            file.display(),
            errors.join("\n  - ")
        ))
        .hint("add what each line asks for to the register file or the model (docs/register.md)")
    })
}

/// The register to build: a register file derived with the model, or the tables of a folder
/// of the templates' CSV files (with its parameters.csv) or of a package, rebuilt as they are.
fn source(
    file: &Path,
    model: Option<&Path>,
    country: Option<&str>,
) -> Result<(Parameters, Tables), Failure> {
    if is_register_file(file) {
        let (mut p, t) = derive(file, model)?;
        if let Some(c) = country {
            p.country = c.to_string();
        }
        return Ok((p, t));
    }
    let l = load(file, model)?;
    let mut p = l.parameters.ok_or_else(|| {
        Failure::usage(format!(
            "{}: no usable parameters.csv (name,value with entityID, refPeriod, baseCurrency)",
            file.display()
        ))
    })?;
    if let Some(c) = country {
        p.country = c.to_string();
    }
    if !(p.country.len() == 2 && p.country.bytes().all(|b| b.is_ascii_uppercase())) {
        return Err(Failure::usage(
            "give --country CC: the authority's country for the package name (e.g. DE)",
        ));
    }
    Ok((p, l.tables))
}

/// What a package or register file holds, with the package's structural findings.
struct Loaded {
    parameters: Option<Parameters>,
    tables: Tables,
    findings: Vec<Finding>,
}

fn load(input: &Path, model: Option<&Path>) -> Result<Loaded, Failure> {
    if is_register_file(input) {
        let (p, t) = derive(input, model)?;
        return Ok(Loaded {
            parameters: Some(p),
            tables: t,
            findings: Vec::new(),
        });
    }
    let (contents, name) = plumb_register::package::load(input)
        .map_err(|e| Failure::usage(format!("{}: {e}", input.display())))?;
    let r = plumb_register::read::read(&contents, name.as_deref()).map_err(Failure::usage)?;
    Ok(Loaded {
        parameters: r.parameters,
        tables: r.tables,
        findings: r.findings,
    })
}

fn all_findings(
    l: &Loaded,
    model: Option<&Path>,
    store: Option<&Path>,
) -> Result<Vec<Finding>, Failure> {
    let mut f = l.findings.clone();
    f.extend(plumb_register::check::check(&l.tables).map_err(Failure::usage)?);
    if let Some(m) = model {
        let m = load_model(m)?;
        plumb_register::advice::with_model(&l.tables, &m, &mut f);
        if let Some(store) = store {
            let seen = plumb_incident::observed::observed_in(&mut crate::evidence::open(store)?)
                .map_err(|e| Failure::usage(e.to_string()))?;
            plumb_register::advice::with_evidence(&l.tables, &m, &seen, &mut f);
        }
    }
    Ok(f)
}

fn counts(f: &[Finding]) -> (usize, usize, usize) {
    let n = |s: Severity| f.iter().filter(|x| x.severity == s).count();
    (
        n(Severity::Blocking),
        n(Severity::Warning),
        n(Severity::Advice),
    )
}

fn text(f: &[Finding]) -> String {
    let mut o = String::new();
    for x in f {
        let sev = match x.severity {
            Severity::Blocking => "BLOCKS ",
            Severity::Warning => "warning",
            Severity::Advice => "advice ",
        };
        o.push_str(&format!(
            "{sev} {:<14} {}: {}\n        fix: {}\n",
            x.rule,
            x.place(),
            x.message,
            x.fix
        ));
    }
    let (b, w, a) = counts(f);
    o.push_str(&format!("{b} blocking, {w} warning(s), {a} advice\n"));
    o
}

fn write_sarif(path: Option<&PathBuf>, f: &[Finding], artifact: &str) -> Result<(), Failure> {
    if let Some(p) = path {
        let s = serde_json::to_string_pretty(&plumb_register::finding::sarif(f, artifact))
            .map_err(|e| Failure::usage(e.to_string()))?;
        crate::output::write_atomically(p, s.as_bytes())?;
    }
    Ok(())
}

/// `plumb register check`.
pub fn check(
    format: Format,
    input: &Path,
    model: Option<&Path>,
    store: Option<&Path>,
    sarif: Option<&PathBuf>,
) -> Result<ExitCode, Failure> {
    let l = load(input, model)?;
    let f = all_findings(&l, model, store)?;
    write_sarif(sarif, &f, &input.display().to_string())?;
    let (b, w, a) = counts(&f);
    emit(
        format,
        || text(&f),
        json!({"input": input.display().to_string(), "parameters": l.parameters, "blocking": b, "warnings": w, "advice": a, "rows": l.tables.len(), "findings": f}),
    )?;
    Ok(if b > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The creation time: given (RFC 3339), else now.
fn created(
    arg: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, Failure> {
    match arg {
        None => Ok(now),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| {
                Failure::usage(format!(
                    "--created {s:?} is not an RFC 3339 time (2026-01-15T09:30:00Z)"
                ))
            }),
    }
}

/// What `plumb register build` did, for `--record` and the output.
pub struct Built {
    /// Where the zip went.
    pub path: PathBuf,
    /// Its SHA-256.
    pub sha256: String,
    /// The findings on it, read back.
    pub findings: Vec<Finding>,
    /// Its parameters.
    pub parameters: Parameters,
    /// Its tables.
    pub tables: Tables,
}

/// Builds and writes a package, then checks what was written.
pub fn build_package(
    file: &Path,
    model: Option<&Path>,
    country: Option<&str>,
    out: &Path,
    created_at: chrono::DateTime<chrono::Utc>,
) -> Result<Built, Failure> {
    let (p, t) = source(file, model, country)?;
    let built = plumb_register::package::write(&p, &t, created_at).map_err(Failure::usage)?;
    std::fs::create_dir_all(out).map_err(|e| Failure::usage(format!("{}: {e}", out.display())))?;
    let path = out.join(&built.file_name);
    // A package already there is never replaced by different bytes: it may have been filed.
    if let Ok(there) = std::fs::read(&path) {
        if there != built.bytes {
            return Err(Failure::usage(format!(
                "{} exists with other content; it may have been filed: build with another --created or --out",
                path.display()
            )));
        }
    } else {
        crate::output::write_atomically(&path, &built.bytes)?;
    }
    let l = load(&path, model)?;
    let findings = all_findings(&l, model, None)?;
    Ok(Built {
        sha256: plumb_base::sha256_hex(&built.bytes),
        path,
        findings,
        parameters: p,
        tables: t,
    })
}

/// Records a built package (its digest, rows and check, the zip attached); its entry.
pub fn record_built(
    l: &mut plumb_ledger::Ledger,
    b: &Built,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, Failure> {
    let name = b
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let r =
        plumb_register::evidence::of(&name, &b.sha256, &b.parameters, &b.tables, &b.findings, now);
    plumb_register::evidence::record(l, &r, b.path.clone(), now)
        .map_err(|e| Failure::usage(e.to_string()))
}

/// `plumb register build`.
#[allow(clippy::too_many_arguments)]
pub fn build(
    format: Format,
    store: &Path,
    file: &Path,
    model: Option<&Path>,
    country: Option<&str>,
    out: &Path,
    created_arg: Option<&str>,
    record: bool,
    sarif: Option<&PathBuf>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ExitCode, Failure> {
    let b = build_package(file, model, country, out, created(created_arg, now)?)?;
    write_sarif(sarif, &b.findings, &b.path.display().to_string())?;
    let entry = if record {
        Some(record_built(&mut crate::evidence::open(store)?, &b, now)?)
    } else {
        None
    };
    let (bl, w, a) = counts(&b.findings);
    emit(
        format,
        || {
            let mut o = format!(
                "wrote {} ({} rows, sha256 {})\n",
                b.path.display(),
                b.tables.len(),
                b.sha256
            );
            o.push_str(&text(&b.findings));
            if let Some(e) = entry {
                o.push_str(&format!("recorded as entry {e}\n"));
            }
            if bl > 0 {
                o.push_str(
                    "the authority would reject this package: fix the blocking findings first\n",
                );
            }
            o
        },
        json!({"package": b.path.display().to_string(), "sha256": b.sha256, "rows": b.tables.len(), "blocking": bl, "warnings": w, "advice": a, "findings": b.findings, "entry": entry}),
    )?;
    Ok(if bl > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `plumb register import`.
pub fn import(
    format: Format,
    package: &Path,
    out: &Path,
    country: Option<&str>,
) -> Result<ExitCode, Failure> {
    if out.exists() {
        return Err(Failure::usage(format!(
            "{} exists; choose another --out",
            out.display()
        )));
    }
    let (contents, name) = plumb_register::package::load(package)
        .map_err(|e| Failure::usage(format!("{}: {e}", package.display())))?;
    let r = plumb_register::read::read(&contents, name.as_deref()).map_err(Failure::usage)?;
    let mut parameters = r.parameters.clone();
    if let Some(p) = &mut parameters {
        p.country = country
            .map(str::to_string)
            .or_else(|| {
                name.as_deref()
                    .and_then(|n| n.split('_').nth(1))
                    .map(str::to_string)
            })
            .unwrap_or_default();
    }
    let f = plumb_register::file::RegisterFile {
        format: plumb_register::file::FORMAT.into(),
        parameters,
        tables: r.tables.rows.clone(),
        ..Default::default()
    };
    let yaml = plumb_register::file::to_yaml(&f).map_err(Failure::usage)?;
    let header = format!(
        "# Imported by plumb register import from {}\n",
        package.display()
    );
    crate::output::write_atomically(out, format!("{header}{yaml}").as_bytes())?;
    let (b, w, _) = counts(&r.findings);
    emit(
        format,
        || {
            let mut o = format!(
                "wrote {} ({} rows from {} templates)\n",
                out.display(),
                r.tables.len(),
                r.tables.rows.len()
            );
            if f.parameters.is_none() {
                o.push_str("it has no usable parameters.csv: add parameters: (entity, consolidation, reference_date, currency, country) before building\n");
            }
            if b + w > 0 {
                o.push_str(&format!("the package itself had {b} blocking structural finding(s); plumb register check {} lists them\n", package.display()));
            }
            o
        },
        json!({"register": out.display().to_string(), "rows": r.tables.len(), "structural_findings": r.findings}),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `plumb register diff`.
pub fn diff(format: Format, a: &Path, b: &Path, model: Option<&Path>) -> Result<ExitCode, Failure> {
    let (la, lb) = (load(a, model)?, load(b, model)?);
    let d = plumb_register::diff::diff(&la.tables, &lb.tables).map_err(Failure::usage)?;
    emit(
        format,
        || plumb_register::diff::markdown(&d),
        json!({"a": a.display().to_string(), "b": b.display().to_string(), "changes": d}),
    )?;
    Ok(ExitCode::SUCCESS)
}
