"""The audit log: who did what to which record, when — never the personal data itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.database import Base, paginate, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None]
    group_id: Mapped[int | None] = mapped_column(index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None,
    group_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the current unit of work. ``details`` must hold no personal data."""
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        group_id=group_id,
        details=details or {},
    )
    session.add(entry)
    session.flush()
    return entry


def list_entries(
    session: Session,
    *,
    limit: int,
    offset: int,
    group_id: int | None = None,
    action: str | None = None,
) -> tuple[list[AuditEntry], int]:
    query = select(AuditEntry)
    if group_id is not None:
        query = query.where(AuditEntry.group_id == group_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    order = (AuditEntry.at.desc(), AuditEntry.id.desc())
    return paginate(session, query, *order, limit=limit, offset=offset)
