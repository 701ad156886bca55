"""Reminders by the volunteer's chosen channel, cover requests for seats given up or still open,
the unfilled-shift alert (once per shift) and seat swaps.

Revision ID: 0016_cover
Revises: 0015_voicemail
Create Date: 2026-12-07 20:30:50.741212
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_cover"
down_revision: str | None = "0015_voicemail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cover_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("given_up_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filled_by_id", sa.Integer(), nullable=True),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open_slot", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["filled_by_id"],
            ["volunteers.id"],
            name=op.f("fk_cover_requests_filled_by_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["given_up_by_id"],
            ["volunteers.id"],
            name=op.f("fk_cover_requests_given_up_by_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_cover_requests_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cover_requests")),
        sa.UniqueConstraint("open_slot", name=op.f("uq_cover_requests_open_slot")),
    )
    with op.batch_alter_table("cover_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cover_requests_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_cover_requests_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "seat_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("from_volunteer_id", sa.Integer(), nullable=False),
        sa.Column("to_volunteer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_seat_offers_from_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_seat_offers_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["taken_by_id"],
            ["volunteers.id"],
            name=op.f("fk_seat_offers_taken_by_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_seat_offers_to_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_offers")),
    )
    with op.batch_alter_table("seat_offers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seat_offers_from_volunteer_id"), ["from_volunteer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_seat_offers_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "cover_offers",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["cover_requests.id"],
            name=op.f("fk_cover_offers_request_id_cover_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_cover_offers_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "volunteer_id", name=op.f("pk_cover_offers")),
    )
    with op.batch_alter_table("cover_offers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cover_offers_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "unfilled_alerts",
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_unfilled_alerts_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shift_id", name=op.f("pk_unfilled_alerts")),
    )
    # Plain ADD COLUMN (SQLite has it): a batch copy would reflect the tables these refer to.
    op.add_column(
        "contact_points",
        sa.Column("cover_deadline_minutes", sa.Integer(), nullable=False, server_default="60"),
    )
    op.add_column(
        "contact_points",
        sa.Column("unfilled_alert_days", sa.Integer(), nullable=False, server_default="3"),
    )
    op.add_column(
        "volunteers",
        sa.Column(
            "notify_by",
            sa.Enum("sms", "email", name="notifyby", native_enum=False, length=8),
            nullable=False,
            server_default="sms",
        ),
    )
    op.add_column(
        "volunteers",
        sa.Column("cover_requests", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    for table, column in (
        ("volunteers", "cover_requests"),
        ("volunteers", "notify_by"),
        ("contact_points", "unfilled_alert_days"),
        ("contact_points", "cover_deadline_minutes"),
    ):
        op.drop_column(table, column)  # SQLite has DROP COLUMN since 3.35

    op.drop_table("unfilled_alerts")
    with op.batch_alter_table("cover_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cover_offers_volunteer_id"))

    op.drop_table("cover_offers")
    with op.batch_alter_table("seat_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seat_offers_shift_id"))
        batch_op.drop_index(batch_op.f("ix_seat_offers_from_volunteer_id"))

    op.drop_table("seat_offers")
    with op.batch_alter_table("cover_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cover_requests_shift_id"))
        batch_op.drop_index(batch_op.f("ix_cover_requests_deadline"))

    op.drop_table("cover_requests")
