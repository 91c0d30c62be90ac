"""Sessions and CSRF protection.

Every visitor who sees a form gets a session: anonymous (one hour) until they sign in, then a
new authenticated one (no session fixation). The cookie holds 32 random bytes; the database
holds only their SHA-256, so a copy of the sessions table opens no session. Each session has a
CSRF token (synchronizer token pattern) that every form carries and every POST must return.
"""

from dataclasses import dataclass

from fastapi import HTTPException, Request, Response
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app import security

#: The cookie's name.
COOKIE = "session"
#: Lifetime of an anonymous session, in hours.
ANONYMOUS_HOURS = 1
#: Tokens are 43 characters; anything much longer is not one of ours.
_MAX_TOKEN = 128


@dataclass(frozen=True)
class User:
    """A signed-in user."""

    id: int
    email: str


@dataclass(frozen=True)
class Session:
    """A live session."""

    id_hash: str
    csrf_token: str
    user: User | None


def current(conn: Connection, request: Request) -> Session | None:
    """The live session of the request's cookie, if it has one."""
    token = request.cookies.get(COOKIE, "")
    if not token or len(token) > _MAX_TOKEN:
        return None
    id_hash = security.token_hash(token)
    row = conn.execute(
        text(
            "SELECT s.csrf_token, u.id, u.email FROM sessions s LEFT JOIN users u ON u.id = s.user_id"
            " WHERE s.id_hash = :id_hash AND s.expires_at > now()"
        ),
        {"id_hash": id_hash},
    ).first()
    if row is None:
        return None
    user = User(row.id, row.email) if row.id is not None else None
    return Session(id_hash, row.csrf_token, user)


def create(conn: Connection, user: User | None, hours: int) -> tuple[Session, str]:
    """Creates a session (anonymous when `user` is None); returns it and its cookie token."""
    token = security.new_token()
    session = Session(security.token_hash(token), security.new_token(), user)
    # Expired sessions are useless; removing them here keeps the table small without a job.
    conn.execute(text("DELETE FROM sessions WHERE expires_at < now()"))
    conn.execute(
        text(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at)"
            " VALUES (:id_hash, :user_id, :csrf, now() + make_interval(hours => CAST(:hours AS integer)))"
        ),
        {
            "id_hash": session.id_hash,
            "user_id": user.id if user else None,
            "csrf": session.csrf_token,
            "hours": hours,
        },
    )
    return session, token


def ensure(conn: Connection, request: Request) -> tuple[Session, str | None]:
    """The request's session, creating an anonymous one if it has none. The second value is
    the new cookie token when a session was created."""
    session = current(conn, request)
    if session is not None:
        return session, None
    return create(conn, None, ANONYMOUS_HOURS)


def checked(conn: Connection, request: Request, form_token: str) -> Session:
    """The session of a state-changing request, refused (403) unless the form's CSRF token
    matches the session's."""
    session = current(conn, request)
    if session is None or not security.tokens_match(session.csrf_token, form_token):
        raise HTTPException(403, "CSRF check failed: reload the page and try again")
    return session


def delete(conn: Connection, session: Session) -> None:
    """Ends a session."""
    conn.execute(text("DELETE FROM sessions WHERE id_hash = :id_hash"), {"id_hash": session.id_hash})


def set_cookie(response: Response, token: str, hours: int) -> None:
    """Sends the session cookie. Always HttpOnly (no script reads it), Secure (HTTPS only;
    browsers treat http://localhost as secure for development) and SameSite=Lax."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=hours * 3600,
        path="/",
        httponly=True,
        secure=True,
        samesite="Lax",
    )


def expire_cookie(response: Response) -> None:
    """Tells the browser to drop the session cookie."""
    set_cookie(response, "", 0)
