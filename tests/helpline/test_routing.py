"""Where a helpline call goes when it is not simply answered: outside duty hours, on the national
line, from a blocked caller, and to a line that is none of ours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from groups import service as groups_service
from groups.schemas import LineCreate
from helpline import records, service
from helpline.models import CallerBlock, CallOutcome, HelplineCall
from helpline.prompts import Prompt, digits, text
from supportline.emulator.engine import Stage
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock
from tests.factories import auth_headers, create_staff
from tests.helpline.world import CALLER, Point, contact_point, own_numbers, seat_now, weekly

MONDAY = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 17:30 in Warsaw, 18:30 in Jerusalem
NATIONAL = "+48800100100"


@pytest.fixture
def admin(db: Session) -> Staff:
    return create_staff(db, Role.admin)


def national_line(db: Session, admin: Staff, language: str = "pl") -> str:
    line = groups_service.create_line(
        db, actor=admin, data=LineCreate(number=NATIONAL, language=language)
    )
    service.attach_line(db, actor=admin, point=None, line_id=line.id)
    return line.number


def outcome(db: Session, sid: str) -> CallOutcome:
    db.expire_all()
    call = db.scalar(select(HelplineCall).where(HelplineCall.call_sid == sid))
    assert call is not None
    return call.outcome


def test_outside_duty_a_polish_caller_hears_when_the_line_is_next_staffed(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = contact_point(db, admin, name="Białystok", volunteers=1)
    weekly(db, point, admin, clock.now(), days="tue thu sun", start="17:00", end="21:00")
    tuesday = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    seat_now(db, point, admin, tuesday, point.volunteers[0])

    caller = sim.dial(point.line, CALLER)

    assert caller.state is Stage.ended
    said = text("pl", Prompt.out_of_hours, day="wtorek 3 marca", time="17:00")
    assert caller.spoken == [said, text("pl", Prompt.goodbye)]
    assert outcome(db, caller.sid) is CallOutcome.out_of_hours


def test_outside_duty_in_hebrew_with_the_national_number_read_out(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    national_line(db, admin)
    point = contact_point(
        db, admin, name="Tel Aviv", language="he", zone="Asia/Jerusalem", volunteers=1
    )
    point.point.announce_national = True
    weekly(db, point, admin, clock.now(), days="sun", start="19:00", end="22:00")
    sunday = datetime(2026, 3, 8, 17, 30, tzinfo=UTC)
    seat_now(db, point, admin, sunday, point.volunteers[0])

    caller = sim.dial(point.line, CALLER)

    assert caller.spoken[0] == text("he", Prompt.out_of_hours, day="יום ראשון 8 מרץ", time="19:00")
    assert caller.spoken[1] == text("he", Prompt.national_number, number=digits(NATIONAL))


def test_no_shift_planned_says_so_without_a_time(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = contact_point(db, admin, name="Łódź", volunteers=0)

    caller = sim.dial(point.line, CALLER)

    assert caller.spoken == [text("pl", Prompt.no_hours), text("pl", Prompt.goodbye)]


def on_duty(db: Session, admin: Staff, clock: Clock, name: str, order: int) -> Point:
    """A contact point with one volunteer seated on Monday's 16:00–21:00 shift."""
    point = contact_point(db, admin, name=name, national_order=order, volunteers=1)
    weekly(db, point, admin, clock.now(), days="mon", start="16:00", end="21:00")
    seat_now(db, point, admin, MONDAY, point.volunteers[0])
    return point


