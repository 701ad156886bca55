"""Swaps: a volunteer offers their seat to a named volunteer of the contact point, or to all of
its volunteers who take cover requests; the first taker to confirm gets the seat. The giver, the
taker and the coordinators are told, and each step is audited. The schedule is the routing: from
the moment the seat changes hands, calls ring the taker.

An offer can be made and taken until the shift starts (the sign-up cut-off does not apply: the
seat is never empty, so nobody is left uncovered). Taking it is one conditional ``UPDATE`` on the
seat (still the giver's), so two takers at once give one winner.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit
from helpline import cover_people
from helpline.exceptions import (
    CoverClashes,
    NotOnThisContactPoint,
    NotSignedUp,
    SwapAlreadyOffered,
    SwapNotForYou,
    SwapNotFound,
    SwapOwnOffer,
    SwapStarted,
)
from helpline.models import ContactPoint, Seat, SeatOffer, Shift, ShiftStatus, Volunteer
from notifications import notices


def _not_started(shift: Shift, now: datetime) -> None:
    if shift.status is not ShiftStatus.scheduled or shift.starts_at <= now:
        raise SwapStarted()


def _seat_of(shift: Shift, volunteer: Volunteer) -> Seat | None:
    return next((seat for seat in shift.seats if seat.volunteer_id == volunteer.id), None)


def _record(session: Session, volunteer: Volunteer, action: str, shift: Shift) -> None:
    audit.record(
        session, actor_id=volunteer.staff_id, action=action, target_type="shift", target_id=shift.id
    )


def offer(
    session: Session,
    point: ContactPoint,
    shift: Shift,
    volunteer: Volunteer,
    *,
    to: Volunteer | None,
    now: datetime,
) -> SeatOffer:
    """``volunteer`` offers their seat on ``shift`` to ``to`` (None: to all who take cover
    requests and are free then)."""
    _not_started(shift, now)
    if _seat_of(shift, volunteer) is None:
        raise NotSignedUp()
    if to is not None and (to.id == volunteer.id or not cover_people.serves(session, to, point.id)):
        raise NotOnThisContactPoint()
    if open_offer(session, shift, volunteer) is not None:
        raise SwapAlreadyOffered()
    made = SeatOffer(
        shift_id=shift.id, from_volunteer_id=volunteer.id, to_volunteer_id=to.id if to else None
    )
    made.created_at = now
    session.add(made)
    session.flush()
    for taker in [to] if to is not None else cover_people.free_cover_volunteers(session, shift):
        notices.notify_volunteer(
            session,
            volunteer=taker,
            event="seat_offered",
            contact_point_id=point.id,
            shift_id=shift.id,
            version=made.id,
            expires_at=shift.starts_at,
            now=now,
        )
    _record(session, volunteer, "seat.offer", shift)
    return made


def open_offer(session: Session, shift: Shift, volunteer: Volunteer) -> SeatOffer | None:
    return session.scalar(
        select(SeatOffer).where(
            SeatOffer.shift_id == shift.id,
            SeatOffer.from_volunteer_id == volunteer.id,
            SeatOffer.closed_at.is_(None),
        )
    )


def get_offer(session: Session, point: ContactPoint, offer_id: int) -> SeatOffer:
    found = session.scalar(
        select(SeatOffer)
        .join(Shift, Shift.id == SeatOffer.shift_id)
        .where(
            SeatOffer.id == offer_id,
            Shift.contact_point_id == point.id,
            SeatOffer.closed_at.is_(None),
        )
    )
    if found is None:
        raise SwapNotFound()
    return found


def list_open(
    session: Session, point: ContactPoint, *, now: datetime, for_volunteer: Volunteer | None
) -> list[SeatOffer]:
    """The open offers of the contact point's coming shifts (a volunteer sees those made to
    them, to all, or by them)."""
    query = (
        select(SeatOffer)
        .join(Shift, Shift.id == SeatOffer.shift_id)
        .where(
            Shift.contact_point_id == point.id,
            Shift.starts_at > now,
            SeatOffer.closed_at.is_(None),
        )
        .order_by(Shift.starts_at, SeatOffer.id)
    )
    if for_volunteer is not None:
        query = query.where(
            SeatOffer.to_volunteer_id.is_(None)
            | (SeatOffer.to_volunteer_id == for_volunteer.id)
            | (SeatOffer.from_volunteer_id == for_volunteer.id)
        )
    return list(session.scalars(query))


def take(session: Session, made: SeatOffer, taker: Volunteer, *, now: datetime) -> Seat:
    """``taker`` confirms: the seat is theirs."""
    shift = made.shift
    _not_started(shift, now)
    if made.from_volunteer_id == taker.id:
        raise SwapOwnOffer()
    if made.to_volunteer_id is not None and made.to_volunteer_id != taker.id:
        raise SwapNotForYou()
    if cover_people.busy_then(session, taker.id, shift):
        raise CoverClashes()
    moved = session.execute(
        update(Seat)
        .where(Seat.shift_id == shift.id, Seat.volunteer_id == made.from_volunteer_id)
        .values(volunteer_id=taker.id, duty_phone_id=None)
        .execution_options(synchronize_session=False)
    )
    closed = session.execute(
        update(SeatOffer)
        .where(SeatOffer.id == made.id, SeatOffer.closed_at.is_(None))
        .values(taken_by_id=taker.id, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1 or closed.rowcount != 1:  # type: ignore[attr-defined]
        raise SwapNotFound()  # taken a moment before, or the giver no longer has the seat
    session.expire(made)
    session.expire(shift)  # the UPDATEs went around the session
    giver = session.get_one(Volunteer, made.from_volunteer_id)
    _tell(session, made, giver=giver, taker=taker, now=now)
    _record(session, taker, "seat.swap", shift)
    seat = session.scalar(
        select(Seat).where(Seat.shift_id == shift.id, Seat.volunteer_id == taker.id)
    )
    assert seat is not None
    return seat


def _tell(
    session: Session, made: SeatOffer, *, giver: Volunteer, taker: Volunteer, now: datetime
) -> None:
    shift = made.shift
    for volunteer, event in ((giver, "seat_removed"), (taker, "seat_taken")):
        notices.notify_volunteer(
            session,
            volunteer=volunteer,
            event=event,
            contact_point_id=shift.contact_point_id,
            shift_id=shift.id,
            version=made.id,
            expires_at=shift.starts_at,
            now=now,
        )
    cover_people.tell_coordinators(session, shift, "seat_swapped", now, version=made.id)


def cancel(session: Session, made: SeatOffer, volunteer: Volunteer, *, now: datetime) -> None:
    """The giver takes the offer back (their seat stays theirs)."""
    if made.from_volunteer_id != volunteer.id:
        raise SwapNotFound()
    made.closed_at = now
    _record(session, volunteer, "seat.offer_cancel", made.shift)
    session.flush()


def coming_shifts(
    session: Session, point: ContactPoint, volunteer: Volunteer, *, now: datetime
) -> list[Shift]:
    """The volunteer's seats at this contact point on shifts not yet started (to offer)."""
    return list(
        session.scalars(
            select(Shift)
            .join(Seat, Seat.shift_id == Shift.id)
            .where(
                Shift.contact_point_id == point.id,
                Shift.status == ShiftStatus.scheduled,
                Shift.starts_at > now,
                Seat.volunteer_id == volunteer.id,
            )
            .order_by(Shift.starts_at)
        )
    )
