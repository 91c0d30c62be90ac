//! Sessions and CSRF protection.
//!
//! Every visitor who sees a form gets a session: anonymous (one hour) until they sign in, then
//! a new authenticated one (no session fixation). The cookie holds 32 random bytes; the
//! database holds only their SHA-256. Each session has a CSRF token (synchronizer token
//! pattern) that every form carries and every POST must return.

use axum::http::HeaderMap;
use axum::http::header::{COOKIE, SET_COOKIE};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::web::AppError;

/// The cookie's name.
pub const COOKIE_NAME: &str = "session";
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
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
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

/// The request's session, creating an anonymous one if it has none. The second value is the
/// Set-Cookie header to send when a session was created.
pub async fn ensure(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Session, Option<String>), AppError> {
    match current(state, headers).await? {
        Some(s) => Ok((s, None)),
        None => {
            let (s, c) = create(state, None).await?;
            Ok((s, Some(c)))
        }
    }
}

/// The session of a state-changing request, refused (403) unless the form's token matches.
pub async fn checked(
    state: &AppState,
    headers: &HeaderMap,
    form_token: &str,
) -> Result<Session, AppError> {
    match current(state, headers).await? {
        Some(s) if tokens_match(&s.csrf, form_token) => Ok(s),
        _ => Err(AppError::Forbidden(
            "CSRF check failed: reload the page and try again",
        )),
    }
}

/// Deletes a session.
pub async fn delete(state: &AppState, id_hash: &str) -> Result<(), AppError> {
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
