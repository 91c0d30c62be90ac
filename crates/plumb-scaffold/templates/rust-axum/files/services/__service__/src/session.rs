//! Sessions and CSRF protection.
//!
//! A visitor who is not signed in has no session and nothing is written for them: the forms
//! they see (sign in, register) carry a signed, expiring CSRF token that is also in a
//! `__Host-csrf` cookie (HttpOnly, Secure, SameSite=Lax, this host only); a POST is accepted
//! when the form's token equals the cookie's and its signature (HMAC-SHA256 with the key in
//! `csrf_key`) and expiry (one hour) hold. Signing in creates the session (no session
//! fixation): the cookie holds 32 random bytes, the database only their SHA-256, and the
//! session's own CSRF token (synchronizer token pattern) protects every form from then on.

use axum::http::HeaderMap;
use axum::http::header::{COOKIE, SET_COOKIE};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::web::AppError;

/// The cookie's name.
pub const COOKIE_NAME: &str = "session";
/// The cookie holding an anonymous visitor's signed CSRF token.
pub const CSRF_COOKIE: &str = "__Host-csrf";
/// Lifetime of an anonymous visitor's CSRF token, in seconds.
pub const ANONYMOUS_CSRF_SECS: u64 = 3600;

/// The key signing anonymous visitors' CSRF tokens: one per database, made by the first
/// replica to start (table `csrf_key`), so every replica accepts every replica's forms.
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(..)")
    }
}

impl CsrfKey {
    /// The database's key, made now if this is the first start.
    pub async fn load(pool: &deadpool_postgres::Pool) -> Result<CsrfKey, String> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| format!("no randomness: {e}"))?;
        let client = pool.get().await.map_err(|e| e.to_string())?;
        client
            .execute(
                "INSERT INTO csrf_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                &[&fresh.as_slice()],
            )
            .await
            .map_err(|e| e.to_string())?;
        let key: Vec<u8> = client
            .query_one("SELECT key FROM csrf_key WHERE id = 1", &[])
            .await
            .map_err(|e| e.to_string())?
            .get(0);
        <[u8; 32]>::try_from(key.as_slice())
            .map(CsrfKey)
            .map_err(|_| "csrf_key holds a key that is not 32 bytes".to_string())
    }

    fn mac(&self, expiry: u64, nonce: &str) -> String {
        let Ok(mut m) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            // HMAC takes a key of any length: this cannot happen.
            return String::new();
        };
        m.update(format!("anon-csrf-v1.{expiry}.{nonce}").as_bytes());
        URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
    }

    /// A token valid until `expiry` (seconds since the epoch) for the random `nonce`.
    pub fn token(&self, expiry: u64, nonce: &str) -> String {
        format!("{expiry}.{nonce}.{}", self.mac(expiry, nonce))
    }

    /// Whether `token` was signed with this key and is unexpired at `now`.
    pub fn valid(&self, token: &str, now: u64) -> bool {
        let mut parts = token.splitn(3, '.');
        let (Some(expiry), Some(nonce), Some(mac)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(expiry) = expiry.parse::<u64>() else {
            return false;
        };
        expiry > now
            && expiry <= now.saturating_add(ANONYMOUS_CSRF_SECS + 60)
            && tokens_match(&self.mac(expiry, nonce), mac)
    }
}

/// Seconds since the epoch.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The `Set-Cookie` value for an anonymous visitor's CSRF token.
pub fn csrf_cookie(token: &str) -> String {
    format!(
        "{CSRF_COOKIE}={token}; Path=/; Max-Age={ANONYMOUS_CSRF_SECS}; HttpOnly; Secure; SameSite=Lax"
    )
}
/// Lifetime of an anonymous session, in hours.
const ANONYMOUS_HOURS: i64 = 1;

/// A session found from the request's cookie.
#[derive(Debug, Clone)]
pub struct Session {
    /// SHA-256 (hex) of the cookie's token.
    pub id_hash: String,
    /// The signed-in user, if any.
    pub user: Option<User>,
    /// The CSRF token forms must carry.
    pub csrf: String,
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// Email address.
    pub email: String,
}

/// 32 random bytes, URL-safe base64 without padding.
pub fn random_token() -> Result<String, AppError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// SHA-256 (hex) of a token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether two tokens are equal, in constant time.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The `Set-Cookie` value for a session token. Always HttpOnly (no script reads it), Secure
/// (HTTPS only; browsers treat http://localhost as secure for development) and SameSite=Lax.
pub fn cookie(token: &str, max_age_secs: i64) -> String {
    format!("{COOKIE_NAME}={token}; Path=/; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Lax")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn expired_cookie() -> String {
    cookie("", 0)
}

/// The session token in the request's cookies, if any.
pub fn token_from(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE_NAME)
}

/// The value of cookie `name` in the request, if it has one of a sensible length.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The live session of the request, if it has one.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, AppError> {
    let Some(token) = token_from(headers) else {
        return Ok(None);
    };
    let id_hash = token_hash(&token);
    let client = state.pool.get().await?;
    let row = client
        .query_opt(
            "SELECT s.csrf_token, u.id, u.email FROM sessions s LEFT JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = $1 AND s.expires_at > now()",
            &[&id_hash],
        )
        .await?;
    Ok(row.map(|r| Session {
        id_hash,
        csrf: r.get(0),
        user: r.get::<_, Option<i64>>(1).map(|id| User {
            id,
            email: r.get(2),
        }),
    }))
}