def test_the_national_line_skips_a_contact_point_with_nobody_free(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    national = national_line(db, admin, language="en")
    warszawa = on_duty(db, admin, clock, "Warszawa", 1)
    lodz = on_duty(db, admin, clock, "Łódź", 2)
    own_numbers(sim, warszawa.line, lodz.line)
    busy = sim.phone(warszawa.phones[0])
    sim.dial(warszawa.line, "+48600000001")
    busy.answer().press("1")  # Warszawa's only volunteer is in a call
    free = sim.phone(lodz.phones[0])

    caller = sim.dial(national, CALLER)

    assert caller.spoken[0] == text("en", Prompt.national_greeting)  # the national line's
    assert free.ringing and free.caller_id == lodz.line  # the contact point's own number
    free.answer()
    assert free.spoken == [text("pl", Prompt.whisper, name="Łódź")]  # the volunteer's


def test_the_national_line_out_of_hours_everywhere(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY.replace(hour=8))
    national = national_line(db, admin)
    on_duty(db, admin, clock, "Warszawa", 1)

    caller = sim.dial(national, CALLER)

    # When it is next staffed, in the local time of the contact point that staffs it.
    said = text("pl", Prompt.national_next, day="poniedziałek 2 marca", time="16:00")
    assert caller.spoken == [said, text("pl", Prompt.goodbye)]
    assert outcome(db, caller.sid) is CallOutcome.out_of_hours


def test_the_national_line_with_nothing_planned_reads_out_the_numbers_asked_for(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    national = national_line(db, admin, language="en")
    quiet = contact_point(db, admin, name="Łódź", national_order=1, volunteers=0)
    own = contact_point(db, admin, name="Białystok", volunteers=0)  # not on the national line
    own.point.number_on_national = True
    quiet.point.number_on_national = True
    contact_point(db, admin, name="Kraków", volunteers=0)  # did not ask

    caller = sim.dial(national, CALLER)

    assert caller.spoken == [
        text("en", Prompt.national_closed),
        text("en", Prompt.point_number, name="Łódź", number=digits(quiet.line)),
        text("en", Prompt.point_number, name="Białystok", number=digits(own.line)),
        text("en", Prompt.goodbye),
    ]


def test_a_blocked_caller_hears_a_neutral_message_until_the_block_ends(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = on_duty(db, admin, clock, "Płock", 1)
    phone = sim.phone(point.phones[0])
    first = sim.dial(point.line, CALLER)
    first.hang_up()
    call = db.scalar(select(HelplineCall).where(HelplineCall.call_sid == first.sid))
    assert call is not None
    records.block_caller(db, point.point, call, actor=admin, days=1, now=clock.now())

    blocked = sim.dial(point.line, CALLER)
    assert blocked.spoken == [text("pl", Prompt.not_taken), text("pl", Prompt.goodbye)]
    assert outcome(db, blocked.sid) is CallOutcome.blocked
    assert len(phone.screen) == 1  # rang for the first call only

    clock.advance(days=1, minutes=1)
    weekly(db, point, admin, clock.now(), days="tue", start="16:00", end="21:00")
    seat_now(db, point, admin, clock.now(), point.volunteers[0])
    again = sim.dial(point.line, CALLER)
    assert phone.ringing and again.state is Stage.dialing


def test_a_number_that_is_no_line_is_not_in_service(sim: LocalTwilio) -> None:
    caller = sim.dial("+48221234000", CALLER)
    assert caller.state is Stage.ended
    assert caller.spoken[0] == "This number is not in service."


def test_the_call_log_filters_by_outcome_and_day(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio, client: TestClient
) -> None:
    clock.set(MONDAY)
    point = on_duty(db, admin, clock, "Płock", 1)
    volunteer = sim.phone(point.phones[0])
    sim.dial(point.line, CALLER).hang_up()
    clock.advance(minutes=2)
    taken = sim.dial(point.line, CALLER)  # the same caller again
    volunteer.answer().press("1")
    assert taken.state is Stage.connected
    url = f"/api/v1/helpline/contact-points/{point.point.id}/calls"
    headers = auth_headers(client, point.coordinator)

    everything = client.get(url, headers=headers).json()
    answered = client.get(url, params={"outcome": "answered"}, headers=headers).json()
    tomorrow = client.get(url, params={"since": "2026-03-03"}, headers=headers).json()

    assert [c["outcome"] for c in everything["items"]] == ["answered", "hung_up"]
    assert [c["earlier_calls"] for c in everything["items"]] == [1, 0]
    assert answered["total"] == 1 and answered["items"][0]["taken_by"] == point.staff[0].username
    assert tomorrow["total"] == 0


def test_blocking_a_caller_again_extends_the_block_instead_of_adding_one(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = on_duty(db, admin, clock, "Płock", 1)
    first = sim.dial(point.line, CALLER)
    first.hang_up()
    call = db.scalar(select(HelplineCall).where(HelplineCall.call_sid == first.sid))
    assert call is not None
    records.block_caller(db, point.point, call, actor=admin, days=1, now=clock.now())
    records.block_caller(db, point.point, call, actor=admin, days=7, now=clock.now())

    [block] = db.scalars(select(CallerBlock)).all()
    assert block.until == clock.now() + timedelta(days=7)


def test_a_removed_volunteer_is_not_rung_for_the_rest_of_the_running_shift(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = on_duty(db, admin, clock, "Płock", 1)
    service.remove_volunteer(db, point.point, point.volunteers[0], actor=admin, now=clock.now())
    phone = sim.phone(point.phones[0])

    caller = sim.dial(point.line, CALLER)

    assert phone.call is None and caller.state is Stage.ended
