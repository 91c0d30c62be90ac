//! The embedded backend: one SQLite file, WAL mode with `synchronous=FULL` so a committed
//! batch survives power loss, `BEGIN IMMEDIATE` so only one writer appends at a time.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::{
    APPEND_ONLY_MESSAGE, Backend, Param, Query, STORE_VERSION, StoredCheckpoint, StoredCosignature,
    StoredEntry, nodes_for_batch, to_hash,
};
use crate::entry::NewEntry;
use crate::error::{Error, Result};
use crate::hash::Hash;

/// A SQLite-backed log.
pub struct SqliteBackend {
    conn: Connection,
}

/// The cosignatures table and its triggers, also added to stores made before it existed.
fn cosignatures_schema() -> String {
    let mut s = String::from(
        "CREATE TABLE cosignatures (size INTEGER NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL,
             time TEXT NOT NULL, PRIMARY KEY (size, witness));\n",
    );
    s.push_str(&append_only("cosignatures"));
    s
}

/// Triggers refusing UPDATE and DELETE on table `t`.
fn append_only(t: &str) -> String {
    let mut s = String::new();
    for op in ["UPDATE", "DELETE"] {
        s.push_str(&format!(
            "CREATE TRIGGER {t}_no_{op} BEFORE {op} ON {t} BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;\n",
            op = op.to_lowercase()
        ));
    }
    s
}

fn schema() -> String {
    let mut s = String::from(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE entries (
             idx INTEGER PRIMARY KEY,
             leaf_hash BLOB NOT NULL,
             entry BLOB NOT NULL,
             predicate_type TEXT NOT NULL,
             system TEXT,
             run TEXT,
             time TEXT NOT NULL);
         CREATE INDEX entries_system ON entries(system, idx);
         CREATE INDEX entries_predicate ON entries(predicate_type, idx);
         CREATE INDEX entries_run ON entries(run, idx);
         CREATE INDEX entries_time ON entries(time, idx);
         CREATE TABLE subjects (idx INTEGER NOT NULL, alg TEXT NOT NULL, value TEXT NOT NULL);
         CREATE INDEX subjects_value ON subjects(value, alg, idx);
         CREATE INDEX subjects_idx ON subjects(idx);
         CREATE TABLE tree_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
             PRIMARY KEY (level, idx)) WITHOUT ROWID;
         CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL, time TEXT NOT NULL);\n",
    );
    for t in ["meta", "entries", "subjects", "tree_nodes", "checkpoints"] {
        s.push_str(&append_only(t));
    }
    s.push_str(&cosignatures_schema());
    s
}

impl SqliteBackend {
    fn connect(path: &Path) -> Result<Connection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Measured on batched appends (docs/benchmarks.md): a 16 MiB page cache keeps the index
        // pages an append touches in memory (the 2 MiB default read them back), and checkpointing
        // every 10,000 WAL pages instead of 1,000 copies each rewritten page once rather than many
        // times (the checkpoint runs inside a commit). Neither changes durability: every commit
        // is still synced (synchronous=FULL).
        conn.pragma_update(None, "cache_size", -16384)?;
        conn.pragma_update(None, "wal_autocheckpoint", 10000)?;
        Ok(conn)
    }

    /// Creates a new store file. Fails if it already holds a log.
    pub fn create(path: &Path, origin: &str) -> Result<Self> {
        let mut conn = Self::connect(path)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists: i64 = tx.query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'entries'",
            [],
            |r| r.get(0),
        )?;
        if exists > 0 {
            return Err(Error::State(format!(
                "{} already holds a log",
                path.display()
            )));
        }
        tx.execute_batch(&schema())?;
        tx.execute(
            "INSERT INTO meta VALUES ('store_version', ?1)",
            [STORE_VERSION.to_string()],
        )?;
        tx.execute("INSERT INTO meta VALUES ('origin', ?1)", [origin])?;
        tx.commit()?;
        Ok(SqliteBackend { conn })
    }

    /// Opens an existing store file and checks its version.
    pub fn open(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Err(Error::NotFound(format!(
                "no log database at {}",
                path.display()
            )));
        }
        let mut b = SqliteBackend {
            conn: Self::connect(path)?,
        };
        match b.meta("store_version") {
            Ok(Some(v)) if v == STORE_VERSION.to_string() => {
                b.add_cosignatures_table()?;
                Ok(b)
            }
            Ok(Some(v)) => Err(Error::StoreVersion {
                found: v,
                supported: STORE_VERSION,
            }),
            Ok(None) | Err(_) => Err(Error::StoreVersion {
                found: "none (not a plumb log)".into(),
                supported: STORE_VERSION,
            }),
        }
    }
}

