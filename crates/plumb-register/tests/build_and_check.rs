//! The register built from the demo bank's model and register file: a package the EBA's
//! blocking checks and validation rules accept, the same bytes for the same inputs, that reads
//! back to the same tables. Then every check, each with a register that breaks it.

use chrono::{DateTime, TimeZone, Utc};
use plumb_register::finding::{Finding, Severity};
use plumb_register::package::{Contents, read_zip, write};
use plumb_register::read::read;
use plumb_register::tables::{Parameters, Row, Tables};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo() -> (Parameters, Tables) {
    let text = std::fs::read_to_string(root().join("examples/register/register.yaml")).unwrap();
    let f = plumb_register::file::parse(&text).unwrap();
    let m = plumb_model::load(&root().join("examples/model/bank.yaml")).unwrap();
    plumb_register::derive::derive(&f, Some(&m)).unwrap()
}

fn created() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 9, 0, 0).unwrap()
}

fn check(t: &Tables) -> Vec<Finding> {
    plumb_register::check::check(t).unwrap()
}

fn rules(f: &[Finding]) -> Vec<String> {
    f.iter().map(|x| x.rule.clone()).collect()
}

/// Whether `f` holds a finding of `rule` at `template`.
fn has(f: &[Finding], rule: &str, template: &str) -> bool {
    f.iter().any(|x| x.rule == rule && x.template == template)
}

#[test]
fn the_demo_bank_builds_a_package_the_eba_accepts() {
    let (p, t) = demo();
    let f = check(&t);
    assert!(f.is_empty(), "{f:#?}");
    // What the model gives: both providers, both contracts, every service type per function.
    assert_eq!(t.of("B_05.01").len(), 2);
    assert_eq!(t.of("B_02.01").len(), 2);
    let services: Vec<&str> = t
        .of("B_02.02")
        .iter()
        .map(|r| r["c0060"].as_str())
        .collect();
    assert!(services.contains(&"eba_TA:S17") && services.contains(&"eba_TA:S19"));
    assert!(
        t.of("B_02.02")
            .iter()
            .any(|r| r["c0050"] == "fn-payments" && r["c0030"] == "5299000CARDPR0C0EU62")
    );
    // RTO and RPO are whole hours, rounded up (payments' RPO is a quarter of an hour).
    let payments = t
        .of("B_06.01")
        .iter()
        .find(|r| r["c0010"] == "fn-payments")
        .unwrap();
    assert_eq!(
        (payments["c0080"].as_str(), payments["c0090"].as_str()),
        ("2", "1")
    );

    // The package: named as the authority expects; same inputs, same bytes.
    let a = write(&p, &t, created()).unwrap();
    let b = write(&p, &t, created()).unwrap();
    assert_eq!(a.bytes, b.bytes);
    assert_eq!(
        a.file_name,
        "5299000SMALLBANK0D95.IND_DE_DORA010100_DORA_2025-12-31_20260320090000000.zip"
    );
    let later = write(&p, &t, created() + chrono::Duration::milliseconds(1)).unwrap();
    assert_ne!(later.file_name, a.file_name);

    // Read back: no structural finding, the same tables, every template reported.
    let c = read_zip(&a.bytes).unwrap();
    let r = read(&c, Some(&a.file_name)).unwrap();
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.tables, t);
    assert_eq!(r.reported.len(), 15);
    let params = c.files["reports/parameters.csv"].clone();
    assert!(
        String::from_utf8(params)
            .unwrap()
            .contains("entityID,rs:5299000SMALLBANK0D95.IND\r\n")
    );
    // Every table file has its header even when empty, and CRLF line ends.
    let branches = String::from_utf8(c.files["reports/b_01.03.csv"].clone()).unwrap();
    assert_eq!(branches, "c0010,c0020,c0030,c0040\r\n");
}

#[test]
fn import_then_build_reproduces_the_tables() {
    let (p, t) = demo();
    let built = write(&p, &t, created()).unwrap();
    let r = read(&read_zip(&built.bytes).unwrap(), Some(&built.file_name)).unwrap();
    let file = plumb_register::file::RegisterFile {
        format: plumb_register::file::FORMAT.into(),
        parameters: Some(Parameters {
            country: "DE".into(),
            ..r.parameters.clone().unwrap()
        }),
        tables: r.tables.rows.clone(),
        ..Default::default()
    };
    let yaml = plumb_register::file::to_yaml(&file).unwrap();
    let again = plumb_register::file::parse(&yaml).unwrap();
    let (p2, t2) = plumb_register::derive::derive(&again, None).unwrap();
    let rebuilt = write(&p2, &t2, created()).unwrap();
    assert_eq!(
        rebuilt.bytes, built.bytes,
        "import then build gives the same package"
    );
}

