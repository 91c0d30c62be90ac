"""Passwords, tokens and the checks on what people type in."""

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Shortest password accepted.
MIN_PASSWORD = 12
#: Longest password accepted (hashing time grows with the length; this bounds it).
MAX_PASSWORD = 256
#: Longest email address (RFC 5321 path limit).
MAX_EMAIL = 254

# Argon2id (RFC 9106) with the parameters OWASP recommends: 19 MiB of memory, 2 passes, 1 lane,
# a random 16-byte salt (the rust-axum template uses the same). Hashes are PHC strings carrying
# their parameters, so these can be raised later: needs_rehash tells which hashes to renew.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)


def hash_password(password: str) -> str:
    """An Argon2id hash of the password with a fresh random salt."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether the password matches the stored hash (False for a malformed hash)."""
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made with other parameters than today's."""
    return _hasher.check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def waste_verification(password: str) -> None:
    """Spends the time of one verification, so a sign-in with an unknown email takes as long as
    one with a wrong password and does not reveal which accounts exist."""
    verify_password(_dummy_hash(), password)


def new_token() -> str:
    """32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a token: what the database stores instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(expected: str, given: str) -> bool:
    """Whether two tokens are equal, compared in constant time."""
    return hmac.compare_digest(expected.encode(), given.encode())


def email_problem(email: str) -> str | None:
    """Why an email address is refused, if it is (only its shape is checked: the address is
    confirmed by whoever reads the mail, not by a pattern)."""
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or len(email) > MAX_EMAIL or any(c.isspace() for c in email):
        return "enter a valid email address"
    return None


def password_problem(password: str) -> str | None:
    """Why a new password is refused, if it is."""
    if len(password) < MIN_PASSWORD:
        return f"use at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"use at most {MAX_PASSWORD} characters"
    return None
