"""A referral's decision reason is encrypted like its note: moderators type it freely, and it may
name people. Same column type (text); the stored values are encrypted in place.

Revision ID: 0005_encrypted_decision_reason
Revises: 0004_revoked_sessions
Create Date: 2026-12-06 07:10:00.000000
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from core import pii

revision: str = "0005_encrypted_decision_reason"
down_revision: str | None = "0004_revoked_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rewrite(change: Callable[[str], str]) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, decision_reason FROM referrals WHERE decision_reason IS NOT NULL")
    ).all()
    for referral_id, reason in rows:
        bind.execute(
            sa.text("UPDATE referrals SET decision_reason = :reason WHERE id = :id"),
            {"reason": change(reason), "id": referral_id},
        )


def upgrade() -> None:
    _rewrite(pii.encrypt)


def downgrade() -> None:
    _rewrite(pii.decrypt)