/// The EBA's own sample package: it imports, its structure passes, its filler keys do not
/// resolve and each broken reference is reported by its rule; import → build gives its tables.
#[test]
fn the_eba_sample_imports_and_its_broken_references_are_named() {
    let Some(corpus) = plumb_testkit::corpus() else {
        return;
    };
    let dir = corpus.join("../reference/register-of-information/samples");
    let name = "DUMMYLEI123456789012.CON_FR_DORA010100_DORA_2024-12-31_20241213174803429.zip";
    let bytes = std::fs::read(dir.join(name)).unwrap();
    let r = read(&read_zip(&bytes).unwrap(), Some(name)).unwrap();
    // Its structure is sound; only its reference date predates the module it names.
    assert_eq!(rules(&r.findings), ["EBA-DATE-001"], "{:#?}", r.findings);
    assert_eq!(r.tables.len(), 29);
    let f = check(&r.tables);
    let broken: std::collections::BTreeSet<String> = f
        .iter()
        .filter(|x| x.rule == "807")
        .filter_map(|x| x.message.split(':').next().map(str::to_string))
        .collect();
    for rule in [
        "R1",
        "R2",
        "R5_B_01.02",
        "R9",
        "R14",
        "R19",
        "R20",
        "R21",
        "R22",
    ] {
        assert!(broken.contains(rule), "{rule} not in {broken:?}");
    }
    let p = r.parameters.clone().unwrap();
    assert_eq!(
        (p.entity.as_str(), p.reference_date.as_str()),
        ("DUMMYLEI123456789012", "2024-12-31")
    );
    let again = write(
        &Parameters {
            country: "FR".into(),
            ..p
        },
        &r.tables,
        Utc.with_ymd_and_hms(2024, 12, 13, 17, 48, 3).unwrap()
            + chrono::Duration::milliseconds(429),
    )
    .unwrap();
    assert_eq!(again.file_name, name);
    let back = read(&read_zip(&again.bytes).unwrap(), Some(name)).unwrap();
    assert_eq!(back.tables, r.tables);
}

/// A change that breaks a register.
type Breaks = Box<dyn Fn(&mut Tables)>;

fn first_mut<'a>(t: &'a mut Tables, template: &str) -> &'a mut Row {
    t.rows
        .get_mut(template)
        .and_then(|r| r.first_mut())
        .unwrap()
}

#[test]
fn each_blocking_table_check_has_a_register_that_breaks_it() {
    let (_, good) = demo();
    let cases: Vec<(&str, &str, Breaks)> = vec![
        (
            "805",
            "B_02.02",
            Box::new(|t| {
                first_mut(t, "B_02.02").remove("c0150");
            }),
        ),
        (
            "806",
            "B_05.01",
            Box::new(|t| {
                let r = t.of("B_05.01")[0].clone();
                t.rows.get_mut("B_05.01").unwrap().push(r);
            }),
        ),
        (
            "503",
            "B_02.02",
            Box::new(|t| {
                first_mut(t, "B_02.02").insert("c0060".into(), "Cloud services: IaaS".into());
            }),
        ),
        (
            "330",
            "B_02.02",
            Box::new(|t| {
                first_mut(t, "B_02.02").insert("c0070".into(), "01/02/2023".into());
            }),
        ),
        (
            "331",
            "B_02.02",
            Box::new(|t| {
                first_mut(t, "B_02.02").insert("c0100".into(), "90.5".into());
            }),
        ),
        (
            "305",
            "B_02.01",
            Box::new(|t| {
                first_mut(t, "B_02.01").insert("c0050".into(), "1,850,000 EUR".into());
            }),
        ),
        (
            "333",
            "B_03.01",
            Box::new(|t| {
                first_mut(t, "B_03.01").insert("c0030".into(), "yes".into());
            }),
        ),
        (
            "CSV-045",
            "B_02.01",
            Box::new(|t| {
                first_mut(t, "B_02.01").insert("c0030".into(), "#nil".into());
            }),
        ),
        (
            "801",
            "B_02.01",
            Box::new(|t| {
                first_mut(t, "B_02.01").insert("c9999".into(), "x".into());
            }),
        ),
        (
            "510",
            "B_08.01",
            Box::new(|t| {
                t.push("B_08.01", Row::new());
            }),
        ),
        (
            "724",
            "B_01.01",
            Box::new(|t| {
                t.rows.clear();
            }),
        ),
    ];
    for (rule, template, breaks) in cases {
        let mut t = good.clone();
        breaks(&mut t);
        let f = check(&t);
        assert!(
            has(&f, rule, template),
            "{rule} at {template}: {:?}",
            rules(&f)
        );
        let hit = f.iter().find(|x| x.rule == rule).unwrap();
        assert_eq!(hit.severity, Severity::Blocking, "{rule}");
        assert!(!hit.fix.is_empty());
    }
}

/// Every reference between templates (807, R1 to R22): a row whose reference names nothing is
/// reported with the reference's rule, at the referring template, row and column.
#[test]
fn every_foreign_key_is_checked() {
    let cat = plumb_register::catalogue::catalogue().unwrap();
    let (_, good) = demo();
    assert_eq!(cat.foreign_keys.len(), 22);
    for fk in &cat.foreign_keys {
        let mut t = good.clone();
        // A row of the referring template: the demo's first, or one made of its key columns.
        let template = cat.template(&fk.from_template).unwrap();
        let mut row = t.of(&fk.from_template).first().cloned().unwrap_or_else(|| {
            template
                .columns
                .iter()
                .map(|c| (c.code.clone(), "x".to_string()))
                .collect()
        });
        for c in &fk.from_columns {
            row.insert(c.clone(), "NOWHERE".into());
        }
        t.rows.insert(fk.from_template.clone(), vec![row]);
        let f = check(&t);
        let short = fk
            .rule
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches('_');
        assert!(
            f.iter().any(|x| x.rule == "807"
                && x.template == fk.from_template
                && x.row == Some(1)
                && x.message.starts_with(&format!("{short}:"))),
            "{}: {:?}",
            fk.rule,
            f.iter()
                .filter(|x| x.rule == "807")
                .map(|x| &x.message)
                .collect::<Vec<_>>()
        );
    }
}

