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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import audit
from helpline.exceptions import (
    AlreadySignedUp,
    NotAMobile,
    NotOnThisContactPoint,
    NotSignedUp,
    OneOffOverlaps,
    OneOffTimes,
    PastCutoff,
    SeatsBelowAssigned,
    ShiftFull,
    ShiftNotFound,
    ShiftOver,
    ShiftSeatsBelowAssigned,
    ShiftsOverlap,
    TemplateNotFound,
)
from helpline.models import (
    ContactPoint,
    DutyPhone,
    DutyPhoneKind,
    RingsAt,
    Seat,
    Shift,
    ShiftStatus,
    ShiftTemplate,
    Volunteer,
    contact_point_coordinators,
    contact_point_volunteers,
)
from helpline.schedule import Planned, Weekly, clash, dates, times
from helpline.schemas import TemplateCreate, TemplateUpdate
from notifications import notices

PLAN_WEEKS = 8
MAX_SEATS = 10  # as the templates' check constraint


def weekly(template: ShiftTemplate) -> Weekly:
    return Weekly(template.weekday, template.start_minute, template.end_minute)


def _audit(session: Session, actor: Staff, action: str, kind: str, target: int) -> None:
    audit.record(session, actor_id=actor.id, action=action, target_type=kind, target_id=target)


def _tell(session: Session, shift: Shift, event: str, staff_ids: list[int], now: datetime) -> None:
    """A duty notice about ``shift`` to these accounts, through the outbox."""
    notices.notify_duty(
        session,
        staff_ids=staff_ids,
        event=event,
        contact_point_id=shift.contact_point_id,
        shift_id=shift.id,
        now=now,
    )


def _seated_staff(session: Session, shift: Shift) -> list[int]:
    ids = [seat.volunteer_id for seat in shift.seats if seat.volunteer_id is not None]
    return list(session.scalars(select(Volunteer.staff_id).where(Volunteer.id.in_(ids))))


def _coordinators(session: Session, point_id: int, *, but: int | None = None) -> list[int]:
    rows = session.scalars(
        select(contact_point_coordinators.c.staff_id).where(
            contact_point_coordinators.c.contact_point_id == point_id
        )
    )
    return [staff_id for staff_id in rows if staff_id != but]


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
    _audit(session, actor, "shift_template.create", "shift_template", template.id)
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
        most = max((len(_taken(shift)) for shift in coming), default=0)
        if data.seats < most:
            raise SeatsBelowAssigned(most)
        template.seats = data.seats
        for shift in coming:
            _resize(shift, data.seats)
    if data.rings_at is not None:
        template.rings_at = data.rings_at
        for shift in coming:
            shift.rings_at = data.rings_at
    _audit(session, actor, "shift_template.update", "shift_template", template.id)
    session.flush()
    return template


def _taken(shift: Shift) -> list[Seat]:
    return [seat for seat in shift.seats if seat.volunteer_id is not None]


def _resize(shift: Shift, seats: int) -> None:
    """``seats`` seats: new empty ones added, or empty ones removed (taken ones stay)."""
    while len(shift.seats) < seats:
        last = max((seat.position for seat in shift.seats), default=0)
        shift.seats.append(Seat(position=last + 1))
    for seat in sorted(shift.seats, key=lambda s: -s.position):
        if len(shift.seats) <= seats:
            break
        if seat.volunteer_id is None:
            shift.seats.remove(seat)


def remove_template(
    session: Session, point: ContactPoint, template: ShiftTemplate, *, actor: Staff, now: datetime
) -> int:
    """The weekly shift ends: its coming shifts without volunteers go, those with volunteers are
    cancelled and kept (returned count), so nobody's seat disappears unseen."""
    cancelled = 0
    for shift in _coming(session, template, now):
        if _taken(shift):
            shift.status = ShiftStatus.cancelled
            _tell(session, shift, "shift_cancelled", _seated_staff(session, shift), now)
            cancelled += 1
        else:
            session.delete(shift)
    _audit(session, actor, "shift_template.delete", "shift_template", template.id)
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
    _audit(session, actor, "shift.add", "shift", shift.id)
    return shift


def get_shift(session: Session, point: ContactPoint, shift_id: int, *, lock: bool = False) -> Shift:
    query = select(Shift).where(Shift.id == shift_id, Shift.contact_point_id == point.id)
    shift = session.scalar(query.with_for_update() if lock else query)
    if shift is None:
        raise ShiftNotFound()
    return shift


def cancel_shift(session: Session, shift: Shift, *, actor: Staff, now: datetime) -> int:
    """Cancel one shift; returns how many volunteers had a seat on it."""
    if shift.ends_at <= now:
        raise ShiftOver()
    shift.status = ShiftStatus.cancelled
    _tell(session, shift, "shift_cancelled", _seated_staff(session, shift), now)
    _audit(session, actor, "shift.cancel", "shift", shift.id)
    return len(_taken(shift))


def change_seats(
    session: Session, shift: Shift, *, actor: Staff, seats: int, now: datetime
) -> Shift:
    """One shift's seats, its template left as it is (a busy evening, a holiday)."""
    _open(shift, now)
    taken = len(_taken(shift))
    if seats < taken:
        raise ShiftSeatsBelowAssigned(taken)
    _resize(shift, seats)
    _audit(session, actor, "shift.seats", "shift", shift.id)
    session.flush()
    return shift


