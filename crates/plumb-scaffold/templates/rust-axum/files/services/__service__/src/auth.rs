//! Registration, sign-in and sign-out. Every outcome is written to `auth_events`.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::session::{self, Session, User};
use crate::throttle::{self, ClientAddress};
use crate::web::{AppError, csrf_field, esc, page};
use crate::{AppState, password};

/// The sign-in and registration form.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    /// Email address.
    #[serde(default)]
    pub email: String,
    /// Password.
    #[serde(default)]
    pub password: String,
    /// CSRF token.
    #[serde(default)]
    pub csrf_token: String,
}

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    /// CSRF token.
    #[serde(default)]
    pub csrf_token: String,
}

/// Query of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// Set after a successful registration.
    pub registered: Option<String>,
}

fn redirect(to: &str, cookie: Option<&str>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::LOCATION, to.parse().expect("static location"));
    if let Some(c) = cookie {
        session::set_cookie(&mut headers, c);
    }
    (StatusCode::SEE_OTHER, headers).into_response()
}

fn with_cookie(mut res: Response, cookie: Option<String>) -> Response {
    if let Some(c) = cookie {
        session::set_cookie(res.headers_mut(), &c);
    }
    res
}

async fn record(
    state: &AppState,
    user: Option<i64>,
    email: &str,
    event: &str,
) -> Result<(), AppError> {
    record_from(state, user, email, event, None).await
}

/// [`record`] with the client address the event came from (sign-ins: the throttling counts it).
async fn record_from(
    state: &AppState,
    user: Option<i64>,
    email: &str,
    event: &str,
    address: Option<&str>,
) -> Result<(), AppError> {
    let client = state.pool.get().await?;
    client
        .execute(
            "INSERT INTO auth_events (user_id, email, event, client_address) VALUES ($1, $2, $3, $4)",
            &[&user, &email, &event, &address],
        )
        .await?;
    // The address stays in the database; logs carry the event and the account id only.
    tracing::info!(event, user_id = user, "auth event");
    Ok(())
}

fn signed_in(s: &Session) -> Option<(&str, &str)> {
    s.user.as_ref().map(|u| (u.email.as_str(), s.csrf.as_str()))
}

/// The home page.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let (s, cookie) = session::ensure(&state, &headers).await?;
    let body = match &s.user {
        Some(u) => format!(
            "<p>Welcome, {}.</p>{}",
            esc(&u.email),
            if crate::HAS_ONBOARDING {
                "<p><a href=\"/onboarding\">Your onboarding</a></p>"
            } else {
                ""
            }
        ),
        None => {
            "<p><a href=\"/login\">Sign in</a> or <a href=\"/register\">register</a>.</p>".into()
        }
    };
    Ok(with_cookie(
        page(crate::TITLE, signed_in(&s), &body).into_response(),
        cookie,
    ))
}

fn credentials_form(action: &str, button: &str, csrf: &str, email: &str, message: &str) -> String {
    format!(
        "{message}<form method=\"post\" action=\"{action}\">{}<label for=\"email\">Email</label><input id=\"email\" type=\"email\" name=\"email\" value=\"{}\" required autocomplete=\"username\"><label for=\"password\">Password</label><input id=\"password\" type=\"password\" name=\"password\" required minlength=\"{}\" autocomplete=\"{}\"><p><button type=\"submit\">{button}</button></p></form>",
        csrf_field(csrf),
        esc(email),
        password::MIN_LEN,
        if action == "/register" {
            "new-password"
        } else {
            "current-password"
        },
    )
}

/// The registration form.
pub async fn register_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (s, cookie) = session::ensure(&state, &headers).await?;
    let body = credentials_form("/register", "Register", &s.csrf, "", "");
    Ok(with_cookie(
        page("Register", signed_in(&s), &body).into_response(),
        cookie,
    ))
}

fn email_problem(email: &str) -> Option<&'static str> {
    let bad = match email.find('@') {
        None => true,
        Some(at) => {
            email.len() > 254
                || at == 0
                || at == email.len() - 1
                || email.chars().any(char::is_whitespace)
        }
    };
    bad.then_some("enter a valid email address")
}

/// Registers an account.
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<Credentials>,
) -> Result<Response, AppError> {
    let s = session::checked(&state, &headers, &f.csrf_token).await?;
    let email = f.email.trim().to_string();
    let problem = email_problem(&email)
        .map(str::to_string)
        .or_else(|| password::weakness(&f.password));
    let refuse = |msg: &str| {
        let body = credentials_form(
            "/register",
            "Register",
            &s.csrf,
            &email,
            &format!("<p class=\"error\">{}</p>", esc(msg)),
        );
        (
            StatusCode::BAD_REQUEST,
            page("Register", signed_in(&s), &body),
        )
            .into_response()
    };
    if let Some(p) = problem {
        return Ok(refuse(&p));
    }
    let hash = password::hash_off_thread(f.password.clone()).await?;
    let client = state.pool.get().await?;
    let row = client
        .query_opt(
            "INSERT INTO users (email, password_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id",
            &[&email, &hash],
        )
        .await?;
    drop(client);
    let Some(row) = row else {
        // The password was hashed either way, and the message does not confirm that the
        // address is taken.
        record(&state, None, &email, "register_refused").await?;
        return Ok(refuse("could not register with these details"));
    };
    record(&state, Some(row.get(0)), &email, "register").await?;
    state.metrics.registration();
    Ok(redirect("/login?registered=1", None))
}