/// Creates a session (anonymous when `user` is None) and returns it with its Set-Cookie value.
pub async fn create(state: &AppState, user: Option<User>) -> Result<(Session, String), AppError> {
    let token = random_token()?;
    let csrf = random_token()?;
    let id_hash = token_hash(&token);
    let hours = if user.is_some() {
        state.config.session_ttl_hours
    } else {
        ANONYMOUS_HOURS
    };
    let client = state.pool.get().await?;
    // Expired sessions are useless; removing them here keeps the table small without a job.
    client
        .execute("DELETE FROM sessions WHERE expires_at < now()", &[])
        .await?;
    client
        .execute(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at)
             VALUES ($1, $2, $3, now() + make_interval(hours => $4::int))",
            &[
                &id_hash,
                &user.as_ref().map(|u| u.id),
                &csrf,
                &(hours as i32),
            ],
        )
        .await?;
    Ok((
        Session {
            id_hash,
            user,
            csrf,
        },
        cookie(&token, hours * 3600),
    ))
}

/// The request's session, or for a visitor without one a session-less view of them with a
/// signed CSRF token for the page's forms (the one in their `__Host-csrf` cookie while it is
/// valid, so two open forms both work). The second value is the Set-Cookie header to send when
/// a new token was made. Nothing is written to the database.
pub async fn ensure(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Session, Option<String>), AppError> {
    if let Some(s) = current(state, headers).await? {
        return Ok((s, None));
    }
    let now = unix_now();
    let anonymous = |csrf: String| Session {
        id_hash: String::new(),
        user: None,
        csrf,
    };
    if let Some(t) = cookie_value(headers, CSRF_COOKIE).filter(|t| state.csrf_key.valid(t, now)) {
        return Ok((anonymous(t), None));
    }
    let token = state
        .csrf_key
        .token(now + ANONYMOUS_CSRF_SECS, &random_token()?);
    let cookie = csrf_cookie(&token);
    Ok((anonymous(token), Some(cookie)))
}

/// The session of a state-changing request, refused (403) unless the form's token matches.
pub async fn checked(
    state: &AppState,
    headers: &HeaderMap,
    form_token: &str,
) -> Result<Session, AppError> {
    let refused = AppError::Forbidden("CSRF check failed: reload the page and try again");
    match current(state, headers).await? {
        Some(s) if tokens_match(&s.csrf, form_token) => Ok(s),
        Some(_) => Err(refused),
        None => {
            // A visitor without a session: the form's token must be the cookie's, signed by us
            // and unexpired.
            let cookie = cookie_value(headers, CSRF_COOKIE).unwrap_or_default();
            if tokens_match(&cookie, form_token) && state.csrf_key.valid(form_token, unix_now()) {
                Ok(Session {
                    id_hash: String::new(),
                    user: None,
                    csrf: form_token.to_string(),
                })
            } else {
                Err(refused)
            }
        }
    }
}

/// Deletes a session (nothing for a visitor who had none).
pub async fn delete(state: &AppState, id_hash: &str) -> Result<(), AppError> {
    if id_hash.is_empty() {
        return Ok(());
    }
    let client = state.pool.get().await?;
    client
        .execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash])
        .await?;
    Ok(())
}

/// Adds a Set-Cookie header.
pub fn set_cookie(headers: &mut HeaderMap, value: &str) {
    if let Ok(v) = value.parse() {
        headers.append(SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_has_the_security_attributes() {
        let c = cookie("abc", 3600);
        for attr in [
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=3600",
        ] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(expired_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn anonymous_tokens_are_signed_and_expire() {
        let key = CsrfKey([7; 32]);
        let t = key.token(1_000 + 3_600, "nonce");
        assert!(key.valid(&t, 1_000));
        assert!(!key.valid(&t, 1_000 + 3_600), "expired");
        assert!(!CsrfKey([8; 32]).valid(&t, 1_000), "another key");
        assert!(!key.valid(&t.replace("nonce", "nonse"), 1_000), "tampered");
        let far = key.token(1_000 + 100_000, "nonce");
        assert!(!key.valid(&far, 1_000), "a lifetime longer than ours");
        for bad in ["", "1.2", "x.y.z", "99999999999999999999999.n.m"] {
            assert!(!key.valid(bad, 1_000), "{bad}");
        }
        assert!(csrf_cookie(&t).starts_with("__Host-csrf="));
        for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(csrf_cookie(&t).contains(attr));
        }
        assert!(
            !csrf_cookie(&t).contains("Domain"),
            "__Host- cookies name no domain"
        );
    }

    #[test]
    fn tokens_are_random_and_compared_exactly() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes in unpadded base64");
        assert!(tokens_match(&a, &a.clone()));
        assert!(!tokens_match(&a, &b));
        assert!(!tokens_match(&a, ""));
        assert_eq!(token_hash("x").len(), 64);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            "theme=dark; session=tok123; other=1".parse().unwrap(),
        );
        assert_eq!(token_from(&h).as_deref(), Some("tok123"));
        let mut h = HeaderMap::new();
        h.insert(COOKIE, "sessionx=no".parse().unwrap());
        assert_eq!(token_from(&h), None);
    }
}
