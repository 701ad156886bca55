"""Who is on duty now, which of their phones are free, and when a contact point is next staffed.

The schedule is the routing: the planned shifts and their seats decide which phones ring, so a
seat a coordinator fills or a volunteer gives up changes the next call at once. A contact point
may ring only the seats checked in (``ring_checked_in_only``; by default every scheduled seat).
A phone already in a helpline call (a leg someone took, in a call not yet over) is not rung
again, so two calls at once reach two different phones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.settings import get_settings
from helpline.models import (
    ContactPoint,
    DutyPhone,
    DutyPhoneKind,
    HelplineCall,
    Leg,
    LegOutcome,
    RingsAt,
    Seat,
    Shift,
    ShiftStatus,
    Volunteer,
)


@dataclass(frozen=True)
class Target:
    """A phone a seat on duty rings."""

    seat_id: int
    volunteer_id: int | None  # None: a group serving as a whole, on its duty mobile
    duty_phone_id: int | None  # the duty mobile or desk phone; None: the volunteer's own phone
    number: str
    desk_first: bool = False  # a desk-first shift's desk phone: rung alone, before the others


def _shifts_now(contact_point_id: int, now: datetime) -> Select[Shift]:
    return select(Shift).where(
        Shift.contact_point_id == contact_point_id,
        Shift.status == ShiftStatus.scheduled,
        Shift.starts_at <= now,
        Shift.ends_at > now,
    )


def on_duty(session: Session, contact_point_id: int, now: datetime) -> list[Target]:
    """The phones of the filled seats of the shifts running now, earliest shift and first seat
    first, each number once (two seats at one desk ring one desk phone)."""
    desk = session.scalar(
        select(DutyPhone)
        .where(DutyPhone.contact_point_id == contact_point_id, DutyPhone.kind == DutyPhoneKind.desk)
        .order_by(DutyPhone.id)
    )
    query = (
        select(Shift.rings_at, Seat, Volunteer)
        .join(Seat, Seat.shift_id == Shift.id)
        .join(Volunteer, Volunteer.id == Seat.volunteer_id)
        .where(
            Shift.id.in_(_shifts_now(contact_point_id, now).with_only_columns(Shift.id)),
            Seat.pending_approval.is_(False),  # a sign-up not yet approved is not on duty
        )
        .order_by(Shift.starts_at, Shift.id, Seat.position)
    )
    if session.get_one(ContactPoint, contact_point_id).ring_checked_in_only:
        query = query.where(Seat.checked_in_at.is_not(None))
    rows = session.execute(query).all()
    targets: list[Target] = []
    for rings_at, seat, volunteer in rows:
        targets += _targets(session, rings_at, seat, volunteer, desk)
    targets += _whole_groups(session, contact_point_id, now)
    seen: set[str] = set()
    unique = []
    for target in targets:
        if target.number not in seen:
            seen.add(target.number)
            unique.append(target)
    return unique


def _targets(
    session: Session, rings_at: RingsAt, seat: Seat, volunteer: Volunteer, desk: DutyPhone | None
) -> list[Target]:
    """What one seat rings. A seat whose phone is missing (no desk phone, no duty mobile handed
    over) rings nothing rather than break the others."""
    own = Target(seat.id, volunteer.id, None, volunteer.phone)
    mobile = session.get(DutyPhone, seat.duty_phone_id) if seat.duty_phone_id else None
    carried = Target(seat.id, volunteer.id, mobile.id, mobile.number) if mobile else None
    at_desk = Target(seat.id, volunteer.id, desk.id, desk.number) if desk else None
    match rings_at:
        case RingsAt.own_phone:
            return [own]
        case RingsAt.duty_mobile:
            return [carried] if carried else []
        case RingsAt.desk_phone:
            return [at_desk] if at_desk else []
        case RingsAt.desk_first:
            first = [replace(at_desk, desk_first=True)] if at_desk else []
            return [*first, carried or own]


def _whole_groups(session: Session, contact_point_id: int, now: datetime) -> list[Target]:
    """Seats with no volunteer but a duty mobile: a serving group on duty as a whole
    (``helpline.rota``) rings the mobile it carries, whoever of them holds it."""
    rows = session.execute(
        select(Seat.id, DutyPhone)
        .join(DutyPhone, DutyPhone.id == Seat.duty_phone_id)
        .where(
            Seat.volunteer_id.is_(None),
            Seat.shift_id.in_(_shifts_now(contact_point_id, now).with_only_columns(Shift.id)),
        )
        .order_by(Seat.shift_id, Seat.position)
    ).all()
    return [Target(seat_id, None, phone.id, phone.number) for seat_id, phone in rows]


def longest_call() -> timedelta:
    """No call lasts longer: the ``<Dial timeLimit>`` ends it (``MAX_CALL_HOURS``)."""
    return timedelta(hours=get_settings().max_call_hours)


def in_calls(session: Session, now: datetime) -> tuple[set[int], set[int]]:
    """The volunteers and the duty phones in a helpline call now. A call whose end was never
    heard of (the server was down when Twilio said so) stops counting after its time limit:
    nobody is left out of the ringing for good."""
    rows = session.execute(
        select(Leg.volunteer_id, Leg.duty_phone_id)
        .join(HelplineCall, HelplineCall.id == Leg.call_id)
        .where(
            Leg.outcome == LegOutcome.taken,
            HelplineCall.ended_at.is_(None),
            HelplineCall.answered_at > now - longest_call(),
        )
    ).all()
    volunteers = {volunteer for volunteer, _ in rows if volunteer is not None}
    phones = {phone for _, phone in rows if phone is not None}
    return volunteers, phones


def free(session: Session, targets: list[Target], now: datetime) -> list[Target]:
    """``targets`` less those in a helpline call: a duty phone in a call, or a volunteer in a
    call (on any phone) for their own phone."""
    volunteers, phones = in_calls(session, now)

    def busy(target: Target) -> bool:
        if target.duty_phone_id is not None:
            return target.duty_phone_id in phones
        return target.volunteer_id in volunteers

    return [target for target in targets if not busy(target)]


def staffed_until(session: Session, contact_point_id: int, now: datetime) -> datetime | None:
    """When the last shift running now ends (None: none runs)."""
    shifts = session.scalars(_shifts_now(contact_point_id, now)).all()
    return max((shift.ends_at for shift in shifts), default=None)


def next_staffed(session: Session, contact_point_id: int, now: datetime) -> datetime | None:
    """The start of the next planned shift with a volunteer in a seat."""
    return session.scalar(
        select(Shift.starts_at)
        .join(Seat, Seat.shift_id == Shift.id)
        .where(
            Shift.contact_point_id == contact_point_id,
            Shift.status == ShiftStatus.scheduled,
            Shift.starts_at > now,
            Seat.volunteer_id.is_not(None),
        )
        .order_by(Shift.starts_at)
        .limit(1)
    )
