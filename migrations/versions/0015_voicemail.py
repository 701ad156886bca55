"""Voicemail: each contact point's voicemail settings, the voicemails callers left (audio
encrypted), and the volunteers a contact point names to review them.

Revision ID: 0015_voicemail
Revises: 0014_checkin
Create Date: 2026-12-07 20:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_voicemail"
down_revision: str | None = "0014_checkin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "voicemail_out_of_hours", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column(
                "voicemail_no_answer", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column("voicemail_max_seconds", sa.Integer(), nullable=False, server_default="180")
        )
        batch_op.add_column(
            sa.Column(
                "voicemail_review_at", sa.String(length=5), nullable=False, server_default="09:00"
            )
        )
        batch_op.add_column(
            sa.Column("voicemail_retention_days", sa.Integer(), nullable=False, server_default="30")
        )
    op.create_table(
        "voicemail_reviewers",
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_voicemail_reviewers_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_voicemail_reviewers_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "contact_point_id", "volunteer_id", name=op.f("pk_voicemail_reviewers")
        ),
    )
    op.create_table(
        "voicemails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audio", sa.LargeBinary(), nullable=True),
        sa.Column("audio_type", sa.String(length=32), nullable=False),
        sa.Column(
            "fetch_state",
            sa.Enum(
                "pending", "fetched", "failed", name="fetchstate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("deleted_at_twilio", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("passed_to_group_id", sa.Integer(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("deletes_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["helpline_calls.id"],
            name=op.f("fk_voicemails_call_id_helpline_calls"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_voicemails_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["staff.id"],
            name=op.f("fk_voicemails_handled_by_id_staff"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["passed_to_group_id"],
            ["groups.id"],
            name=op.f("fk_voicemails_passed_to_group_id_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voicemails")),
        sa.UniqueConstraint("recording_sid", name=op.f("uq_voicemails_recording_sid")),
    )
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voicemails_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_voicemails_contact_point_id"), ["contact_point_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_voicemails_deletes_at"), ["deletes_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_voicemails_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_voicemails_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("voicemails")
    op.drop_table("voicemail_reviewers")
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.drop_column("voicemail_retention_days")
        batch_op.drop_column("voicemail_review_at")
        batch_op.drop_column("voicemail_max_seconds")
        batch_op.drop_column("voicemail_no_answer")
        batch_op.drop_column("voicemail_out_of_hours")
