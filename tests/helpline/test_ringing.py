"""A call to a contact point on duty, on Twilio's voice engine: the phones on duty ring showing
the contact point's number, the first volunteer to press 1 takes the call, and every other path
ends kindly after a bounded time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from helpline import calls, duty
from helpline.models import (
    CallOutcome,
    DutyPhoneKind,
    HelplineCall,
    LegOutcome,
    RingsAt,
    RingStrategy,
)
from helpline.prompts import Prompt, text
from supportline.emulator.dialing import Pickup
from supportline.emulator.engine import Stage
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.world import (
    CALLER,
    OTHER_CALLER,
    Point,
    contact_point,
    duty_phone,
    seat_now,
    weekly,
)

# Monday 2 March 2026, 17:30 in Warsaw (16:30 UTC), 16:30 in London.
MONDAY = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
# Saturday 7 March 2026, 17:00 in Warsaw.
SATURDAY = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)


@pytest.fixture
def admin(db: Session) -> Staff:
    return create_staff(db, Role.admin)


def warszawa(db: Session, admin: Staff, clock: Clock) -> Point:
    """Ring all, two seats Monday to Friday 16–21, both volunteers on duty now."""
    point = contact_point(db, admin, name="Warszawa", national_order=1)
    weekly(
        db,
        point,
        admin,
        clock.now(),
        days="mon tue wed thu fri",
        start="16:00",
        end="21:00",
        seats=2,
    )
    seat_now(db, point, admin, clock.now(), *point.volunteers)
    return point


def call_of(db: Session, sid: str) -> HelplineCall:
    db.expire_all()
    found = db.scalar(select(HelplineCall).where(HelplineCall.call_sid == sid))
    assert found is not None
    return found


def test_ring_all_the_first_to_press_1_takes_the_call(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = warszawa(db, admin, clock)
    first, second = (sim.phone(number) for number in point.phones)

    caller = sim.dial(point.line, CALLER)

    assert caller.spoken[0] == text("pl", Prompt.greeting, name="Warszawa")
    assert first.ringing and second.ringing
    assert first.caller_id == second.caller_id == point.line  # never the caller's number
    second.answer()
    assert second.spoken == [text("pl", Prompt.whisper, name="Warszawa")]
    assert first.ringing  # the other phone rings on while the whisper runs
    second.press("1")
    assert caller.state is Stage.connected
    assert first.status == "canceled"

    clock.advance(seconds=300)
    second.hang_up()
    sim.settle()
    call = call_of(db, caller.sid)
    assert call.outcome is CallOutcome.answered and call.talk_seconds == 300
    legs = {leg.volunteer_id: leg.outcome for leg in call.legs}
    assert legs == {
        point.volunteers[0].id: LegOutcome.not_answered,
        point.volunteers[1].id: LegOutcome.taken,
    }
    assert caller.heard[-1] == "[call ended]"


def test_a_voicemail_that_picks_up_never_takes_the_call(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = warszawa(db, admin, clock)
    voicemail = sim.phone(point.phones[0], pickup=Pickup.voicemail)
    person = sim.phone(point.phones[1])

    caller = sim.dial(point.line, CALLER)

    assert voicemail.state is Stage.ended  # the whisper heard no 1 and hung up its leg
    assert person.ringing
    person.answer().press("1")
    assert caller.state is Stage.connected
    call = call_of(db, caller.sid)
    outcomes = {leg.volunteer_id: leg.outcome for leg in call.legs}
    assert outcomes[point.volunteers[0].id] is LegOutcome.declined


def test_only_voicemails_answer_and_the_caller_hears_nobody_could_take_it(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = warszawa(db, admin, clock)
    for number in point.phones:
        sim.phone(number, pickup=Pickup.voicemail)

    caller = sim.dial(point.line, CALLER)

    assert caller.state is Stage.ended
    assert text("pl", Prompt.no_answer) in caller.spoken
    assert text("pl", Prompt.on_duty_until, time="21:00") in caller.spoken
    assert call_of(db, caller.sid).outcome is CallOutcome.missed


def test_nobody_answers_the_ringing_ends_and_the_call_is_missed(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = warszawa(db, admin, clock)
    phones = [sim.phone(number) for number in point.phones]

    caller = sim.dial(point.line, CALLER)
    clock.advance(seconds=45)
    sim.deliver()

    assert [phone.status for phone in phones] == ["no-answer", "no-answer"]
    assert caller.state is Stage.ended
    assert text("pl", Prompt.no_answer) in caller.spoken
    call = call_of(db, caller.sid)
    assert call.outcome is CallOutcome.missed
    assert {leg.outcome for leg in call.legs} == {LegOutcome.not_answered}


def test_a_caller_who_hangs_up_while_it_rings_stops_every_phone(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = warszawa(db, admin, clock)
    phones = [sim.phone(number) for number in point.phones]

    caller = sim.dial(point.line, CALLER)
    caller.hang_up()
    sim.settle()

    assert [phone.status for phone in phones] == ["canceled", "canceled"]
    assert call_of(db, caller.sid).outcome is CallOutcome.hung_up


def test_two_calls_at_once_reach_two_different_volunteers(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = warszawa(db, admin, clock)
    first, second = (sim.phone(number) for number in point.phones)

    one = sim.dial(point.line, CALLER)
    first.answer().press("1")
    assert one.state is Stage.connected

    other = sim.dial(point.line, OTHER_CALLER)
    assert second.ringing  # the volunteer already talking is not rung again
    second.answer().press("1")
    assert other.state is Stage.connected
    legs = call_of(db, other.sid).legs
    assert [leg.volunteer_id for leg in legs] == [point.volunteers[1].id]


def test_a_late_1_hears_someone_else_has_the_call(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = warszawa(db, admin, clock)
    first, second = (sim.phone(number) for number in point.phones)

    caller = sim.dial(point.line, CALLER)
    first.answer()
    second.answer()
    first.press("1")
    assert caller.state is Stage.connected
    # The second whisper was already running when the first took the call: Twilio ended it.
    assert second.state is Stage.ended
    assert call_of(db, caller.sid).legs[0].outcome is LegOutcome.taken


def test_in_turn_a_phone_that_does_not_answer_passes_the_call_to_the_next(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = contact_point(
        db,
        admin,
        name="London",
        language="en",
        zone="Europe/London",
        strategy=RingStrategy.in_turn,
    )
    weekly(db, point, admin, clock.now(), days="mon", start="16:00", end="21:00", seats=2)
    seat_now(db, point, admin, clock.now(), *point.volunteers)
    first, second = (sim.phone(number) for number in point.phones)

    caller = sim.dial(point.line, CALLER)
    assert first.ringing and second.call is None  # one phone at a time
    clock.advance(seconds=41)  # 35 s and Twilio's 5-second buffer
    sim.deliver()
    assert first.status == "no-answer"
    assert second.ringing and second.caller_id == point.line
    second.answer().press("1")
    assert caller.state is Stage.connected
    call = call_of(db, caller.sid)
    assert [leg.outcome for leg in call.legs] == [LegOutcome.not_answered, LegOutcome.taken]


def test_desk_phone_first_then_the_mobile_after_35_seconds(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(SATURDAY)
    point = contact_point(db, admin, name="Bielsko-Biała", volunteers=2)
    desk = duty_phone(db, point, admin, DutyPhoneKind.desk, "desk")
    mobile = duty_phone(db, point, admin, DutyPhoneKind.mobile, "mobile 1")
    weekly(
        db,
        point,
        admin,
        clock.now(),
        days="sat sun",
        start="16:00",
        end="18:00",
        seats=2,
        rings_at=RingsAt.desk_first,
    )
    seat_now(db, point, admin, clock.now(), point.volunteers[0])
    seat_now(db, point, admin, clock.now(), point.volunteers[1], mobile="mobile 1")
    desk_phone, duty_mobile = sim.phone(desk), sim.phone(mobile)
    own = [sim.phone(number) for number in point.phones]

    caller = sim.dial(point.line, CALLER)
    assert desk_phone.ringing and duty_mobile.call is None
    clock.advance(seconds=41)
    sim.deliver()

    assert desk_phone.status == "no-answer"
    assert duty_mobile.ringing and duty_mobile.caller_id == point.line
    assert own[0].ringing  # the desk volunteer's own phone: they were not at the desk
    assert own[1].call is None  # the second seat carries the duty mobile instead
    duty_mobile.answer().press("1")
    assert caller.state is Stage.connected


def test_nobody_free_the_caller_hears_all_are_busy(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = contact_point(db, admin, name="Płock", volunteers=1)
    weekly(db, point, admin, clock.now(), days="mon", start="16:00", end="20:00")
    seat_now(db, point, admin, clock.now(), point.volunteers[0])
    volunteer = sim.phone(point.phones[0])
    first = sim.dial(point.line, CALLER)
    volunteer.answer().press("1")
    assert first.state is Stage.connected

    second = sim.dial(point.line, OTHER_CALLER)

    assert second.state is Stage.ended
    assert text("pl", Prompt.all_busy) in second.spoken
    assert call_of(db, second.sid).outcome is CallOutcome.busy


def test_a_call_whose_end_was_never_heard_stops_keeping_its_volunteer_busy(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY.replace(hour=15))  # 16:00 in Warsaw
    point = warszawa(db, admin, clock)
    first = sim.phone(point.phones[0])
    sim.dial(point.line, CALLER)
    first.answer().press("1")
    # The server misses the end of that call (it was down when Twilio posted it).
    db.expire_all()
    busy = duty.free(db, duty.on_duty(db, point.point.id, clock.now()), clock.now())
    assert [target.volunteer_id for target in busy] == [point.volunteers[1].id]

    later = clock.now() + duty.longest_call() + timedelta(minutes=1)
    again = duty.free(db, duty.on_duty(db, point.point.id, later), later)
    assert point.volunteers[0].id in [target.volunteer_id for target in again]


def test_a_caller_who_hangs_up_during_the_greeting_is_recorded_as_such_later(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = warszawa(db, admin, clock)
    caller = sim.dial(point.line, CALLER)
    record = call_of(db, caller.sid)
    record.legs.clear()  # as if the caller was gone before the <Dial> ran: no phone rang
    db.flush()

    assert calls.close_forgotten(db, now=clock.now() + timedelta(minutes=29)) == 0
    assert calls.close_forgotten(db, now=clock.now() + timedelta(minutes=31)) == 1
    record = call_of(db, caller.sid)
    assert record.outcome is CallOutcome.hung_up and record.ended_at == record.started_at
