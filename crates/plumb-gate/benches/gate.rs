//! Gate benchmarks (reported, never asserted):
//!
//! ```sh
//! cargo bench -p plumb-gate --bench gate
//! ```
//!
//! A large input set (10,000-component CycloneDX SBOM, 20,000 SARIF results, 5,000 JUnit test
//! cases, a 50 MB LCOV file) through the whole evaluation, then policy evaluation alone on
//! 10,000 findings, then peak memory of the process.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use serde_json::json;

use plumb_gate::engine::{BASELINE, BASELINE_NAME, PolicySource};
use plumb_gate::{GateConfig, GateRequest, evaluate, policy_config};
use plumb_ingest::Kind;

fn sbom(n: usize) -> Vec<u8> {
    let comps: Vec<_> = (0..n).map(|i| json!({"type": "library", "name": format!("pkg-{i}"), "version": "1.0.0", "purl": format!("pkg:npm/pkg-{i}@1.0.0"), "bom-ref": format!("r{i}"), "licenses": [{"license": {"id": "MIT"}}]})).collect();
    let deps: Vec<_> = (0..n)
        .map(|i| json!({"ref": format!("r{i}"), "dependsOn": [format!("r{}", (i + 1) % n)]}))
        .collect();
    serde_json::to_vec(&json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"timestamp": "2026-11-20T10:00:00Z"}, "components": comps, "dependencies": deps})).unwrap()
}

fn sarif(n: usize) -> Vec<u8> {
    sarif_with(n, &["note", "warning", "warning", "note", "error"])
}

fn sarif_with(n: usize, levels: &[&str]) -> Vec<u8> {
    let results: Vec<_> = (0..n).map(|i| json!({"ruleId": format!("R{}", i % 50), "level": levels[i % levels.len()], "message": {"text": format!("finding {i}")},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": format!("src/m{}.py", i % 400)}, "region": {"startLine": i % 900 + 1}}}]})).collect();
    serde_json::to_vec(&json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep", "rules": []}}, "results": results}]})).unwrap()
}

fn junit(n: usize) -> Vec<u8> {
    let mut s = String::from("<testsuites><testsuite name=\"all\">");
    for i in 0..n {
        s.push_str(&format!(
            "<testcase classname=\"pkg.mod{}\" name=\"test_{i}\" time=\"0.01\"/>",
            i % 100
        ));
    }
    s.push_str("</testsuite></testsuites>");
    s.into_bytes()
}

fn lcov(bytes: usize) -> Vec<u8> {
    let mut s = String::with_capacity(bytes + 1024);
    let mut f = 0;
    while s.len() < bytes {
        s.push_str(&format!(
            "TN:\nSF:/src/project/module_{f}.c\nFN:1,10,fn_{f}\nFNDA:3,fn_{f}\n"
        ));
        for l in 1..=2000 {
            s.push_str(&format!("DA:{l},{}\n", (l * 7 + f) % 3));
        }
        s.push_str("LF:2000\nLH:1333\nend_of_record\n");
        f += 1;
    }
    s.into_bytes()
}

fn main() {
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 30, 0).unwrap();
    let inputs = vec![
        (Kind::Sbom, "sbom.json".to_string(), sbom(10_000)),
        (Kind::Sast, "semgrep.sarif".to_string(), sarif(20_000)),
        (Kind::Tests, "junit.xml".to_string(), junit(5_000)),
        (
            Kind::Coverage,
            "lcov.info".to_string(),
            lcov(50 * 1024 * 1024),
        ),
    ];
    let sizes: Vec<String> = inputs
        .iter()
        .map(|(_, n, b)| format!("{n} {:.1} MB", b.len() as f64 / 1e6))
        .collect();
    let config = GateConfig {
        system: Some("bench".into()),
        ..Default::default()
    };
    let req = GateRequest {
        config: config.clone(),
        inputs,
        waivers: vec![],
        policies: vec![],
        now,
        break_glass: None,
        origin: None,
    };
    let mut best = f64::MAX;
    let mut decision = None;
    for _ in 0..3 {
        let t = Instant::now();
        let d = evaluate(&req);
        best = best.min(t.elapsed().as_secs_f64());
        decision = Some(d);
    }
    let d = decision.unwrap();
    if std::env::var_os("PHASES").is_some() {
        for (k, n, b) in &req.inputs {
            let t = Instant::now();
            plumb_ingest::ingest(&[(*k, n.clone(), b.clone())]).unwrap();
            eprintln!("ingest {n}: {:.3} s", t.elapsed().as_secs_f64());
        }
    }
    println!(
        "## plumb gate on a large input set\n\ninputs: {}\n",
        sizes.join(", ")
    );
    println!("| measure | value |\n|---|---|");
    println!(
        "| end-to-end evaluation (ingest + waivers + policy), best of 3 | {:.3} s |",
        best
    );
    println!(
        "| result | {:?}, {} violations, {} findings |",
        d.result,
        d.violations.len(),
        d.findings.critical + d.findings.high + d.findings.medium + d.findings.other
    );

    // Policy evaluation alone on 10,000 findings (facts already parsed): with none blocking
    // (the usual case), and with 20% blocking (2,000 violations to build).
    let policies = vec![PolicySource {
        name: BASELINE_NAME.into(),
        text: BASELINE.into(),
    }];
    let cfg = policy_config(&config);
    for (label, levels) in [
        ("none blocking", &["note", "warning"][..]),
        (
            "2,000 blocking",
            &["note", "warning", "warning", "note", "error"][..],
        ),
    ] {
        let facts =
            plumb_ingest::ingest(&[(Kind::Sast, "s.sarif".into(), sarif_with(10_000, levels))])
                .unwrap();
        let mut input = serde_json::to_value(&facts).unwrap();
        input["now_unix"] = json!(now.timestamp());
        input["criticality"] = json!("none");
        let mut engine = plumb_gate::engine::PolicyEngine::new(&policies, &cfg, 60_000).unwrap();
        let (mut load, mut eval) = (Vec::new(), Vec::new());
        for _ in 0..5 {
            let t = Instant::now();
            engine.set_input(&input).unwrap();
            load.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            engine.eval().unwrap();
            eval.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        load.sort_by(f64::total_cmp);
        eval.sort_by(f64::total_cmp);
        println!(
            "| loading the input into the engine, 10,000 findings, {label} (median of 5) | {:.1} ms |",
            load[2]
        );
        println!(
            "| policy evaluation alone, 10,000 findings, {label} (median of 5) | {:.1} ms |",
            eval[2]
        );
    }
    println!(
        "| peak resident memory of the whole run | {:.0} MB |",
        plumb_testkit::peak_rss_mb()
    );
}