/// Every active EBA validation rule: a row that breaks it draws a warning with its id.
#[test]
fn every_active_dpm_rule_has_a_row_that_breaks_it() {
    use plumb_register::rules::Demand;
    let cat = plumb_register::catalogue::catalogue().unwrap();
    let (_, good) = demo();
    let all = plumb_register::rules::rules().unwrap();
    assert_eq!(all.len(), 63);
    let active: Vec<_> = all.iter().filter(|r| r.active).collect();
    assert_eq!(active.len(), 55);
    for rule in active {
        let template = cat.template(&rule.template).unwrap();
        let mut row: Row = good.of(&rule.template).first().cloned().unwrap_or_else(|| {
            template
                .columns
                .iter()
                .map(|c| (c.code.clone(), "x".to_string()))
                .collect()
        });
        match &rule.demand {
            Demand::Required(cols) => {
                row.remove(&cols[0]);
            }
            Demand::RequiredIfAny(c, others) => {
                row.remove(c);
                row.insert(others[0].clone(), "x".into());
            }
            Demand::RequiredIfValue(c, on, values) => {
                row.remove(c);
                row.insert(on.clone(), values[0].clone());
            }
            Demand::RequiredUnlessValue(c, on, _) => {
                row.remove(c);
                row.insert(on.clone(), "eba_CT:x12".into());
            }
            Demand::NonNegative(c) => {
                row.insert(c.clone(), "-1".into());
            }
            Demand::LeiPattern(c) => {
                row.insert(c.clone(), "NOT-AN-LEI".into());
            }
            other => panic!(
                "{}: an active rule of kind {other:?} needs a case here",
                rule.id
            ),
        }
        let mut t = good.clone();
        t.rows.insert(rule.template.clone(), vec![row]);
        let f = check(&t);
        assert!(
            f.iter()
                .any(|x| x.rule == rule.id && x.severity == Severity::Warning && x.row == Some(1)),
            "{} ({}): {:?}",
            rule.id,
            rule.text,
            rules(&f)
        );
    }
}

#[test]
fn an_empty_core_template_is_reported() {
    let (_, mut t) = demo();
    t.rows.insert("B_06.01".into(), vec![]);
    let f = check(&t);
    assert!(
        f.iter()
            .any(|x| x.rule == "808" && x.template == "B_06.01" && x.severity == Severity::Warning)
    );
}

#[test]
fn identifiers_are_checked() {
    let (_, good) = demo();
    let mut t = good.clone();
    // One check digit off.
    first_mut(&mut t, "B_05.01").insert("c0110".into(), "5299000CLOUDC0EU0116".into());
    let f = check(&t);
    assert!(
        f.iter()
            .any(|x| x.rule == "LEI" && x.column.as_deref() == Some("c0110")),
        "{:?}",
        rules(&f)
    );
    let mut t = good.clone();
    let r = first_mut(&mut t, "B_05.01");
    r.insert("c0030".into(), "not an euid".into());
    r.insert("c0040".into(), "eba_qCO:qx2002".into());
    assert!(has(&check(&t), "EUID", "B_05.01"));
    r_ok_euid();
}

fn r_ok_euid() {
    let (_, mut t) = demo();
    let r = first_mut(&mut t, "B_05.01");
    r.insert("c0030".into(), "DEK1101R.HRB116737".into());
    r.insert("c0040".into(), "eba_qCO:qx2002".into());
    assert!(!has(&check(&t), "EUID", "B_05.01"));
}

#[test]
fn plumblines_cross_checks_advise() {
    let (_, good) = demo();
    // A service supporting a critical function without a substitutability assessment.
    let mut t = good.clone();
    t.rows.insert("B_07.01".into(), vec![]);
    let f = check(&t);
    assert!(
        f.iter()
            .any(|x| x.rule == "PLUMB-ROI-002" && x.severity == Severity::Advice)
    );
    // Against the model: a provider the model does not know, and one it has that the register lacks.
    let m = plumb_model::load(&root().join("examples/model/bank.yaml")).unwrap();
    let mut f = Vec::new();
    plumb_register::advice::with_model(&good, &m, &mut f);
    assert!(f.is_empty(), "{f:?}");
    let mut t = good.clone();
    first_mut(&mut t, "B_03.02").insert("c0020".into(), "5299000UNKNOWNPR0V00".into());
    first_mut(&mut t, "B_05.01").insert("c0010".into(), "5299000UNKNOWNPR0V00".into());
    let mut f = Vec::new();
    plumb_register::advice::with_model(&t, &m, &mut f);
    assert!(rules(&f).contains(&"PLUMB-ROI-001".to_string()), "{f:?}");
    assert!(rules(&f).contains(&"PLUMB-ROI-003".to_string()), "{f:?}");
}

