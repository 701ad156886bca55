"""SMS opt-outs: STOP, START and the Polish and Hebrew words the organisation configures stop and
restart a phone number's reminders. Kept by the number's blind index only (``pii.phone_index``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.models import SmsOptOut


def is_opted_out(session: Session, phone_index: str | None) -> bool:
    if phone_index is None:
        return True
    return session.get(SmsOptOut, phone_index) is not None


def opted_out_among(session: Session, phone_indexes: Collection[str]) -> frozenset[str]:
    """Which of these numbers (blind indexes) replied STOP: one query for a batch."""
    found = session.scalars(
        select(SmsOptOut.phone_index).where(SmsOptOut.phone_index.in_(set(phone_indexes)))
    )
    return frozenset(found)


def opt_out(session: Session, *, phone_index: str, now: datetime) -> None:
    if session.get(SmsOptOut, phone_index) is None:
        session.add(SmsOptOut(phone_index=phone_index, opted_out_at=now))
        session.flush()


def opt_in(session: Session, *, phone_index: str) -> None:
    row = session.get(SmsOptOut, phone_index)
    if row is not None:
        session.delete(row)
        session.flush()
