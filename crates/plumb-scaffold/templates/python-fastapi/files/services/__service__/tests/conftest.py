"""Fixtures. Integration tests run against the PostgreSQL server in DATABASE_URL: the session
creates a fresh database with a random name, migrates it, and drops it at the end. Without
DATABASE_URL they fail: a quality gate must never pass because its tests did not run."""

import os
import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import URL, Engine

from app import SERVICE, migrate
from app.db import make_engine, sqlalchemy_url
from helpers import new_client


def _server() -> URL:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        pytest.fail(
            "DATABASE_URL is not set: the integration tests need a PostgreSQL server where they may "
            "create databases (scripts/with-postgres starts a throwaway one)",
            pytrace=False,
        )
    return sqlalchemy_url(url)


class Databases:
    """Creates databases with random names on the test server and drops them at the end."""

    def __init__(self, server: URL) -> None:
        self.server = server
        self.admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
        self.names: list[str] = []

    def create(self) -> URL:
        # A name of our own making (identifiers cannot be bound parameters).
        name = f"test_{SERVICE.replace('-', '_')}_{secrets.token_hex(6)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return self.server.set(database=name)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    dbs = Databases(_server())
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def database_url(databases: Databases) -> URL:
    """A database migrated to the head, shared by the session's tests (each test uses its own
    accounts, so they do not see each other's data)."""
    url = databases.create()
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def db(database_url: URL) -> Iterator[Engine]:
    """Direct access to the test database, to check what the service wrote."""
    engine = create_engine(database_url, poolclass=pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def client(database_url: URL) -> Iterator[TestClient]:
    with new_client(database_url) as c:
        yield c


@pytest.fixture
def other_client(database_url: URL) -> Iterator[TestClient]:
    """A second browser."""
    with new_client(database_url) as c:
        yield c