/// Package structure: each defect is found, named by its check.
#[test]
fn each_structural_check_has_a_package_that_breaks_it() {
    let (p, t) = demo();
    let good = write(&p, &t, created()).unwrap();
    let name = good.file_name.clone();
    let base = read_zip(&good.bytes).unwrap();
    let edit = |f: &dyn Fn(&mut Contents)| {
        let mut c = Contents {
            roots: base.roots.clone(),
            files: base.files.clone(),
        };
        f(&mut c);
        c
    };
    let cases: Vec<(&str, Contents, &str)> = vec![
        (
            "103",
            edit(&|c| c.roots.push("other".into())),
            name.as_str(),
        ),
        (
            "103",
            edit(&|c| {
                c.files.remove("META-INF/reportPackage.json");
            }),
            name.as_str(),
        ),
        (
            "104",
            base_clone(&base),
            "5299000SMALLBANK0D95.IND_DE_DORA010100_DORA_2025-12-31_2026032009000000 0.zip",
        ),
        ("105", base_clone(&base), "register.zip"),
        (
            "106",
            base_clone(&base),
            "5299000SMALLBANK0D95.IND_DE_DORA010000_DORA_2025-12-31_20260320090000000.zip",
        ),
        (
            "505",
            edit(&|c| {
                c.files.insert("reports/report.json".into(), b"{\"documentInfo\":{\"documentType\":\"https://xbrl.org/2021/xbrl-csv\",\"extends\":[\"http://example.com/other.json\"]}}".to_vec());
            }),
            name.as_str(),
        ),
        (
            "701",
            edit(&|c| {
                c.files.remove("reports/parameters.csv");
            }),
            name.as_str(),
        ),
        (
            "723",
            edit(&|c| {
                replace(c, "reports/parameters.csv", "name,value", "key,value");
            }),
            name.as_str(),
        ),
        (
            "514",
            edit(&|c| {
                replace(c, "reports/parameters.csv", ".IND", "");
            }),
            name.as_str(),
        ),
        (
            "320",
            edit(&|c| {
                replace(
                    c,
                    "reports/parameters.csv",
                    "refPeriod,2025-12-31",
                    "refPeriod,2025-06-30",
                );
            }),
            name.as_str(),
        ),
        (
            "714",
            edit(&|c| {
                replace(c, "reports/parameters.csv", ".IND", ".CON");
            }),
            name.as_str(),
        ),
        (
            "702",
            edit(&|c| {
                replace(
                    c,
                    "reports/FilingIndicators.csv",
                    "templateID,reported",
                    "template,reported",
                );
            }),
            name.as_str(),
        ),
        (
            "703",
            edit(&|c| {
                replace(
                    c,
                    "reports/FilingIndicators.csv",
                    "B_99.01,true",
                    "B_99.01,true\r\nB_99.01,true",
                );
            }),
            name.as_str(),
        ),
        (
            "704",
            edit(&|c| {
                replace(
                    c,
                    "reports/FilingIndicators.csv",
                    "B_99.01,true",
                    "B_99.01,yes",
                );
            }),
            name.as_str(),
        ),
        (
            "705",
            edit(&|c| {
                replace(c, "reports/FilingIndicators.csv", "B_99.01,true\r\n", "");
            }),
            name.as_str(),
        ),
        (
            "510",
            edit(&|c| {
                replace(
                    c,
                    "reports/FilingIndicators.csv",
                    "B_99.01,true",
                    "b_99.01,true",
                );
            }),
            name.as_str(),
        ),
        (
            "808",
            edit(&|c| {
                c.files.remove("reports/b_01.03.csv");
            }),
            name.as_str(),
        ),
        (
            "808",
            edit(&|c| {
                replace(
                    c,
                    "reports/FilingIndicators.csv",
                    "B_02.01,true",
                    "B_02.01,false",
                );
            }),
            name.as_str(),
        ),
        (
            "720",
            edit(&|c| {
                c.files.insert("reports/notes.txt".into(), b"x".to_vec());
            }),
            name.as_str(),
        ),
        (
            "801",
            edit(&|c| {
                replace(c, "reports/b_02.01.csv", "c0050", "c0051");
            }),
            name.as_str(),
        ),
        (
            "802",
            edit(&|c| {
                replace(c, "reports/b_02.01.csv", "c0050", "c0040");
            }),
            name.as_str(),
        ),
        (
            "809",
            edit(&|c| {
                replace(
                    c,
                    "reports/b_02.01.csv",
                    "SB-ICT-2023-001,",
                    "SB-ICT-2023-001,extra,",
                );
            }),
            name.as_str(),
        ),
        (
            "306",
            edit(&|c| {
                c.files.insert(
                    "reports/b_01.03.csv".into(),
                    b"c0010,c0020,c0030,c0040\r\n\xff\xfe,x,y,z\r\n".to_vec(),
                );
            }),
            name.as_str(),
        ),
        (
            "CSV-022",
            edit(&|c| {
                replace(
                    c,
                    "reports/parameters.csv",
                    "decimalsInteger,0",
                    "decimalsInteger,0\r\ndecimalsInteger,0",
                );
            }),
            name.as_str(),
        ),
        (
            "CSV-024",
            edit(&|c| {
                replace(
                    c,
                    "reports/parameters.csv",
                    "baseCurrency,iso4217:EUR",
                    "baseCurrency,EUR",
                );
            }),
            name.as_str(),
        ),
        (
            "EBA-DEC-003",
            edit(&|c| {
                replace(
                    c,
                    "reports/parameters.csv",
                    "decimalsInteger,0",
                    "decimalsInteger,2",
                );
            }),
            name.as_str(),
        ),
        (
            "701",
            edit(&|c| {
                c.files.remove("reports/FilingIndicators.csv");
            }),
            name.as_str(),
        ),
        (
            "EBA-DATE-001",
            edit(&|c| {
                replace(
                    c,
                    "reports/parameters.csv",
                    "refPeriod,2025-12-31",
                    "refPeriod,2024-12-31",
                );
            }),
            name.as_str(),
        ),
        (
            "EBA-DEC-001",
            edit(&|c| {
                replace(
                    c,
                    "reports/parameters.csv",
                    "decimalsMonetary,-3",
                    "decimalsMonetary,-6",
                );
            }),
            name.as_str(),
        ),
    ];
    for (rule, contents, zip_name) in cases {
        let r = read(&contents, Some(zip_name)).unwrap();
        assert!(
            r.findings
                .iter()
                .any(|f| f.rule == rule && f.severity == Severity::Blocking),
            "{rule}: {:?}",
            rules(&r.findings)
        );
    }
}

