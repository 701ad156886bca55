"""Verifying the audit log's hash chain (``core.audit``), and where retention cut it.

Retention removes the oldest entries only after it appended a checkpoint entry (``audit.cut``)
that records the last id it removes and that entry's hash: the first entry kept must name that
hash as its predecessor. Entries up to the checkpoint's id that are still there are on their way
out (a cut is deleted in batches) and are not checked. Problems are named by entry id, never by
content.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from core.audit import CUT_ACTION, GENESIS, HASHED, AuditEntry, entry_hash, record
from core.retention import Rule, years_before
from core.settings import get_settings

BATCH = 1000


class BreakKind(StrEnum):
    changed = "changed"
    removed = "removed"
    inserted = "inserted"


@dataclass(frozen=True)
class Break:
    entry_id: int
    kind: BreakKind

    def describe(self) -> str:
        if self.kind is BreakKind.changed:
            return f"entry #{self.entry_id} was changed after it was written"
        if self.kind is BreakKind.inserted:
            return f"entry #{self.entry_id} was inserted out of place"
        return (
            f"the chain breaks just before entry #{self.entry_id}: an entry before it was "
            "removed, or the one before it was rewritten"
        )


@dataclass(frozen=True)
class ChainReport:
    entries: int  # entries checked
    first_id: int | None
    last_id: int | None
    head: str | None  # the newest entry's hash: note it somewhere else to detect a rewrite
    broken: Break | None

    @property
    def empty(self) -> bool:
        return self.entries == 0

    @property
    def verifies(self) -> bool:
        return self.broken is None

    def describe(self) -> str:
        if self.broken is not None:
            return f"the audit chain is broken: {self.broken.describe()}"
        if self.empty:
            return "the audit log is empty: there is no chain to verify yet"
        return (
            f"the audit chain verifies: {self.entries} entries, #{self.first_id} to "
            f"#{self.last_id}; the newest hash is {self.head}"
        )


@dataclass(frozen=True)
class Anchor:
    """Where the chain starts: after the last cut, or at the beginning."""

    after_id: int
    prev_hash: str


def anchor(session: Session) -> Anchor:
    cut = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == CUT_ACTION)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if cut is None:
        return Anchor(0, GENESIS)
    through = cut.details.get("through_id")
    last_hash = cut.details.get("last_hash")
    if not isinstance(through, int) or not isinstance(last_hash, str):
        return Anchor(0, GENESIS)  # a malformed checkpoint: the walk finds what is wrong
    return Anchor(through, last_hash)


@dataclass(frozen=True)
class Link:
    id: int
    prev_hash: str | None
    row_hash: str | None
    computed: str  # the hash its fields give now


_FIELDS = [getattr(AuditEntry, name) for name in HASHED]


def _links(session: Session, after_id: int) -> Iterator[Link]:
    """The entries after ``after_id`` in id order, read a batch at a time as plain rows (a
    long log stays out of the session)."""
    last = after_id
    while True:
        query = select(*_FIELDS, AuditEntry.row_hash).where(AuditEntry.id > last)
        rows = session.execute(query.order_by(AuditEntry.id).limit(BATCH)).all()
        for row in rows:
            fields = {name: row._mapping[name] for name in HASHED}
            yield Link(row.id, row.prev_hash, row.row_hash, entry_hash(**fields))
        if len(rows) < BATCH:
            return
        last = rows[-1].id


def verify(session: Session) -> ChainReport:
    """Walk the chain and stop at the first entry that was changed, removed or inserted."""
    start = anchor(session)
    entries = _links(session, start.after_id)
    checked, first_id, last_id, head = 0, None, None, None
    before_previous: str | None = None
    previous, previous_id = start.prev_hash, None
    current = next(entries, None)
    while current is not None:
        following = next(entries, None)
        broken = _link_break(current, following, previous, previous_id, before_previous)
        if broken is None and current.row_hash != current.computed:
            broken = Break(current.id, BreakKind.changed)
        if broken is not None:
            return ChainReport(checked, first_id, last_id, head, broken)
        checked += 1
        first_id = first_id or current.id
        last_id, head = current.id, current.row_hash
        before_previous, previous, previous_id = previous, current.row_hash or "", current.id
        current = following
    return ChainReport(checked, first_id, last_id, head, None)


def _link_break(
    current: Link,
    following: Link | None,
    previous: str,
    previous_id: int | None,
    before_previous: str | None,
) -> Break | None:
    """Whether ``current`` follows the entry before it; if not, which entry is out of place."""
    if current.prev_hash == previous:
        return None
    if previous_id is not None and current.prev_hash == before_previous:
        return Break(previous_id, BreakKind.inserted)  # the chain skips the previous entry
    if following is not None and following.prev_hash == previous:
        return Break(current.id, BreakKind.inserted)  # the chain skips this one
    return Break(current.id, BreakKind.removed)


# --- retention: the oldest entries go, behind a checkpoint ---


def entries_due(now: datetime) -> Select[Any]:
    """The entries before the first one written within the retention period: always a prefix
    of the chain, so what stays is one unbroken chain."""
    cutoff = years_before(now, get_settings().retention_audit_years)
    first_kept = select(func.min(AuditEntry.id)).where(AuditEntry.at >= cutoff).scalar_subquery()
    return select(AuditEntry.id).where(or_(first_kept.is_(None), AuditEntry.id < first_kept))


def record_cut(session: Session, now: datetime) -> None:
    """Before the oldest entries go: the checkpoint that says where the chain now starts."""
    through = session.scalar(select(func.max(entries_due(now).subquery().c.id)))
    if through is None or through <= anchor(session).after_id:
        return  # nothing new to cut (a cut left unfinished is finished by the deletes alone)
    last_hash = session.scalar(select(AuditEntry.row_hash).where(AuditEntry.id == through))
    removed = session.scalar(select(func.count()).where(AuditEntry.id <= through))
    details = {"through_id": through, "last_hash": last_hash, "removed": removed}
    record(
        session,
        actor_id=None,
        action=CUT_ACTION,
        target_type="audit",
        target_id=None,
        details=details,
        at=now,
    )


def delete_entries(session: Session, ids: Sequence[int], _now: datetime) -> None:
    session.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids)))


def retention_rule() -> Rule:
    return Rule("audit log entries", entries_due, delete_entries, prepare=record_cut)
