"""The cover jobs: a cover request nobody took by its deadline, and a shift still short of
volunteers some days before it starts, are told to the coordinators — each exactly once.

Once: a conditional ``UPDATE`` (``expired_at`` still empty) or an ``INSERT … ON CONFLICT DO
NOTHING`` (``unfilled_alerts``) decides which run tells, and the outbox's idempotency key keeps
one message per coordinator besides, however many schedulers run the job at once.

"Days before" is counted on the contact point's calendar: three days before a Tuesday 16:00 shift
is the Saturday at 16:00 local time, also when the clocks change in between.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.database import insert_or_nothing
from helpline import cover, cover_people
from helpline.models import (
    ContactPoint,
    CoverRequest,
    Seat,
    Shift,
    ShiftStatus,
    UnfilledAlert,
)

# How far ahead the unfilled-shift job looks: the longest ``unfilled_alert_days`` allowed.
MAX_ALERT_DAYS = 30


def expire_due(session: Session, *, now: datetime) -> int:
    """Tell the coordinators of every open request past its deadline; how many were told."""
    due = session.scalars(
        select(CoverRequest)
        .where(
            CoverRequest.open_slot.is_not(None),
            CoverRequest.expired_at.is_(None),
            CoverRequest.deadline <= now,
        )
        .order_by(CoverRequest.deadline)
    ).all()
    told = 0
    for request in due:
        shift = request.shift
        seat = next((s for s in shift.seats if s.position == request.position), None)
        taken = seat is None or seat.volunteer_id is not None
        values: dict[str, object] = {"expired_at": now}
        if seat is not None and seat.volunteer_id is not None:  # seated meanwhile: closed
            values |= {"filled_by_id": seat.volunteer_id, "filled_at": now, "open_slot": None}
        won = session.execute(
            update(CoverRequest)
            .where(CoverRequest.id == request.id, CoverRequest.expired_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.expire(request)
        if won.rowcount != 1 or taken or cover_people.is_over(shift, now):  # type: ignore[attr-defined]
            continue  # another run told them, or there is nothing left to tell
        cover_people.tell_coordinators(session, shift, "cover_unanswered", now, version=request.id)
        told += 1
    return told


def alert_time(shift: Shift, zone: ZoneInfo, days: int) -> datetime:
    """``days`` before the shift's start on the local calendar, at the same local time."""
    local = shift.starts_at.astimezone(zone)
    return (local - timedelta(days=days)).astimezone(shift.starts_at.tzinfo)


def alert_unfilled(session: Session, *, now: datetime) -> int:
    """Shifts with an open seat whose alert time has come: a cover request for each open seat
    and one message to the coordinators; how many shifts."""
    alerted = select(UnfilledAlert.shift_id)
    open_seat = select(Seat.shift_id).where(Seat.volunteer_id.is_(None))
    rows = session.execute(
        select(Shift, ContactPoint)
        .join(ContactPoint, ContactPoint.id == Shift.contact_point_id)
        .where(
            Shift.status == ShiftStatus.scheduled,
            Shift.starts_at > now,
            Shift.starts_at <= now + timedelta(days=MAX_ALERT_DAYS + 1),
            Shift.id.in_(open_seat),
            Shift.id.not_in(alerted),
            ContactPoint.unfilled_alert_days > 0,
        )
        .order_by(Shift.starts_at)
    ).all()
    count = 0
    for shift, point in rows:
        if now < alert_time(shift, ZoneInfo(point.time_zone), point.unfilled_alert_days):
            continue
        inserted = session.execute(
            insert_or_nothing(session, UnfilledAlert)
            .values(shift_id=shift.id, alerted_at=now)
            .returning(UnfilledAlert.shift_id)
        ).all()
        if not inserted:
            continue  # another run has it
        for _ in range(sum(1 for seat in shift.seats if seat.volunteer_id is None)):
            cover.request_cover(session, shift=shift, now=now, reason="unfilled")
        cover_people.tell_coordinators(session, shift, "shift_unfilled", now)
        count += 1
    return count
