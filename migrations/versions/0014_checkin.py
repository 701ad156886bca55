"""Check-in at the start of a shift: when and how each seat checked in, sign-ups waiting for a
coordinator's approval, the no-shows, and the contact point's settings for them.

Revision ID: 0014_checkin
Revises: 0013_rota_mentoring
Create Date: 2026-12-07 20:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_checkin"
down_revision: str | None = "0013_rota_mentoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POINT_COLUMNS = ("no_show_minutes", "no_show_limit", "no_show_days", "ring_checked_in_only")


def upgrade() -> None:
    # Columns with a server default (or nullable): SQLite and PostgreSQL add them in place, to
    # existing rows too. Not in batch mode: it would reflect (and on SQLite copy) the tables.
    op.add_column(
        "contact_points",
        sa.Column("no_show_minutes", sa.Integer(), nullable=False, server_default="15"),
    )
    op.add_column(
        "contact_points",
        sa.Column("no_show_limit", sa.Integer(), nullable=False, server_default="2"),
    )
    op.add_column(
        "contact_points",
        sa.Column("no_show_days", sa.Integer(), nullable=False, server_default="90"),
    )
    op.add_column(
        "contact_points",
        sa.Column("ring_checked_in_only", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("seats", sa.Column("checked_in_at", sa.DateTime(timezone=True)))
    op.add_column(
        "seats",
        sa.Column(
            "checked_in_by",
            sa.Enum("sms", "console", "api", "call", name="checkinby", native_enum=False, length=8),
        ),
    )
    op.add_column(
        "seats",
        sa.Column("pending_approval", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "no_shows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_no_shows_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_no_shows_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_no_shows_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_shows")),
        sa.UniqueConstraint(
            "shift_id", "volunteer_id", name=op.f("uq_no_shows_shift_id_volunteer_id")
        ),
    )
    with op.batch_alter_table("no_shows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_no_shows_contact_point_id"), ["contact_point_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_no_shows_volunteer_id"), ["volunteer_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("no_shows")
    # Dropped in place (SQLite 3.35 and later, PostgreSQL): a batch copy of these tables would
    # run the ON DELETE actions of the rows that point at them.
    for column in ("pending_approval", "checked_in_by", "checked_in_at"):
        op.drop_column("seats", column)
    for column in POINT_COLUMNS:
        op.drop_column("contact_points", column)
