//! Test support: throwaway stores on both backends, a real PostgreSQL server started from the
//! local binaries, and raw database access for tampering "as a privileged user".
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use plumb_ledger::statement::Subject;
use plumb_ledger::{InitOptions, Ledger, RecordRequest};

pub use plumb_testkit as pg;

/// A fixed test clock.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 30, 0).unwrap()
}

/// Which backend a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A store plus raw access to its database.
pub struct TestStore {
    pub dir: tempfile::TempDir,
    pub ledger: Ledger,
    pub raw: Raw,
}

impl TestStore {
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }
    pub fn reopen(&mut self) {
        self.ledger = Ledger::open(&self.store_dir()).unwrap();
    }
}

/// Raw database access that goes around the ledger (and, with `privileged`, the triggers).
pub enum Raw {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Raw {
    /// Runs statements with the append-only triggers switched off, as a privileged user could.
    pub fn privileged(&self, sql: &str, params: &[Vec<u8>]) {
        match self {
            Raw::Sqlite(p) => {
                let c = rusqlite::Connection::open(p).unwrap();
                let names: Vec<String> = c
                    .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                    .unwrap()
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                for n in names {
                    c.execute_batch(&format!("DROP TRIGGER {n}")).unwrap();
                }
                run_sqlite(&c, sql, params).unwrap();
            }
            Raw::Postgres(url) => {
                let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
                c.batch_execute("SET session_replication_role = replica")
                    .unwrap();
                run_pg(&mut c, sql, params).unwrap();
            }
        }
    }

    /// Runs statements as an ordinary session; returns the database's error text.
    pub fn plain(&self, sql: &str) -> Result<(), String> {
        match self {
            Raw::Sqlite(p) => {
                let c = rusqlite::Connection::open(p).unwrap();
                c.execute_batch(sql).map_err(|e| e.to_string())
            }
            Raw::Postgres(url) => {
                let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
                c.batch_execute(sql).map_err(|e| {
                    e.as_db_error()
                        .map_or(e.to_string(), |d| d.message().to_string())
                })
            }
        }
    }
}

fn run_sqlite(c: &rusqlite::Connection, sql: &str, params: &[Vec<u8>]) -> rusqlite::Result<()> {
    if params.is_empty() {
        return c.execute_batch(sql);
    }
    c.execute(sql, rusqlite::params_from_iter(params.iter()))
        .map(|_| ())
}

fn run_pg(c: &mut postgres::Client, sql: &str, params: &[Vec<u8>]) -> Result<(), postgres::Error> {
    if params.is_empty() {
        return c.batch_execute(sql);
    }
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p as _).collect();
    c.execute(sql, &refs).map(|_| ())
}

static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A new store on the given backend, in a fresh temporary directory (and database).
pub fn store(kind: Kind) -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let (ledger, raw) = match kind {
        Kind::Sqlite => {
            let l = Ledger::init(
                &store_dir,
                InitOptions {
                    origin: Some("test.local/log".into()),
                    ..Default::default()
                },
            )
            .unwrap();
            (l, Raw::Sqlite(store_dir.join("ledger.db")))
        }
        Kind::Postgres => {
            let url = pg::server().new_database(&format!(
                "t{}_{}",
                std::process::id(),
                DB_COUNTER.fetch_add(1, Ordering::SeqCst)
            ));
            let l = Ledger::init(
                &store_dir,
                InitOptions {
                    origin: Some("test.local/log".into()),
                    database: Some(url.clone()),
                    grant_role: None,
                    blobs: None,
                },
            )
            .unwrap();
            (l, Raw::Postgres(url))
        }
    };
    TestStore { dir, ledger, raw }
}

/// A commit subject with a digest derived from `n`.
pub fn commit(n: u32) -> Subject {
    let mut digest = std::collections::BTreeMap::new();
    digest.insert(
        "gitCommit".to_string(),
        format!("{:040x}", n as u128 * 7919 + 1),
    );
    Subject {
        name: format!("commit-{n}"),
        digest,
    }
}

/// Records a statement about commit `n` for `system`.
pub fn record(l: &mut Ledger, n: u32, system: &str, predicate: &str) -> u64 {
    l.record(
        RecordRequest {
            subjects: vec![commit(n)],
            predicate_type: predicate.into(),
            predicate: serde_json::json!({"n": n}),
            system: Some(system.into()),
            run: Some(format!("run-{}", n % 3)),
            attachments: vec![],
        },
        now() + chrono::Duration::minutes(n as i64),
    )
    .unwrap()
    .0
}
