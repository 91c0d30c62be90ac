"""Integration test: TLS to PostgreSQL as production configures it, sslmode=verify-full with the
CA (scripts/with-postgres sets DATABASE_TLS_URL when openssl is installed). The connection is
encrypted, and a server certificate from another CA is refused."""

import os

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.db import make_engine

pytestmark = pytest.mark.integration


def test_tls_to_postgresql_is_verified():
    url = os.environ.get("DATABASE_TLS_URL")
    if not url:
        pytest.skip("DATABASE_TLS_URL is not set (scripts/with-postgres sets it when openssl is installed)")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ssl = conn.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).scalar_one()
        assert ssl is True, "the connection is encrypted"
    finally:
        engine.dispose()
    wrong = os.environ["DATABASE_TLS_WRONG_CA"]
    engine = make_engine(url.split("sslrootcert=")[0] + "sslrootcert=" + wrong)
    try:
        with pytest.raises(OperationalError, match="certificate verify failed"):
            with engine.connect():
                pass
    finally:
        engine.dispose()
