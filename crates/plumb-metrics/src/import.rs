//! A baseline from before Plumbline: past deployments from a CSV file (time, system, commit,
//! status, environment), each with the commits it shipped taken from the git history (those
//! after the previous successful production deployment of the same system), turned into
//! deployment records marked as imported. The caller signs and appends them as one batch.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use plumb_records::deployment::{Deployment, ShippedCommit, Status};

/// Largest CSV read (the gate's input limit).
pub const MAX_CSV_BYTES: usize = plumb_base::input::MAX_INPUT_BYTES;
/// Most rows imported at once.
pub const MAX_ROWS: usize = 200_000;
/// The columns, in order.
pub const HEADER: [&str; 5] = ["time", "system", "commit", "status", "environment"];

/// One past deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// When it was deployed.
    pub time: DateTime<Utc>,
    /// The system.
    pub system: String,
    /// The deployed commit (40 hex digits).
    pub commit: String,
    /// How it ended.
    pub status: Status,
    /// Where it went.
    pub environment: String,
}

fn status(s: &str) -> Option<Status> {
    match s.trim().to_ascii_lowercase().as_str() {
        "succeeded" | "success" | "successful" => Some(Status::Succeeded),
        "failed" | "failure" => Some(Status::Failed),
        "rolled_back" | "rolled-back" | "rollback" => Some(Status::RolledBack),
        _ => None,
    }
}

fn is_commit(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn is_system(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Reads the CSV: a header naming the five columns in order, then one deployment per line.
/// Any row that does not read is an error naming its line; nothing is half-read.
pub fn parse_csv(name: &str, bytes: &[u8]) -> Result<Vec<Row>, String> {
    let text = plumb_base::input::text(name, bytes).map_err(|e| e.to_string())?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{name}: {e}"))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    if header != HEADER {
        return Err(format!(
            "{name}: the header must be {}, got {}",
            HEADER.join(","),
            header.join(",")
        ));
    }
    let mut rows = Vec::new();
    for (n, rec) in reader.records().enumerate() {
        let line = n + 2;
        let rec = rec.map_err(|e| format!("{name}:{line}: {e}"))?;
        if rows.len() >= MAX_ROWS {
            return Err(format!(
                "{name}: more than {MAX_ROWS} rows; import in parts"
            ));
        }
        let field = |i: usize| rec.get(i).unwrap_or_default();
        let time = plumb_base::time::parse_rfc3339(field(0))
            .map_err(|e| format!("{name}:{line}: time {e}"))?;
        let system = field(1);
        if !is_system(system) {
            return Err(format!(
                "{name}:{line}: system {system:?} must be letters, digits, '-', '_' or '.'"
            ));
        }
        let commit = field(2);
        if !is_commit(commit) {
            return Err(format!(
                "{name}:{line}: commit {commit:?} is not a full commit id (40 lower-case hex digits)"
            ));
        }
        let status = status(field(3)).ok_or_else(|| {
            format!(
                "{name}:{line}: status {:?} is not succeeded, failed or rolled_back",
                field(3)
            )
        })?;
        let environment = field(4);
        if environment.is_empty() {
            return Err(format!("{name}:{line}: environment is empty"));
        }
        rows.push(Row {
            time,
            system: system.to_string(),
            commit: commit.to_string(),
            status,
            environment: environment.to_string(),
        });
    }
    if rows.is_empty() {
        return Err(format!("{name}: no deployments"));
    }
    Ok(rows)
}

/// A deployment to record: its system, commit and record.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The system.
    pub system: String,
    /// The deployed commit (the statement's subject).
    pub commit: String,
    /// The record, marked as imported.
    pub record: Deployment,
}

