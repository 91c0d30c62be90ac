//! Conformance over the real third-party files in `../shared/corpus/`: every file of a format
//! the gate reads is ingested and checked against its row in `tests/corpus.tsv` (the kind it is
//! read as; accept, reject with a clear error, incomplete scan, or either; and the numbers it
//! must give). Then facts that need more than a number are checked file by file.

use std::path::PathBuf;

use plumb_ingest::facts::{FindingKind, Outcome};
use plumb_ingest::severity::Severity;
use plumb_ingest::{Facts, IngestError, Kind, ingest};

fn corpus() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        p.join("SOURCES.md").exists(),
        "the conformance corpus is expected at {} (../shared beside the repository)",
        p.display()
    );
    p
}

fn kind_for(format: &str) -> Option<Kind> {
    Some(match format {
        "sarif" => Kind::Sast,
        "cyclonedx" | "spdx" => Kind::Sbom,
        "trivy" | "grype" | "osv" => Kind::Vulns,
        "gitleaks" | "detect-secrets" => Kind::Secrets,
        "junit" => Kind::Tests,
        "lcov" | "cobertura" => Kind::Coverage,
        _ => return None,
    })
}

fn read(kind: Kind, rel: &str) -> Result<Facts, IngestError> {
    let bytes = std::fs::read(corpus().join(rel)).unwrap();
    ingest(&[(kind, rel.to_string(), bytes)])
}

/// One row of `corpus.tsv`: a file, the kind it is read as, and what must come of it.
struct Expected {
    file: String,
    kind: Kind,
    outcome: String,
    /// Named numbers the facts must have (`findings`, `active`, ...), and `error`, a text the
    /// error must contain.
    facts: Vec<(String, String)>,
}

fn kind_named(name: &str) -> Kind {
    match name {
        "sast" => Kind::Sast,
        "sbom" => Kind::Sbom,
        "vulns" => Kind::Vulns,
        "secrets" => Kind::Secrets,
        "tests" => Kind::Tests,
        "coverage" => Kind::Coverage,
        other => panic!("corpus.tsv: unknown kind {other}"),
    }
}

/// The expectations table kept in the repository (`tests/corpus.tsv`).
fn expectations() -> Vec<Expected> {
    let text = include_str!("corpus.tsv");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("a header").split('\t').collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), header.len(), "corpus.tsv: {l}");
            Expected {
                file: cells[0].into(),
                kind: kind_named(cells[1]),
                outcome: cells[3].into(),
                facts: header[4..]
                    .iter()
                    .zip(&cells[4..])
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }
        })
        .collect()
}

/// The number a fact column names, read from the facts.
fn fact(f: &Facts, name: &str) -> u64 {
    let n = match name {
        "findings" => f.findings.len(),
        "active" => active(f),
        "components" => f.components.len(),
        "tests" => f.tests.as_ref().map_or(0, |t| t.total as usize),
        "passed" => f.tests.as_ref().map_or(0, |t| t.passed as usize),
        "failed" => f.tests.as_ref().map_or(0, |t| t.failed as usize),
        "lines" => f.coverage.as_ref().map_or(0, |c| c.lines_total as usize),
        "covered" => f.coverage.as_ref().map_or(0, |c| c.lines_covered as usize),
        "files" => f.coverage.as_ref().map_or(0, |c| c.files as usize),
        other => panic!("corpus.tsv: unknown fact column {other}"),
    };
    n as u64
}

/// What one file gave, against its row; `None` when it matches.
fn misread(e: &Expected, result: &Result<Facts, IngestError>) -> Option<String> {
    let error_text = e.facts.iter().find(|(k, _)| k == "error").map(|(_, v)| v);
    match (result, e.outcome.as_str()) {
        (Err(err), _) if err.message.is_empty() => Some("empty error".into()),
        (Err(err), "reject" | "either" | "incomplete") => match error_text {
            Some(t) if !err.message.contains(t.as_str()) => {
                Some(format!("rejected, but not with {t:?}: {err}"))
            }
            _ => None,
        },
        (Err(err), _) => Some(format!("rejected: {err}")),
        (Ok(_), "reject") => Some("accepted, but its row says it must be rejected".into()),
        (Ok(f), "incomplete") if f.scans.iter().all(|s| s.completed) => {
            Some("an unsuccessful tool run was read as a clean scan".into())
        }
        (Ok(f), _) => e
            .facts
            .iter()
            .filter(|(k, _)| k != "error")
            .find_map(|(k, v)| {
                let got = fact(f, k);
                (v.parse::<u64>().ok() != Some(got)).then(|| format!("{k} is {got}, expected {v}"))
            }),
    }
}

