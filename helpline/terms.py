"""Terms of service: a contact point's coordinator serves a term (two years from its start unless
another end is given), and the admins are told two months before it ends, so a successor can be
found in time. Also the contact point's rota and mentoring settings, set with it.

A notice is due at ``NOTICE_TIME`` in the contact point's local time on its day, right across a
clock change, and queued once (the outbox's key: the contact point and the term's last day; a new
term is a new notice).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from core import audit
from groups.schedule import local_to_utc
from helpline.models import ContactPoint
from helpline.rota_schemas import RotaSettings
from notifications import notices

NOTICE_TIME = 9 * 60  # 09:00 local: notices about months ahead arrive in working hours
TERM_YEARS = 2
TERM_NOTICE_MONTHS = 2


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months (back when negative); the 31st becomes the month's last."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def notice_at(day: date, zone: str) -> datetime:
    """When a notice due on the local ``day`` goes: ``NOTICE_TIME`` there, in UTC."""
    return local_to_utc(day, NOTICE_TIME, ZoneInfo(zone))


def update_settings(
    session: Session, point: ContactPoint, *, actor: Staff, data: RotaSettings
) -> ContactPoint:
    """The rota's size, the mentoring rule and the coordinator's term (coordinators)."""
    if data.rota_groups_per_month is not None:
        point.rota_groups_per_month = data.rota_groups_per_month
    if data.any_experienced_mentor is not None:
        point.any_experienced_mentor = data.any_experienced_mentor
    if data.coordinator_term_start is not None:
        point.coordinator_term_start = data.coordinator_term_start
        point.coordinator_term_end = data.coordinator_term_end or shift_months(
            data.coordinator_term_start, 12 * TERM_YEARS
        )
    elif data.coordinator_term_end is not None:
        point.coordinator_term_end = data.coordinator_term_end
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="contact_point.rota_settings",
        target_type="contact_point",
        target_id=point.id,
    )
    return point


def term_notice_due(point: ContactPoint, now: datetime) -> bool:
    end = point.coordinator_term_end
    if end is None:
        return False
    day = shift_months(end, -TERM_NOTICE_MONTHS)
    return notice_at(day, point.time_zone) <= now < notice_at(end, point.time_zone)


def notify_terms_ending(session: Session, *, now: datetime) -> int:
    """Tell the admins of each coordinator's term ending in two months; how many were new."""
    points = session.scalars(
        select(ContactPoint).where(ContactPoint.coordinator_term_end.is_not(None))
    )
    due = [point for point in points if term_notice_due(point, now)]
    if not due:
        return 0
    admins = list(
        session.scalars(select(Staff.id).where(Staff.role == Role.admin, Staff.is_active))
    )
    return sum(
        notices.notify_helpline(
            session,
            event="term_ending",
            contact_point_id=point.id,
            subject_id=point.id,
            about=str(point.coordinator_term_end),
            staff_ids=admins,
            now=now,
        )
        for point in due
    )
