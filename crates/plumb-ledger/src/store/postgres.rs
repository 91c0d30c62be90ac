//! The shared backend: PostgreSQL, chosen by a `postgres://` URL. Several processes may append
//! to one log; a transaction-scoped advisory lock makes the database the single sequencer, so
//! two writers can never assign the same index or fork the tree.

use postgres::{Client, NoTls, Transaction};

use super::{
    APPEND_ONLY_MESSAGE, Backend, Param, Query, STORE_VERSION, StoredCheckpoint, StoredCosignature,
    StoredEntry, nodes_for_batch, to_hash,
};
use crate::entry::NewEntry;
use crate::error::{Error, Result};
use crate::hash::Hash;

/// Advisory lock id held while a batch is sequenced ("plumb" in ASCII).
const SEQUENCER_LOCK: i64 = 0x0070_6c75_6d62;

const TABLES: [&str; 5] = ["meta", "entries", "subjects", "tree_nodes", "checkpoints"];

/// The table added when witnesses came, created with its triggers and privileges.
const COSIGNATURES: &str = "CREATE TABLE cosignatures (size BIGINT NOT NULL, witness TEXT NOT NULL,
    line TEXT NOT NULL, time TEXT NOT NULL, PRIMARY KEY (size, witness));\n";

/// Triggers and privileges making table `t` append-only, with SELECT and INSERT for `role`.
fn append_only(t: &str, role: Option<&str>) -> String {
    let mut s = format!(
        "CREATE TRIGGER {t}_no_change BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION plumb_append_only();
         CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION plumb_append_only();
         REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM PUBLIC;\n"
    );
    if let Some(role) = role {
        s.push_str(&format!("GRANT SELECT, INSERT ON {t} TO \"{role}\";\n"));
    }
    s
}

/// A PostgreSQL-backed log.
pub struct PostgresBackend {
    client: Client,
}

fn schema(grant_role: Option<&str>) -> String {
    let mut s = format!(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE entries (
             idx BIGINT PRIMARY KEY,
             leaf_hash BYTEA NOT NULL,
             entry BYTEA NOT NULL,
             predicate_type TEXT NOT NULL,
             system TEXT,
             run TEXT,
             time TEXT NOT NULL);
         CREATE INDEX entries_system ON entries(system, idx);
         CREATE INDEX entries_predicate ON entries(predicate_type, idx);
         CREATE INDEX entries_run ON entries(run, idx);
         CREATE INDEX entries_time ON entries(time, idx);
         CREATE TABLE subjects (idx BIGINT NOT NULL, alg TEXT NOT NULL, value TEXT NOT NULL);
         CREATE INDEX subjects_value ON subjects(value, alg, idx);
         CREATE INDEX subjects_idx ON subjects(idx);
         CREATE TABLE tree_nodes (level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL,
             PRIMARY KEY (level, idx));
         CREATE TABLE checkpoints (size BIGINT PRIMARY KEY, note TEXT NOT NULL, time TEXT NOT NULL);
         CREATE FUNCTION plumb_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$;\n"
    );
    for t in TABLES {
        s.push_str(&append_only(t, grant_role));
    }
    s.push_str(COSIGNATURES);
    s.push_str(&append_only("cosignatures", grant_role));
    s
}

