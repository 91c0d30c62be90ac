//! API tokens: 256 random bits, shown once, stored only as SHA-256 hashes (in
//! `<store>/tokens.json`, rewritten atomically), compared in constant time, with an expiry and
//! a role. Recorder tokens are limited to named systems.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Prefix of every token, so leaked tokens are easy to recognise and scan for.
pub const PREFIX: &str = "plumb_";

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything, including token management.
    Admin,
    /// Append evidence for its systems; nothing else.
    Recorder,
    /// Read and export.
    Auditor,
    /// Read, and manage incidents.
    IncidentManager,
    /// Scrape `/metrics`; nothing else (Prometheus' bearer token).
    Metrics,
    /// Ask for the post-deployment verdicts of its systems; nothing else. The token a
    /// progressive delivery controller (Argo Rollouts, Flagger) holds: it sits in cluster
    /// configuration that many people can read, so it can neither write nor read evidence.
    Controller,
}

impl Role {
    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "recorder" => Some(Role::Recorder),
            "auditor" => Some(Role::Auditor),
            "incident-manager" => Some(Role::IncidentManager),
            "metrics" => Some(Role::Metrics),
            "controller" => Some(Role::Controller),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Recorder => "recorder",
            Role::Auditor => "auditor",
            Role::IncidentManager => "incident-manager",
            Role::Metrics => "metrics",
            Role::Controller => "controller",
        }
    }

    /// Default lifetime: short for pipeline (recorder) tokens, long for the scraper.
    pub fn default_ttl(self) -> Duration {
        match self {
            Role::Recorder => Duration::hours(1),
            Role::Metrics => Duration::days(90),
            _ => Duration::days(30),
        }
    }
}

/// The longest lifetime a token may be given, in hours (one year): a token that never
/// expires is a credential nobody remembers to rotate.
pub const MAX_TTL_HOURS: i64 = 366 * 24;

/// A requested lifetime in hours, checked against [`MAX_TTL_HOURS`].
pub fn ttl_from_hours(hours: i64) -> Result<Duration, String> {
    if !(1..=MAX_TTL_HOURS).contains(&hours) {
        return Err(format!(
            "ttl_hours must be between 1 and {MAX_TTL_HOURS} (one year), got {hours}"
        ));
    }
    Ok(Duration::hours(hours))
}

/// A stored token (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Public id (first 12 hex digits of the hash).
    pub id: String,
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// Role.
    pub role: Role,
    /// Systems a recorder may write to; for auditors and incident managers, the systems they
    /// may read (empty: every system). See `scope.rs`.
    #[serde(default)]
    pub systems: Vec<String>,
    /// Who or what it is for.
    pub label: String,
    /// Created at (RFC 3339).
    pub created: String,
    /// Expires at (RFC 3339).
    pub expires: String,
    /// Revoked at, if revoked.
    #[serde(default)]
    pub revoked: Option<String>,
}

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token or not a plumb token.
    #[error("missing or malformed token")]
    Missing,
    /// Unknown token.
    #[error("unknown token")]
    Unknown,
    /// Past its expiry.
    #[error("token {0} has expired")]
    Expired(String),
    /// Revoked.
    #[error("token {0} was revoked")]
    Revoked(String),
}

fn stamp(path: &Path) -> Option<(std::time::SystemTime, u64)> {
    std::fs::metadata(path)
        .ok()
        .and_then(|m| Some((m.modified().ok()?, m.len())))
}

fn hash_hex(secret: &str) -> String {
    plumb_base::sha256_hex(secret.as_bytes())
}

/// `r` if it is neither revoked nor expired at `now`.
fn valid_at(r: &TokenRecord, now: DateTime<Utc>) -> Result<TokenRecord, AuthError> {
    if r.revoked.is_some() {
        return Err(AuthError::Revoked(r.id.clone()));
    }
    let exp = DateTime::parse_from_rfc3339(&r.expires).map_err(|_| AuthError::Unknown)?;
    if exp <= now {
        return Err(AuthError::Expired(r.id.clone()));
    }
    Ok(r.clone())
}

/// The token file of a store.
#[derive(Debug)]
pub struct Tokens {
    path: PathBuf,
    records: Vec<TokenRecord>,
    loaded: Option<(std::time::SystemTime, u64)>,
}

impl Tokens {
    /// Loads `<store>/tokens.json` (absent = no tokens).
    pub fn load(store: &Path) -> Result<Self, String> {
        let path = store.join("tokens.json");
        // Stamp before reading: if the file is replaced in between, the stamp is stale and the
        // next refresh reads again. Stamping after reading could pair old records with the new
        // file's stamp, and the new tokens would never be seen.
        let loaded = stamp(&path);
        let records = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Ok(Tokens {
            path,
            records,
            loaded,
        })
    }

    /// Reloads the file if another process (`plumb token create`) changed it.
    pub fn refresh(&mut self) -> Result<(), String> {
        // Modification times can be coarser than two writes; the length changes with every token.
        if stamp(&self.path) != self.loaded {
            let dir = self
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            *self = Tokens::load(&dir)?;
        }
        Ok(())
    }

