"""``<Dial><Number>`` as Twilio runs it: several phones ring at once, each shows the caller ID
the Dial sets, a whisper runs on the phone that answers, and only a whisper that ends without
hanging up connects the call — a voicemail too, if the whisper lets it."""

from __future__ import annotations

import pytest

from supportline.emulator.delivery import Mode
from supportline.emulator.dialing import Pickup
from supportline.emulator.engine import Engine, Stage
from supportline.emulator.hooks import Purpose, Webhook
from tests.clock import Clock
from tests.supportline.emulator.fake_helpline import (
    BASE,
    CALLER,
    LINE,
    THANKS,
    VOLUNTEERS,
    WHISPER,
    Helpline,
    call_in,
    document,
    ring_all,
    twilio_for,
)

MODES = [Mode.in_order, Mode.shuffled, Mode.duplicated, Mode.delayed]


@pytest.mark.parametrize("mode", MODES, ids=[mode.value for mode in MODES])
def test_all_numbers_ring_at_once_and_the_first_to_press_1_is_connected(mode: Mode) -> None:
    clock = Clock()
    helpline = Helpline(ring_all())
    sim = twilio_for(helpline, clock, mode)
    first, second, third = (sim.phone(number) for number in VOLUNTEERS)

    caller = call_in(sim)

    assert caller.heard == ["[ringing]"]  # Stage.dialing
    assert [phone.ringing for phone in (first, second, third)] == [True, True, True]
    assert {phone.caller_id for phone in (first, second, third)} == {LINE}
    second.answer()
    assert second.spoken == [WHISPER]
    assert first.ringing and third.ringing  # the others ring on while the whisper runs
    second.press("1")
    assert caller.state is Stage.connected and second.state is Stage.connected
    assert caller.heard == ["[ringing]", "[connected]"]
    assert (first.status, second.status, third.status) == ("canceled", "in-progress", "canceled")
    assert first.heard[-1] == "[stopped ringing]"

    clock.advance(seconds=42)
    second.hang_up()
    sim.settle()

    ended = helpline.dial_ended()
    assert ended["DialCallStatus"] == "completed"
    assert (ended["DialBridged"], ended["DialCallDuration"]) == ("true", "42")
    assert second.call is not None and ended["DialCallSid"] == second.call.sid
    assert caller.heard[-3:] == ["[the other party hung up]", THANKS, "[call ended]"]
    assert first.call is not None
    assert helpline.progress(first.call.sid) == ["initiated", "ringing", "canceled"]
    answered = ["initiated", "ringing", "in-progress", "completed"]
    assert helpline.progress(second.call.sid) == answered


def test_a_whisper_that_hangs_up_connects_nobody_and_the_others_ring_on() -> None:
    helpline = Helpline(ring_all(VOLUNTEERS[:2]))
    sim = twilio_for(helpline, Clock())
    first, second = sim.phone(VOLUNTEERS[0]), sim.phone(VOLUNTEERS[1])
    caller = call_in(sim)

    first.answer().press("2")  # not 1: the accept URL hangs up
    assert first.state is Stage.ended and first.status == "completed"
    assert caller.state is Stage.dialing and second.ringing
    second.answer().stay_silent()  # the Gather times out: "Goodbye." and <Hangup/>
    assert second.spoken == [WHISPER, "Goodbye."]

    ended = helpline.dial_ended()
    # A whisper that hung up was still an answered call: Twilio reports "completed";
    # only DialBridged tells that nobody was connected.
    assert (ended["DialCallStatus"], ended["DialBridged"]) == ("completed", "false")
    assert caller.said.endswith(THANKS)


def test_a_volunteer_who_hangs_up_during_the_whisper_is_not_connected() -> None:
    helpline = Helpline(ring_all(VOLUNTEERS[:2]))
    sim = twilio_for(helpline, Clock())
    first, second = sim.phone(VOLUNTEERS[0]), sim.phone(VOLUNTEERS[1])
    caller = call_in(sim)

    first.answer().hang_up()
    second.answer().press("1")

    assert first.status == "completed" and caller.state is Stage.connected
    assert second.state is Stage.connected


def test_a_voicemail_that_never_presses_1_is_not_connected() -> None:
    helpline = Helpline(ring_all(VOLUNTEERS[:2]))
    sim = twilio_for(helpline, Clock())
    voicemail = sim.phone(VOLUNTEERS[0], pickup=Pickup.voicemail)
    person = sim.phone(VOLUNTEERS[1])
    caller = call_in(sim)

    # It answered at once, heard the whisper, and the Gather timed out.
    assert voicemail.spoken == [WHISPER, "Goodbye."] and voicemail.status == "completed"
    assert caller.heard == ["[ringing]"] and person.ringing
    person.answer().press("1")
    assert caller.state is Stage.connected


def test_a_whisper_that_just_ends_connects_whoever_answered_a_voicemail_too() -> None:
    helpline = Helpline(ring_all(VOLUNTEERS[:2]), whisper_hangs_up=False)
    sim = twilio_for(helpline, Clock())
    voicemail = sim.phone(VOLUNTEERS[0], pickup=Pickup.voicemail)
    person = sim.phone(VOLUNTEERS[1])
    caller = call_in(sim)

    assert caller.state is Stage.connected and voicemail.state is Stage.connected
    assert person.status == "canceled"


def test_without_a_whisper_the_first_to_pick_up_is_connected() -> None:
    helpline = Helpline(ring_all(VOLUNTEERS[:2], whisper=False))
    sim = twilio_for(helpline, Clock())
    first, second = sim.phone(VOLUNTEERS[0]), sim.phone(VOLUNTEERS[1])
    caller = call_in(sim)

    second.answer()

    assert caller.state is Stage.connected and second.state is Stage.connected
    assert first.status == "canceled" and helpline.posted("/whisper") == []


def test_a_plain_number_in_the_dial_is_one_number_and_the_next_verb_follows() -> None:
    def voice() -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?><Response>'
            f"<Dial>{VOLUNTEERS[0]}</Dial><Say>After the dial.</Say></Response>"
        )

    clock = Clock()
    sim = twilio_for(Helpline(ring_all()), clock)
    sim.courier.transport = lambda url, params, sig: voice()
    volunteer = sim.phone(VOLUNTEERS[0])
    caller = call_in(sim)

    assert volunteer.ringing and volunteer.caller_id == CALLER  # no callerId: the caller's
    volunteer.answer()
    volunteer.hang_up()

    assert caller.spoken == ["After the dial."] and caller.state is Stage.ended


def test_the_engine_asks_for_the_whisper_on_the_called_leg() -> None:
    engine = Engine(voice_url=f"{BASE}/voice", clock=Clock().now)
    call, _ = engine.dial(LINE, CALLER)
    dial = ring_all(VOLUNTEERS[:1])()
    engine.answer(Webhook(engine.voice_url, {}, Purpose.voice, call.sid), document(dial))
    phone = engine.phone(VOLUNTEERS[0])
    leg = phone.leg
    assert leg is not None

    (answered, whisper) = engine.pick_up(leg.sid)

    assert answered.purpose is Purpose.status and answered.params["CallStatus"] == "in-progress"
    assert whisper.purpose is Purpose.whisper and whisper.url == f"{BASE}/whisper"
    assert whisper.call_sid == leg.sid
    assert {key: whisper.params[key] for key in ("From", "To", "Direction", "ParentCallSid")} == {
        "From": LINE,
        "To": VOLUNTEERS[0],
        "Direction": "outbound-dial",
        "ParentCallSid": call.sid,
    }