impl SqliteBackend {
    /// Adds the cosignatures table to a store made before witnesses were supported: an
    /// addition only, so older binaries still read the store.
    fn add_cosignatures_table(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists: i64 = tx.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'cosignatures'",
            [],
            |r| r.get(0),
        )?;
        if exists == 0 {
            tx.execute_batch(&cosignatures_schema())?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Columns of an entry row, in ENTRY_COLUMNS order.
type EntryRow = (
    i64,
    Vec<u8>,
    Vec<u8>,
    String,
    Option<String>,
    Option<String>,
    String,
);

fn row_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn stored(t: EntryRow) -> Result<StoredEntry> {
    Ok(StoredEntry {
        index: t.0 as u64,
        leaf_hash: to_hash(t.1, "stored leaf hash")?,
        bytes: t.2,
        predicate_type: t.3,
        system: t.4,
        run: t.5,
        time: t.6,
    })
}

const ENTRY_COLUMNS: &str = "idx, leaf_hash, entry, predicate_type, system, run, time";

fn lookup_node(conn: &Connection, level: u32, index: u64) -> Result<Option<Hash>> {
    let v: Option<Vec<u8>> = if level == 0 {
        conn.query_row(
            "SELECT leaf_hash FROM entries WHERE idx = ?1",
            [index as i64],
            |r| r.get(0),
        )
        .optional()?
    } else {
        conn.query_row(
            "SELECT hash FROM tree_nodes WHERE level = ?1 AND idx = ?2",
            params![level, index as i64],
            |r| r.get(0),
        )
        .optional()?
    };
    v.map(|v| to_hash(v, "stored tree node")).transpose()
}

impl Backend for SqliteBackend {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn append(&mut self, batch: &[NewEntry]) -> Result<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let start: i64 =
            tx.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| {
                r.get(0)
            })?;
        let nodes = nodes_for_batch(start as u64, batch, |l, i| lookup_node(&tx, l, i))?;
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO entries (idx, leaf_hash, entry, predicate_type, system, run, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut sub =
                tx.prepare_cached("INSERT INTO subjects (idx, alg, value) VALUES (?1, ?2, ?3)")?;
            for (i, e) in batch.iter().enumerate() {
                let idx = start + i as i64;
                ins.execute(params![
                    idx,
                    &e.leaf_hash[..],
                    &e.bytes,
                    &e.predicate_type,
                    &e.system,
                    &e.run,
                    &e.time
                ])?;
                for (alg, v) in &e.subjects {
                    sub.execute(params![idx, alg, v])?;
                }
            }
            let mut node =
                tx.prepare_cached("INSERT INTO tree_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?;
            for n in &nodes {
                node.execute(params![n.level, n.index as i64, &n.hash[..]])?;
            }
        }
        tx.commit()?;
        Ok(start as u64)
    }

    fn size(&mut self) -> Result<u64> {
        let n: i64 =
            self.conn
                .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| {
                    r.get(0)
                })?;
        Ok(n as u64)
    }