/// The TLS a database URL asks for. Without `sslmode` (or with `disable`) the connection is
/// plain, as on a local Unix socket. `sslmode=verify-full` with `sslrootcert=CA.pem` verifies
/// the server's certificate against that CA and its name against the host, as libpq does; the
/// URL handed to the driver then says `require` (the driver leaves verification to the TLS
/// connector). Modes that would accept any certificate are refused: an evidence store is not
/// written through a connection anyone in between could read or change.
fn tls_of(url: &str) -> Result<(String, Option<rustls::ClientConfig>)> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut keep = Vec::new();
    let (mut mode, mut root) = (None, None);
    for kv in query.split('&').filter(|kv| !kv.is_empty()) {
        match kv.split_once('=') {
            Some(("sslmode", v)) => mode = Some(v.to_string()),
            Some(("sslrootcert", v)) => root = Some(v.to_string()),
            _ => keep.push(kv.to_string()),
        }
    }
    let join = |keep: &[String]| {
        if keep.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", keep.join("&"))
        }
    };
    match mode.as_deref() {
        None | Some("disable") => {
            if root.is_some() {
                return Err(Error::Malformed(
                    "sslrootcert without sslmode=verify-full".into(),
                ));
            }
            if mode.is_some() {
                keep.push("sslmode=disable".into());
            }
            Ok((join(&keep), None))
        }
        Some("verify-full") => {
            let root = root.ok_or_else(|| {
                Error::Malformed("sslmode=verify-full needs sslrootcert=/path/to/ca.pem".into())
            })?;
            let config = client_config(std::path::Path::new(&root))?;
            keep.push("sslmode=require".into());
            Ok((join(&keep), Some(config)))
        }
        Some(other) => Err(Error::Malformed(format!(
            "sslmode={other} would accept any server certificate: use sslmode=verify-full with sslrootcert=/path/to/ca.pem (or no sslmode on a local socket)"
        ))),
    }
}

/// A TLS client trusting the CA certificates in `ca` (PEM) and nothing else.
fn client_config(ca: &std::path::Path) -> Result<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(ca)
        .map_err(|e| Error::Malformed(format!("sslrootcert {}: {e}", ca.display())))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert =
            cert.map_err(|e| Error::Malformed(format!("sslrootcert {}: {e}", ca.display())))?;
        roots
            .add(cert)
            .map_err(|e| Error::Malformed(format!("sslrootcert {}: {e}", ca.display())))?;
    }
    if roots.is_empty() {
        return Err(Error::Malformed(format!(
            "sslrootcert {}: no certificate in it",
            ca.display()
        )));
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Malformed(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn check_role(role: &str) -> Result<()> {
    if role.is_empty() || !role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::Malformed(format!(
            "role {role:?} must be letters, digits and underscores"
        )));
    }
    Ok(())
}

impl PostgresBackend {
    fn connect(url: &str) -> Result<Client> {
        let (url, tls) = tls_of(url)?;
        let connected = match tls {
            None => Client::connect(&url, NoTls),
            Some(config) => {
                Client::connect(&url, tokio_postgres_rustls::MakeRustlsConnect::new(config))
            }
        };
        connected.map_err(|e| {
            // The reason a TLS handshake failed (an unknown issuer, a name the certificate
            // does not carry) is in the error's sources; say it.
            let mut why = Vec::new();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why.push(s.to_string());
                source = s.source();
            }
            let detail = if why.is_empty() {
                String::new()
            } else {
                format!(" ({})", why.join(": "))
            };
            Error::Database(format!(
                "cannot connect to PostgreSQL: {}{detail}",
                crate::error::Error::from(e)
            ))
        })
    }

    /// Creates the log tables, triggers and privileges. `grant_role`, if given, is the role the
    /// application will connect as: it gets SELECT and INSERT only.
    pub fn create(url: &str, origin: &str, grant_role: Option<&str>) -> Result<Self> {
        if let Some(r) = grant_role {
            check_role(r)?;
        }
        let mut client = Self::connect(url)?;
        let mut tx = client.transaction()?;
        let exists: Option<String> = tx
            .query_one("SELECT to_regclass('entries')::text", &[])?
            .try_get(0)?;
        if exists.is_some() {
            return Err(Error::State("the database already holds a log".into()));
        }
        tx.batch_execute(&schema(grant_role))?;
        tx.execute(
            "INSERT INTO meta VALUES ('store_version', $1)",
            &[&STORE_VERSION.to_string()],
        )?;
        tx.execute("INSERT INTO meta VALUES ('origin', $1)", &[&origin])?;
        tx.commit()?;
        Ok(PostgresBackend { client })
    }

    /// Connects to an existing log and checks its version.
    pub fn open(url: &str) -> Result<Self> {
        let mut b = PostgresBackend {
            client: Self::connect(url)?,
        };
        let exists: Option<String> = b
            .client
            .query_one("SELECT to_regclass('meta')::text", &[])?
            .try_get(0)?;
        if exists.is_none() {
            return Err(Error::StoreVersion {
                found: "none (not a plumb log)".into(),
                supported: STORE_VERSION,
            });
        }
        match b.meta("store_version")? {
            Some(v) if v == STORE_VERSION.to_string() => {
                b.add_cosignatures_table()?;
                Ok(b)
            }
            Some(v) => Err(Error::StoreVersion {
                found: v,
                supported: STORE_VERSION,
            }),
            None => Err(Error::StoreVersion {
                found: "none".into(),
                supported: STORE_VERSION,
            }),
        }
    }
}

