"""The seats of the planned shifts: who signs up, gives a seat up, is seated or taken off by a
coordinator, one shift's seats or its cancellation — and who is told (through the outbox) so that
nobody's seat changes unseen.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import audit
from helpline import cover, mentoring, noshows
from helpline.exceptions import (
    AlreadySignedUp,
    NotAMobile,
    NotOnThisContactPoint,
    NotSignedUp,
    PastCutoff,
    ShiftFull,
    ShiftNotFound,
    ShiftOver,
    ShiftSeatsBelowAssigned,
)
from helpline.models import (
    ContactPoint,
    DutyPhone,
    DutyPhoneKind,
    Seat,
    Shift,
    ShiftStatus,
    Volunteer,
    contact_point_coordinators,
    contact_point_volunteers,
)
from notifications import notices


def audited(session: Session, actor: Staff, action: str, kind: str, target: int | None) -> None:
    """Record a helpline staff action in the audit log (ids only, never personal data)."""
    audit.record(session, actor_id=actor.id, action=action, target_type=kind, target_id=target)


def tell(session: Session, shift: Shift, event: str, staff_ids: list[int], now: datetime) -> None:
    """A duty notice about ``shift`` to these accounts, through the outbox."""
    notices.notify_duty(
        session,
        staff_ids=staff_ids,
        event=event,
        contact_point_id=shift.contact_point_id,
        shift_id=shift.id,
        now=now,
    )


def seated_staff(session: Session, shift: Shift) -> list[int]:
    ids = [seat.volunteer_id for seat in shift.seats if seat.volunteer_id is not None]
    return list(session.scalars(select(Volunteer.staff_id).where(Volunteer.id.in_(ids))))


def _coordinators(session: Session, point_id: int, *, but: int | None = None) -> list[int]:
    rows = session.scalars(
        select(contact_point_coordinators.c.staff_id).where(
            contact_point_coordinators.c.contact_point_id == point_id
        )
    )
    return [staff_id for staff_id in rows if staff_id != but]


def taken_seats(shift: Shift) -> list[Seat]:
    return [seat for seat in shift.seats if seat.volunteer_id is not None]


def resize(shift: Shift, seats: int) -> None:
    """``seats`` seats: new empty ones added, or empty ones removed (taken ones stay)."""
    while len(shift.seats) < seats:
        last = max((seat.position for seat in shift.seats), default=0)
        shift.seats.append(Seat(position=last + 1))
    for seat in sorted(shift.seats, key=lambda s: -s.position):
        if len(shift.seats) <= seats:
            break
        if seat.volunteer_id is None:
            shift.seats.remove(seat)


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
    tell(session, shift, "shift_cancelled", seated_staff(session, shift), now)
    audited(session, actor, "shift.cancel", "shift", shift.id)
    return len(taken_seats(shift))


def change_seats(
    session: Session, shift: Shift, *, actor: Staff, seats: int, now: datetime
) -> Shift:
    """One shift's seats, its template left as it is (a busy evening, a holiday)."""
    _open(shift, now)
    taken = len(taken_seats(shift))
    if seats < taken:
        raise ShiftSeatsBelowAssigned(taken)
    resize(shift, seats)
    audited(session, actor, "shift.seats", "shift", shift.id)
    session.flush()
    return shift


def _open(shift: Shift, now: datetime) -> None:
    if shift.status is not ShiftStatus.scheduled or shift.ends_at <= now:
        raise ShiftOver()


check_open = _open  # for the rota: a shift that is over or cancelled is not changed


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
    """A volunteer takes an open seat (until the contact point's cut-off); after too many
    no-shows the seat waits for a coordinator's approval (``helpline.noshows``)."""
    _open(shift, now)
    _before_cutoff(point, shift, now)
    mentoring.check_sign_up(session, point, shift, volunteer)
    seat = _take_seat(shift, volunteer)
    if noshows.needs_approval(session, point, volunteer, now):
        noshows.hold_for_approval(session, point, shift, seat, now)
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
    # The coordinators are told, and the volunteers who take cover requests are asked.
    cover.give_up(session, point, shift, seat, now=now, reason="withdrawn")
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
    audited(session, actor, "seat.assign", "shift", shift.id)
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
        tell(session, shift, "seat_removed", [volunteer.staff_id], now)
    audited(session, actor, "seat.unassign", "shift", shift.id)
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
        tell(session, seat.shift, "seat_removed", [volunteer.staff_id], now)
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
