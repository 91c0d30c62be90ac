//! Web UI sessions. A session lives no longer than the token it came from: every request
//! checks that token again (revoked or expired ends the session), an idle session ends after
//! the configured idle timeout, and every session ends after [`SESSION_TTL`]. Administrators
//! list sessions and end them (`GET /v1/sessions`, `DELETE /v1/sessions/{id}`).

use chrono::{DateTime, Utc};

use serde::Serialize;

use crate::state::{
    AppState, MAX_SESSIONS, MAX_SESSIONS_PER_TOKEN, SESSION_TTL, Session, lock, random_hex,
};
use crate::tokens::TokenRecord;

/// A session as an administrator sees it (never the cookie value).
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    /// Public id.
    pub id: String,
    /// The token's id.
    pub token: String,
    /// The token's role.
    pub role: String,
    /// The token's label.
    pub label: String,
    /// When it began.
    pub created: String,
    /// Seconds since its last request.
    pub idle_seconds: u64,
}

/// The public id of a session: a prefix of the SHA-256 of its secret cookie value, so listing
/// sessions never reveals a value that could be replayed.
fn public_id(secret: &str) -> String {
    let h = plumb_ledger::hash::hex(&plumb_ledger::hash::sha256(secret.as_bytes()));
    h.get(..16).unwrap_or(&h).to_string()
}

/// What an administrator sees of a session at `now`.
fn info(s: &Session, now: DateTime<Utc>) -> SessionInfo {
    SessionInfo {
        id: s.id.clone(),
        token: s.token.id.clone(),
        role: s.token.role.name().to_string(),
        label: s.token.label.clone(),
        created: s.created.clone(),
        idle_seconds: idle(s, now).as_secs(),
    }
}

/// How long the session has been idle at `now` (zero if the clock went back).
fn idle(s: &Session, now: DateTime<Utc>) -> std::time::Duration {
    (now - s.last_seen).to_std().unwrap_or_default()
}

impl AppState {
    /// Whether session `s` is alive at `now`: before its expiry and not idle too long.
    fn alive(&self, s: &Session, now: DateTime<Utc>) -> bool {
        s.expires > now && idle(s, now) < self.session_idle
    }

    /// Starts a session for `token`; returns the cookie value (secret) and the session.
    pub fn start_session(&self, token: TokenRecord) -> (String, Session) {
        let secret = random_hex(32);
        let now = self.now();
        let sess = Session {
            id: public_id(&secret),
            token,
            csrf: random_hex(16),
            created: plumb_ledger::entry::format_time(now),
            expires: now
                + chrono::Duration::from_std(SESSION_TTL).unwrap_or(chrono::Duration::hours(8)),
            last_seen: now,
        };
        let mut all = lock(&self.sessions);
        // One token's logins cannot push out everyone else's sessions: past its own cap, the
        // token's oldest session makes room.
        let mine: Vec<(String, DateTime<Utc>)> = all
            .iter()
            .filter(|(_, s)| s.token.id == sess.token.id)
            .map(|(k, s)| (k.clone(), s.last_seen))
            .collect();
        if mine.len() >= MAX_SESSIONS_PER_TOKEN
            && let Some((k, _)) = mine.iter().min_by_key(|(_, seen)| *seen)
        {
            all.remove(k);
        }
        if all.len() >= MAX_SESSIONS {
            all.retain(|_, s| self.alive(s, now));
            if all.len() >= MAX_SESSIONS {
                let oldest = all
                    .iter()
                    .min_by_key(|(_, s)| s.last_seen)
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    all.remove(&k);
                }
            }
        }
        all.insert(secret.clone(), sess.clone());
        (secret, sess)
    }

    /// The live session behind a cookie value, its token checked again; a session that is
    /// past its expiry, idle too long, or whose token was revoked or expired is ended here.
    pub fn session_of(&self, secret: &str) -> Option<Session> {
        let now = self.now();
        let token_id = {
            let all = lock(&self.sessions);
            all.get(secret)?.token.id.clone()
        };
        let token = {
            let mut t = lock(&self.tokens);
            let _ = t.refresh();
            t.still_valid(&token_id, now)
        };
        let mut all = lock(&self.sessions);
        let alive = match all.get(secret) {
            Some(s) => token.is_ok() && self.alive(s, now),
            None => return None,
        };
        if !alive {
            all.remove(secret);
            return None;
        }
        let s = all.get_mut(secret)?;
        s.last_seen = now;
        if let Ok(t) = token {
            s.token = t;
        }
        Some(s.clone())
    }

    /// Ends the session with cookie value `secret`.
    pub fn end_session(&self, secret: &str) {
        lock(&self.sessions).remove(secret);
    }

    /// Live sessions, oldest first.
    pub fn list_sessions(&self) -> Vec<SessionInfo> {
        let now = self.now();
        let mut out: Vec<SessionInfo> = lock(&self.sessions)
            .values()
            .filter(|s| self.alive(s, now))
            .map(|s| info(s, now))
            .collect();
        out.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        out
    }

    /// Ends the session with public id `id`; whether there was one.
    pub fn revoke_session(&self, id: &str) -> Option<SessionInfo> {
        let mut all = lock(&self.sessions);
        let key = all
            .iter()
            .find(|(_, s)| s.id == id)
            .map(|(k, _)| k.clone())?;
        all.remove(&key).map(|s| info(&s, self.now()))
    }
}
