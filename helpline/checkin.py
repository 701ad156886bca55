"""Checking in at the start of a shift, and what the scheduler does around it.

A volunteer on a seat checks in by replying to the shift-start SMS (``helpline.texts``), by a
button in the console, through the API, or by taking the first call of the shift. At the start
each volunteer on a seat gets the shift-start SMS; ``no_show_minutes`` later every seat not
checked in is a no-show — the coordinators and the others on the shift are told at once, and the
coordinators get one summary of who checked in. A late check-in clears the no-show and tells the
coordinators. Each message has its idempotency key (person, event, shift, volunteer), and a
no-show is one row per shift and volunteer, so however often and on however many workers the
job runs, each happens once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from core.database import insert_or_nothing
from core.logs import get_logger
from core.settings import get_settings
from helpline import cover, service, words
from helpline.exceptions import (
    CoordinatorsOnly,
    NotOnDuty,
    NotSignedUp,
    OwnSeatOnly,
    ShiftNotFound,
)
from helpline.models import (
    CheckInBy,
    ContactPoint,
    Leg,
    NoShow,
    Seat,
    Shift,
    ShiftStatus,
    Volunteer,
    contact_point_coordinators,
)
from notifications import notices

log = get_logger("helpline.checkin")

# The shift-start SMS goes at most this long after the start (a scheduler that was down longer
# sends none: the no-show alert follows soon enough).
START_GRACE = timedelta(minutes=10)
# No-shows are looked for this long after they are due, then no more: a volunteer seated later in
# the shift (a cover) is not a no-show of its start, and a scheduler back after a long outage
# does not raise stale alarms.
WATCH = timedelta(hours=1)
MAX_NO_SHOW_MINUTES = 120  # the most ``no_show_minutes`` may be (``ContactPointUpdate``)


def seat_to_check_in(session: Session, volunteer: Volunteer, now: datetime) -> Seat | None:
    """The volunteer's seat on the shift running now or starting soon (the earliest)."""
    early = timedelta(minutes=get_settings().helpline_checkin_early_minutes)
    return session.scalar(
        select(Seat)
        .join(Shift, Shift.id == Seat.shift_id)
        .where(
            Seat.volunteer_id == volunteer.id,
            Seat.pending_approval.is_(False),
            Shift.status == ShiftStatus.scheduled,
            Shift.starts_at <= now + early,
            Shift.ends_at > now,
        )
        .order_by(Shift.starts_at)
        .limit(1)
    )


def check_in(session: Session, seat: Seat, *, by: CheckInBy, now: datetime) -> bool:
    """Check the seat in; False when it was already. A seat counted as a no-show is cleared and
    the coordinators are told the volunteer came after all."""
    if seat.checked_in_at is not None or seat.volunteer_id is None:
        return False
    seat.checked_in_at, seat.checked_in_by = now, by
    missed = session.scalar(
        select(NoShow).where(
            NoShow.shift_id == seat.shift_id,
            NoShow.volunteer_id == seat.volunteer_id,
            NoShow.cleared_at.is_(None),
        )
    )
    if missed is not None:
        missed.cleared_at = now
        _tell_coordinators(session, seat, "late_checkin", now)
    log.info("helpline.checked_in", extra={"seat_id": seat.id, "by": by.value})
    session.flush()
    return True


def seat_for(
    session: Session,
    point: ContactPoint,
    shift_id: int,
    *,
    actor: Staff,
    volunteer_id: int | None,
    now: datetime,
) -> Seat:
    """The seat ``actor`` may check in on this shift: their own, or, for a coordinator, the named
    volunteer's; the shift must be running or start within the check-in window."""
    own = service.volunteer_of(session, actor)
    if volunteer_id is None or (own is not None and own.id == volunteer_id):
        if own is None or not service.serves_at(session, own.id, point.id):
            raise OwnSeatOnly()
        volunteer_id = own.id
    elif not service.is_coordinator(session, actor, point.id):
        raise CoordinatorsOnly()
    shift = session.scalar(
        select(Shift).where(Shift.id == shift_id, Shift.contact_point_id == point.id)
    )
    if shift is None:
        raise ShiftNotFound()
    seat = next((seat for seat in _filled(shift) if seat.volunteer_id == volunteer_id), None)
    if seat is None:
        raise NotSignedUp()
    early = timedelta(minutes=get_settings().helpline_checkin_early_minutes)
    running = shift.status is ShiftStatus.scheduled and shift.ends_at > now
    if not running or shift.starts_at > now + early:
        raise NotOnDuty()
    return seat


def on_call_taken(session: Session, leg: Leg, now: datetime) -> None:
    """Taking a call of the shift checks the seat in (the first call does; later ones find it
    checked in already)."""
    seat = session.get(Seat, leg.seat_id) if leg.seat_id is not None else None
    if seat is not None and seat.volunteer_id == leg.volunteer_id:
        check_in(session, seat, by=CheckInBy.call, now=now)


def _staff_of(session: Session, volunteer_ids: list[int]) -> dict[int, int]:
    """volunteer id → staff id."""
    rows = session.execute(
        select(Volunteer.id, Volunteer.staff_id).where(Volunteer.id.in_(volunteer_ids))
    )
    return {volunteer: staff for volunteer, staff in rows}