/// The files SOURCES.md lists for the formats the gate reads (its table's file column).
fn listed_files() -> std::collections::BTreeSet<String> {
    let md = std::fs::read_to_string(corpus().join("SOURCES.md")).unwrap();
    md.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() >= 9 && cells[2].starts_with('`') && kind_for(cells[1]).is_some())
                .then(|| cells[2].trim_matches('`').to_string())
        })
        .collect()
}

#[test]
fn every_corpus_file_has_the_outcome_its_row_states() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    let table = expectations();
    // A file added to the corpus must get a row here: none is skipped silently.
    let in_table: std::collections::BTreeSet<String> =
        table.iter().map(|e| e.file.clone()).collect();
    let unlisted: Vec<_> = listed_files().difference(&in_table).cloned().collect();
    assert!(
        unlisted.is_empty(),
        "corpus files without a row in corpus.tsv: {unlisted:?}"
    );
    let mut failures = Vec::new();
    for e in &table {
        let result = std::panic::catch_unwind(|| read(e.kind, &e.file));
        match result {
            Err(_) => failures.push(format!("{}: PANIC", e.file)),
            Ok(r) => {
                if let Some(why) = misread(e, &r) {
                    failures.push(format!("{} ({:?}): {why}", e.file, e.kind));
                }
            }
        }
    }
    assert!(
        table.len() > 200,
        "only {} corpus files checked",
        table.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} corpus files misread:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

fn active(f: &Facts) -> usize {
    f.findings.iter().filter(|x| x.suppressed.is_none()).count()
}

#[test]
fn sarif_facts() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    let f = read(Kind::Sast, "sarif/sarif-tutorials/Suppressions.sarif").unwrap();
    assert_eq!((f.findings.len(), active(&f)), (9, 3));
    let f = read(Kind::Sast, "sarif/sarif-tutorials/Baseline.sarif").unwrap();
    assert_eq!((f.findings.len(), active(&f)), (4, 3));
    let f = read(
        Kind::Sast,
        "sarif/sarif-tutorials/DefaultRuleConfiguration.sarif",
    )
    .unwrap();
    let levels: Vec<&str> = f.findings.iter().map(|x| x.raw_severity.as_str()).collect();
    assert_eq!(
        levels,
        ["error", "warning"],
        "level resolved through ruleIndex"
    );
    let f = read(
        Kind::Sast,
        "sarif/sarif-tutorials/ExceptionalConditions__One-run-with-results.sarif",
    )
    .unwrap();
    assert_eq!(f.findings[0].raw_severity, "warning");
    assert_eq!(f.findings[0].path, None);
    let f = read(
        Kind::Sast,
        "sarif/sarif-tutorials/3-Beyond-basics__message-from-metadata.sarif",
    )
    .unwrap();
    assert!(
        !f.findings[0].title.is_empty() && !f.findings[0].title.starts_with("(message"),
        "{}",
        f.findings[0].title
    );
    let f = read(
        Kind::Sast,
        "sarif/sarif-tutorials/ExceptionalConditions__Catastrophic-execution-error.sarif",
    )
    .unwrap();
    assert!(
        !f.scans[0].completed
            && f.scans[0]
                .problems
                .iter()
                .any(|p| p.contains("Out of memory"))
    );
    let f = read(Kind::Sast, "sarif/grype/TestSarifPresenter_directory.sarif").unwrap();
    assert_eq!(f.findings.len(), 2);
    assert!(f.findings.iter().all(
        |x| x.severity_source == "sarif security-severity" && x.kind == FindingKind::Dependency
    ));
    let f = read(
        Kind::Secrets,
        "gitleaks/gitleaks/expected__report__sarif_simple.sarif",
    )
    .unwrap();
    assert_eq!(
        (f.findings.len(), f.findings[0].kind, f.findings[0].severity),
        (1, FindingKind::Secret, Severity::High)
    );
}

