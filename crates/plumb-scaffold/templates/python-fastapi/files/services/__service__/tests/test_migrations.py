"""Integration tests: the migrations apply, revert and apply again; a release runs on the schema
of a later one (the fall-back); the audit tables are append-only."""

import pytest
from alembic import command
from sqlalchemy import create_engine, pool, text
from sqlalchemy.exc import DBAPIError

from app import migrate
from app.db import make_engine
from helpers import new_client

TABLES = {"users", "sessions", "auth_events", "onboarding_cases", "onboarding_audit"}


def _tables(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())


def _applied(engine) -> set[str]:
    with engine.connect() as conn:
        return migrate.applied(conn)


@pytest.mark.integration
def test_migrations_go_up_down_and_up_again(databases):
    engine = make_engine(databases.create())
    try:
        migrate.upgrade(engine)
        assert _tables(engine) >= TABLES
        assert _applied(engine) == migrate.scripts().heads
        with engine.begin() as conn:
            command.downgrade(migrate.config(conn), "base")
        assert not TABLES & _tables(engine)
        assert _applied(engine) == set()
        migrate.upgrade(engine)
        migrate.upgrade(engine)  # nothing left to do
        assert _tables(engine) >= TABLES
    finally:
        engine.dispose()


@pytest.mark.integration
def test_a_release_runs_on_the_schema_of_a_later_one(databases):
    url = databases.create()
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        # A later release added migration 0099; its deployment failed and this release is back.
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        migrate.upgrade(engine)  # no "can't locate revision": nothing to do
        assert _applied(engine) == {"0099"}
        with new_client(url) as c:
            assert c.get("/readyz").json() == {"status": "ready"}
    finally:
        engine.dispose()


def test_readiness_follows_the_scripts():
    s = migrate.Scripts(heads=frozenset({"0002"}), known=frozenset({"0001", "0002"}))
    assert s.satisfied_by({"0002"})
    assert s.satisfied_by({"0003"}), "a later release's revision"
    assert not s.satisfied_by({"0001"}), "pending"
    assert not s.satisfied_by(set()), "never migrated"
    assert s.ahead({"0003"}) and not s.ahead({"0002"}) and not s.ahead(set())


@pytest.mark.integration
def test_audit_tables_refuse_update_and_delete(database_url):
    engine = create_engine(database_url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        user = conn.execute(
            text("INSERT INTO users (email, password_hash) VALUES ('audit@example.eu', 'x') RETURNING id")
        ).scalar_one()
        case = conn.execute(
            text("INSERT INTO onboarding_cases (user_id, state) VALUES (:u, 'anything') RETURNING id"), {"u": user}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO onboarding_audit (case_id, to_state, transition, actor_user_id)"
                " VALUES (:c, 'anything', 'start', :u)"
            ),
            {"c": case, "u": user},
        )
        conn.execute(
            text("INSERT INTO auth_events (user_id, email, event) VALUES (:u, 'audit@example.eu', 'register')"),
            {"u": user},
        )
    for statement in [
        "UPDATE onboarding_audit SET to_state = 'forged'",
        "DELETE FROM onboarding_audit",
        "UPDATE auth_events SET event = 'forged'",
        "DELETE FROM auth_events",
    ]:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM onboarding_audit WHERE to_state = 'forged'")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM auth_events WHERE email = 'audit@example.eu'")).scalar() == 1
    engine.dispose()