def _coordinators(session: Session, point_id: int) -> list[int]:
    column = contact_point_coordinators.c
    return list(session.scalars(select(column.staff_id).where(column.contact_point_id == point_id)))


def _filled(shift: Shift) -> list[Seat]:
    return [
        seat for seat in shift.seats if seat.volunteer_id is not None and not seat.pending_approval
    ]


def _seated_staff(session: Session, seat: Seat) -> int:
    """The staff account of the seat's volunteer (0: the seat is empty)."""
    volunteer = session.get(Volunteer, seat.volunteer_id) if seat.volunteer_id else None
    return volunteer.staff_id if volunteer is not None else 0


def _tell_coordinators(session: Session, seat: Seat, event: str, now: datetime) -> None:
    shift = seat.shift
    notices.notify_checkin(
        session,
        staff_ids=_coordinators(session, shift.contact_point_id),
        event=event,
        contact_point_id=shift.contact_point_id,
        shift_id=shift.id,
        subject=_seated_staff(session, seat),
        now=now,
    )


# --- the scheduled steps ----------------------------------------------------------------------


def _running(session: Session, now: datetime, since: timedelta) -> list[tuple[Shift, ContactPoint]]:
    rows = session.execute(
        select(Shift, ContactPoint)
        .join(ContactPoint, ContactPoint.id == Shift.contact_point_id)
        .where(
            Shift.status == ShiftStatus.scheduled,
            Shift.starts_at <= now,
            Shift.starts_at > now - since,
            Shift.ends_at > now,
        )
        .order_by(Shift.starts_at, Shift.id)
    ).all()
    return [(shift, point) for shift, point in rows]


def send_duty_start(session: Session, *, now: datetime) -> int:
    """The shift-start SMS to each volunteer on a seat of a shift that has just started and who
    has not checked in yet, asking for the check-in word in the contact point's language."""
    queued = 0
    for shift, point in _running(session, now, START_GRACE):
        missing = [seat.volunteer_id for seat in _filled(shift) if seat.checked_in_at is None]
        staff = _staff_of(session, [v for v in missing if v is not None])
        queued += notices.notify_checkin(
            session,
            staff_ids=list(staff.values()),
            event="duty_start",
            contact_point_id=point.id,
            shift_id=shift.id,
            details={"word": words.suggested(words.Reply.check_in, point.language)},
            expires_at=shift.starts_at + timedelta(minutes=point.no_show_minutes),
            now=now,
        )
    return queued


def watch_no_shows(session: Session, *, now: datetime) -> int:
    """At ``no_show_minutes`` after a shift's start: the no-shows, each told once, and the
    coordinators' summary of the shift. Returns how many no-shows were new."""
    new = 0
    longest = timedelta(minutes=MAX_NO_SHOW_MINUTES) + WATCH
    for shift, point in _running(session, now, longest):
        due = shift.starts_at + timedelta(minutes=point.no_show_minutes)
        if not due <= now < due + WATCH:
            continue
        for seat in _filled(shift):
            if seat.checked_in_at is None and _record_no_show(session, shift, seat, now):
                new += 1
                _tell_no_show(session, shift, seat, now)
        _summary(session, shift, now)
    return new


def _record_no_show(session: Session, shift: Shift, seat: Seat, now: datetime) -> bool:
    """One row per shift and volunteer; True only for the run that wrote it (two schedulers at
    once: the second's insert waits for the first and then does nothing)."""
    statement = insert_or_nothing(session, NoShow).returning(NoShow.id)
    row = {
        "contact_point_id": shift.contact_point_id,
        "shift_id": shift.id,
        "volunteer_id": seat.volunteer_id,
        "noticed_at": now,
    }
    return bool(session.execute(statement, [row]).all())


def _tell_no_show(session: Session, shift: Shift, seat: Seat, now: datetime) -> None:
    log.info("helpline.no_show", extra={"seat_id": seat.id, "shift_id": shift.id})
    _tell_coordinators(session, seat, "no_show", now)
    others = [other for other in _filled(shift) if other.volunteer_id != seat.volunteer_id]
    notices.notify_checkin(
        session,
        staff_ids=[_seated_staff(session, other) for other in others],
        event="no_show_partner",
        contact_point_id=shift.contact_point_id,
        shift_id=shift.id,
        subject=_seated_staff(session, seat),
        now=now,
    )
    cover.request_cover(session, shift=shift, now=now, reason="no_show")


def _summary(session: Session, shift: Shift, now: datetime) -> None:
    filled = _filled(shift)
    if not filled:
        return
    staff = _staff_of(session, [seat.volunteer_id for seat in filled if seat.volunteer_id])
    checked_in = [staff[s.volunteer_id] for s in filled if s.volunteer_id and s.checked_in_at]
    missing = [staff[s.volunteer_id] for s in filled if s.volunteer_id and not s.checked_in_at]
    notices.notify_checkin(
        session,
        staff_ids=_coordinators(session, shift.contact_point_id),
        event="checkin_summary",
        contact_point_id=shift.contact_point_id,
        shift_id=shift.id,
        details={"checked_in": checked_in, "missing": missing},
        now=now,
    )