impl PostgresBackend {
    /// Adds the cosignatures table to a log made before witnesses were supported, granting
    /// on it what the application roles have on `checkpoints`. Only the tables' owner can:
    /// until it has opened the log once, others are told so.
    fn add_cosignatures_table(&mut self) -> Result<()> {
        let exists: Option<String> = self
            .client
            .query_one("SELECT to_regclass('cosignatures')::text", &[])?
            .try_get(0)?;
        if exists.is_some() {
            return Ok(());
        }
        let mut tx = self.client.transaction()?;
        let roles: Vec<String> = tx
            .query(
                "SELECT DISTINCT grantee::text FROM information_schema.role_table_grants
                 WHERE table_name = 'checkpoints' AND privilege_type = 'INSERT'
                   AND grantee::text <> current_user::text AND grantee::text <> 'PUBLIC'",
                &[],
            )?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        let mut sql = String::from(COSIGNATURES);
        sql.push_str(&append_only("cosignatures", None));
        for role in &roles {
            check_role(role)?;
            sql.push_str(&format!(
                "GRANT SELECT, INSERT ON cosignatures TO \"{role}\";\n"
            ));
        }
        tx.batch_execute(&sql).map_err(|e| {
            Error::State(format!(
                "this log predates witness cosignatures and its cosignatures table cannot be added with this role ({}); open it once as the tables' owner (for example `plumb verify`)",
                Error::from(e)
            ))
        })?;
        tx.commit()?;
        Ok(())
    }
}

fn lookup_node(tx: &mut Transaction<'_>, level: u32, index: u64) -> Result<Option<Hash>> {
    let row = if level == 0 {
        tx.query_opt(
            "SELECT leaf_hash FROM entries WHERE idx = $1",
            &[&(index as i64)],
        )?
    } else {
        tx.query_opt(
            "SELECT hash FROM tree_nodes WHERE level = $1 AND idx = $2",
            &[&(level as i32), &(index as i64)],
        )?
    };
    row.map(|r| to_hash(r.try_get(0)?, "stored tree node"))
        .transpose()
}

const ENTRY_COLUMNS: &str = "idx, leaf_hash, entry, predicate_type, system, run, time";

fn stored(r: &postgres::Row) -> Result<StoredEntry> {
    Ok(StoredEntry {
        index: r.try_get::<_, i64>(0)? as u64,
        leaf_hash: to_hash(r.try_get(1)?, "stored leaf hash")?,
        bytes: r.try_get(2)?,
        predicate_type: r.try_get(3)?,
        system: r.try_get(4)?,
        run: r.try_get(5)?,
        time: r.try_get(6)?,
    })
}

