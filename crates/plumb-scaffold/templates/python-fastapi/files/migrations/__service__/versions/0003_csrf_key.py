"""The key signing anonymous visitors' CSRF tokens (app/sessions.py): one row, written by the
first replica to need it, read by all, so a form served by one replica is accepted by another
without a session row per visitor.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE csrf_key (
            id  SMALLINT PRIMARY KEY CHECK (id = 1),
            key BYTEA NOT NULL CHECK (length(key) = 32)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE csrf_key")
