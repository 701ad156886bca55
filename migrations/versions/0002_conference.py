"""Dial-in conference: call state, live rooms, PIN failures and access events (lockouts).

Revision ID: 0002_conference
Revises: 0001_foundation
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_conference"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conference_rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("conference_sid", sa.String(length=64), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderator_absent_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reconnect_announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warned_five_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warned_one_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_conference_rooms_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_rooms")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_conference_rooms_meeting_id")),
    )
    with op.batch_alter_table("conference_rooms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conference_rooms_conference_sid"), ["conference_sid"], unique=False
        )

    op.create_table(
        "conference_access_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "locked_out", "duplicate", name="accesseventkind", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_conference_access_events_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_conference_access_events_meeting_id_meetings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_conference_access_events_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_access_events")),
    )
    with op.batch_alter_table("conference_access_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conference_access_events_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "conference_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("caller_index", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "number",
                "pin",
                "new_pin",
                "confirm_pin",
                "admitted",
                "in_conference",
                "ended",
                name="callstage",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("membership_id", sa.Integer(), nullable=True),
        sa.Column("pin_tries", sa.Integer(), nullable=False),
        sa.Column("pending_pin_hash", sa.String(length=255), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("is_moderator", sa.Boolean(), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("on_hold", sa.Boolean(), nullable=False),
        sa.Column("speaking", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["lines.id"],
            name=op.f("fk_conference_calls_line_id_lines"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_conference_calls_meeting_id_meetings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_conference_calls_membership_id_memberships"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_calls")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_conference_calls_call_sid")),
    )
    with op.batch_alter_table("conference_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conference_calls_caller_index"), ["caller_index"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_calls_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_calls_membership_id"), ["membership_id"], unique=False
        )

    op.create_table(
        "conference_pin_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=True),
        sa.Column("caller_index", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_conference_pin_failures_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_pin_failures")),
    )
    with op.batch_alter_table("conference_pin_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conference_pin_failures_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_conference_pin_failures_caller_index"), ["caller_index"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_pin_failures_membership_id"), ["membership_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conference_pin_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_pin_failures_membership_id"))
        batch_op.drop_index(batch_op.f("ix_conference_pin_failures_caller_index"))
        batch_op.drop_index(batch_op.f("ix_conference_pin_failures_at"))

    op.drop_table("conference_pin_failures")
    with op.batch_alter_table("conference_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_calls_membership_id"))
        batch_op.drop_index(batch_op.f("ix_conference_calls_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_conference_calls_caller_index"))

    op.drop_table("conference_calls")
    with op.batch_alter_table("conference_access_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_access_events_group_id"))

    op.drop_table("conference_access_events")
    with op.batch_alter_table("conference_rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_rooms_conference_sid"))

    op.drop_table("conference_rooms")