fn base_clone(c: &Contents) -> Contents {
    Contents {
        roots: c.roots.clone(),
        files: c.files.clone(),
    }
}

fn replace(c: &mut Contents, file: &str, from: &str, to: &str) {
    let text = String::from_utf8(c.files[file].clone()).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    c.files
        .insert(file.into(), text.replacen(from, to, 1).into_bytes());
}

#[test]
fn hostile_packages_are_refused_with_a_reason() {
    let (p, t) = demo();
    let good = write(&p, &t, created()).unwrap();
    for (bytes, what) in [
        (b"not a zip at all".to_vec(), "not a zip"),
        (good.bytes[..good.bytes.len() / 2].to_vec(), "not a zip"),
        (Vec::new(), "not a zip"),
    ] {
        let e = read_zip(&bytes).unwrap_err();
        assert!(e.contains(what), "{e}");
    }
    // A path leaving the package.
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("../evil.csv", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut z, b"x").unwrap();
    let bytes = z.finish().unwrap().into_inner();
    assert!(
        read_zip(&bytes)
            .unwrap_err()
            .contains("outside the package")
    );
    // Too many entries.
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..300 {
        z.start_file(
            format!("p/reports/f{i}.csv"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
    }
    let bytes = z.finish().unwrap().into_inner();
    assert!(read_zip(&bytes).unwrap_err().contains("entries"));
}

#[test]
fn register_files_say_what_is_missing() {
    let text = std::fs::read_to_string(root().join("examples/register/register.yaml")).unwrap();
    let m = plumb_model::load(&root().join("examples/model/bank.yaml")).unwrap();
    // Wrong format, unknown key: refused at parse.
    assert!(
        plumb_register::file::parse(
            &text.replace("plumbline/register/v1", "plumbline/register/v9")
        )
        .unwrap_err()
        .contains("v9")
    );
    assert!(
        plumb_register::file::parse(
            &text.replace("    reliance: Full reliance", "    relaince: Full reliance")
        )
        .unwrap_err()
        .contains("relaince")
    );
    let mut f = plumb_register::file::parse(&text).unwrap();
    f.contracts.remove("ctr-cardproc");
    f.functions.remove("fn-ledger");
    f.providers.get_mut("prov-cloudco").unwrap().country = "Atlantis".into();
    f.contracts.get_mut("ctr-cloudco").unwrap().reliance = "somewhat".into();
    let errors = plumb_register::derive::derive(&f, Some(&m)).unwrap_err();
    let all = errors.join("\n");
    for expect in [
        "contract ctr-cardproc",
        "function fn-ledger",
        "providers.prov-cloudco.country",
        "contracts.ctr-cloudco.reliance",
    ] {
        assert!(all.contains(expect), "{expect} in {all}");
    }
    // A contract in the register the model does not have.
    let mut f = plumb_register::file::parse(&text).unwrap();
    let c = f.contracts["ctr-cloudco"].clone();
    f.contracts.insert("ctr-ghost".into(), c);
    assert!(
        plumb_register::derive::derive(&f, Some(&m))
            .unwrap_err()
            .join("\n")
            .contains("ctr-ghost")
    );
}

#[test]
fn closed_list_values_resolve_from_codes_short_codes_and_labels() {
    use plumb_register::codes::resolve;
    let cat = plumb_register::catalogue::catalogue().unwrap();
    assert_eq!(resolve(cat, "COUNTRY", "DE").unwrap(), "eba_GA:DE");
    assert_eq!(resolve(cat, "COUNTRY", "eba_GA:DE").unwrap(), "eba_GA:DE");
    assert_eq!(resolve(cat, "CURRENCY", "eur").unwrap(), "eba_CU:EUR");
    assert_eq!(
        resolve(cat, "ICT_SERVICE_TYPE", "S17").unwrap(),
        "eba_TA:S17"
    );
    assert_eq!(
        resolve(cat, "RELIANCE", "material reliance").unwrap(),
        "eba_ZZ:x796"
    );
    assert_eq!(
        resolve(cat, "ID_CODE_TYPE", "LEI").unwrap(),
        "eba_qCO:qx2000"
    );
    assert_eq!(
        resolve(cat, "ARRANGEMENT_TYPE", "standalone").unwrap(),
        "eba_CO:x1"
    );
    assert!(
        resolve(cat, "COUNTRY", "Atlantis")
            .unwrap_err()
            .contains("plumb register codes COUNTRY")
    );
    // "Low" is both a sensitivity and... within one list it must be unique.
    assert_eq!(resolve(cat, "SENSITIVENESS", "low").unwrap(), "eba_ZZ:x791");
}

#[test]
fn diff_names_what_changed() {
    let (_, a) = demo();
    let mut b = a.clone();
    first_mut(&mut b, "B_02.01").insert("c0050".into(), "1900000".into());
    b.rows.get_mut("B_05.01").unwrap().pop();
    let d = plumb_register::diff::diff(&a, &b).unwrap();
    assert_eq!(d[0].template, "B_02.01");
    assert_eq!(d[0].changed[0].1[0].after, "1900000");
    assert_eq!(d[1].template, "B_05.01");
    assert_eq!(d[1].removed, ["5299000CARDPR0C0EU62"]);
    let md = plumb_register::diff::markdown(&d);
    assert!(
        md.contains("removed: `5299000CARDPR0C0EU62`") && md.contains("`1850000` → `1900000`"),
        "{md}"
    );
    assert!(plumb_register::diff::diff(&a, &a).unwrap().is_empty());
}

#[test]
fn evidence_cross_checks_advise_on_providers_the_register_lacks() {
    let (_, good) = demo();
    let m = plumb_model::load(&root().join("examples/model/bank.yaml")).unwrap();
    let mut seen = plumb_model::drift::Observed::default();
    seen.deployments
        .insert("payments".into(), (3, "2026-01-10T10:00:00Z".into()));
    seen.components
        .insert(("payments".into(), "pkg:pypi/stripe@7.1.0".into()));
    let mut f = Vec::new();
    plumb_register::advice::with_evidence(&good, &m, &seen, &mut f);
    // Stripe's SDK ships in payments, and Stripe is no provider in the register; the
    // providers payments depends on are all listed.
    assert_eq!(rules(&f), ["PLUMB-ROI-004"], "{f:?}");
    assert!(f[0].message.contains("Stripe"));
    let mut t = good.clone();
    t.rows
        .get_mut("B_05.01")
        .unwrap()
        .retain(|r| r["c0010"] != "5299000CARDPR0C0EU62");
    let mut f = Vec::new();
    plumb_register::advice::with_evidence(&t, &m, &seen, &mut f);
    assert!(
        f.iter()
            .any(|x| x.rule == "PLUMB-ROI-005" && x.message.contains("prov-cardproc")),
        "{f:?}"
    );
}

#[test]
fn the_summary_shows_concentration_endings_and_chains() {
    let (_, mut t) = demo();
    let today = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
    let s = plumb_register::summary::summarise(&t, today, 90);
    assert_eq!(s.critical_functions, 4);
    // CloudCo carries three of the four critical functions, CardProc one.
    assert_eq!(s.providers[0].name, "CloudCo Europe");
    assert!(
        (s.providers[0].critical_share - 0.75).abs() < 1e-9,
        "{:?}",
        s.providers[0]
    );
    assert!(s.providers[0].services.iter().any(|x| x.starts_with("S17")));
    // The card processing agreement ends on 2027-03-31: 75 days after today.
    assert_eq!(s.ending.len(), 1);
    assert_eq!(
        (s.ending[0].contract.as_str(), s.ending[0].days),
        ("SB-ICT-2024-007", 75)
    );
    assert!(
        plumb_register::summary::summarise(&t, today, 30)
            .ending
            .is_empty()
    );
    // A subcontractor makes a chain.
    assert!(s.chains.is_empty());
    t.push(
        "B_05.02",
        [
            ("c0010", "SB-ICT-2024-007"),
            ("c0020", "eba_TA:S19"),
            ("c0030", "5299000CLOUDC0EU0115"),
            ("c0040", "eba_qCO:qx2000"),
            ("c0050", "2"),
            ("c0060", "5299000CARDPR0C0EU62"),
            ("c0070", "eba_qCO:qx2000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    );
    let s = plumb_register::summary::summarise(&t, today, 90);
    assert_eq!(s.chains.len(), 1);
    assert_eq!(
        s.chains[0].links.iter().map(|l| l.0).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(s.chains[0].links[1].2, "CloudCo Europe");
}

/// An unzipped package and a folder of the tables' CSV files (as a spreadsheet exports them)
/// read as the zip does.
#[test]
fn directories_read_like_the_zip() {
    let (p, t) = demo();
    let built = write(&p, &t, created()).unwrap();
    let c = read_zip(&built.bytes).unwrap();
    let d = tempfile::tempdir().unwrap();
    let (unzipped, csvs) = (d.path().join("pkg"), d.path().join("csv"));
    for (path, bytes) in &c.files {
        let to = unzipped.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, bytes).unwrap();
        if let Some(name) = path
            .strip_prefix("reports/")
            .filter(|n| n.starts_with("b_"))
        {
            std::fs::create_dir_all(&csvs).unwrap();
            std::fs::write(csvs.join(name), bytes).unwrap();
        }
    }
    let (contents, name) = plumb_register::package::load(&unzipped).unwrap();
    assert!(name.is_none());
    let r = read(&contents, None).unwrap();
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.tables, t);
    let (contents, _) = plumb_register::package::load(&csvs).unwrap();
    let r = read(&contents, None).unwrap();
    assert_eq!(r.tables, t);
    // Only the package's own files are missing, each said.
    assert!(r.parameters.is_none());
    assert!(
        r.findings.iter().any(|f| f.rule == "701"),
        "{:?}",
        rules(&r.findings)
    );
}

/// A provider with neither LEI nor EUID (an individual acting in a business capacity) is
/// identified by the code the register file gives it.
#[test]
fn an_individual_provider_takes_its_code_from_the_register_file() {
    let text = std::fs::read_to_string(root().join("examples/register/register.yaml")).unwrap();
    let model = std::fs::read_to_string(root().join("examples/model/bank.yaml"))
        .unwrap()
        .replace(
            "dora:lei: 5299000CARDPR0C0EU62",
            "dora:ict-provider-note: individual",
        );
    let m = plumb_model::read_bytes("bank.yaml", "yaml", model.as_bytes()).unwrap();
    let f = plumb_register::file::parse(&text).unwrap();
    let e = plumb_register::derive::derive(&f, Some(&m))
        .unwrap_err()
        .join("\n");
    assert!(
        e.contains("provider prov-cardproc") && e.contains("code_type"),
        "{e}"
    );
    let text = text.replace(
        "  prov-cardproc:\n    country: NL\n",
        "  prov-cardproc:\n    country: NL\n    code: NL-PASS-X1234567\n    code_type: Passport Number\n    person: Individual acting in a business capacity\n",
    );
    let f = plumb_register::file::parse(&text).unwrap();
    let (_, t) = plumb_register::derive::derive(&f, Some(&m)).unwrap();
    let row = t
        .of("B_05.01")
        .iter()
        .find(|r| r["c0010"] == "NL-PASS-X1234567")
        .unwrap();
    assert_eq!(
        (row["c0020"].as_str(), row["c0070"].as_str()),
        ("eba_qCO:qx2005", "eba_CT:x213")
    );
    assert!(
        t.of("B_02.02")
            .iter()
            .any(|r| r["c0030"] == "NL-PASS-X1234567" && r["c0040"] == "eba_qCO:qx2005")
    );
}

/// A zip of `files` (path, text) as a hostile sender would make it.
fn raw_zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, text) in files {
        z.start_file(*path, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut z, text.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// What the review of the first version found: each is now refused or reported.
#[test]
fn hostile_packages_cannot_pass_or_exhaust() {
    let (p, t) = demo();
    let good = write(&p, &t, created()).unwrap();
    let c = read_zip(&good.bytes).unwrap();
    let root = good.file_name.trim_end_matches(".zip").to_string();
    let files: Vec<(String, String)> = c
        .files
        .iter()
        .map(|(k, v)| (format!("{root}/{k}"), String::from_utf8(v.clone()).unwrap()))
        .collect();
    let as_refs = |extra: &[(&str, &str)], change: &dyn Fn(&str, &str) -> String| {
        let mut v: Vec<(String, String)> = files
            .iter()
            .map(|(k, t)| (k.clone(), change(k, t)))
            .collect();
        v.extend(extra.iter().map(|(a, b)| (a.to_string(), b.to_string())));
        v
    };
    let zip_of = |v: &[(String, String)]| {
        raw_zip(
            &v.iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect::<Vec<_>>(),
        )
    };
    let keep = |_: &str, t: &str| t.to_string();
    // A second root folder, found by the real reader.
    let two_roots = zip_of(&as_refs(
        &[("other/reports/b_01.01.csv", "c0010\r\n")],
        &keep,
    ));
    let r = read(&read_zip(&two_roots).unwrap(), Some(&good.file_name)).unwrap();
    assert!(
        rules(&r.findings).contains(&"103".to_string()),
        "{:?}",
        rules(&r.findings)
    );
    // The same file twice: refused, whichever copy a reader would take.
    // (The writer refuses to name a file twice, so the second name is patched in the bytes.)
    let mut twice = zip_of(&as_refs(
        &[(&format!("{root}/reports/b_02.0X.csv"), "c0010\r\n")],
        &keep,
    ));
    let (from, to) = (b"b_02.0X.csv", b"b_02.01.csv");
    let mut i = 0;
    while i + from.len() <= twice.len() {
        if &twice[i..i + from.len()] == from {
            twice[i..i + from.len()].copy_from_slice(to);
        }
        i += 1;
    }
    assert!(read_zip(&twice).unwrap_err().contains("twice"));
    // A value with spaces around it passes nothing, though it would resolve once trimmed.
    let spaced = zip_of(&as_refs(&[], &|k, t| {
        if k.ends_with("b_02.01.csv") {
            t.replacen("SB-ICT-2023-001", "SB-ICT-2023-001 ", 1)
        } else {
            t.to_string()
        }
    }));
    let r = read(&read_zip(&spaced).unwrap(), Some(&good.file_name)).unwrap();
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "CSV-SPACE" && f.column.as_deref() == Some("c0010")),
        "{:?}",
        rules(&r.findings)
    );
    assert!(
        check(&r.tables).iter().any(|f| f.rule == "807"),
        "the spaced reference does not resolve"
    );
    // A header without a declared column, and an empty file.
    let short = zip_of(&as_refs(&[], &|k, t| {
        if k.ends_with("b_02.01.csv") {
            t.replacen(",c0050", "", 1)
        } else if k.ends_with("b_01.03.csv") {
            String::new()
        } else {
            t.to_string()
        }
    }));
    let r = read(&read_zip(&short).unwrap(), Some(&good.file_name)).unwrap();
    let missing: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "CSV-041")
        .map(|f| f.template.clone())
        .collect();
    assert!(
        missing.contains(&"B_02.01".into()) && missing.contains(&"B_01.03".into()),
        "{missing:?}"
    );
    // Tiny rows by the hundred thousand: read up to the cap, then refused, never exhausting.
    let mut many = String::from("c0010,c0020,c0030\r\n");
    for i in 0..(plumb_register::read::MAX_ROWS + 10) {
        many.push_str(&format!("{i},x,true\r\n"));
    }
    let flood = zip_of(&as_refs(&[], &|k, t| {
        if k.ends_with("b_03.01.csv") {
            many.clone()
        } else {
            t.to_string()
        }
    }));
    let r = read(&read_zip(&flood).unwrap(), Some(&good.file_name)).unwrap();
    assert!(r.tables.len() <= plumb_register::read::MAX_ROWS);
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "809" && f.message.contains("rows")),
        "{:?}",
        rules(&r.findings)
    );
    // Findings are bounded per rule, with a count of the rest.
    let f = check(&r.tables);
    let refs: Vec<_> = f
        .iter()
        .filter(|x| x.rule == "807" && x.template == "B_03.01")
        .collect();
    assert_eq!(refs.len(), plumb_register::check::MAX_PER_RULE + 1);
    assert!(refs.iter().any(|x| x.message.contains("more finding(s)")));
    // An entity that is a path never makes a file name.
    let r = read(
        &read_zip(&zip_of(&as_refs(&[], &|k, t| {
            if k.ends_with("parameters.csv") {
                t.replace("rs:5299000SMALLBANK0D95.IND", "rs:/tmp/x.IND")
            } else {
                t.to_string()
            }
        })))
        .unwrap(),
        None,
    )
    .unwrap();
    assert!(r.parameters.is_none() && rules(&r.findings).contains(&"514".to_string()));
    let bad = Parameters {
        entity: "../../etc/x".into(),
        ..p.clone()
    };
    assert!(
        write(&bad, &t, created())
            .unwrap_err()
            .contains("not an LEI")
    );
    let bad = Parameters {
        reference_date: "2025-12-31\r\nx".into(),
        ..p
    };
    assert!(write(&bad, &t, created()).is_err());
}