#[test]
fn sbom_and_vulnerability_facts() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    let f = read(Kind::Sbom, "cyclonedx/bom-examples/juice-shop.bom.1.4.json").unwrap();
    assert_eq!(
        (f.components.len(), f.sboms[0].spec_version.as_str()),
        (1115, "1.4")
    );
    assert_eq!(f.dependencies.len(), f.sboms[0].dependencies);
    assert!(
        f.dependencies
            .iter()
            .any(|d| d.from.starts_with("pkg:npm/")),
        "edges are named by purl"
    );
    let f = read(Kind::Sbom, "cyclonedx/bom-examples/laravel.bom.1.4.json").unwrap();
    assert_eq!(f.components.len(), 62);
    let f = read(Kind::Vulns, "cyclonedx/bom-examples/vex-case2.json").unwrap();
    assert_eq!(
        (f.findings.len(), active(&f)),
        (19, 0),
        "VEX not_affected marks every finding inactive"
    );
    let e = read(Kind::Sbom, "cyclonedx/bom-examples/keycloak.bom.1.2.json").unwrap_err();
    assert!(
        e.message.contains("unsupported CycloneDX specVersion 1.2"),
        "{e}"
    );
    let e = read(
        Kind::Sbom,
        "cyclonedx/specification-1.6/invalid-hash-sha256-1.6.json",
    )
    .unwrap_err();
    assert!(e.message.contains("SHA-256"), "{e}");
    let f = read(Kind::Sbom, "trivy/trivy/npm-cyclonedx-1.6.json").unwrap();
    assert_eq!(f.components.len(), 13);
    assert_eq!(
        f.findings[0].severity,
        Severity::Medium,
        "highest of 10 medium and 1 low ratings"
    );
    let f = read(
        Kind::Sbom,
        "spdx/tools-python/SPDXJSONExample-v2.3.spdx.json",
    )
    .unwrap();
    assert_eq!(f.components.len(), 4);
    let e = read(
        Kind::Sbom,
        "spdx/tools-python/invalid__spdx-trivy-vmware_log-intelligence-fluentd.json",
    )
    .unwrap_err();
    assert!(e.message.contains("downloadLocation"), "{e}");
    let e = read(
        Kind::Sbom,
        "spdx/tools-python/SPDXJSONExample-UTF-16.spdx.json",
    )
    .unwrap_err();
    assert!(e.message.contains("UTF-16"), "{e}");

    let f = read(Kind::Vulns, "trivy/trivy/alpine-310.json").unwrap();
    assert_eq!(f.findings.len(), 4);
    assert!(
        f.findings
            .iter()
            .all(|x| x.severity == Severity::Medium && !x.fixed_versions.is_empty())
    );
    let f = read(Kind::Vulns, "trivy/trivy/dockerfile.json").unwrap();
    assert_eq!(
        (f.findings.len(), f.findings[0].kind, f.findings[0].severity),
        (1, FindingKind::Misconfiguration, Severity::High)
    );
    let f = read(Kind::Vulns, "trivy/trivy/cargo.lock.json").unwrap();
    assert_eq!((f.findings.len(), f.components.len()), (0, 7));
    let f = read(Kind::Vulns, "grype/grype/TestJsonDirsPresenter.json").unwrap();
    let crit = f
        .findings
        .iter()
        .find(|x| x.severity == Severity::Critical)
        .unwrap();
    assert!(
        crit.fixed_versions.is_empty(),
        "an empty fix state is not fixed"
    );
    assert_eq!(
        f.findings
            .iter()
            .filter(|x| x.severity == Severity::Low)
            .count(),
        1
    );
    let f = read(Kind::Vulns, "osv/osv-scanner/test-vuln-results-a.json").unwrap();
    assert_eq!(
        f.findings.len(),
        2,
        "aliases grouped into one vulnerability"
    );
    let f = read(Kind::Vulns, "osv/osv-scanner/results-some.json").unwrap();
    assert_eq!(f.findings[0].vulnerability.as_deref(), Some("GO-2021-0053"));
    assert!(f.findings[0].aliases.contains(&"CVE-2021-3121".to_string()));
}