impl Backend for PostgresBackend {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn append(&mut self, batch: &[NewEntry]) -> Result<u64> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SEQUENCER_LOCK])?;
        let start: i64 = tx
            .query_one("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", &[])?
            .try_get(0)?;
        let nodes = nodes_for_batch(start as u64, batch, |l, i| lookup_node(&mut tx, l, i))?;
        // One statement per table for the whole batch, its rows sent as arrays (UNNEST): a
        // batch costs a few round trips, not one per row, so batching pays on PostgreSQL as
        // it does on SQLite. Still one transaction under the sequencer lock.
        let idxs: Vec<i64> = (0..batch.len()).map(|i| start + i as i64).collect();
        let leaves: Vec<&[u8]> = batch.iter().map(|e| &e.leaf_hash[..]).collect();
        let bodies: Vec<&[u8]> = batch.iter().map(|e| e.bytes.as_slice()).collect();
        let types: Vec<&str> = batch.iter().map(|e| e.predicate_type.as_str()).collect();
        let systems: Vec<Option<&str>> = batch.iter().map(|e| e.system.as_deref()).collect();
        let runs: Vec<Option<&str>> = batch.iter().map(|e| e.run.as_deref()).collect();
        let times: Vec<&str> = batch.iter().map(|e| e.time.as_str()).collect();
        tx.execute(
            "INSERT INTO entries (idx, leaf_hash, entry, predicate_type, system, run, time) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[])",
            &[&idxs, &leaves, &bodies, &types, &systems, &runs, &times],
        )?;
        let mut s_idx: Vec<i64> = Vec::new();
        let mut s_alg: Vec<&str> = Vec::new();
        let mut s_val: Vec<&str> = Vec::new();
        for (idx, e) in idxs.iter().zip(batch) {
            for (alg, v) in &e.subjects {
                s_idx.push(*idx);
                s_alg.push(alg);
                s_val.push(v);
            }
        }
        if !s_idx.is_empty() {
            tx.execute(
                "INSERT INTO subjects (idx, alg, value) SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[])",
                &[&s_idx, &s_alg, &s_val],
            )?;
        }
        if !nodes.is_empty() {
            let levels: Vec<i32> = nodes.iter().map(|n| n.level as i32).collect();
            let n_idx: Vec<i64> = nodes.iter().map(|n| n.index as i64).collect();
            let hashes: Vec<&[u8]> = nodes.iter().map(|n| &n.hash[..]).collect();
            tx.execute(
                "INSERT INTO tree_nodes (level, idx, hash) SELECT * FROM UNNEST($1::INTEGER[], $2::BIGINT[], $3::BYTEA[])",
                &[&levels, &n_idx, &hashes],
            )?;
        }
        tx.commit()?;
        Ok(start as u64)
    }

    fn size(&mut self) -> Result<u64> {
        let n: i64 = self
            .client
            .query_one("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", &[])?
            .try_get(0)?;
        Ok(n as u64)
    }

    fn entry(&mut self, index: u64) -> Result<Option<StoredEntry>> {
        let r = self.client.query_opt(
            &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE idx = $1"),
            &[&(index as i64)],
        )?;
        r.as_ref().map(stored).transpose()
    }

    fn scan(&mut self, from: u64, f: &mut dyn FnMut(StoredEntry) -> Result<()>) -> Result<()> {
        // Pages keep memory flat on large logs without holding a cursor open.
        let mut next = from as i64;
        loop {
            let rows = self.client.query(
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM entries WHERE idx >= $1 ORDER BY idx LIMIT 10000"
                ),
                &[&next],
            )?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            next = next_after(last.try_get::<_, i64>(0)?)?;
            for r in &rows {
                f(stored(r)?)?;
            }
        }
    }

    fn subjects(&mut self, index: u64) -> Result<Vec<(String, String)>> {
        let rows = self.client.query(
            "SELECT alg, value FROM subjects WHERE idx = $1 ORDER BY alg, value",
            &[&(index as i64)],
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn scan_subjects(
        &mut self,
        f: &mut dyn FnMut(u64, String, String) -> Result<()>,
    ) -> Result<()> {
        // One ordered pass through a portal keeps memory flat however many subjects there are.
        let mut tx = self.client.transaction()?;
        let portal = tx.bind(
            "SELECT idx, alg, value FROM subjects ORDER BY idx, alg, value",
            &[],
        )?;
        loop {
            let rows = tx.query_portal(&portal, 10_000)?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                f(r.try_get::<_, i64>(0)? as u64, r.try_get(1)?, r.try_get(2)?)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn node(&mut self, level: u32, index: u64) -> Result<Option<Hash>> {
        let mut tx = self.client.transaction()?;
        let n = lookup_node(&mut tx, level, index)?;
        tx.commit()?;
        Ok(n)
    }

    fn scan_nodes(&mut self, f: &mut dyn FnMut(u32, u64, Hash) -> Result<()>) -> Result<()> {
        let mut next = (0i32, 0i64);
        loop {
            let rows = self.client.query(
                "SELECT level, idx, hash FROM tree_nodes WHERE (level, idx) >= ($1, $2) ORDER BY level, idx LIMIT 10000",
                &[&next.0, &next.1],
            )?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            next = (last.try_get(0)?, next_after(last.try_get::<_, i64>(1)?)?);
            for r in &rows {
                f(
                    r.try_get::<_, i32>(0)? as u32,
                    r.try_get::<_, i64>(1)? as u64,
                    to_hash(r.try_get(2)?, "stored tree node")?,
                )?;
            }
        }
    }

    fn query(&mut self, q: &Query) -> Result<Vec<u64>> {
        let (sql, params) = q.to_sql(|n| format!("${n}"));
        let owned: Vec<Box<dyn postgres::types::ToSql + Sync>> = params
            .into_iter()
            .map(|p| -> Box<dyn postgres::types::ToSql + Sync> {
                match p {
                    Param::Text(s) => Box::new(s),
                    Param::Int(i) => Box::new(i),
                }
            })
            .collect();
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            owned.iter().map(|b| b.as_ref()).collect();
        let rows = self.client.query(&sql, &refs)?;
        rows.iter()
            .map(|r| Ok(r.try_get::<_, i64>(0)? as u64))
            .collect()
    }

    fn add_checkpoint(&mut self, cp: &StoredCheckpoint) -> Result<()> {
        self.client.execute(
            "INSERT INTO checkpoints (size, note, time) VALUES ($1, $2, $3)",
            &[&(cp.size as i64), &cp.note, &cp.time],
        )?;
        Ok(())
    }

    fn checkpoints(&mut self) -> Result<Vec<StoredCheckpoint>> {
        let rows = self.client.query(
            "SELECT size, note, time FROM checkpoints ORDER BY size",
            &[],
        )?;
        rows.iter().map(checkpoint_row).collect()
    }

    fn last_checkpoints(&mut self, n: u64) -> Result<Vec<StoredCheckpoint>> {
        let limit = i64::try_from(n).unwrap_or(i64::MAX);
        let rows = self.client.query(
            "SELECT size, note, time FROM checkpoints ORDER BY size DESC LIMIT $1",
            &[&limit],
        )?;
        rows.iter().rev().map(checkpoint_row).collect()
    }

    fn add_cosignature(&mut self, c: &StoredCosignature) -> Result<()> {
        self.client.execute(
            "INSERT INTO cosignatures (size, witness, line, time) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&(c.size as i64), &c.witness, &c.line, &c.time],
        )?;
        Ok(())
    }

    fn cosignatures(&mut self, size: u64) -> Result<Vec<StoredCosignature>> {
        let rows = self.client.query(
            "SELECT size, witness, line, time FROM cosignatures WHERE size = $1 ORDER BY witness",
            &[&(size as i64)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(StoredCosignature {
                    size: r.try_get::<_, i64>(0)? as u64,
                    witness: r.try_get(1)?,
                    line: r.try_get(2)?,
                    time: r.try_get(3)?,
                })
            })
            .collect()
    }

    fn last_cosigned(&mut self, witness: &str) -> Result<Option<u64>> {
        let v: Option<i64> = self
            .client
            .query_one(
                "SELECT max(size) FROM cosignatures WHERE witness = $1",
                &[&witness],
            )?
            .try_get(0)?;
        Ok(v.map(|v| v as u64))
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self
            .client
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
            .map(|r| r.try_get(0))
            .transpose()?)
    }
}

/// The index after `last`, a stored value: the largest one has none.
fn next_after(last: i64) -> Result<i64> {
    last.checked_add(1)
        .ok_or_else(|| Error::Integrity(format!("stored index {last} is the largest there is")))
}

/// A `size, note, time` row of the checkpoints table.
fn checkpoint_row(r: &postgres::Row) -> Result<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        size: r.try_get::<_, i64>(0)? as u64,
        note: r.try_get(1)?,
        time: r.try_get(2)?,
    })
}
