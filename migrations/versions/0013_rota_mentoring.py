"""The rota of serving groups (groups taking turns at a contact point's shifts, with their
representatives), candidacies with mentors, and the coordinator's term and rota settings of a
contact point.

Revision ID: 0013_rota_mentoring
Revises: 0012_national_numbers
Create Date: 2026-12-07 20:29:45.984213
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_rota_mentoring"
down_revision: str | None = "0012_national_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rota_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("start_position", sa.Integer(), nullable=False),
        sa.Column("next_position", sa.Integer(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_rota_months_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_months")),
        sa.UniqueConstraint(
            "contact_point_id", "month", name=op.f("uq_rota_months_contact_point_id_month")
        ),
    )
    with op.batch_alter_table("rota_months", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rota_months_contact_point_id"), ["contact_point_id"], unique=False
        )

    op.create_table(
        "serving_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("representative_id", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.Text(), nullable=True),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        sa.Column("contact_phone_index", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_serving_groups_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_serving_groups_group_id_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["staff.id"],
            name=op.f("fk_serving_groups_representative_id_staff"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serving_groups")),
        sa.UniqueConstraint(
            "contact_point_id", "position", name=op.f("uq_serving_groups_contact_point_id_position")
        ),
    )
    with op.batch_alter_table("serving_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_serving_groups_contact_phone_index"),
            ["contact_phone_index"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_serving_groups_contact_point_id"), ["contact_point_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_serving_groups_representative_id"), ["representative_id"], unique=False
        )

    op.create_table(
        "candidacies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "confirmed", name="candidacystatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_candidacies_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["volunteers.id"],
            name=op.f("fk_candidacies_mentor_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_candidacies_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidacies")),
    )
    with op.batch_alter_table("candidacies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_candidacies_contact_point_id"), ["contact_point_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_candidacies_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "rota_assignments",
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("serving_group_id", sa.Integer(), nullable=True),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("duty_phone_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_rota_assignments_contact_point_id_contact_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["duty_phone_id"],
            ["duty_phones.id"],
            name=op.f("fk_rota_assignments_duty_phone_id_duty_phones"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["serving_group_id"],
            ["serving_groups.id"],
            name=op.f("fk_rota_assignments_serving_group_id_serving_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_rota_assignments_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shift_id", name=op.f("pk_rota_assignments")),
    )
    with op.batch_alter_table("rota_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rota_assignments_point_month", ["contact_point_id", "month"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rota_assignments_serving_group_id"), ["serving_group_id"], unique=False
        )

    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rota_groups_per_month", sa.Integer(), server_default="8", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "any_experienced_mentor", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("coordinator_term_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("coordinator_term_end", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.drop_column("coordinator_term_end")
        batch_op.drop_column("coordinator_term_start")
        batch_op.drop_column("any_experienced_mentor")
        batch_op.drop_column("rota_groups_per_month")

    with op.batch_alter_table("rota_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_assignments_serving_group_id"))
        batch_op.drop_index("ix_rota_assignments_point_month")

    op.drop_table("rota_assignments")
    with op.batch_alter_table("candidacies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidacies_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_candidacies_contact_point_id"))

    op.drop_table("candidacies")
    with op.batch_alter_table("serving_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_serving_groups_representative_id"))
        batch_op.drop_index(batch_op.f("ix_serving_groups_contact_point_id"))
        batch_op.drop_index(batch_op.f("ix_serving_groups_contact_phone_index"))

    op.drop_table("serving_groups")
    with op.batch_alter_table("rota_months", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_months_contact_point_id"))

    op.drop_table("rota_months")
