"""A room remembers when Twilio fired the event that made its conference the current one, so a
late start or join of an earlier conference of the same name cannot take the room back.

Revision ID: 0008_room_conference_fired_at
Revises: 0007_call_event_sequence
Create Date: 2026-12-07 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_room_conference_fired_at"
down_revision: str | None = "0007_call_event_sequence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column alone: SQLite adds it in place, batch mode copies nothing.
    with op.batch_alter_table("conference_rooms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conference_fired_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    # In place, not in batch mode (see 0006): SQLite 3.35 and later drop a column directly.
    op.drop_column("conference_rooms", "conference_fired_at")
