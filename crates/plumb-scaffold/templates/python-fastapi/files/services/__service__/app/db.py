"""The database engine. DATABASE_URL names the server the way libpq and psql do
(postgresql://...); SQLAlchemy needs to be told to use the psycopg 3 driver."""

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Engine, make_url

DRIVER = "postgresql+psycopg"


def sqlalchemy_url(url: str | URL) -> URL:
    """The SQLAlchemy URL for a PostgreSQL URL (postgresql://, postgres:// or postgresql+psycopg://)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername=DRIVER)
    if u.drivername != DRIVER:
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL, not {u.drivername}://")
    return u


def make_engine(url: str | URL) -> Engine:
    """A connection pool. Connections are checked before use (the database may have restarted)
    and a connection attempt gives up after 5 seconds (so /readyz answers promptly)."""
    return create_engine(
        sqlalchemy_url(url),
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )
