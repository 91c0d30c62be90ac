//! The connection pool and the migration runner.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;

use crate::migrations::MIGRATIONS;

/// An arbitrary constant: the advisory lock that makes concurrent starts migrate one at a time.
const MIGRATION_LOCK: i64 = 0x706c_756d_625f_6d67;

/// A pool for a `postgresql://` URL.
pub fn pool(url: &str) -> Result<Pool, String> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))?;
    pool_from_config(config)
}

/// A pool for a parsed configuration.
pub fn pool_from_config(config: tokio_postgres::Config) -> Result<Pool, String> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(16)
        .build()
        .map_err(|e| e.to_string())
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
}
