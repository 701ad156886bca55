"""Anonymity on the helpline: a caller's number reaches no volunteer, no TwiML, no URL, no log
line and no database row; a volunteer's number reaches no caller and no other volunteer."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from auth.models import Role
from core.database import Base
from supportline.emulator.dialing import Pickup
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.world import contact_point, seat_now, weekly

CALLERS = ["+48501000901", "+48501000902", "+48501000903"]
MONDAY = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)


def test_no_caller_number_leaks_and_no_volunteer_number_reaches_a_caller(
    sim: LocalTwilio, db: Session, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock.set(MONDAY)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Warszawa", volunteers=3)
    weekly(db, point, admin, clock.now(), days="mon", start="16:00", end="21:00", seats=3)
    seat_now(db, point, admin, clock.now(), *point.volunteers)
    first, second = sim.phone(point.phones[0]), sim.phone(point.phones[1])
    sim.phone(point.phones[2], pickup=Pickup.voicemail)

    taken = sim.dial(point.line, CALLERS[0])  # taken by the first volunteer
    first.answer().press("1")
    declined = sim.dial(point.line, CALLERS[1])  # the second volunteer presses 2, then hangs up
    second.answer().press("2")
    declined.hang_up()
    sim.settle()
    clock.advance(minutes=5)
    first.hang_up()
    sim.settle()
    missed = sim.dial(point.line, CALLERS[2])  # rings out
    clock.advance(seconds=45)
    sim.deliver()
    db.flush()

    volunteers = [first, second]
    callers = [taken, declined, missed]
    texts = {
        "twiml": sim.twiml,
        "urls": [hook.url for hook in sim.sent],
        "logs": [f"{r.getMessage()} {r.__dict__}" for r in caplog.records],
        "volunteers' screens": [shown for phone in volunteers for shown in phone.screen],
        "what volunteers heard": [heard for phone in volunteers for heard in phone.heard],
        "what callers heard": [heard for call in callers for heard in call.heard],
    }
    assert len(sim.twiml) > 10 and len(caplog.records) > 5
    assert {shown for phone in volunteers for shown in phone.screen} == {point.line}
    for caller in CALLERS:
        for form in (caller, caller.lstrip("+")):
            for what, seen in texts.items():
                leaked = [text for text in seen if form in text]
                assert not leaked, f"a caller's number leaked into {what}: {leaked[:1]}"
    for number in point.phones:
        heard = texts["what callers heard"] + texts["what volunteers heard"]
        assert not [text for text in heard if number.lstrip("+") in text]
    for table in Base.metadata.sorted_tables:  # as stored: no column type decrypts
        for row in db.connection().exec_driver_sql(f"SELECT * FROM {table.name}"):
            stored = repr(tuple(row))
            for caller in CALLERS:
                assert caller.lstrip("+") not in stored, f"a caller's number in {table.name}"
            for number in point.phones:  # volunteers' numbers only encrypted
                assert number.lstrip("+") not in stored, f"a volunteer's number in {table.name}"