#[test]
fn secrets_tests_and_coverage_facts() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    let f = read(
        Kind::Secrets,
        "gitleaks/gitleaks/expected__report__json_simple.json",
    )
    .unwrap();
    assert_eq!(f.findings.len(), 1);
    assert!(
        !serde_json::to_string(&f).unwrap().contains("a secret"),
        "secret text never reaches the facts"
    );
    let f = read(
        Kind::Secrets,
        "gitleaks/gitleaks/expected__report__empty.json",
    )
    .unwrap();
    assert_eq!((f.findings.len(), f.scans.len()), (0, 1));
    assert!(read(Kind::Secrets, "gitleaks/gitleaks/baseline__baseline.csv").is_err());
    let f = read(
        Kind::Secrets,
        "detect-secrets/detect-secrets/detect-secrets.baseline.json",
    )
    .unwrap();
    assert_eq!((f.findings.len(), active(&f)), (16, 16));

    let t = |rel: &str| read(Kind::Tests, rel).unwrap().tests.unwrap();
    let n = t("junit/action-junit-report/nested__junit.xml");
    assert_eq!((n.total, n.failed), (5, 3));
    let m = t("junit/action-junit-report/mocha__mocha.xml");
    assert_eq!(m.total, 1, "counted from testcases, not the header");
    let all_fail = t("junit/action-junit-report/flaky_retries__flaky_all_failures.xml");
    assert_eq!((all_fail.total, all_fail.passed), (1, 0));
    let final_pass = t("junit/action-junit-report/flaky_retries__flaky_with_classname_file.xml");
    assert!(
        final_pass
            .cases
            .iter()
            .any(|c| c.flaky && c.outcome == Outcome::Passed)
    );
    let first_pass = t("junit/action-junit-report/flaky_retries__flaky_success_first.xml");
    assert_eq!(
        first_pass.passed, 0,
        "the last attempt decides: a pass followed by failures is not a pass"
    );
    let marathon = t("junit/action-junit-report/junit_flaky_failure__marathon_junit_report.xml");
    assert_eq!((marathon.passed, marathon.flaky), (marathon.total, 1));
    let disabled = t("junit/action-junit-report/issues__testFailedDisabled.xml");
    assert!(disabled.failed >= 1, "failure wins over status=disabled");
    let empty = t("junit/action-junit-report/cunit__testEmpty.xml");
    assert_eq!(empty.total, 0);
    let e = read(
        Kind::Tests,
        "junit/action-junit-report/corrupt-junit__TEST-test.CorruptTest.xml",
    )
    .unwrap_err();
    assert!(e.line.is_some() || e.message.contains("truncated"), "{e}");

    let c = read(Kind::Coverage, "cobertura/coveragepy/x_xml__coverage.xml")
        .unwrap()
        .coverage
        .unwrap();
    assert_eq!((c.lines_total, c.lines_covered), (3, 2));
    let c = read(Kind::Coverage, "cobertura/cobertura-action/test-python.xml")
        .unwrap()
        .coverage
        .unwrap();
    assert_eq!((c.lines_total, c.lines_covered, c.percent), (10, 9, 90.0));
    let c = read(
        Kind::Coverage,
        "cobertura/cobertura-action/test-istanbul.xml",
    )
    .unwrap()
    .coverage
    .unwrap();
    assert_eq!((c.lines_total, c.lines_covered), (51, 51));
    let e = read(
        Kind::Coverage,
        "cobertura/coveragepy/testing__xml__output.xml",
    )
    .unwrap_err();
    assert!(
        e.message
            .contains("root element is the_root, expected coverage"),
        "{e}"
    );
    let f = read(Kind::Coverage, "lcov/lcov-rs/report.info").unwrap();
    assert_eq!(f.coverage.as_ref().unwrap().files, 4);
    let c = read(Kind::Coverage, "lcov/lcov-rs/report.init.info")
        .unwrap()
        .coverage
        .unwrap();
    assert_eq!(c.files, 5);
    assert!(read(Kind::Coverage, "lcov/lcov-rs/report_checksum.info").is_ok());
}
