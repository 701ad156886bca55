"""The helpline: contact points with their lines, duty phones, volunteers and coordinators; weekly
shift templates and planned shifts with their seats; calls with the legs they rang; caller blocks;
and outbox messages addressed to a staff account (duty notices).

Revision ID: 0011_helpline
Revises: 0010_retention_and_audit_chain
Create Date: 2026-12-07 18:10:59.893202
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_helpline"
down_revision: str | None = "0010_retention_and_audit_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column(
            "ring_strategy",
            sa.Enum("ring_all", "in_turn", name="ringstrategy", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("ring_seconds", sa.Integer(), nullable=False),
        sa.Column("national_order", sa.Integer(), nullable=True),
        sa.Column("announce_national", sa.Boolean(), nullable=False),
        sa.Column("signup_cutoff_hours", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_points")),
        sa.UniqueConstraint("name", name=op.f("uq_contact_points_name")),
    )
    op.create_table(
        "caller_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("caller_key", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_by_id"],
            ["staff.id"],
            name=op.f("fk_caller_blocks_blocked_by_id_staff"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_caller_blocks_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caller_blocks")),
    )
    with op.batch_alter_table("caller_blocks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_caller_blocks_caller_key"), ["caller_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_caller_blocks_contact_point_id"), ["contact_point_id"], unique=False
        )

    op.create_table(
        "contact_point_coordinators",
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_contact_point_coordinators_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_contact_point_coordinators_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "contact_point_id", "staff_id", name=op.f("pk_contact_point_coordinators")
        ),
    )
    op.create_table(
        "duty_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("desk", "mobile", name="dutyphonekind", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_duty_phones_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_phones")),
        sa.UniqueConstraint("number", name=op.f("uq_duty_phones_number")),
    )
    with op.batch_alter_table("duty_phones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duty_phones_contact_point_id"), ["contact_point_id"], unique=False
        )

    op.create_table(
        "helpline_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("national", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=True),
        sa.Column("caller_key", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "ringing",
                "answered",
                "missed",
                "busy",
                "out_of_hours",
                "hung_up",
                "blocked",
                name="calloutcome",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("taken_by_leg_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_helpline_calls_contact_point_id_contact_points"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["lines.id"],
            name=op.f("fk_helpline_calls_line_id_lines"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpline_calls")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_helpline_calls_call_sid")),
    )
    with op.batch_alter_table("helpline_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_helpline_calls_caller_key"), ["caller_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_helpline_calls_contact_point_id"), ["contact_point_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_helpline_calls_started_at"), ["started_at"], unique=False
        )

    op.create_table(
        "helpline_lines",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_helpline_lines_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["lines.id"],
            name=op.f("fk_helpline_lines_line_id_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_helpline_lines")),
    )
    with op.batch_alter_table("helpline_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_helpline_lines_contact_point_id"), ["contact_point_id"], unique=False
        )

    op.create_table(
        "shift_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column(
            "rings_at",
            sa.Enum(
                "own_phone",
                "duty_mobile",
                "desk_phone",
                "desk_first",
                name="ringsat",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "seats >= 1 AND seats <= 10", name=op.f("ck_shift_templates_seats_range")
        ),
        sa.CheckConstraint(
            "weekday >= 0 AND weekday <= 6", name=op.f("ck_shift_templates_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_shift_templates_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_templates")),
    )
    with op.batch_alter_table("shift_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shift_templates_contact_point_id"), ["contact_point_id"], unique=False
        )

    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_volunteers_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
        sa.UniqueConstraint("phone_index", name=op.f("uq_volunteers_phone_index")),
        sa.UniqueConstraint("staff_id", name=op.f("uq_volunteers_staff_id")),
    )
    op.create_table(
        "contact_point_volunteers",
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_contact_point_volunteers_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_contact_point_volunteers_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "contact_point_id", "volunteer_id", name=op.f("pk_contact_point_volunteers")
        ),
    )
    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "rings_at",
            sa.Enum(
                "own_phone",
                "duty_mobile",
                "desk_phone",
                "desk_first",
                name="ringsat",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("scheduled", "cancelled", name="shiftstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_shifts_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["shift_templates.id"],
            name=op.f("fk_shifts_template_id_shift_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
        sa.UniqueConstraint(
            "template_id", "local_date", name=op.f("uq_shifts_template_id_local_date")
        ),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shifts_contact_point_id"), ["contact_point_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_shifts_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("duty_phone_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["duty_phone_id"],
            ["duty_phones.id"],
            name=op.f("fk_seats_duty_phone_id_duty_phones"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_seats_shift_id_shifts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_seats_volunteer_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seats")),
        sa.UniqueConstraint("shift_id", "position", name=op.f("uq_seats_shift_id_position")),
        sa.UniqueConstraint(
            "shift_id", "volunteer_id", name=op.f("uq_seats_shift_id_volunteer_id")
        ),
    )
    with op.batch_alter_table("seats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seats_shift_id"), ["shift_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_seats_volunteer_id"), ["volunteer_id"], unique=False)

    op.create_table(
        "helpline_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("seat_id", sa.Integer(), nullable=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("duty_phone_id", sa.Integer(), nullable=True),
        sa.Column("desk_first", sa.Boolean(), nullable=False),
        sa.Column("rung_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "ringing",
                "taken",
                "declined",
                "too_late",
                "not_answered",
                name="legoutcome",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["helpline_calls.id"],
            name=op.f("fk_helpline_legs_call_id_helpline_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["duty_phone_id"],
            ["duty_phones.id"],
            name=op.f("fk_helpline_legs_duty_phone_id_duty_phones"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["seat_id"],
            ["seats.id"],
            name=op.f("fk_helpline_legs_seat_id_seats"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_helpline_legs_volunteer_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpline_legs")),
    )
    with op.batch_alter_table("helpline_legs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_helpline_legs_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_helpline_legs_duty_phone_id"), ["duty_phone_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_helpline_legs_volunteer_id"), ["volunteer_id"], unique=False
        )

    # A nullable column alone: SQLite adds it in place, batch mode copies nothing.
    op.add_column("outbox_messages", sa.Column("staff_id", sa.Integer(), nullable=True))
    op.create_index("ix_outbox_messages_staff_id", "outbox_messages", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_staff_id", table_name="outbox_messages")
    op.drop_column("outbox_messages", "staff_id")  # SQLite 3.35 and later drop it in place

    with op.batch_alter_table("helpline_legs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_helpline_legs_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_helpline_legs_duty_phone_id"))
        batch_op.drop_index(batch_op.f("ix_helpline_legs_call_id"))

    op.drop_table("helpline_legs")
    with op.batch_alter_table("seats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seats_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_seats_shift_id"))

    op.drop_table("seats")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shifts_starts_at"))
        batch_op.drop_index(batch_op.f("ix_shifts_contact_point_id"))

    op.drop_table("shifts")
    op.drop_table("contact_point_volunteers")
    op.drop_table("volunteers")
    with op.batch_alter_table("shift_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_templates_contact_point_id"))

    op.drop_table("shift_templates")
    with op.batch_alter_table("helpline_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_helpline_lines_contact_point_id"))

    op.drop_table("helpline_lines")
    with op.batch_alter_table("helpline_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_helpline_calls_started_at"))
        batch_op.drop_index(batch_op.f("ix_helpline_calls_contact_point_id"))
        batch_op.drop_index(batch_op.f("ix_helpline_calls_caller_key"))

    op.drop_table("helpline_calls")
    with op.batch_alter_table("duty_phones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_phones_contact_point_id"))

    op.drop_table("duty_phones")
    op.drop_table("contact_point_coordinators")
    with op.batch_alter_table("caller_blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caller_blocks_contact_point_id"))
        batch_op.drop_index(batch_op.f("ix_caller_blocks_caller_key"))

    op.drop_table("caller_blocks")
    op.drop_table("contact_points")
