"""Duty shifts: weekly templates, the shifts planned from them weeks ahead, and their seats.

A shift is planned like a meeting (``helpline.schedule`` for the local-time arithmetic) and then
lives on its own: cancelled or its seats changed one at a time. A template change reaches the
coming shifts that have not started; it never drops a volunteer's seat silently — a change that
would is refused with what to do first, and a removed template cancels its coming shifts that
have volunteers (they stay listed, cancelled) instead of deleting them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from helpline import seats
from helpline.exceptions import (
    OneOffOverlaps,
    OneOffTimes,
    SeatsBelowAssigned,
    ShiftsOverlap,
    TemplateNotFound,
)
from helpline.models import (
    ContactPoint,
    RingsAt,
    Seat,
    Shift,
    ShiftStatus,
    ShiftTemplate,
)
from helpline.schedule import Planned, Weekly, clash, dates, times
from helpline.schemas import TemplateCreate, TemplateUpdate
from helpline.seats import audited

PLAN_WEEKS = 8
MAX_SEATS = 10  # as the templates' check constraint


def weekly(template: ShiftTemplate) -> Weekly:
    return Weekly(template.weekday, template.start_minute, template.end_minute)


# --- templates -------------------------------------------------------------------------------


def templates(session: Session, point: ContactPoint) -> list[ShiftTemplate]:
    query = select(ShiftTemplate).where(ShiftTemplate.contact_point_id == point.id)
    order = (ShiftTemplate.weekday, ShiftTemplate.start_minute)
    return list(session.scalars(query.order_by(*order)))


def get_template(session: Session, point: ContactPoint, template_id: int) -> ShiftTemplate:
    template = session.get(ShiftTemplate, template_id)
    if template is None or template.contact_point_id != point.id:
        raise TemplateNotFound()
    return template


def add_template(
    session: Session, point: ContactPoint, *, actor: Staff, data: TemplateCreate, now: datetime
) -> ShiftTemplate:
    """A weekly shift; its shifts are planned at once. Two shifts of one contact point may not
    overlap: seats are how it has more volunteers at once."""
    new = data.weekly()
    for other in templates(session, point):
        if clash(new, weekly(other)):
            raise ShiftsOverlap(_describe(weekly(other)))
    template = ShiftTemplate(
        contact_point_id=point.id,
        weekday=new.weekday,
        start_minute=new.start_minute,
        end_minute=new.end_minute,
        seats=data.seats,
        rings_at=data.rings_at,
    )
    session.add(template)
    session.flush()
    audited(session, actor, "shift_template.create", "shift_template", template.id)
    plan(session, point, now=now)
    return template


def _describe(week: Weekly) -> str:
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return f"{names[week.weekday]} {week.describe()}"


def _coming(session: Session, template: ShiftTemplate, now: datetime) -> list[Shift]:
    query = select(Shift).where(
        Shift.template_id == template.id,
        Shift.starts_at > now,
        Shift.status == ShiftStatus.scheduled,
    )
    return list(session.scalars(query.order_by(Shift.starts_at)))


def update_template(
    session: Session,
    point: ContactPoint,
    template: ShiftTemplate,
    *,
    actor: Staff,
    data: TemplateUpdate,
    now: datetime,
) -> ShiftTemplate:
    """New seats or phones for the coming shifts of this kind (those not started)."""
    coming = _coming(session, template, now)
    if data.seats is not None:
        most = max((len(seats.taken_seats(shift)) for shift in coming), default=0)
        if data.seats < most:
            raise SeatsBelowAssigned(most)
        template.seats = data.seats
        for shift in coming:
            seats.resize(shift, data.seats)
    if data.rings_at is not None:
        template.rings_at = data.rings_at
        for shift in coming:
            shift.rings_at = data.rings_at
    audited(session, actor, "shift_template.update", "shift_template", template.id)
    session.flush()
    return template


def remove_template(
    session: Session, point: ContactPoint, template: ShiftTemplate, *, actor: Staff, now: datetime
) -> int:
    """The weekly shift ends: its coming shifts without volunteers go, those with volunteers are
    cancelled and kept (returned count), so nobody's seat disappears unseen."""
    cancelled = 0
    for shift in _coming(session, template, now):
        if seats.taken_seats(shift):
            shift.status = ShiftStatus.cancelled
            seats.tell(session, shift, "shift_cancelled", seats.seated_staff(session, shift), now)
            cancelled += 1
        else:
            session.delete(shift)
    audited(session, actor, "shift_template.delete", "shift_template", template.id)
    session.delete(template)
    session.flush()
    return cancelled


