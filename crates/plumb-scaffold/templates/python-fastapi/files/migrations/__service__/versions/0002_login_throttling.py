"""Sign-in throttling (app/throttle.py): every authentication event keeps the client address
it came from, and failures of the last minutes are counted per account and per address.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE auth_events ADD COLUMN client_address TEXT")
    op.execute("CREATE INDEX auth_events_recent_failures ON auth_events (at) WHERE event = 'login_failure'")


def downgrade() -> None:
    op.execute("DROP INDEX auth_events_recent_failures")
    op.execute("ALTER TABLE auth_events DROP COLUMN client_address")
