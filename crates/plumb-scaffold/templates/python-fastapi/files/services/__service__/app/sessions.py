"""Sessions and CSRF protection.

A visitor who is not signed in has no session and nothing is written for them: the forms they
see (sign in, register) carry a signed, expiring CSRF token that is also in a ``__Host-csrf``
cookie (HttpOnly, Secure, SameSite=Lax, this host only); a POST is accepted when the form's
token equals the cookie's and its signature (HMAC-SHA256 with the key in ``csrf_key``) and
expiry (one hour) hold. Signing in creates the session (no session fixation): the cookie holds
32 random bytes, the database only their SHA-256, so a copy of the sessions table opens no
session, and the session's own CSRF token (synchronizer token pattern) protects every form from
then on.
"""

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request, Response
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app import security

#: The cookie's name.
COOKIE = "session"
#: Tokens are 43 characters; anything much longer is not one of ours.
_MAX_TOKEN = 128
#: The cookie holding an anonymous visitor's signed CSRF token.
CSRF_COOKIE = "__Host-csrf"
#: Lifetime of an anonymous visitor's CSRF token, in seconds.
ANONYMOUS_CSRF_SECONDS = 3600


def csrf_key(conn: Connection, request: Request) -> bytes:
    """The database's key for anonymous CSRF tokens (made by the first replica that needs it),
    kept on the application once read."""
    key = getattr(request.app.state, "csrf_key", None)
    if key is None:
        conn.execute(
            text("INSERT INTO csrf_key (id, key) VALUES (1, :key) ON CONFLICT (id) DO NOTHING"),
            {"key": secrets.token_bytes(32)},
        )
        key = bytes(conn.execute(text("SELECT key FROM csrf_key WHERE id = 1")).scalar_one())
        request.app.state.csrf_key = key
    return key


def _mac(key: bytes, expiry: int, nonce: str) -> str:
    digest = hmac.new(key, f"anon-csrf-v1.{expiry}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def anonymous_token(key: bytes, expiry: int, nonce: str) -> str:
    """A token valid until ``expiry`` (seconds since the epoch) for the random ``nonce``."""
    return f"{expiry}.{nonce}.{_mac(key, expiry, nonce)}"


def anonymous_token_valid(key: bytes, token: str, now: float) -> bool:
    """Whether ``token`` was signed with ``key`` and is unexpired at ``now``."""
    parts = token.split(".", 2)
    # ASCII digits only: str.isdigit() also takes characters int() refuses (superscripts).
    if len(parts) != 3 or not (parts[0].isascii() and parts[0].isdigit()) or len(parts[0]) > 12:
        return False
    expiry = int(parts[0])
    if not now < expiry <= now + ANONYMOUS_CSRF_SECONDS + 60:
        return False
    return security.tokens_match(_mac(key, expiry, parts[1]), parts[2])


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
    """The request's session, or for a visitor without one a session-less view of them with a
    signed CSRF token for the page's forms (the one in their ``__Host-csrf`` cookie while it is
    valid, so two open forms both work). The second value is the new token to send as that
    cookie, when one was made. Nothing is written for the visitor."""
    session = current(conn, request)
    if session is not None:
        return session, None
    key, now = csrf_key(conn, request), time.time()
    kept = request.cookies.get(CSRF_COOKIE, "")
    if kept and len(kept) <= _MAX_TOKEN and anonymous_token_valid(key, kept, now):
        return Session("", kept, None), None
    token = anonymous_token(key, int(now) + ANONYMOUS_CSRF_SECONDS, security.new_token())
    return Session("", token, None), token


def checked(conn: Connection, request: Request, form_token: str) -> Session:
    """The session of a state-changing request, refused (403) unless the form's CSRF token
    matches the session's."""
    refused = HTTPException(403, "CSRF check failed: reload the page and try again")
    session = current(conn, request)
    if session is not None:
        if not security.tokens_match(session.csrf_token, form_token):
            raise refused
        return session
    # A visitor without a session: the form's token must be the cookie's, signed by us and
    # unexpired.
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (
        cookie
        and len(cookie) <= _MAX_TOKEN
        and security.tokens_match(cookie, form_token)
        and anonymous_token_valid(csrf_key(conn, request), form_token, time.time())
    ):
        raise refused
    return Session("", form_token, None)


def delete(conn: Connection, session: Session) -> None:
    """Ends a session (nothing for a visitor who had none)."""
    if not session.id_hash:
        return
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


def set_csrf_cookie(response: Response, token: str) -> None:
    """Sends an anonymous visitor's CSRF token: HttpOnly, Secure, SameSite=Lax, and with the
    ``__Host-`` prefix (no Domain, Path=/), so no other host can plant one."""
    response.set_cookie(
        CSRF_COOKIE,
        token,
        max_age=ANONYMOUS_CSRF_SECONDS,
        path="/",
        httponly=True,
        secure=True,
        samesite="Lax",
    )


def expire_cookie(response: Response) -> None:
    """Tells the browser to drop the session cookie."""
    set_cookie(response, "", 0)
