"""The demo's cover: the first contact point's volunteers take cover requests, and its first
coming shift with an open seat asks for cover, so the cover page has something to show.
Idempotent: a seat already asking keeps its one request."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from helpline import cover, service, shifts
from helpline.models import ContactPoint, CoverRequest, ShiftStatus

LOOK_AHEAD_DAYS = 14


def seed(session: Session, point: ContactPoint, *, now: datetime) -> CoverRequest | None:
    for volunteer, _staff in service.list_volunteers(session, point):
        volunteer.cover_requests = True
    first = now.date()
    last = first + timedelta(days=LOOK_AHEAD_DAYS)
    for shift in shifts.shifts_between(session, point, first, last):
        empty = any(seat.volunteer_id is None for seat in shift.seats)
        if shift.status is ShiftStatus.scheduled and shift.starts_at > now and empty:
            return cover.request_cover(session, shift=shift, now=now, reason="unfilled")
    return None
