//! Password hashing with Argon2id (RFC 9106), with the parameters OWASP recommends for
//! Argon2id: 19 MiB of memory, 2 passes, 1 lane. Hashes are PHC strings, so the parameters
//! travel with each hash and can be raised later without breaking existing accounts.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password accepted.
pub const MIN_LEN: usize = 12;
/// Longest password accepted (hashing cost grows with length; this bounds it).
pub const MAX_LEN: usize = 256;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with a fresh random salt.
pub fn hash(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the stored hash (false for a malformed hash).
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(h) => hasher().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of no one's password: verified against when an address is unknown.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no account has this password").expect("hashing works"))
}

/// [`hash`] on the blocking pool: Argon2 takes tens of milliseconds of CPU, which would stall
/// every other request sharing an async worker.
pub async fn hash_off_thread(password: String) -> Result<String, crate::web::AppError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| crate::web::AppError::Internal(e.to_string()))?
        .map_err(crate::web::AppError::Internal)
}

/// [`verify`] on the blocking pool.
pub async fn verify_off_thread(
    password: String,
    stored: String,
) -> Result<bool, crate::web::AppError> {
    tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .map_err(|e| crate::web::AppError::Internal(e.to_string()))
}

/// Why a new password is refused, if it is.
pub fn weakness(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        Some(format!("use at least {MIN_LEN} characters"))
    } else if password.len() > MAX_LEN {
        Some(format!("use at most {MAX_LEN} bytes"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse battery!", &a));
        assert!(!verify("correct horse battery", "not a hash"));
        assert!(!verify("correct horse battery", dummy_hash()));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(weakness("short").is_some());
        assert!(weakness(&"x".repeat(MAX_LEN + 1)).is_some());
        assert!(weakness("twelve chars").is_none());
    }
}
