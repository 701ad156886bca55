"""The audit log: who did what to which record, when — never the personal data itself.

Every entry is a link of a hash chain: ``row_hash`` is SHA-256 over the entry's own fields and
``prev_hash``, the hash of the entry before it (by id). Changing, removing or inserting an entry
without recomputing every later hash breaks the chain, and ``core.audit_chain.verify`` names the
first entry where it breaks. Appending is serialised, so two writers never chain onto the same
entry: on PostgreSQL by a transaction-level advisory lock taken before the insert (its id, from
the sequence, then follows the lock's order); on SQLite by the write lock every unit of work
takes at its start (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.database import Base, paginate, utcnow

GENESIS = "0" * 64  # the ``prev_hash`` of the first entry ever written
CHAIN_LOCK_KEY = 0x5355_4155  # "SUAU": appending to the chain, on PostgreSQL
CUT_ACTION = "audit.cut"  # the checkpoint retention leaves where it cut the chain
# The fields a hash covers, in the order of the encoding.
HASHED = (
    "id",
    "at",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "group_id",
    "details",
    "prev_hash",
)


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
    # The chain: the previous entry's hash, and this entry's own (see the module's docstring).
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


def entry_hash(
    *,
    id: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None,
    group_id: int | None,
    details: dict[str, Any],
    prev_hash: str | None,
) -> str:
    """SHA-256 over a canonical encoding: a JSON array in a fixed order, keys sorted, UTC
    microseconds — the same bytes on every backend and in the migration."""
    instant = at.astimezone(UTC).isoformat(timespec="microseconds")
    fields = [id, instant, actor_id, action, target_type, target_id, group_id, details, prev_hash]
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def hash_of(entry: AuditEntry) -> str:
    return entry_hash(**{name: getattr(entry, name) for name in HASHED})


def lock_chain(session: Session) -> None:
    """Hold the right to append until this transaction ends (PostgreSQL; a no-op on SQLite,
    where the unit of work already holds the database's write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None,
    group_id: int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add an audit entry to the current unit of work. ``details`` must hold no personal data.

    ``at`` only for a job's entry, which records the job's ``now``."""
    lock_chain(session)
    entry = AuditEntry(
        at=at or utcnow(),  # taken under the lock: the chain's order is also the order in time
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        group_id=group_id,
        details=details or {},
    )
    session.add(entry)
    session.flush()
    previous = session.scalar(
        select(AuditEntry.row_hash)
        .where(AuditEntry.id < entry.id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    entry.prev_hash = previous or GENESIS
    entry.row_hash = hash_of(entry)
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
