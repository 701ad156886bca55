"""Usernames are unique whatever their case, and failed logins are counted per client address.

``Victim3`` and ``victim3`` could both exist and shared one throttle counter, so failures against
one locked the other out. Existing look-alikes are kept, not merged: the oldest account keeps its
name, each later one is renamed ``<name>-<id>`` (cut to 64 characters); the migration logs how
many were renamed (never the names), and an admin tells those people their new username (the
console's staff page lists every account).

Revision ID: 0009_staff_login_keys
Revises: 0008_room_conference_fired_at
Create Date: 2026-12-07 15:20:00.000000
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_staff_login_keys"
down_revision: str | None = "0008_room_conference_fired_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def _rename_look_alikes() -> int:
    staff = sa.table("staff", sa.column("id", sa.Integer), sa.column("username", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(staff.c.id, staff.c.username).order_by(staff.c.id)).all()
    taken = {username.lower() for _, username in rows}
    seen: set[str] = set()
    renamed = 0
    for staff_id, username in rows:
        if username.lower() not in seen:
            seen.add(username.lower())
            continue
        suffix = f"-{staff_id}"
        new = username[: 64 - len(suffix)] + suffix
        while new.lower() in taken:
            suffix += "x"
            new = username[: 64 - len(suffix)] + suffix
        taken.add(new.lower())
        connection.execute(sa.update(staff).where(staff.c.id == staff_id).values(username=new))
        renamed += 1
    return renamed


def upgrade() -> None:
    renamed = _rename_look_alikes()
    if renamed:
        log.warning("staff usernames differing only in case: %d later account(s) renamed", renamed)
    op.create_index("uq_staff_username_lower", "staff", [sa.text("lower(username)")], unique=True)
    # A nullable column alone: SQLite adds it in place, batch mode copies nothing.
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_key", sa.String(length=64)))
        batch_op.create_index("ix_login_failures_client_key", ["client_key"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_client_key", table_name="login_failures")
    op.drop_column("login_failures", "client_key")
    op.drop_index("uq_staff_username_lower", table_name="staff")
