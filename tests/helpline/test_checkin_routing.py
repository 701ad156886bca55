"""Check-in and the routing, on Twilio's voice engine: by default every scheduled seat rings and
taking the call checks the seat in; a contact point may ring only the seats checked in; a
sign-up waiting for approval rings nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from auth.models import Role
from helpline import checkin, shifts
from helpline.models import CheckInBy
from supportline.emulator.engine import Stage
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.world import CALLER, Point, contact_point, seat_now, weekly

MONDAY = datetime(2026, 3, 2, 15, 10, tzinfo=UTC)  # 16:10 in Warsaw, ten minutes into the shift


def on_duty(db: Session, clock: Clock) -> Point:
    clock.set(MONDAY)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Warszawa")
    weekly(db, point, admin, clock.now(), days="mon", start="16:00", end="21:00", seats=2)
    seat_now(db, point, admin, clock.now(), *point.volunteers)
    return point


def test_every_scheduled_seat_rings_and_the_call_checks_its_taker_in(
    db: Session, clock: Clock, sim: LocalTwilio
) -> None:
    point = on_duty(db, clock)
    first, second = (sim.phone(number) for number in point.phones)

    caller = sim.dial(point.line, CALLER)
    assert first.ringing and second.ringing
    second.answer().press("1")
    assert caller.state is Stage.connected

    db.expire_all()
    [shift] = shifts.running(db, point.point, clock.now())
    by = {seat.volunteer_id: seat.checked_in_by for seat in shift.seats}
    assert by == {point.volunteers[0].id: None, point.volunteers[1].id: CheckInBy.call}


def test_only_seats_checked_in_ring_when_the_contact_point_says_so(
    db: Session, clock: Clock, sim: LocalTwilio
) -> None:
    point = on_duty(db, clock)
    point.point.ring_checked_in_only = True
    [shift] = shifts.running(db, point.point, clock.now())
    checkin.check_in(db, shift.seats[1], by=CheckInBy.console, now=clock.now())
    db.flush()
    first, second = (sim.phone(number) for number in point.phones)

    sim.dial(point.line, CALLER)
    assert second.ringing and not first.ringing


def test_a_sign_up_waiting_for_approval_is_not_rung(
    db: Session, clock: Clock, sim: LocalTwilio
) -> None:
    point = on_duty(db, clock)
    [shift] = shifts.running(db, point.point, clock.now())
    shift.seats[0].pending_approval = True
    db.flush()
    first, second = (sim.phone(number) for number in point.phones)

    sim.dial(point.line, CALLER)
    assert second.ringing and not first.ringing
