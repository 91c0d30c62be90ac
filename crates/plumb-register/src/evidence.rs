//! The register-package record (`plumb_records::register`), written and read here only: a
//! built package's digest, its tables' sizes and its check result, signed by the store key.

use chrono::{DateTime, Utc};
use plumb_ledger::{Ledger, RecordRequest};
use plumb_records::Record;
use plumb_records::register::{PackageFinding, RegisterPackage};

use crate::finding::{Finding, Severity};
use crate::tables::{Parameters, Tables};

/// The most findings a record keeps (its counts are always complete).
const MAX_FINDINGS: usize = 500;

/// The record of a package.
pub fn of(
    file_name: &str,
    sha256: &str,
    p: &Parameters,
    t: &Tables,
    findings: &[Finding],
    now: DateTime<Utc>,
) -> RegisterPackage {
    let n = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    RegisterPackage {
        file_name: file_name.to_string(),
        sha256: sha256.to_string(),
        entity: p.entity.clone(),
        consolidation: p.consolidation.suffix().to_string(),
        reference_date: p.reference_date.clone(),
        built_at: now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        rows: t.rows.iter().map(|(k, v)| (k.clone(), v.len())).collect(),
        blocking: n(Severity::Blocking),
        warnings: n(Severity::Warning),
        advice: n(Severity::Advice),
        findings: findings
            .iter()
            .take(MAX_FINDINGS)
            .map(|f| PackageFinding {
                rule: f.rule.clone(),
                severity: serde_json::to_value(f.severity)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                place: f.place(),
                message: f.message.clone(),
            })
            .collect(),
    }
}

/// Records a package (the zip attached as a blob, so an auditor can download what was filed).
pub fn record(
    l: &mut Ledger,
    r: &RegisterPackage,
    zip: std::path::PathBuf,
    now: DateTime<Utc>,
) -> Result<u64, plumb_ledger::Error> {
    let (index, _) = l.record(
        RecordRequest {
            subjects: vec![plumb_ledger::statement::Subject {
                name: r.file_name.clone(),
                digest: [("sha256".to_string(), r.sha256.clone())].into(),
            }],
            predicate_type: RegisterPackage::PREDICATE_TYPE.into(),
            predicate: r.to_predicate(),
            system: None,
            run: None,
            attachments: vec![zip],
        },
        now,
    )?;
    Ok(index)
}

/// The latest package the store key recorded, with its entry index.
pub fn latest(l: &mut Ledger) -> Result<Option<(u64, RegisterPackage)>, plumb_ledger::Error> {
    let entries = l.query(&plumb_ledger::store::Query {
        predicate_type: Some(RegisterPackage::PREDICATE_TYPE.into()),
        ..Default::default()
    })?;
    for i in entries.into_iter().rev() {
        if let Some(p) = l.store_signed_predicate(i, RegisterPackage::PREDICATE_TYPE)?
            && let Ok(r) = RegisterPackage::from_predicate(&p)
        {
            return Ok(Some((i, r)));
        }
    }
    Ok(None)
}
