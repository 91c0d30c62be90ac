//! `plumb metrics` through the binary, on the demo's history: the measures, the trend, the
//! explanation behind the numbers, CSV, and clear refusals.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn plumb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["--now", "2026-11-30T12:00:00Z"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_demo_history_gives_measures_that_explain_themselves() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("demo");
    let o = plumb(&["demo", "--dir", s(&dir), "--no-serve", "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let store = dir.join("store");
    let o = plumb(&[
        "--store",
        s(&store),
        "--format",
        "json",
        "metrics",
        "--period",
        "2026-10-01..2026-11-30",
        "--granularity",
        "week",
        "--explain",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let m = &v["measures"];
    let deployments = m["deployment_frequency"]["deployments"].as_u64().unwrap();
    assert!(deployments > 40, "{m}");
    // Every deployment behind the numbers is listed, and the counts agree with the list.
    let behind = m["deployments"].as_array().unwrap();
    assert_eq!(behind.len() as u64, deployments);
    let failed = behind
        .iter()
        .filter(|b| !b["failed_because"].as_array().unwrap().is_empty())
        .count() as u64;
    assert_eq!(m["change_failure"]["failed"].as_u64(), Some(failed));
    let unplanned = behind.iter().filter(|b| b["unplanned"] == true).count() as u64;
    assert_eq!(m["rework"]["unplanned"].as_u64(), Some(unplanned));
    assert_eq!(unplanned, 2, "the demo's rollback and fix-forward");
    // The rolled-back identity deployment names its rollback and recovered 40 minutes later.
    let rolled = behind
        .iter()
        .find(|b| {
            b["failed_because"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().contains("(rollback)"))
        })
        .expect("the rollback is explained");
    assert_eq!(rolled["system"], "identity");
    let h = rolled["recovered_after_hours"].as_f64().unwrap();
    assert!((h - 40.0 / 60.0).abs() < 1e-6, "{h}");
    assert!(m["lead_time"]["median_hours"].as_f64().unwrap() > 0.0);
    // A weekly trend that covers the period.
    let trend = v["trend"].as_array().unwrap();
    assert!(trend.len() >= 9, "{}", trend.len());
    let in_trend: u64 = trend
        .iter()
        .map(|b| {
            b["measures"]["deployment_frequency"]["deployments"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(in_trend, deployments, "the buckets add up to the period");

    // CSV: a header, the period, one row per bucket.
    let o = plumb(&[
        "--store",
        s(&store),
        "metrics",
        "--period",
        "2026-Q4",
        "--granularity",
        "month",
        "--csv",
    ]);
    assert!(o.status.success());
    let csv = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("bucket,from,to,deployments"));
    assert!(lines[1].starts_with("period,2026-10-01T00:00:00Z,2027-01-01T00:00:00Z,"));
    assert_eq!(lines.len(), 2 + 3);

    // An auditor reproduces the numbers offline from an evidence pack of the store: the same
    // bytes, explanation included.
    let pack = d.path().join("all.tar");
    assert!(
        plumb(&["--store", s(&store), "export", "--out", s(&pack)])
            .status
            .success()
    );
    let args = [
        "metrics",
        "--period",
        "2026-10-01..2026-11-30",
        "--granularity",
        "week",
        "--explain",
    ];
    let mut from_store = vec!["--store", s(&store), "--format", "json"];
    from_store.extend(args);
    let key = dir.join("signing.pub");
    let mut from_pack = vec!["--format", "json"];
    from_pack.extend(args);
    from_pack.extend(["--pack", s(&pack), "--trusted-key", s(&key)]);
    let (a, b) = (plumb(&from_store), plumb(&from_pack));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert_eq!(a.stdout, b.stdout, "the same numbers from the pack");
    // A pack that does not verify gives no numbers.
    let mut bytes = std::fs::read(&pack).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&pack, &bytes).unwrap();
    assert_eq!(plumb(&from_pack).status.code(), Some(2));

    // A team: the systems whose components the model says it owns.
    let model = dir.join("bank.yaml");
    let o = plumb(&[
        "--store",
        s(&store),
        "--format",
        "json",
        "metrics",
        "--model",
        s(&model),
        "--team",
        "@smallbank/platform",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["systems"], serde_json::json!(["core-ledger", "identity"]));

    // Clear refusals.
    for (args, says) in [
        (vec!["metrics", "--period", "2026-Q5"], "not a quarter"),
        (
            vec!["metrics", "--granularity", "hour"],
            "not day, week or month",
        ),
    ] {
        let mut all = vec!["--store", s(&store)];
        all.extend(args);
        let o = plumb(&all);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains(says), "{says}");
    }
}

fn git(repo: &Path, args: &[&str]) -> Option<String> {
    let o = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// A baseline imported from this repository's own history: every other commit of the last
/// twelve on the first-parent line deployed an hour after it was committed. Each deployment
/// ships exactly the commits git counts since the previous one, and the deployed commit's lead
/// time is that hour.
#[test]
fn an_import_of_this_repositorys_history_round_trips() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Some(log) = git(
        &repo,
        &["log", "--first-parent", "--max-count=12", "--format=%H %cI"],
    ) else {
        eprintln!("notice: no git history beside the tests; the import round trip is skipped");
        return;
    };
    let mut line: Vec<(String, String)> = log
        .lines()
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    line.reverse();
    let deployed: Vec<&(String, String)> = line.iter().step_by(2).collect();
    if deployed.len() < 3 {
        eprintln!("notice: the git history is too short; the import round trip is skipped");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    assert!(plumb(&["--store", s(&store), "init"]).status.success());
    let mut csv = String::from("time,system,commit,status,environment\n");
    for (sha, time) in &deployed {
        let t = chrono::DateTime::parse_from_rfc3339(time).unwrap() + chrono::Duration::hours(1);
        csv.push_str(&format!(
            "{},plumbline,{sha},succeeded,production\n",
            t.to_rfc3339()
        ));
    }
    let file = d.path().join("deployments.csv");
    std::fs::write(&file, &csv).unwrap();
    let o = plumb(&[
        "--store",
        s(&store),
        "--format",
        "json",
        "metrics",
        "import",
        "--deployments",
        s(&file),
        "--git",
        s(&repo),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["imported"].as_u64(), Some(deployed.len() as u64));

    let first =
        chrono::DateTime::parse_from_rfc3339(&deployed[0].1).unwrap() - chrono::Duration::days(1);
    let last = chrono::DateTime::parse_from_rfc3339(&deployed[deployed.len() - 1].1).unwrap()
        + chrono::Duration::days(1);
    let period = format!("{}..{}", first.format("%Y-%m-%d"), last.format("%Y-%m-%d"));
    let o = plumb(&[
        "--store",
        s(&store),
        "--format",
        "json",
        "metrics",
        "--period",
        &period,
        "--explain",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let behind = v["measures"]["deployments"].as_array().unwrap();
    assert_eq!(behind.len(), deployed.len());
    for (i, b) in behind.iter().enumerate() {
        let expected = if i == 0 {
            1
        } else {
            let range = format!("{}..{}", deployed[i - 1].0, deployed[i].0);
            git(&repo, &["rev-list", "--count", &range])
                .unwrap()
                .parse::<usize>()
                .unwrap()
        };
        let lead = b["lead_times_hours"].as_array().unwrap();
        assert_eq!(lead.len(), expected, "deployment {i}");
        // The deployed commit itself went out an hour after it was committed.
        let min = lead
            .iter()
            .filter_map(|h| h.as_f64())
            .fold(f64::MAX, f64::min);
        assert!((min - 1.0).abs() < 1e-9, "deployment {i}: {lead:?}");
    }
    assert_eq!(
        v["measures"]["deployment_frequency"]["deployments"].as_u64(),
        Some(deployed.len() as u64)
    );

    // A second import of a broken file writes nothing.
    std::fs::write(
        &file,
        "time,system,commit,status,environment\n2026-06-01T10:00:00Z,p,zz,success,production\n",
    )
    .unwrap();
    let before = plumb(&[
        "--store",
        s(&store),
        "--format",
        "json",
        "log",
        "--limit",
        "1",
        "--newest",
    ]);
    let o = plumb(&[
        "--store",
        s(&store),
        "metrics",
        "import",
        "--deployments",
        s(&file),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("deployments.csv:2: commit"));
    let after = plumb(&[
        "--store",
        s(&store),
        "--format",
        "json",
        "log",
        "--limit",
        "1",
        "--newest",
    ]);
    assert_eq!(before.stdout, after.stdout, "nothing was written");
}

/// The before-and-after report renders in headless Chromium as it would for the board: the
/// table of both periods and the chart, from a file with nothing fetched from elsewhere.
#[test]
fn the_report_renders_in_a_browser() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("demo");
    let o = plumb(&["demo", "--dir", s(&dir), "--no-serve"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = d.path().join("report.html");
    let md = d.path().join("report.md");
    let o = plumb(&[
        "--store",
        s(&dir.join("store")),
        "metrics",
        "report",
        "--baseline",
        "2026-10",
        "--period",
        "2026-11",
        "--out",
        s(&page),
        "--markdown",
        s(&md),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(
        markdown.contains("| measure | 2026-10 (baseline) | 2026-11 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "| gate decisions: pass / deny / override / error | 0 / 0 / 0 / 0 | 5 / 4 / 1 / 0 |"
        ),
        "{markdown}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("src=\"http"),
        "self-contained"
    );

    let b = plumb_testkit::Browser::start();
    b.goto(&format!("file://{}", page.display()));
    b.wait_text("h1", "Delivery and control: 2026-11 against 2026-10");
    let table = b.text("table");
    assert!(table.contains("change failure rate"), "{table}");
    assert!(
        table.contains("time to produce the period's evidence pack"),
        "{table}"
    );
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
    b.screenshot(&shots.join("metrics-report.png"));
}
