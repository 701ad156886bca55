"""The demo helpline's past: the shifts of last month and of this month so far, their seats
mostly filled and one cancelled each month, and the calls of every day before today — answered,
missed, everyone busy, hung up, now and then blocked, and some out of hours — so the call log
and the month in figures have something to show for this month and the one before.

Idempotent by day: a local day with any call at the contact point is left as it is, and only
days before today are filled, so running the demo again the same day adds nothing. The calls
are made up the same way every time (a random generator seeded by contact point and day); the
callers are numbers reserved for fiction, kept as the helpline keeps any: their keyed hash.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from groups.schedule import local_to_utc
from helpline import calls, seats, service, shifts
from helpline.models import (
    CallOutcome,
    ContactPoint,
    DutyPhoneKind,
    HelplineCall,
    HelplineLine,
    Leg,
    LegOutcome,
    RingsAt,
    Shift,
    ShiftStatus,
)

CALLERS = [f"+120255501{n}" for n in range(91, 100)]  # 555-0191 … 0199: fiction's numbers
ON_DUTY = (  # what becomes of a call while someone is on duty, and how often
    (CallOutcome.answered, 70),
    (CallOutcome.missed, 9),
    (CallOutcome.busy, 6),
    (CallOutcome.hung_up, 12),
    (CallOutcome.blocked, 3),
)
CANCELLED_DAY = 13  # each month's shift on this day is cancelled, as happens
PLAN_WEEKS = 10  # from the first of last month to the end of this one


def seed(session: Session, admin: Staff, points: Sequence[ContactPoint], *, now: datetime) -> None:
    for point in points:
        zone = ZoneInfo(point.time_zone)
        today = now.astimezone(zone).date()
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # of last month
        shifts.plan(session, point, now=local_to_utc(first, 0, zone), weeks=PLAN_WEEKS)
        past = [
            shift
            for shift in shifts.shifts_between(session, point, first, today)
            if shift.ends_at <= now
        ]
        _seat_past(session, admin, point, past)
        line_id = session.scalar(
            select(HelplineLine.line_id).where(HelplineLine.contact_point_id == point.id)
        )
        day = first
        while day < today:
            _calls_of_day(session, point, day, line_id, [s for s in past if s.local_date == day])
            day += timedelta(days=1)
    session.flush()


def _seat_past(session: Session, admin: Staff, point: ContactPoint, past: list[Shift]) -> None:
    """Seats of past shifts nobody had a seat on, filled by turns, one in five left open; the
    shift on the 13th cancelled instead. Done as it would have been: before the shift."""
    volunteers = [volunteer for volunteer, _staff in service.list_volunteers(session, point)]
    mobiles = [
        phone
        for phone in service.list_duty_phones(session, point)
        if phone.kind is DutyPhoneKind.mobile
    ]
    for shift in past:
        if shift.status is not ShiftStatus.scheduled or seats.taken_seats(shift) or not volunteers:
            continue
        before = shift.starts_at - timedelta(days=1)
        if shift.local_date.day == CANCELLED_DAY:
            seats.cancel_shift(session, shift, actor=admin, now=before)
            continue
        turn = shift.local_date.toordinal()
        for seat in list(shift.seats):
            if (turn + seat.position) % 5 == 0:
                continue
            volunteer = volunteers[(turn + seat.position) % len(volunteers)]
            rings_mobile = shift.rings_at in (RingsAt.duty_mobile, RingsAt.desk_first)
            mobile = (
                mobiles[seat.position - 1]
                if rings_mobile and seat.position <= len(mobiles)
                else None
            )
            seats.assign(
                session, point, shift, volunteer, actor=admin, duty_phone=mobile, now=before
            )


def _calls_of_day(
    session: Session, point: ContactPoint, day: date, line_id: int | None, on_day: list[Shift]
) -> None:
    zone = ZoneInfo(point.time_zone)
    start, end = local_to_utc(day, 0, zone), local_to_utc(day + timedelta(days=1), 0, zone)
    seeded = session.scalar(
        select(HelplineCall.id).where(
            HelplineCall.contact_point_id == point.id,
            HelplineCall.started_at >= start,
            HelplineCall.started_at < end,
        )
    )
    if seeded is not None:
        return
    # Made-up calls, the same on every run: no secret depends on this generator.
    rng = random.Random(f"{point.name}/{day.isoformat()}")  # noqa: S311
    for shift in on_day:
        if shift.status is not ShiftStatus.scheduled:
            continue
        for _ in range(rng.randint(0, 3)):
            at = shift.starts_at + (shift.ends_at - shift.starts_at) * rng.random()
            _call(session, point, shift, line_id=line_id, at=at, rng=rng)
    for _ in range(rng.randint(0, 2)):  # out of hours: mornings, afternoons, late nights
        at = start + (end - start) * rng.random()
        if not any(s.starts_at <= at < s.ends_at for s in on_day):
            _call(session, point, None, line_id=line_id, at=at, rng=rng)


def _call(
    session: Session,
    point: ContactPoint,
    shift: Shift | None,
    *,
    line_id: int | None,
    at: datetime,
    rng: random.Random,
) -> None:
    seated = [seat for seat in shift.seats if seat.volunteer_id is not None] if shift else []
    outcome = CallOutcome.out_of_hours
    if seated:
        outcome = rng.choices([o for o, _ in ON_DUTY], weights=[w for _, w in ON_DUTY])[0]
    caller = rng.choice(CALLERS) if rng.random() < 0.9 else "anonymous"  # a withheld number
    call = HelplineCall(
        line_id=line_id,
        language=point.language,
        contact_point_id=point.id,
        caller_key=calls.caller_key(caller),
        started_at=at,
        outcome=outcome,
        ended_at=at + timedelta(seconds=rng.randint(8, 40)),
    )
    if outcome in (CallOutcome.answered, CallOutcome.missed, CallOutcome.hung_up):
        taker = rng.choice(seated) if outcome is CallOutcome.answered else None
        call.legs = [
            Leg(
                step=0,
                seat_id=seat.id,
                volunteer_id=seat.volunteer_id,
                duty_phone_id=seat.duty_phone_id,
                rung_at=at,
                outcome=LegOutcome.taken if seat is taker else LegOutcome.not_answered,
            )
            for seat in seated
        ]
    session.add(call)
    if outcome is CallOutcome.answered:
        call.answered_at = at + timedelta(seconds=rng.randint(4, 45))
        call.talk_seconds = rng.randint(90, 1800)
        call.ended_at = call.answered_at + timedelta(seconds=call.talk_seconds)
        session.flush()  # the taking leg's id
        call.taken_by_leg_id = next(leg.id for leg in call.legs if leg.outcome is LegOutcome.taken)