/// Turns rows into records, oldest first. `commits_between(previous, commit)` lists the
/// commits from after `previous` (the last successful production deployment of the same
/// system, `None` for its first) up to `commit`, with their times; `method` says how they were
/// found, and is kept in each record's `imported`.
pub fn plan(
    mut rows: Vec<Row>,
    method: &str,
    mut commits_between: impl FnMut(Option<&str>, &str) -> Result<Vec<ShippedCommit>, String>,
) -> Result<Vec<Planned>, String> {
    rows.sort_by(|a, b| (a.time, &a.system).cmp(&(b.time, &b.system)));
    let mut previous: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut record = Deployment::new(&r.environment);
        record.status = r.status;
        record.deployed_at = Some(plumb_base::time::format_seconds(r.time));
        record.imported = Some(method.to_string());
        if record.is_production() && record.shipped() {
            record.commits =
                commits_between(previous.get(&r.system).map(String::as_str), &r.commit)?;
            if r.status == Status::Succeeded {
                previous.insert(r.system.clone(), r.commit.clone());
            }
        }
        out.push(Planned {
            system: r.system,
            commit: r.commit,
            record,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn rows_read_with_their_lines_named_on_error() {
        let ok = format!(
            "time,system,commit,status,environment\n2026-06-01T10:00:00Z,payments,{A},success,production\n2026-06-02T10:00:00+02:00, payments ,{B},rolled_back,prod\n"
        );
        let rows = parse_csv("d.csv", ok.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].system, "payments");
        assert_eq!(rows[1].status, Status::RolledBack);
        assert_eq!(
            plumb_base::time::format_seconds(rows[1].time),
            "2026-06-02T08:00:00Z"
        );
        for (bad, says) in [
            ("time,system\n", "header"),
            (
                &*format!(
                    "time,system,commit,status,environment\nyesterday,p,{A},success,production\n"
                ),
                "d.csv:2: time",
            ),
            (
                &*format!(
                    "time,system,commit,status,environment\n2026-06-01T10:00:00Z,p q,{A},success,production\n"
                ),
                "system",
            ),
            (
                "time,system,commit,status,environment\n2026-06-01T10:00:00Z,p,abc,success,production\n",
                "commit",
            ),
            (
                &*format!(
                    "time,system,commit,status,environment\n2026-06-01T10:00:00Z,p,{A},maybe,production\n"
                ),
                "status",
            ),
            (
                &*format!(
                    "time,system,commit,status,environment\n2026-06-01T10:00:00Z,p,{A},success\n"
                ),
                "d.csv:2",
            ),
            ("time,system,commit,status,environment\n", "no deployments"),
            ("\u{feff}\u{0}\u{1}", "header"),
        ] {
            let e = parse_csv("d.csv", bad.as_bytes()).unwrap_err();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
        assert!(
            parse_csv("d.csv", b"\xff\xfe\x00").is_err(),
            "UTF-16 is refused"
        );
    }

    #[test]
    fn each_deployment_ships_the_commits_since_the_previous_successful_one() {
        let row = |t: &str, commit: &str, status| Row {
            time: plumb_base::time::parse_rfc3339(t).unwrap(),
            system: "payments".into(),
            commit: commit.into(),
            status,
            environment: "production".into(),
        };
        let rows = vec![
            row("2026-06-03T10:00:00Z", B, Status::Succeeded),
            row("2026-06-01T10:00:00Z", A, Status::Succeeded),
            row("2026-06-02T10:00:00Z", B, Status::Failed),
        ];
        let mut asked = Vec::new();
        let planned = plan(rows, "csv d.csv", |prev, commit| {
            asked.push((prev.map(str::to_string), commit.to_string()));
            Ok(vec![ShippedCommit {
                sha: commit.into(),
                time: None,
            }])
        })
        .unwrap();
        // Oldest first; the failed run ships nothing, so B's range starts after A.
        assert_eq!(
            asked,
            vec![(None, A.to_string()), (Some(A.to_string()), B.to_string())]
        );
        assert_eq!(planned.len(), 3);
        assert!(planned[1].record.commits.is_empty());
        assert_eq!(
            planned[2].record.deployed_at.as_deref(),
            Some("2026-06-03T10:00:00Z")
        );
        assert_eq!(planned[0].record.imported.as_deref(), Some("csv d.csv"));
    }
}
