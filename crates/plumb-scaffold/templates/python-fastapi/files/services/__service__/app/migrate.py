"""Applies the Alembic migrations of migrations/<service>/ (at the repository root, where
alembic.ini points) and tells whether a database has them all."""

import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from app import SERVICE

log = logging.getLogger(__name__)

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
# One advisory lock per service, so services sharing a server do not wait for each other.
LOCK_KEY = zlib.crc32(f"plumb-migrations:{SERVICE}".encode())


def config(connection: Connection | None = None) -> Config:
    """The Alembic configuration; with a connection, migrations run on it (in its transaction)."""
    cfg = Config(str(ALEMBIC_INI))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@dataclass(frozen=True)
class Scripts:
    """What the migration scripts of this release know."""

    #: The revisions the scripts end at.
    heads: frozenset[str]
    #: Every revision of the scripts.
    known: frozenset[str]

    def satisfied_by(self, applied: set[str]) -> bool:
        """Whether a database at `applied` has every migration of this release: it is at the
        heads, or at revisions a later release added (migrations only move forward, so during
        a fall-back the previous release runs on the newer schema)."""
        return bool(applied) and all(r in self.heads or r not in self.known for r in applied)

    def ahead(self, applied: set[str]) -> bool:
        """Whether the database is at revisions only a later release knows."""
        return bool(applied) and not applied & self.known


def scripts() -> Scripts:
    """The migration scripts of this release."""
    directory = ScriptDirectory.from_config(config())
    return Scripts(
        heads=frozenset(directory.get_heads()),
        known=frozenset(r.revision for r in directory.walk_revisions()),
    )


def lock(connection: Connection) -> None:
    """Holds the migration lock until the connection's transaction ends: replicas starting
    together would otherwise race to apply the same migration."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def upgrade(engine: Engine) -> None:
    """Applies the pending migrations, all in one transaction (PostgreSQL DDL is transactional:
    a failing migration leaves the schema as it was). A database a later release migrated is
    left alone: this release runs on it as it is (the fall-back of a failed release)."""
    with engine.begin() as conn:
        lock(conn)
        at = applied(conn)
        if scripts().ahead(at):
            log.warning("the database is at a later release's migrations; none applied", extra={"at": sorted(at)})
            return
        command.upgrade(config(conn), "head")


def applied(conn: Connection) -> set[str]:
    """The revisions recorded in the database (empty before the first migration)."""
    if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return set()
    return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
