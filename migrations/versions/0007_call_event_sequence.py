"""A call remembers the last status callback applied to it (conference and SequenceNumber), so
that late or repeated callbacks change nothing.

Revision ID: 0007_call_event_sequence
Revises: 0006_meeting_reminders_queued_at
Create Date: 2026-12-07 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_call_event_sequence"
down_revision: str | None = "0006_meeting_reminders_queued_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns alone: SQLite adds them in place, batch mode copies nothing.
    with op.batch_alter_table("conference_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_conference_sid", sa.String(length=64)))
        batch_op.add_column(sa.Column("event_sequence", sa.Integer()))


def downgrade() -> None:
    # In place, not in batch mode (see 0006): SQLite 3.35 and later drop a column directly.
    op.drop_column("conference_calls", "event_sequence")
    op.drop_column("conference_calls", "event_conference_sid")
