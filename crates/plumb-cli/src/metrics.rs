//! `plumb metrics`: the delivery measures of `plumb-metrics` over the local store, as text,
//! JSON or CSV.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::json;

use plumb_metrics::levels::{BENCHMARK, Level};
use plumb_metrics::{Granularity, Measures, Period, Selection, measure};

use crate::cli::{Format, MetricsArgs};
use crate::evidence::open;
use crate::output::{Failure, emit};

/// Days covered when no period is given.
const DEFAULT_DAYS: i64 = 90;

fn level(l: Option<Level>) -> String {
    l.map(|l| format!("{l:?}").to_lowercase())
        .unwrap_or_else(|| "-".into())
}

fn num(v: Option<f64>, unit: &str) -> String {
    v.map(|v| format!("{v:.1}{unit}"))
        .unwrap_or_else(|| "-".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1} %", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// The measures in a few lines of text.
fn text(m: &Measures) -> String {
    let f = &m.deployment_frequency;
    let lt = &m.lead_time;
    let cf = &m.change_failure;
    let r = &m.recovery;
    let rw = &m.rework;
    format!(
        "  deployment frequency   {} deployments on {} days, {:.2} deployment days a week   {}\n\
         \x20 lead time for changes  median {}, p90 {} over {} commits ({} deployments without commit times)   {}\n\
         \x20 change failure rate    {} of {} deployments ({})   {}\n\
         \x20 recovery time          median {} over {} recovered ({} without recovery evidence)   {}\n\
         \x20 rework rate            {} of {} deployments ({})\n",
        f.deployments,
        f.deployment_days,
        f.days_per_week,
        level(Some(f.level)),
        num(lt.median_hours, " h"),
        num(lt.p90_hours, " h"),
        lt.changes,
        lt.deployments_without_commit_times,
        level(lt.level),
        cf.failed,
        f.deployments,
        pct(cf.rate),
        level(cf.level),
        num(r.median_hours, " h"),
        r.recovered,
        r.without_recovery,
        level(r.level),
        rw.unplanned,
        f.deployments,
        pct(rw.rate),
    )
}

/// The deployments behind the numbers.
fn explain(m: &Measures) -> String {
    let mut s = String::from("  deployments behind the numbers:\n");
    for b in &m.deployments {
        s.push_str(&format!(
            "    entry {:<6} {:<14} {}{}{}{}\n",
            b.entry,
            b.system,
            b.time,
            if b.lead_times_hours.is_empty() {
                String::new()
            } else {
                format!(
                    "  lead times {}",
                    b.lead_times_hours
                        .iter()
                        .map(|h| format!("{h:.1} h"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            if b.failed_because.is_empty() {
                String::new()
            } else {
                format!("  FAILED: {}", b.failed_because.join("; "))
            },
            b.recovered_after_hours
                .map(|h| format!("  recovered after {h:.1} h"))
                .unwrap_or_default(),
        ));
    }
    s
}

const CSV_HEADER: &str = "bucket,from,to,deployments,deployment_days,deployment_days_per_week,lead_time_median_hours,lead_time_p90_hours,changes,deployments_without_commit_times,failed,change_failure_rate,recovered,without_recovery,recovery_median_hours,unplanned,rework_rate";

fn csv_row(label: &str, m: &Measures) -> String {
    let o = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
    format!(
        "{label},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        plumb_base::time::format_seconds(m.period.from),
        plumb_base::time::format_seconds(m.period.to),
        m.deployment_frequency.deployments,
        m.deployment_frequency.deployment_days,
        m.deployment_frequency.days_per_week,
        o(m.lead_time.median_hours),
        o(m.lead_time.p90_hours),
        m.lead_time.changes,
        m.lead_time.deployments_without_commit_times,
        m.change_failure.failed,
        o(m.change_failure.rate),
        m.recovery.recovered,
        m.recovery.without_recovery,
        o(m.recovery.median_hours),
        m.rework.unplanned,
        o(m.rework.rate),
    )
}

/// The ledger systems of the application components whose `plumb:owner` (owners separated
/// by spaces, as in CODEOWNERS) names `team`.
fn systems_of_team(m: &plumb_model::Model, team: &str) -> BTreeSet<String> {
    m.elements
        .iter()
        .filter(|e| e.kind == plumb_model::ElementType::ApplicationComponent)
        .filter(|e| {
            plumb_model::Model::prop(e, "plumb:owner")
                .is_some_and(|o| o.split_whitespace().any(|x| x == team))
        })
        .map(plumb_model::dora::service_name)
        .collect()
}

/// The evidence of a pack, after verifying it as `plumb verify-pack` does. Records the server
/// writes count only when the log's own key (the trusted key named after the pack's origin)
/// signed them.
fn evidence_of_pack(
    pack: &Path,
    keys: &[std::path::PathBuf],
) -> Result<plumb_metrics::Evidence, Failure> {
    let mut trusted = Vec::new();
    for k in keys {
        let text = std::fs::read_to_string(k)
            .map_err(|e| Failure::usage(format!("{}: {e}", k.display())))?;
        trusted.push(
            plumb_ledger::keys::PublicKey::parse(&text)
                .map_err(|e| Failure::usage(format!("{}: {e}", k.display())))?,
        );
    }
    let file = std::fs::File::open(pack)
        .map_err(|e| Failure::usage(format!("{}: {e}", pack.display())))?;
    let (report, entries) =
        plumb_ledger::pack::read_verified_entries(std::io::BufReader::new(file), &trusted)
            .map_err(|e| Failure::usage(format!("{}: {e}", pack.display())))?;
    let log_key = trusted
        .iter()
        .find(|k| k.name == report.origin)
        .ok_or_else(|| {
            Failure::usage(format!(
                "none of the trusted keys is the log's own ({})",
                report.origin
            ))
        })?;
    Ok(plumb_metrics::facts::from_entries(&entries, log_key))
}

/// Runs `plumb metrics`.
pub fn run(
    store: &Path,
    format: Format,
    a: &MetricsArgs,
    now: DateTime<Utc>,
) -> Result<ExitCode, Failure> {
    let period = match &a.period {
        Some(p) => Period::parse(p).map_err(Failure::usage)?,
        None => Period::last_days(now, DEFAULT_DAYS),
    };
    let granularity = a
        .granularity
        .as_deref()
        .map(Granularity::parse)
        .transpose()
        .map_err(Failure::usage)?;
    let buckets = granularity.map(|g| g.buckets(period)).unwrap_or_default();
    if buckets.len() >= 1000 {
        return Err(Failure::usage(
            "the trend would have more than 1,000 buckets; choose a coarser --granularity",
        ));
    }
    let mut chosen: BTreeSet<String> = a.system.iter().cloned().collect();
    if let Some(model) = &a.model {
        let m = plumb_model::load(model).map_err(|e| Failure::usage(e.to_string()))?;
        for team in &a.team {
            let owned = systems_of_team(&m, team);
            if owned.is_empty() {
                return Err(Failure::usage(format!(
                    "no application component of {} has plumb:owner {team:?}",
                    model.display()
                ))
                .hint("plumb:owner holds owners as in CODEOWNERS, e.g. @smallbank/payments"));
            }
            chosen.extend(owned);
        }
    }
    let systems: Option<BTreeSet<String>> = (!chosen.is_empty()).then_some(chosen);
    let ev = match &a.pack {
        Some(pack) => evidence_of_pack(pack, &a.trusted_key)?,
        None => plumb_metrics::facts::read(&mut open(store)?).map_err(Failure::usage)?,
    };
    let sel = Selection {
        systems: systems.clone(),
        period,
    };
    let whole = measure(&ev, &sel);
    let trend: Vec<(String, Measures)> = buckets
        .into_iter()
        .map(|(label, p)| {
            let m = measure(
                &ev,
                &Selection {
                    systems: systems.clone(),
                    period: p,
                },
            );
            (label, m)
        })
        .collect();
    if a.csv {
        let mut out = format!("{CSV_HEADER}\n{}\n", csv_row("period", &whole));
        for (label, m) in &trend {
            out.push_str(&csv_row(label, m));
            out.push('\n');
        }
        print!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    let scope = match &systems {
        Some(s) => s.iter().cloned().collect::<Vec<_>>().join(", "),
        None => "all systems".into(),
    };
    let strip = |m: &Measures| {
        let mut v = serde_json::to_value(m).unwrap_or_default();
        if !a.explain
            && let Some(o) = v.as_object_mut()
        {
            o.remove("deployments");
        }
        v
    };
    let value = json!({
        "period": {"from": plumb_base::time::format_seconds(period.from), "to": plumb_base::time::format_seconds(period.to)},
        "systems": systems,
        "benchmark": BENCHMARK,
        "measures": strip(&whole),
        "trend": trend.iter().map(|(label, m)| json!({"bucket": label, "measures": strip(m)})).collect::<Vec<_>>(),
    });
    emit(
        format,
        || {
            let mut s = format!(
                "delivery, {} .. {} ({scope}; levels: {BENCHMARK})\n",
                plumb_base::time::format_seconds(period.from),
                plumb_base::time::format_seconds(period.to)
            );
            s.push_str(&text(&whole));
            if a.explain {
                s.push_str(&explain(&whole));
            }
            if !trend.is_empty() {
                s.push_str(&format!(
                    "\n  {:<11} {:>11} {:>9} {:>15} {:>14} {:>12} {:>8}\n",
                    "bucket",
                    "deployments",
                    "days",
                    "lead time (med)",
                    "change failure",
                    "recovery (med)",
                    "rework"
                ));
            }
            for (label, m) in &trend {
                s.push_str(&format!(
                    "  {:<11} {:>11} {:>9} {:>15} {:>14} {:>12} {:>8}\n",
                    label,
                    m.deployment_frequency.deployments,
                    m.deployment_frequency.deployment_days,
                    num(m.lead_time.median_hours, " h"),
                    pct(m.change_failure.rate),
                    num(m.recovery.median_hours, " h"),
                    pct(m.rework.rate),
                ));
            }
            s
        },
        value,
    )
}

/// The commits after `previous` up to `commit` in the repository at `dir`, with their commit
/// times (at most 1,000; the deployed commit alone when there is no previous one).
fn git_commits(
    dir: &Path,
    previous: Option<&str>,
    commit: &str,
) -> Result<Vec<plumb_records::deployment::ShippedCommit>, String> {
    let range = match previous {
        Some(p) if p != commit => format!("{p}..{commit}"),
        _ => commit.to_string(),
    };
    let mut cmd = std::process::Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(["log", "--max-count=1000", "--format=%H %cI"]);
    if previous.is_none() || previous == Some(commit) {
        cmd.arg("-1");
    }
    let out = cmd
        .arg(&range)
        .arg("--")
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git log {range} in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (sha, time) = l.split_once(' ')?;
            Some(plumb_records::deployment::ShippedCommit {
                sha: sha.to_string(),
                time: Some(time.to_string()),
            })
        })
        .collect())
}

/// `plumb metrics import`: past deployments recorded as one batch.
pub fn import(
    store: &Path,
    format: Format,
    csv: &Path,
    git: Option<&Path>,
    now: DateTime<Utc>,
) -> Result<ExitCode, Failure> {
    use plumb_records::Record;
    let name = csv.display().to_string();
    let size = std::fs::metadata(csv)
        .map_err(|e| Failure::usage(format!("{name}: {e}")))?
        .len();
    if size > plumb_metrics::import::MAX_CSV_BYTES as u64 {
        return Err(Failure::usage(format!(
            "{name} is {size} bytes, over the {}-byte limit; import in parts",
            plumb_metrics::import::MAX_CSV_BYTES
        )));
    }
    let bytes = std::fs::read(csv).map_err(|e| Failure::usage(format!("{name}: {e}")))?;
    let rows = plumb_metrics::import::parse_csv(&name, &bytes).map_err(Failure::usage)?;
    let method = match git {
        Some(_) => format!("csv {name}, commits from git"),
        None => format!("csv {name}"),
    };
    let planned = plumb_metrics::import::plan(rows, &method, |prev, commit| match git {
        Some(dir) => git_commits(dir, prev, commit),
        None => Ok(Vec::new()),
    })
    .map_err(Failure::usage)?;
    let mut l = open(store)?;
    let mut batch = Vec::with_capacity(planned.len());
    for p in &planned {
        let st = plumb_ledger::statement::Statement::new(
            vec![plumb_ledger::statement::Subject {
                name: format!("commit {}", p.commit),
                digest: [("gitCommit".to_string(), p.commit.clone())].into(),
            }],
            plumb_records::deployment::Deployment::PREDICATE_TYPE,
            p.record.to_predicate(),
        );
        let env = l.sign_statement(&st)?;
        let json = serde_json::to_vec(&env).map_err(|e| Failure::usage(e.to_string()))?;
        batch.push(l.prepare(
            &json,
            plumb_ledger::entry::Annotations {
                system: Some(p.system.clone()),
                run: Some("imported".into()),
                blobs: vec![],
            },
            now,
        )?);
    }
    let first = l.append(&batch)?;
    l.checkpoint(now)?;
    let last = first + batch.len() as u64 - 1;
    let commits: usize = planned.iter().map(|p| p.record.commits.len()).sum();
    emit(
        format,
        || {
            format!(
                "imported {} past deployments as entries {first}..{last} ({commits} commits with times{})\n",
                planned.len(),
                if git.is_none() {
                    "; give --git to measure lead time"
                } else {
                    ""
                }
            )
        },
        json!({"imported": planned.len(), "first": first, "last": last, "commits": commits, "method": method}),
    )
}

/// What `plumb metrics report` was asked for.
pub struct ReportArgs<'a> {
    /// The period before.
    pub baseline: &'a str,
    /// The period since.
    pub period: &'a str,
    /// Only these systems.
    pub systems: &'a [String],
    /// The HTML page.
    pub out: Option<&'a Path>,
    /// The Markdown version.
    pub markdown: Option<&'a Path>,
}

/// Seconds an evidence pack of `period` (and `systems`) takes to write, to a temporary file
/// that is removed; `None` when the period holds no entry.
fn pack_seconds(
    l: &mut plumb_ledger::Ledger,
    period: Period,
    systems: &Option<BTreeSet<String>>,
    now: DateTime<Utc>,
) -> Option<f64> {
    let dir = tempfile_dir(l)?;
    let out = dir.join(format!("report-pack-{}.tar", std::process::id()));
    let q = plumb_ledger::store::Query {
        since: Some(plumb_ledger::entry::format_time(period.from)),
        until: Some(plumb_ledger::entry::format_time(period.to)),
        systems_in: systems.as_ref().map(|s| s.iter().cloned().collect()),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let written = l.export(&q, &out, now).ok();
    let took = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&out);
    written.map(|_| took)
}

fn tempfile_dir(l: &plumb_ledger::Ledger) -> Option<std::path::PathBuf> {
    let dir = l.dir().join("tmp");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// `plumb metrics report`.
pub fn report(
    store: &Path,
    format: Format,
    a: ReportArgs<'_>,
    now: DateTime<Utc>,
) -> Result<ExitCode, Failure> {
    if a.out.is_none() && a.markdown.is_none() {
        return Err(Failure::usage(
            "say where to write the report: --out report.html, --markdown report.md (or -)",
        ));
    }
    let before = Period::parse(a.baseline).map_err(Failure::usage)?;
    let after = Period::parse(a.period).map_err(Failure::usage)?;
    let systems: Option<BTreeSet<String>> =
        (!a.systems.is_empty()).then(|| a.systems.iter().cloned().collect());
    let mut l = open(store)?;
    let ev = plumb_metrics::facts::read(&mut l).map_err(Failure::usage)?;
    let mut b = plumb_metrics::report::section(&ev, "baseline", a.baseline, before, &systems);
    let mut p = plumb_metrics::report::section(&ev, "period", a.period, after, &systems);
    b.pack_seconds = pack_seconds(&mut l, before, &systems, now);
    p.pack_seconds = pack_seconds(&mut l, after, &systems, now);
    let scope = match &systems {
        Some(s) => format!(
            "systems {}",
            s.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
        None => "all systems".into(),
    };
    if let Some(out) = a.out {
        let page = plumb_metrics::report::html(&b, &p, &scope, now).map_err(Failure::usage)?;
        std::fs::write(out, page).map_err(|e| Failure::usage(format!("{}: {e}", out.display())))?;
    }
    let md = plumb_metrics::report::markdown(&b, &p, &scope, now);
    match a.markdown {
        Some(m) if m == Path::new("-") => print!("{md}"),
        Some(m) => {
            std::fs::write(m, &md).map_err(|e| Failure::usage(format!("{}: {e}", m.display())))?
        }
        None => {}
    }
    if a.markdown == Some(Path::new("-")) {
        return Ok(ExitCode::SUCCESS);
    }
    emit(
        format,
        || {
            let mut s = String::new();
            if let Some(o) = a.out {
                s.push_str(&format!("wrote {}\n", o.display()));
            }
            if let Some(m) = a.markdown {
                s.push_str(&format!("wrote {}\n", m.display()));
            }
            s
        },
        json!({"html": a.out, "markdown": a.markdown, "baseline": b, "period": p}),
    )
}
