"""A meeting records when its reminders were first queued, instead of the outbox being searched
for them each time a schedule change asks whether members may have been reminded.

Revision ID: 0006_meeting_reminders_queued_at
Revises: 0005_encrypted_decision_reason
Create Date: 2026-12-07 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_meeting_reminders_queued_at"
down_revision: str | None = "0005_encrypted_decision_reason"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Meetings whose reminders are in the outbox: the first one queued says since when.
BACKFILL = """
UPDATE meetings SET reminders_queued_at = (
    SELECT MIN(outbox_messages.created_at) FROM outbox_messages
    WHERE outbox_messages.kind = 'reminder' AND outbox_messages.meeting_id = meetings.id
)
WHERE EXISTS (
    SELECT 1 FROM outbox_messages
    WHERE outbox_messages.kind = 'reminder' AND outbox_messages.meeting_id = meetings.id
)
"""


def upgrade() -> None:
    # A nullable column alone: SQLite adds it in place, batch mode needs no copy of the table.
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminders_queued_at", sa.DateTime(timezone=True)))
    op.execute(BACKFILL)


def downgrade() -> None:
    # Not in batch mode: on SQLite that copies the table and drops the old one, and with foreign
    # keys on, dropping it would run the ON DELETE actions of the outbox and conference rows
    # that point at meetings. SQLite (3.35 and later) and PostgreSQL drop the column in place.
    op.drop_column("meetings", "reminders_queued_at")
