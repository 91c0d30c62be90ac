//! An independent judge: the EBA filing-rule validator xbridge (PyPI `eba-xbridge`,
//! Apache-2.0, installed by `scripts/test`) accepts the demo bank's package with its EBA rules
//! on, and where it rejects a broken package, Plumbline's reader rejects it too.

use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{TimeZone, Utc};
use plumb_register::package::{read_zip, write};
use plumb_register::read::read;

fn python() -> String {
    let py = std::env::var("PLUMB_PYTHON").unwrap_or_else(|_| "python3".into());
    let found = Command::new(&py)
        .args(["-c", "import xbridge.validation"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "xbridge is missing from {py}: scripts/test installs eba-xbridge from PyPI (or set PLUMB_PYTHON)"
    );
    py
}

/// xbridge's verdict on a package: its exit status and the rule ids of its errors.
fn xbridge(zip: &Path) -> (bool, Vec<String>) {
    let o = Command::new(python())
        .args(["-m", "xbridge", "validate"])
        .arg(zip)
        .args(["--eba", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let mut errors = Vec::new();
    for section in v.as_object().into_iter().flat_map(|m| m.values()) {
        if let Some(e) = section["errors"].as_object() {
            errors.extend(e.keys().cloned());
        }
    }
    (o.status.success(), errors)
}

fn demo_zip(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let f = plumb_register::file::parse(
        &std::fs::read_to_string(root.join("examples/register/register.yaml")).unwrap(),
    )
    .unwrap();
    let m = plumb_model::load(&root.join("examples/model/bank.yaml")).unwrap();
    let (p, t) = plumb_register::derive::derive(&f, Some(&m)).unwrap();
    let built = write(&p, &t, Utc.with_ymd_and_hms(2026, 3, 20, 9, 0, 0).unwrap()).unwrap();
    let path = dir.join(&built.file_name);
    std::fs::write(&path, &built.bytes).unwrap();
    (path, built.bytes)
}

/// The package with one file's text changed, under the same name.
fn broken(
    dir: &Path,
    good: &[u8],
    name: &str,
    file: &str,
    from: &str,
    to: &str,
) -> std::path::PathBuf {
    let c = read_zip(good).unwrap();
    let root = name.trim_end_matches(".zip");
    let out = dir.join("broken").join(name);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let mut z = zip::ZipWriter::new(std::fs::File::create(&out).unwrap());
    for (path, bytes) in &c.files {
        z.start_file(
            format!("{root}/{path}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let text = if path == file {
            text.replacen(from, to, 1)
        } else {
            text
        };
        std::io::Write::write_all(&mut z, text.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    out
}

#[test]
fn xbridge_accepts_the_demo_package_and_agrees_on_broken_ones() {
    let d = tempfile::tempdir().unwrap();
    let (zip, bytes) = demo_zip(d.path());
    let (ok, errors) = xbridge(&zip);
    assert!(ok && errors.is_empty(), "xbridge: {errors:?}");
    let name = zip.file_name().unwrap().to_string_lossy().into_owned();
    for (file, from, to, theirs, ours) in [
        (
            "reports/b_02.01.csv",
            "SB-ICT-2023-001,",
            "SB-ICT-2023-001,extra,",
            "CSV-043",
            "809",
        ),
        (
            "reports/parameters.csv",
            "refPeriod,2025-12-31",
            "refPeriod,2025-12-3",
            "CSV-023",
            "320",
        ),
        (
            "reports/parameters.csv",
            "refPeriod,2025-12-31",
            "refPeriod,2024-12-31",
            "EBA-DATE-001",
            "EBA-DATE-001",
        ),
    ] {
        let bad = broken(d.path(), &bytes, &name, file, from, to);
        let (ok, errors) = xbridge(&bad);
        assert!(
            !ok && errors.iter().any(|e| e == theirs),
            "{theirs}: xbridge said {errors:?}"
        );
        let ours_said = read(
            &read_zip(&std::fs::read(&bad).unwrap()).unwrap(),
            Some(&name),
        )
        .unwrap();
        assert!(
            ours_said.findings.iter().any(|f| f.rule == ours),
            "{ours}: {:?}",
            ours_said
                .findings
                .iter()
                .map(|f| &f.rule)
                .collect::<Vec<_>>()
        );
    }
}