/// The sign-in form.
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let (s, cookie) = session::ensure(&state, &headers).await?;
    let notice = if q.registered.is_some() {
        "<p class=\"notice\">Registered. Sign in with your new account.</p>"
    } else {
        ""
    };
    let body = credentials_form("/login", "Sign in", &s.csrf, "", notice);
    Ok(with_cookie(
        page("Sign in", signed_in(&s), &body).into_response(),
        cookie,
    ))
}

/// Signs in: a new session replaces the anonymous one.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(f): Form<Credentials>,
) -> Result<Response, AppError> {
    let s = session::checked(&state, &headers, &f.csrf_token).await?;
    let email = f.email.trim().to_string();
    // One sign-in per account at a time, until this handler returns: the count below and the
    // failure this attempt may record are not raced by parallel attempts (a burst would
    // otherwise all pass the check). The lock is the transaction's, released when it is dropped
    // on any return.
    let mut lock_client = state.pool.get().await?;
    let lock = lock_client.transaction().await?;
    lock.execute(
        "SELECT pg_advisory_xact_lock(hashtext('sign-in:' || lower($1)))",
        &[&email],
    )
    .await?;
    if throttle::refused(&state, &email, &address).await? {
        record_from(&state, None, &email, "login_throttled", Some(&address)).await?;
        let body = credentials_form(
            "/login",
            "Sign in",
            &s.csrf,
            &email,
            "<p class=\"error\">Too many failed sign-ins: try again in 15 minutes.</p>",
        );
        let mut res = (StatusCode::TOO_MANY_REQUESTS, page("Sign in", None, &body)).into_response();
        let retry = (i64::from(throttle::WINDOW_MINUTES) * 60).to_string();
        if let Ok(v) = retry.parse() {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(res);
    }
    let client = state.pool.get().await?;
    let row = client
        .query_opt(
            "SELECT id, email, password_hash FROM users WHERE lower(email) = lower($1)",
            &[&email],
        )
        .await?;
    drop(client);
    // An unknown address costs one verification too, so timing does not tell which accounts
    // exist.
    let (known, hash) = match &row {
        Some(r) => (true, r.get::<_, String>(2)),
        None => (false, password::dummy_hash().to_string()),
    };
    let matches = password::verify_off_thread(f.password.clone(), hash).await? && known;
    let row = row.filter(|_| matches);
    let user = row.map(|r| User {
        id: r.get(0),
        email: r.get(1),
    });
    let Some(user) = user else {
        state.metrics.login(false);
        record_from(&state, None, &email, "login_failure", Some(&address)).await?;
        let body = credentials_form(
            "/login",
            "Sign in",
            &s.csrf,
            &email,
            "<p class=\"error\">Wrong email or password.</p>",
        );
        return Ok((StatusCode::UNAUTHORIZED, page("Sign in", None, &body)).into_response());
    };
    session::delete(&state, &s.id_hash).await?;
    let (_, cookie) = session::create(&state, Some(user.clone())).await?;
    state.metrics.login(true);
    record_from(
        &state,
        Some(user.id),
        &user.email,
        "login_success",
        Some(&address),
    )
    .await?;
    Ok(redirect("/", Some(&cookie)))
}

/// Signs out.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    let s = session::checked(&state, &headers, &f.csrf_token).await?;
    session::delete(&state, &s.id_hash).await?;
    if let Some(u) = &s.user {
        record(&state, Some(u.id), &u.email, "logout").await?;
    }
    Ok(redirect("/login", Some(&session::expired_cookie())))
}

/// The signed-in user of a request, or a redirect to the sign-in page.
pub async fn require_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Result<(User, Session), Response>, AppError> {
    match session::current(state, headers).await? {
        Some(s) => match s.user.clone() {
            Some(u) => Ok(Ok((u, s))),
            None => Ok(Err(redirect("/login", None))),
        },
        None => Ok(Err(redirect("/login", None))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_checks() {
        assert_eq!(email_problem("a@b.eu"), None);
        assert!(email_problem("@b.eu").is_some());
        assert!(email_problem("ab.eu").is_some());
        assert!(email_problem("a@").is_some());
        assert!(email_problem("a b@c.eu").is_some());
        assert!(email_problem(&format!("{}@b.eu", "a".repeat(260))).is_some());
    }
}