    fn entry(&mut self, index: u64) -> Result<Option<StoredEntry>> {
        let t = self
            .conn
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE idx = ?1"),
                [index as i64],
                row_entry,
            )
            .optional()?;
        t.map(stored).transpose()
    }

    fn scan(&mut self, from: u64, f: &mut dyn FnMut(StoredEntry) -> Result<()>) -> Result<()> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE idx >= ?1 ORDER BY idx"
        ))?;
        let mut rows = st.query([from as i64])?;
        while let Some(r) = rows.next()? {
            f(stored(row_entry(r)?)?)?;
        }
        Ok(())
    }

    fn subjects(&mut self, index: u64) -> Result<Vec<(String, String)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT alg, value FROM subjects WHERE idx = ?1 ORDER BY alg, value")?;
        let rows = st.query_map([index as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn scan_subjects(
        &mut self,
        f: &mut dyn FnMut(u64, String, String) -> Result<()>,
    ) -> Result<()> {
        let mut st = self
            .conn
            .prepare("SELECT idx, alg, value FROM subjects ORDER BY idx, alg, value")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            f(r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?)?;
        }
        Ok(())
    }

    fn node(&mut self, level: u32, index: u64) -> Result<Option<Hash>> {
        lookup_node(&self.conn, level, index)
    }

    fn scan_nodes(&mut self, f: &mut dyn FnMut(u32, u64, Hash) -> Result<()>) -> Result<()> {
        let mut st = self
            .conn
            .prepare("SELECT level, idx, hash FROM tree_nodes ORDER BY level, idx")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let (l, i, h): (u32, i64, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            f(l, i as u64, to_hash(h, "stored tree node")?)?;
        }
        Ok(())
    }

    fn query(&mut self, q: &Query) -> Result<Vec<u64>> {
        let (sql, params) = q.to_sql(|n| format!("?{n}"));
        let mut st = self.conn.prepare(&sql)?;
        let values: Vec<rusqlite::types::Value> = params
            .into_iter()
            .map(|p| match p {
                Param::Text(s) => rusqlite::types::Value::Text(s),
                Param::Int(i) => rusqlite::types::Value::Integer(i),
            })
            .collect();
        let rows = st.query_map(params_from_iter(values), |r| r.get::<_, i64>(0))?;
        Ok(rows
            .map(|r| r.map(|i| i as u64))
            .collect::<rusqlite::Result<_>>()?)
    }

    fn add_checkpoint(&mut self, cp: &StoredCheckpoint) -> Result<()> {
        self.conn.execute(
            "INSERT INTO checkpoints (size, note, time) VALUES (?1, ?2, ?3)",
            params![cp.size as i64, cp.note, cp.time],
        )?;
        Ok(())
    }

    fn checkpoints(&mut self) -> Result<Vec<StoredCheckpoint>> {
        let mut st = self
            .conn
            .prepare("SELECT size, note, time FROM checkpoints ORDER BY size")?;
        let rows = st.query_map([], checkpoint_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn last_checkpoints(&mut self, n: u64) -> Result<Vec<StoredCheckpoint>> {
        let mut st = self
            .conn
            .prepare("SELECT size, note, time FROM checkpoints ORDER BY size DESC LIMIT ?1")?;
        let rows = st.query_map([i64::try_from(n).unwrap_or(i64::MAX)], checkpoint_row)?;
        let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    fn add_cosignature(&mut self, c: &StoredCosignature) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO cosignatures (size, witness, line, time) VALUES (?1, ?2, ?3, ?4)",
            params![c.size as i64, c.witness, c.line, c.time],
        )?;
        Ok(())
    }

    fn cosignatures(&mut self, size: u64) -> Result<Vec<StoredCosignature>> {
        let mut st = self.conn.prepare(
            "SELECT size, witness, line, time FROM cosignatures WHERE size = ?1 ORDER BY witness",
        )?;
        let rows = st.query_map([size as i64], |r| {
            Ok(StoredCosignature {
                size: r.get::<_, i64>(0)? as u64,
                witness: r.get(1)?,
                line: r.get(2)?,
                time: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn last_cosigned(&mut self, witness: &str) -> Result<Option<u64>> {
        let v: Option<i64> = self.conn.query_row(
            "SELECT max(size) FROM cosignatures WHERE witness = ?1",
            [witness],
            |r| r.get(0),
        )?;
        Ok(v.map(|v| v as u64))
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }
}

/// A `size, note, time` row of the checkpoints table.
fn checkpoint_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        size: r.get::<_, i64>(0)? as u64,
        note: r.get(1)?,
        time: r.get(2)?,
    })
}

#[cfg(test)]
mod tests {
    /// The bundled SQLite carries the fixes up to 3.50.2 (memory-safety advisories of earlier
    /// releases); a downgrade of rusqlite would fail here.
    #[test]
    fn the_bundled_sqlite_is_recent_enough() {
        assert!(
            rusqlite::version_number() >= 3_050_002,
            "bundled SQLite {} is older than 3.50.2",
            rusqlite::version()
        );
    }
}