    fn save(&mut self) -> Result<(), String> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let tmp = self.path.with_extension("json.tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| e.to_string())?;
        let json = serde_json::to_vec_pretty(&self.records).map_err(|e| e.to_string())?;
        f.write_all(&json)
            .and_then(|_| f.sync_all())
            .map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &self.path).map_err(|e| e.to_string())?;
        self.loaded = stamp(&self.path);
        Ok(())
    }

    /// Creates a token and returns its secret (shown once) and record.
    pub fn create(
        &mut self,
        role: Role,
        systems: Vec<String>,
        label: &str,
        ttl: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Result<(String, TokenRecord), String> {
        if matches!(role, Role::Recorder | Role::Controller) && systems.is_empty() {
            return Err(format!("a {} token needs at least one system", role.name()));
        }
        if matches!(role, Role::Admin | Role::Metrics) && !systems.is_empty() {
            return Err(format!(
                "{} tokens are not limited to systems; limit recorder, auditor and incident-manager tokens",
                role.name()
            ));
        }
        for sys in &systems {
            plumb_ledger::entry::check_label("system", sys).map_err(|e| e.to_string())?;
        }
        let ttl = ttl.unwrap_or(role.default_ttl());
        if ttl <= Duration::zero() || ttl > Duration::hours(MAX_TTL_HOURS) {
            return Err(format!(
                "a token lives between one hour and {MAX_TTL_HOURS} hours (one year)"
            ));
        }
        let expires = now
            .checked_add_signed(ttl)
            .ok_or("the expiry is out of range")?;
        let mut raw = [0u8; 32];
        getrandom::getrandom(&mut raw).map_err(|e| e.to_string())?;
        let secret = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw));
        let hash = hash_hex(&secret);
        let rec = TokenRecord {
            id: hash.get(..12).unwrap_or(&hash).to_string(),
            hash,
            role,
            systems,
            label: label.to_string(),
            created: now.to_rfc3339(),
            expires: expires.to_rfc3339(),
            revoked: None,
        };
        self.records.push(rec.clone());
        self.save()?;
        Ok((secret, rec))
    }

    /// Revokes a token by id.
    pub fn revoke(&mut self, id: &str, now: DateTime<Utc>) -> Result<TokenRecord, String> {
        let r = self
            .records
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| format!("no token {id}"))?;
        r.revoked.get_or_insert_with(|| now.to_rfc3339());
        let r = r.clone();
        self.save()?;
        Ok(r)
    }

    /// The token's record if it is valid at `now`. Every stored hash is compared, in constant
    /// time, so timing does not reveal which tokens exist.
    pub fn check(&self, secret: &str, now: DateTime<Utc>) -> Result<TokenRecord, AuthError> {
        if !secret.starts_with(PREFIX) || secret.len() > 100 {
            return Err(AuthError::Missing);
        }
        let h = hash_hex(secret);
        let mut found = None;
        for r in &self.records {
            if bool::from(r.hash.as_bytes().ct_eq(h.as_bytes())) {
                found = Some(r);
            }
        }
        valid_at(found.ok_or(AuthError::Unknown)?, now)
    }

    /// The record with public id `id` if it is still valid at `now` (not revoked, not
    /// expired): a UI session ends with its token.
    pub fn still_valid(&self, id: &str, now: DateTime<Utc>) -> Result<TokenRecord, AuthError> {
        let r = self
            .records
            .iter()
            .find(|r| r.id == id)
            .ok_or(AuthError::Unknown)?;
        valid_at(r, now)
    }

    /// All records.
    pub fn list(&self) -> &[TokenRecord] {
        &self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hashed_expiring_and_revocable() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let mut t = Tokens::load(dir.path()).unwrap();
        let (secret, rec) = t.create(Role::Auditor, vec![], "alice", None, now).unwrap();
        assert!(
            secret.starts_with(PREFIX) && secret.len() >= PREFIX.len() + 43,
            "at least 256 bits"
        );
        let stored = std::fs::read_to_string(dir.path().join("tokens.json")).unwrap();
        assert!(
            !stored.contains(&secret[PREFIX.len()..]),
            "the secret is never stored"
        );
        let t = Tokens::load(dir.path()).unwrap();
        assert_eq!(t.check(&secret, now).unwrap().id, rec.id);
        assert_eq!(t.check(&format!("{secret}x"), now), Err(AuthError::Unknown));
        assert_eq!(t.check("Bearer nonsense", now), Err(AuthError::Missing));
        assert!(matches!(
            t.check(&secret, now + Duration::days(31)),
            Err(AuthError::Expired(_))
        ));
        let mut t = t;
        t.revoke(&rec.id, now).unwrap();
        assert!(matches!(t.check(&secret, now), Err(AuthError::Revoked(_))));
        assert!(
            t.create(Role::Recorder, vec![], "ci", None, now).is_err(),
            "recorders need systems"
        );
        assert!(
            t.create(Role::Controller, vec![], "flagger", None, now)
                .unwrap_err()
                .contains("controller token needs at least one system"),
            "controllers need systems"
        );
        let (_, r) = t
            .create(Role::Recorder, vec!["payments".into()], "ci", None, now)
            .unwrap();
        assert_eq!(
            DateTime::parse_from_rfc3339(&r.expires).unwrap()
                - DateTime::parse_from_rfc3339(&r.created).unwrap(),
            Duration::hours(1),
            "pipeline tokens are short-lived"
        );
    }
}
