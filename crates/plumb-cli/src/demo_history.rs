//! The demo's delivery history: eight weeks of production deployments of the four systems
//! before the day the demo shows, with the commits each shipped and when they were committed,
//! a failed run, a deployment rolled back and its rollback, and a fix-forward. So `plumb
//! metrics` after `plumb demo` shows real figures and trends. Deterministic: every time is
//! computed from `now`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use plumb_ledger::{Ledger, RecordRequest};
use plumb_records::Record;
use plumb_records::deployment::{ChangeKind, Deployment, ShippedCommit, Status};

use crate::output::Failure;

/// Systems and how many days apart they deploy.
const CADENCE: [(&str, i64); 4] = [
    ("payments", 2),
    ("onboarding", 4),
    ("identity", 7),
    ("core-ledger", 10),
];

/// Weeks of history.
const WEEKS: i64 = 8;

/// A commit id made up from a counter (40 hex digits, as git writes them).
fn sha(n: u64) -> String {
    plumb_base::sha256_hex(format!("demo commit {n}").as_bytes())
        .chars()
        .take(40)
        .collect()
}

/// One deployment to record.
struct Planned {
    system: &'static str,
    at: DateTime<Utc>,
    record: Deployment,
    /// When the failed deployment of the same system it remedies was made.
    remedies_at: Option<DateTime<Utc>>,
}

/// The deployments, oldest first.
fn plan(now: DateTime<Utc>) -> Vec<Planned> {
    let start = now - Duration::weeks(WEEKS) - Duration::days(1);
    let mut out = Vec::new();
    let mut commit = 0u64;
    for (s, (system, every)) in CADENCE.iter().enumerate() {
        let mut day = i64::try_from(s).unwrap_or(0);
        while day < WEEKS * 7 {
            let at = start + Duration::days(day) + Duration::hours(10 + 2 * s as i64);
            // One to three commits, committed between 4 hours and 3 days before.
            let n = 1 + (day as u64 + s as u64) % 3;
            let commits = (0..n)
                .map(|k| {
                    commit += 1;
                    ShippedCommit {
                        sha: sha(commit),
                        time: Some(plumb_base::time::format_seconds(
                            at - Duration::hours(4 + 17 * (k as i64 + day % 4)),
                        )),
                    }
                })
                .collect();
            out.push(Planned {
                system,
                at,
                record: Deployment {
                    commits,
                    change_id: Some(format!("CHG-{}", 3000 + out.len())),
                    ..Deployment::new("production")
                },
                remedies_at: None,
            });
            day += every;
        }
    }
    out.sort_by_key(|p| p.at);
    incidents_of_delivery(&mut out);
    out
}

/// The history's failures: a failed run of payments (retried the next hour), an identity
/// deployment rolled back 40 minutes later, and a core-ledger deployment repaired by a
/// fix-forward three hours later.
fn incidents_of_delivery(out: &mut Vec<Planned>) {
    let index_of = |out: &[Planned], system: &str, nth: usize| {
        out.iter()
            .enumerate()
            .filter(|(_, p)| p.system == system)
            .nth(nth)
            .map(|(i, _)| i)
    };
    if let Some(i) = index_of(out, "payments", 20)
        && let Some(p) = out.get_mut(i)
    {
        p.record.status = Status::Failed;
        let retry = Planned {
            system: "payments",
            at: p.at + Duration::hours(1),
            record: Deployment {
                status: Status::Succeeded,
                ..p.record.clone()
            },
            remedies_at: None,
        };
        out.push(retry);
    }
    if let Some(i) = index_of(out, "identity", 5)
        && let Some(p) = out.get_mut(i)
    {
        p.record.status = Status::RolledBack;
        let failed_at = p.at;
        out.push(Planned {
            system: "identity",
            at: failed_at + Duration::minutes(40),
            record: Deployment {
                change: ChangeKind::Rollback,
                ..Deployment::new("production")
            },
            remedies_at: Some(failed_at),
        });
    }
    if let Some(i) = index_of(out, "core-ledger", 2)
        && let Some(p) = out.get(i)
    {
        let (failed_at, at) = (p.at, p.at + Duration::hours(3));
        out.push(Planned {
            system: "core-ledger",
            at,
            record: Deployment {
                change: ChangeKind::FixForward,
                commits: vec![ShippedCommit {
                    sha: sha(9_999),
                    time: Some(plumb_base::time::format_seconds(at - Duration::hours(1))),
                }],
                ..Deployment::new("production")
            },
            remedies_at: Some(failed_at),
        });
    }
    out.sort_by_key(|p| p.at);
}

/// Records the history; returns how many deployments it holds.
pub fn record(l: &mut Ledger, now: DateTime<Utc>) -> Result<usize, Failure> {
    let planned = plan(now);
    // Log indexes by system and time, to name the failed deployment a remedy undoes (recorded
    // before it, being older).
    let mut recorded: HashMap<(&str, DateTime<Utc>), u64> = HashMap::new();
    for p in &planned {
        let mut record = p.record.clone();
        record.remedies = p
            .remedies_at
            .and_then(|at| recorded.get(&(p.system, at)).copied());
        let commit = record
            .commits
            .last()
            .map(|c| c.sha.clone())
            .unwrap_or_else(|| sha(u64::MAX));
        let (i, _) = l.record(
            RecordRequest {
                subjects: vec![plumb_ledger::statement::Subject {
                    name: format!("commit {commit}"),
                    digest: [("gitCommit".to_string(), commit)].into(),
                }],
                predicate_type: Deployment::PREDICATE_TYPE.into(),
                predicate: record.to_predicate(),
                system: Some(p.system.into()),
                run: Some(format!("{}-history", p.system)),
                attachments: vec![],
            },
            p.at,
        )?;
        recorded.insert((p.system, p.at), i);
    }
    Ok(planned.len())
}