def _open(shift: Shift, now: datetime) -> None:
    if shift.status is not ShiftStatus.scheduled or shift.ends_at <= now:
        raise ShiftOver()


def _seat_of(shift: Shift, volunteer: Volunteer) -> Seat | None:
    return next((seat for seat in shift.seats if seat.volunteer_id == volunteer.id), None)


def _take_seat(shift: Shift, volunteer: Volunteer) -> Seat:
    if _seat_of(shift, volunteer) is not None:
        raise AlreadySignedUp()
    seat = next((seat for seat in shift.seats if seat.volunteer_id is None), None)
    if seat is None:
        raise ShiftFull()
    seat.volunteer_id = volunteer.id
    return seat


def _before_cutoff(point: ContactPoint, shift: Shift, now: datetime) -> None:
    if now > shift.starts_at - timedelta(hours=point.signup_cutoff_hours):
        raise PastCutoff(point.signup_cutoff_hours)


def sign_up(
    session: Session, point: ContactPoint, shift: Shift, volunteer: Volunteer, *, now: datetime
) -> Seat:
    """A volunteer takes an open seat (until the contact point's cut-off)."""
    _open(shift, now)
    _before_cutoff(point, shift, now)
    seat = _take_seat(shift, volunteer)
    audit.record(
        session,
        actor_id=volunteer.staff_id,
        action="seat.sign_up",
        target_type="shift",
        target_id=shift.id,
    )
    session.flush()
    return seat


def withdraw(
    session: Session, point: ContactPoint, shift: Shift, volunteer: Volunteer, *, now: datetime
) -> None:
    _open(shift, now)
    _before_cutoff(point, shift, now)
    seat = _seat_of(shift, volunteer)
    if seat is None:
        raise NotSignedUp()
    seat.volunteer_id, seat.duty_phone_id = None, None
    coordinators = _coordinators(session, point.id, but=volunteer.staff_id)
    _tell(session, shift, "seat_given_up", coordinators, now)
    audit.record(
        session,
        actor_id=volunteer.staff_id,
        action="seat.withdraw",
        target_type="shift",
        target_id=shift.id,
    )
    session.flush()


def assign(
    session: Session,
    point: ContactPoint,
    shift: Shift,
    volunteer: Volunteer,
    *,
    actor: Staff,
    duty_phone: DutyPhone | None,
    now: datetime,
) -> Seat:
    """The coordinator seats a volunteer of this contact point (or gives a seated one a duty
    mobile); no cut-off applies."""
    _open(shift, now)
    if not _serves(session, volunteer, point):
        raise NotOnThisContactPoint()
    seat = _seat_of(shift, volunteer) or _take_seat(shift, volunteer)
    if duty_phone is not None:
        if duty_phone.kind is not DutyPhoneKind.mobile:
            raise NotAMobile()
        seat.duty_phone_id = duty_phone.id
    _audit(session, actor, "seat.assign", "shift", shift.id)
    session.flush()
    return seat


def unassign(
    session: Session, shift: Shift, volunteer: Volunteer, *, actor: Staff, now: datetime
) -> None:
    _open(shift, now)
    seat = _seat_of(shift, volunteer)
    if seat is None:
        raise NotSignedUp()
    seat.volunteer_id, seat.duty_phone_id = None, None
    if volunteer.staff_id != actor.id:
        _tell(session, shift, "seat_removed", [volunteer.staff_id], now)
    _audit(session, actor, "seat.unassign", "shift", shift.id)
    session.flush()


def free_coming_seats(
    session: Session, point: ContactPoint, volunteer: Volunteer, *, now: datetime
) -> int:
    seats = session.scalars(
        select(Seat)
        .join(Shift, Shift.id == Seat.shift_id)
        .where(
            Shift.contact_point_id == point.id,
            Shift.ends_at > now,  # the shift under way too: they are no longer rung
            Seat.volunteer_id == volunteer.id,
        )
    ).all()
    for seat in seats:
        seat.volunteer_id, seat.duty_phone_id = None, None
        _tell(session, seat.shift, "seat_removed", [volunteer.staff_id], now)
    return len(seats)


def _serves(session: Session, volunteer: Volunteer, point: ContactPoint) -> bool:
    found = session.scalar(
        select(func.count()).where(
            contact_point_volunteers.c.contact_point_id == point.id,
            contact_point_volunteers.c.volunteer_id == volunteer.id,
        )
    )
    return bool(found)


def open_seats(shift: Shift) -> int:
    return sum(1 for seat in shift.seats if seat.volunteer_id is None)


def is_over(shift: Shift, now: datetime) -> bool:
    """Ended or cancelled: its seats can no longer change."""
    return shift.status is not ShiftStatus.scheduled or shift.ends_at <= now


def seats_open_to_volunteers(point: ContactPoint, shift: Shift, now: datetime) -> bool:
    """Whether a volunteer may still sign up for or withdraw from ``shift`` themself (the rule
    ``sign_up`` and ``withdraw`` apply); after that only a coordinator changes its seats."""
    try:
        _open(shift, now)
        _before_cutoff(point, shift, now)
    except (ShiftOver, PastCutoff):
        return False
    return True
