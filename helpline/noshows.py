"""No-shows counted per volunteer, and the approval their sign-ups then need.

A no-show counts at the contact point where it happened for ``no_show_days`` (a late check-in
clears it). With ``no_show_limit`` of them, a volunteer's own sign-up holds the seat but waits
for a coordinator: it is not rung until approved, and the coordinators are told. Approved or
refused, the volunteer is told; refused, the seat is open again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import audit
from core.clock import local_time
from helpline.exceptions import NotPending, ShiftOver
from helpline.models import (
    ContactPoint,
    NoShow,
    Seat,
    Shift,
    ShiftStatus,
    Volunteer,
    contact_point_coordinators,
)
from helpline.schemas import PendingSignUpRead
from notifications import notices


def counts(session: Session, point: ContactPoint, now: datetime) -> dict[int, int]:
    """volunteer id → their no-shows at this contact point within its period."""
    since = now - timedelta(days=point.no_show_days)
    rows = session.execute(
        select(NoShow.volunteer_id, func.count())
        .where(
            NoShow.contact_point_id == point.id,
            NoShow.cleared_at.is_(None),
            NoShow.noticed_at > since,
        )
        .group_by(NoShow.volunteer_id)
    )
    return {volunteer: count for volunteer, count in rows}


def needs_approval(
    session: Session, point: ContactPoint, volunteer: Volunteer, now: datetime
) -> bool:
    return counts(session, point, now).get(volunteer.id, 0) >= point.no_show_limit


def hold_for_approval(
    session: Session, point: ContactPoint, shift: Shift, seat: Seat, now: datetime
) -> None:
    """The sign-up waits for a coordinator, who is told."""
    seat.pending_approval = True
    staff_id = session.get_one(Volunteer, seat.volunteer_id).staff_id
    coordinators = session.scalars(
        select(contact_point_coordinators.c.staff_id).where(
            contact_point_coordinators.c.contact_point_id == point.id
        )
    )
    notices.notify_checkin(
        session,
        staff_ids=list(coordinators),
        event="signup_pending",
        contact_point_id=point.id,
        shift_id=shift.id,
        subject=staff_id,
        now=now,
    )


def pending(session: Session, point: ContactPoint, now: datetime) -> list[Seat]:
    """The sign-ups waiting for approval on shifts not yet over, soonest first."""
    return list(
        session.scalars(
            select(Seat)
            .join(Shift, Shift.id == Seat.shift_id)
            .where(
                Shift.contact_point_id == point.id,
                Shift.status == ShiftStatus.scheduled,
                Shift.ends_at > now,
                Seat.pending_approval.is_(True),
            )
            .order_by(Shift.starts_at, Seat.position)
        )
    )


def get_pending(session: Session, point: ContactPoint, seat_id: int, now: datetime) -> Seat:
    seat = next((seat for seat in pending(session, point, now) if seat.id == seat_id), None)
    if seat is None:
        raise NotPending()
    return seat


def decide(session: Session, seat: Seat, *, approve: bool, actor: Staff, now: datetime) -> None:
    """Approve the sign-up, or refuse it and open the seat again; the volunteer is told."""
    shift = seat.shift
    if shift.ends_at <= now or shift.status is not ShiftStatus.scheduled:
        raise ShiftOver()
    staff_id = session.get_one(Volunteer, seat.volunteer_id).staff_id
    seat.pending_approval = False
    if not approve:
        seat.volunteer_id, seat.duty_phone_id = None, None
    notices.notify_checkin(
        session,
        staff_ids=[staff_id],
        event="signup_approved" if approve else "signup_refused",
        contact_point_id=shift.contact_point_id,
        shift_id=shift.id,
        subject=staff_id,
        now=now,
    )
    action = "seat.approve" if approve else "seat.refuse"
    audit.record(session, actor_id=actor.id, action=action, target_type="shift", target_id=shift.id)
    session.flush()


def pending_reads(session: Session, point: ContactPoint, now: datetime) -> list[PendingSignUpRead]:
    missed = counts(session, point, now)
    reads = []
    for seat in pending(session, point, now):
        volunteer = session.get_one(Volunteer, seat.volunteer_id)
        reads.append(
            PendingSignUpRead(
                seat_id=seat.id,
                shift_id=seat.shift_id,
                local_date=seat.shift.local_date,
                local_start=local_time(seat.shift.starts_at, point.time_zone),
                volunteer_id=volunteer.id,
                username=session.get_one(Staff, volunteer.staff_id).username,
                no_shows=missed.get(volunteer.id, 0),
            )
        )
    return reads