#[test]
fn the_derivation_never_drops_what_it_cannot_place() {
    let text = std::fs::read_to_string(root().join("examples/register/register.yaml")).unwrap();
    let model = std::fs::read_to_string(root().join("examples/model/bank.yaml")).unwrap();
    let errors = |model: &str, text: &str| {
        let m = plumb_model::read_bytes("bank.yaml", "yaml", model.as_bytes()).unwrap();
        let f = plumb_register::file::parse(text).unwrap();
        plumb_register::derive::derive(&f, Some(&m))
            .err()
            .unwrap_or_default()
            .join("\n")
    };
    // A contract associated with both providers.
    let two = model.replace(
        "  - {id: rel-ctr-2, type: Association, source: prov-cardproc, target: ctr-cardproc}",
        "  - {id: rel-ctr-2, type: Association, source: prov-cardproc, target: ctr-cardproc}\n  - {id: rel-ctr-3, type: Association, source: prov-cloudco, target: ctr-cardproc}",
    );
    assert!(errors(&two, &text).contains("contract ctr-cardproc: associated with providers"));
    // A contract in the register whose provider the model does not associate.
    let none = model.replace(
        "  - {id: rel-ctr-2, type: Association, source: prov-cardproc, target: ctr-cardproc}\n",
        "",
    );
    assert!(errors(&none, &text).contains("contract ctr-cardproc: no ICT provider"));
    // A service naming something that is no provider.
    let stray = model.replace(
        "dora:provider: prov-cardproc, dora:ict-service-type: S19",
        "dora:provider: app-ledger, dora:ict-service-type: S19",
    );
    assert!(errors(&stray, &text).contains("ts-card-auth: dora:provider names \"app-ledger\""));
    // A subcontractor of a service the contract does not have; an amount that is no amount.
    let sub = text.replace(
        "  ctr-cardproc:\n",
        "  ctr-cardproc:\n    subcontractors:\n      - {provider: prov-cloudco, rank: 2, service: S01}\n",
    );
    assert!(
        errors(&model, &sub)
            .contains("subcontractors[0].service: S01 is not a service of this contract")
    );
    let cost = text.replace("annual_cost: \"640000\"", "annual_cost: \"640,000\"");
    assert!(errors(&model, &cost).contains("annual_cost: \"640,000\" is not an amount"));
    // Amounts are summed in hundredths, never in floating point.
    let exact = text
        .replace("annual_cost: \"640000\"", "annual_cost: \"0.20\"")
        .replace("annual_cost: \"1850000\"", "annual_cost: \"0.10\"");
    let m = plumb_model::read_bytes("bank.yaml", "yaml", model.as_bytes()).unwrap();
    let (_, t) =
        plumb_register::derive::derive(&plumb_register::file::parse(&exact).unwrap(), Some(&m))
            .unwrap();
    let cloud = t
        .of("B_05.01")
        .iter()
        .find(|r| r["c0010"] == "5299000CLOUDC0EU0115")
        .unwrap();
    assert_eq!(cloud["c0100"], "0.10");
    let card = t
        .of("B_05.01")
        .iter()
        .find(|r| r["c0010"] == "5299000CARDPR0C0EU62")
        .unwrap();
    assert_eq!(card["c0100"], "0.20");
}
