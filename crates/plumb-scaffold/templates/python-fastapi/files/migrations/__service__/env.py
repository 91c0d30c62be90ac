"""Alembic environment of this service's migrations. The service runs them on its own
connection (app.migrate); the alembic command line connects with DATABASE_URL. Either way they
run in one transaction under the service's migration lock."""

import os
import sys

from alembic import context
from sqlalchemy import create_engine, pool

from app.db import sqlalchemy_url
from app.migrate import lock


def _url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        sys.exit("DATABASE_URL is not set; give the PostgreSQL database to migrate")
    return url


def run_offline() -> None:
    """alembic ... --sql: writes the SQL for review instead of running it."""
    context.configure(url=sqlalchemy_url(_url()), literal_binds=True, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        context.configure(connection=given)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(sqlalchemy_url(_url()), poolclass=pool.NullPool)
    with engine.begin() as conn:
        lock(conn)
        context.configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
