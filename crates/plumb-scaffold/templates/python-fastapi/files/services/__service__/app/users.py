"""Accounts and the record of authentication events."""

import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Account:
    """A user with the hash to check a password against."""

    id: int
    email: str
    password_hash: str


def create(conn: Connection, email: str, password_hash: str) -> int | None:
    """Creates an account; None if the email is taken (compared case-insensitively)."""
    return conn.execute(
        text(
            "INSERT INTO users (email, password_hash) VALUES (:email, :hash)"
            " ON CONFLICT ((lower(email))) DO NOTHING RETURNING id"
        ),
        {"email": email, "hash": password_hash},
    ).scalar()


def find(conn: Connection, email: str) -> Account | None:
    """The account with this email, in any letter case."""
    row = conn.execute(
        text("SELECT id, email, password_hash FROM users WHERE lower(email) = lower(:email)"),
        {"email": email},
    ).first()
    return Account(row.id, row.email, row.password_hash) if row else None


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    """Replaces an account's password hash (after a parameter upgrade)."""
    conn.execute(
        text("UPDATE users SET password_hash = :hash WHERE id = :id"),
        {"hash": password_hash, "id": user_id},
    )


def record(conn: Connection, user_id: int | None, email: str, event: str, address: str | None = None) -> None:
    """Appends an authentication event (register, register_refused, login_success,
    login_failure, login_throttled, logout) to auth_events, which the database keeps
    append-only, with the client address for sign-ins (the throttling counts it)."""
    conn.execute(
        text(
            "INSERT INTO auth_events (user_id, email, event, client_address)"
            " VALUES (:user_id, :email, :event, :address)"
        ),
        {"user_id": user_id, "email": email, "event": event, "address": address},
    )
    # The log line carries no email: the audit table has it, the log stays free of personal data.
    log.info("auth event", extra={"event": event, "user_id": user_id})
