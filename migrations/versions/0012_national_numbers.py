"""A contact point's own number read out by the national line when the national line is not
staffed (off unless the contact point asks for it).

Revision ID: 0012_national_numbers
Revises: 0011_helpline
Create Date: 2026-12-07 20:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_national_numbers"
down_revision: str | None = "0011_helpline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("number_on_national", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.drop_column("number_on_national")
