"""Rules of the call not tied to one scenario: TwiML shape, equal cost, throttling, retries."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conference import service, tasks
from conference.models import Call, CallStage, Room
from conference.prompts import Prompt
from conference.providers import FakeConferenceControl
from core import security
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock
from tests.fixtures.calls import BASE_URL, CALLER, MEETING_START, World, login


def test_twiml_gathers_dtmf_and_dials_members_into_a_waiting_room(
    sim: LocalTwilio, world: World
) -> None:
    login(sim, world, world.member)
    gather = ET.fromstring(sim.twiml[0]).find("Gather")
    assert gather is not None
    assert (gather.get("input"), gather.get("finishOnKey")) == ("dtmf", "#")
    (dial,) = [twiml for twiml in sim.twiml if "<Dial" in twiml]
    conference = ET.fromstring(dial).find("Dial/Conference")
    assert conference is not None
    assert conference.attrib == {
        "beep": "true",
        "endConferenceOnExit": "false",
        "participantLabel": world.member.membership.ref,
        "startConferenceOnEnter": "false",
        "statusCallback": "https://line.example.org/twilio/conference/status",
        "statusCallbackEvent": "start end join leave mute hold speaker",
        "statusCallbackMethod": "POST",
        "waitMethod": "POST",
        "waitUrl": "https://line.example.org/twilio/conference/wait",
    }
    assert conference.text == world.meeting.room


def test_the_pin_is_verified_outside_any_transaction(
    sim: LocalTwilio, world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On SQLite a transaction holds the write lock: hashing inside one stalls every other call.
    in_transaction: list[bool] = []
    real = security.verify_secret_async

    async def watching(secret: str, hashed: str) -> bool:
        in_transaction.append(db.in_transaction())
        return await real(secret, hashed)

    monkeypatch.setattr(security, "verify_secret_async", watching)
    call = login(sim, world, world.member)
    assert in_transaction == [False]
    assert call.state == "in_conference"


def test_unknown_number_and_wrong_pin_cost_one_verification_each(
    sim: LocalTwilio, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes: list[str] = []
    real = security.verify_secret_async

    async def counting(secret: str, hashed: str) -> bool:
        hashes.append(hashed)
        return await real(secret, hashed)

    monkeypatch.setattr(security, "verify_secret_async", counting)
    sim.dial(world.line_number, CALLER).press("999999999").press("123456")
    assert hashes == [security.dummy_hash()]
    sim.dial(world.line_number, CALLER).press(world.member.participant_number).press("123456")
    assert len(hashes) == 2 and hashes[1] == world.member.membership.pin_hash


def test_a_caller_failing_across_many_numbers_is_throttled(
    sim: LocalTwilio, world: World, clock: Clock
) -> None:
    for attempt in range(10):
        call = sim.dial(world.line_number, CALLER)
        call.press(f"55500{attempt:04d}").press("000000")
    refused = sim.dial(world.line_number, CALLER)
    assert refused.spoken == [
        "There have been too many attempts from this phone. Please try again later.",
        "Goodbye.",
    ]
    # Another phone is not affected, and the throttle wears off with time.
    assert login(sim, world, world.member, caller="+48601000123").state == "in_conference"
    clock.advance(minutes=31)
    assert sim.dial(world.line_number, CALLER).state == "gathering"


@pytest.mark.parametrize(
    "withheld",
    ["+266696687", "Anonymous", "RESTRICTED", "+7378742833", "", "sip:anonymous@pbx.example"],
)
def test_callers_who_withhold_their_number_do_not_throttle_each_other(
    sim: LocalTwilio, world: World, withheld: str
) -> None:
    # Strangers hiding their numbers mistype twelve times between them: more than the
    # throttle's ten, which would turn away every caller who hides their number if they
    # were counted as one phone.
    for attempt in range(4):
        call = sim.dial(world.line_number, withheld)
        for _ in range(3):
            call.press(f"55500{attempt:04d}").press("000000")
        assert call.spoken[-2:] == [Prompt.too_many_tries, "Goodbye."]
    assert login(sim, world, world.member, caller=withheld).state == "in_conference"


def test_a_number_that_only_looks_withheld_is_still_throttled(
    sim: LocalTwilio, world: World
) -> None:
    for attempt in range(10):
        sim.dial(world.line_number, "+48266696687").press(f"55500{attempt:04d}").press("0")
    assert (
        "too many attempts from this phone" in sim.dial(world.line_number, "+48266696687").spoken[0]
    )


def test_thousands_of_digits_for_a_pin_are_a_wrong_pin(sim: LocalTwilio, world: World) -> None:
    call = sim.dial(world.line_number, CALLER).press(world.member.participant_number)
    call.press("1" * 5000)
    assert call.spoken[-2:] == [Prompt.not_recognised, Prompt.number_again]
    assert call.state == "gathering"


def test_calls_cannot_skip_a_step(sim: LocalTwilio, world: World) -> None:
    call = sim.dial(world.line_number, CALLER)
    body = sim.post("https://line.example.org/twilio/voice/confirm-pin", call.params(Digits="1"))
    assert "not recognised" in body and "<Hangup" in body


def test_a_failed_lifecycle_step_is_recorded_and_retried(
    sim: LocalTwilio, world: World, db: Session, clock: Clock
) -> None:
    clock.set(MEETING_START)
    login(sim, world, world.moderator)
    end = MEETING_START + timedelta(hours=1)
    broken = FakeConferenceControl(unavailable=True)
    assert tasks.run_due_steps(db, end - timedelta(minutes=5), broken) == 0
    room = db.scalar(select(Room).where(Room.meeting_id == world.meeting.id))
    assert room is not None and room.last_error and room.warned_five_at is None
    working = FakeConferenceControl()
    assert tasks.run_due_steps(db, end - timedelta(minutes=4), working) == 1
    assert working.actions == [
        (
            "announce",
            room.conference_sid,
            "https://line.example.org/twilio/conference/announce/five_minutes",
        )
    ]
    assert room.last_error is None
    # A conference Twilio no longer knows (20404) is simply over.
    gone = FakeConferenceControl(gone={room.conference_sid or ""})
    assert tasks.run_due_steps(db, end, gone) == 1
    assert room.ended_at == end
    calls = db.scalars(select(Call).where(Call.meeting_id == world.meeting.id)).all()
    assert all(call.left_at == end for call in calls)


def test_the_caller_is_known_only_by_a_keyed_hash(
    sim: LocalTwilio, world: World, db: Session
) -> None:
    call = sim.dial(world.line_number, CALLER)
    row = db.scalar(select(Call).where(Call.call_sid == call.sid))
    assert row is not None
    assert row.caller_index == service.caller_index(CALLER, call.sid) != CALLER
    assert len(row.caller_index) == 64


def test_a_late_retry_of_an_earlier_step_leaves_the_call_in_the_room(
    sim: LocalTwilio, world: World, db: Session
) -> None:
    call = login(sim, world, world.member)
    base = BASE_URL
    for step, digits in (("number", world.member.participant_number), ("pin", "123456")):
        twiml = sim.post(f"{base}/twilio/voice/{step}", call.params(Digits=digits))
        assert "Goodbye" in twiml
    db.expire_all()
    row = db.scalars(select(Call).where(Call.call_sid == call.sid)).one()
    assert row.stage is CallStage.in_conference and row.left_at is None
