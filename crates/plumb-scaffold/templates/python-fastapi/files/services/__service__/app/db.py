"""The database engine. DATABASE_URL names the server the way libpq and psql do
(postgresql://...); SQLAlchemy needs to be told to use the psycopg 3 driver.

TLS to PostgreSQL: without ``sslmode`` (or with ``sslmode=disable``) the connection is plain, as
on a private network or a local socket. ``sslmode=verify-full`` with
``sslrootcert=/path/to/ca.pem`` has libpq verify the server's certificate against that CA and
its name (or IP address) against the host. Modes that would accept any certificate
(``require``, ``verify-ca``, ``prefer``, ``allow``) are refused: a connection anyone in between
could read or change is not one a bank's service should use."""

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
    mode, root = u.query.get("sslmode"), u.query.get("sslrootcert")
    if mode in (None, "disable"):
        if root is not None:
            raise ValueError("DATABASE_URL has sslrootcert without sslmode=verify-full")
    elif mode == "verify-full":
        if not root:
            raise ValueError("sslmode=verify-full needs sslrootcert=/path/to/ca.pem")
    else:
        raise ValueError(
            f"sslmode={mode} would accept any server certificate: use sslmode=verify-full with "
            "sslrootcert=/path/to/ca.pem (or no sslmode on a private network)"
        )
    return u


def make_engine(url: str | URL) -> Engine:
    """A connection pool. Connections are checked before use (the database may have restarted)
    and a connection attempt gives up after 5 seconds (so /readyz answers promptly)."""
    return create_engine(
        sqlalchemy_url(url),
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )
