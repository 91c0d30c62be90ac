//! The connection pool and the migration runner.
//!
//! TLS to PostgreSQL: without `sslmode` in DATABASE_URL (or with `sslmode=disable`) the
//! connection is plain, as on a private network or a local socket. `sslmode=verify-full` with
//! `sslrootcert=/path/to/ca.pem` verifies the server's certificate against that CA and its
//! name (or IP address) against the host, as libpq does. Modes that would accept any
//! certificate (`require`, `verify-ca`, `prefer`, `allow`) are refused: a connection anyone in
//! between could read or change is not one a bank's service should use.

use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;

use crate::migrations::MIGRATIONS;

/// An arbitrary constant: the advisory lock that makes concurrent starts migrate one at a time.
const MIGRATION_LOCK: i64 = 0x706c_756d_625f_6d67;

/// A pool for a `postgresql://` URL (TLS as its `sslmode` says: see the module's comment).
pub fn pool(url: &str) -> Result<Pool, String> {
    let (url, tls) = tls_of(url)?;
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))?;
    match tls {
        None => pool_from_config(config),
        Some(tls) => build(Manager::from_config(
            config,
            tokio_postgres_rustls::MakeRustlsConnect::new(tls),
            manager_config(),
        )),
    }
}

/// A pool for a parsed configuration, without TLS.
pub fn pool_from_config(config: tokio_postgres::Config) -> Result<Pool, String> {
    build(Manager::from_config(config, NoTls, manager_config()))
}

fn manager_config() -> ManagerConfig {
    ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    }
}

fn build(manager: Manager) -> Result<Pool, String> {
    Pool::builder(manager)
        .max_size(16)
        .build()
        .map_err(|e| e.to_string())
}

/// The URL to hand to the driver and the TLS configuration a database URL asks for. The driver
/// is told `sslmode=require` when TLS is verified here (it leaves verification to the TLS
/// connector).
pub fn tls_of(url: &str) -> Result<(String, Option<rustls::ClientConfig>), String> {
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
    let tls = match mode.as_deref() {
        None | Some("disable") => {
            if root.is_some() {
                return Err("DATABASE_URL has sslrootcert without sslmode=verify-full".into());
            }
            None
        }
        Some("verify-full") => {
            let root = root.ok_or("sslmode=verify-full needs sslrootcert=/path/to/ca.pem")?;
            keep.push("sslmode=require".into());
            Some(client_config(std::path::Path::new(&root))?)
        }
        Some(other) => {
            return Err(format!(
                "sslmode={other} would accept any server certificate: use sslmode=verify-full with sslrootcert=/path/to/ca.pem (or no sslmode on a private network)"
            ));
        }
    };
    let url = if keep.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", keep.join("&"))
    };
    Ok((url, tls))
}

/// A TLS client trusting the CA certificates in `ca` (PEM) and nothing else.
fn client_config(ca: &std::path::Path) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let why = |e: &dyn std::fmt::Display| format!("sslrootcert {}: {e}", ca.display());
    let pem = std::fs::read(ca).map_err(|e| why(&e))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.map_err(|e| why(&e))?).map_err(|e| why(&e))?;
    }
    if roots.is_empty() {
        return Err(why(&"no certificate in it"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Applies the migrations not yet applied, in order, in one transaction. Refuses to continue
/// if an applied migration's SQL has changed since.
pub async fn migrate(pool: &Pool) -> Result<(), String> {
    let mut client = pool
        .get()
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let tx = client.transaction().await.map_err(|e| e.to_string())?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| e.to_string())?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version TEXT PRIMARY KEY,
            checksum TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await
    .map_err(|e| e.to_string())?;
    for (version, sql) in MIGRATIONS {
        let sum = checksum(sql);
        let applied = tx
            .query_opt(
                "SELECT checksum FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .await
            .map_err(|e| e.to_string())?;
        match applied {
            Some(row) => {
                let was: String = row.get(0);
                if was != sum {
                    return Err(format!(
                        "migration {version} was changed after it was applied (checksum {was}, now {sum}); restore it and add a new migration instead"
                    ));
                }
            }
            None => {
                tx.batch_execute(sql)
                    .await
                    .map_err(|e| format!("migration {version}: {e}"))?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                    &[version, &sum],
                )
                .await
                .map_err(|e| e.to_string())?;
                tracing::info!(version, "migration applied");
            }
        }
    }
    tx.commit().await.map_err(|e| e.to_string())
}

/// Whether every migration is applied (for readiness).
pub async fn migrated(pool: &Pool) -> Result<bool, String> {
    let client = pool.get().await.map_err(|e| e.to_string())?;
    let rows = client
        .query("SELECT version FROM schema_migrations", &[])
        .await
        .map_err(|e| e.to_string())?;
    let applied: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    Ok(MIGRATIONS
        .iter()
        .all(|(v, _)| applied.iter().any(|a| a == v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_ordered_and_unique() {
        let versions: Vec<&str> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
        let mut sorted = versions.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(versions, sorted, "versions must be unique and in order");
        assert_eq!(checksum("a"), checksum("a"));
        assert_ne!(checksum("a"), checksum("b"));
    }

    #[test]
    fn bad_urls_are_refused() {
        assert!(pool("not a url").is_err());
    }

    #[test]
    fn only_verified_tls_or_none_is_accepted() {
        let (url, tls) = tls_of("postgresql://a@h/d?application_name=x").unwrap();
        assert_eq!(url, "postgresql://a@h/d?application_name=x");
        assert!(tls.is_none());
        let (url, tls) = tls_of("postgresql://a@h/d?sslmode=disable").unwrap();
        assert_eq!(url, "postgresql://a@h/d");
        assert!(tls.is_none());
        for weak in ["require", "verify-ca", "prefer", "allow"] {
            let e = tls_of(&format!("postgresql://a@h/d?sslmode={weak}")).unwrap_err();
            assert!(e.contains("would accept any server certificate"), "{e}");
        }
        let e = tls_of("postgresql://a@h/d?sslmode=verify-full").unwrap_err();
        assert!(e.contains("needs sslrootcert"), "{e}");
        let e = tls_of("postgresql://a@h/d?sslrootcert=/ca.pem").unwrap_err();
        assert!(e.contains("without sslmode=verify-full"), "{e}");
        let e = tls_of("postgresql://a@h/d?sslmode=verify-full&sslrootcert=/nonexistent.pem")
            .unwrap_err();
        assert!(e.contains("/nonexistent.pem"), "{e}");
    }
}