# --- planning --------------------------------------------------------------------------------


def plan(session: Session, point: ContactPoint, *, now: datetime, weeks: int = PLAN_WEEKS) -> int:
    """Shifts of every template from today to ``weeks`` ahead, local dates; existing ones are
    kept as they are. Returns how many were added."""
    zone = ZoneInfo(point.time_zone)
    today = now.astimezone(zone).date()
    last = today + timedelta(weeks=weeks)
    added = 0
    for template in templates(session, point):
        week = weekly(template)
        planned = set(
            session.scalars(
                select(Shift.local_date).where(
                    Shift.template_id == template.id, Shift.local_date >= today
                )
            )
        )
        for day in dates(week, today, last):
            if day in planned:
                continue
            when = times(week, day, zone)
            if when.ends_at <= now or _overlaps_one_off(session, point, when):
                continue
            shift = Shift(
                contact_point_id=point.id,
                template_id=template.id,
                local_date=day,
                starts_at=when.starts_at,
                ends_at=when.ends_at,
                rings_at=template.rings_at,
                seats=[Seat(position=n) for n in range(1, template.seats + 1)],
            )
            session.add(shift)
            added += 1
    session.flush()
    return added


def _overlaps_one_off(session: Session, point: ContactPoint, when: Planned) -> bool:
    """A one-off shift already covers that time: the weekly one is not planned on top of it
    (both would ring)."""
    found = session.scalar(
        select(Shift.id).where(
            Shift.contact_point_id == point.id,
            Shift.template_id.is_(None),
            Shift.status == ShiftStatus.scheduled,
            Shift.starts_at < when.ends_at,
            Shift.ends_at > when.starts_at,
        )
    )
    return found is not None


def plan_all(session: Session, *, now: datetime) -> int:
    return sum(plan(session, point, now=now) for point in session.scalars(select(ContactPoint)))


# --- shifts and seats ------------------------------------------------------------------------


def shifts_between(session: Session, point: ContactPoint, first: date, last: date) -> list[Shift]:
    query = select(Shift).where(
        Shift.contact_point_id == point.id, Shift.local_date >= first, Shift.local_date <= last
    )
    return list(session.scalars(query.order_by(Shift.starts_at)))


def running(session: Session, point: ContactPoint, now: datetime) -> list[Shift]:
    """The shifts under way at ``now``."""
    query = select(Shift).where(
        Shift.contact_point_id == point.id,
        Shift.status == ShiftStatus.scheduled,
        Shift.starts_at <= now,
        Shift.ends_at > now,
    )
    return list(session.scalars(query.order_by(Shift.starts_at)))


def add_one_off(
    session: Session,
    point: ContactPoint,
    *,
    actor: Staff,
    starts_at: datetime,
    ends_at: datetime,
    seats: int,
    rings_at: RingsAt,
    now: datetime,
) -> Shift:
    """A shift of no weekly kind (an extra evening, cover for an event). Like the weekly ones
    it may not overlap another scheduled shift of the contact point."""
    if ends_at <= starts_at or ends_at <= now or not 1 <= seats <= MAX_SEATS:
        raise OneOffTimes()
    overlapping = select(Shift.id).where(
        Shift.contact_point_id == point.id,
        Shift.status == ShiftStatus.scheduled,
        Shift.starts_at < ends_at,
        Shift.ends_at > starts_at,
    )
    if session.scalar(overlapping.limit(1)) is not None:
        raise OneOffOverlaps()
    shift = Shift(
        contact_point_id=point.id,
        local_date=starts_at.astimezone(ZoneInfo(point.time_zone)).date(),
        starts_at=starts_at,
        ends_at=ends_at,
        rings_at=rings_at,
        seats=[Seat(position=n) for n in range(1, seats + 1)],
    )
    session.add(shift)
    session.flush()
    audited(session, actor, "shift.add", "shift", shift.id)
    return shift
