"""How a ``<Dial><Number>`` ends, and what its action hears: numbers that ring out, a caller who
hangs up first, busy phones, a caller ID Twilio refuses, a bad number among good ones, the time
limit of a connected call, and a whisper with a verb Twilio does not run there."""

from __future__ import annotations

import pytest

from supportline.emulator.delivery import Mode
from supportline.emulator.dialing import Pickup
from supportline.emulator.engine import Stage
from tests.clock import Clock
from tests.supportline.emulator.fake_helpline import (
    CALLER,
    LINE,
    THANKS,
    VOLUNTEERS,
    Helpline,
    call_in,
    ring_all,
    twilio_for,
)


@pytest.mark.parametrize("mode", [Mode.in_order, Mode.shuffled, Mode.delayed])
def test_numbers_ring_out_after_the_timeout_and_twilios_five_seconds(mode: Mode) -> None:
    clock = Clock()
    helpline = Helpline(ring_all())  # timeout="20"
    sim = twilio_for(helpline, clock, mode)
    phones = [sim.phone(number) for number in VOLUNTEERS]
    caller = call_in(sim)

    clock.advance(seconds=24)
    sim.deliver()
    assert all(phone.ringing for phone in phones)  # Twilio adds a 5-second buffer
    clock.advance(seconds=1)
    sim.settle()

    assert [phone.status for phone in phones] == ["no-answer"] * 3
    ended = helpline.dial_ended()
    assert (ended["DialCallStatus"], ended["DialCallDuration"]) == ("no-answer", "0")
    assert caller.said == THANKS


def test_the_caller_hanging_up_while_the_numbers_ring_cancels_every_leg() -> None:
    helpline = Helpline(ring_all())
    sim = twilio_for(helpline, Clock())
    phones = [sim.phone(number) for number in VOLUNTEERS]
    caller = call_in(sim)
    whispering = phones[0].answer()

    caller.hang_up()

    assert [phone.status for phone in phones] == ["completed", "canceled", "canceled"]
    assert whispering.heard[-1] == "[call ended]"
    ended = helpline.dial_ended()  # requested still; its answer is ignored
    assert (ended["CallStatus"], ended["DialCallStatus"]) == ("completed", "completed")
    assert ended["DialBridged"] == "false"
    assert caller.heard[-1] == "[hung up]"


def test_a_caller_who_hangs_up_before_anyone_answers_is_a_canceled_dial() -> None:
    helpline = Helpline(ring_all())
    sim = twilio_for(helpline, Clock())
    phones = [sim.phone(number) for number in VOLUNTEERS]
    caller = call_in(sim)

    caller.hang_up()

    assert [phone.status for phone in phones] == ["canceled"] * 3
    assert helpline.dial_ended()["DialCallStatus"] == "canceled"


def test_the_caller_hanging_up_ends_the_volunteers_call() -> None:
    helpline = Helpline(ring_all(VOLUNTEERS[:1]))
    sim = twilio_for(helpline, Clock())
    volunteer = sim.phone(VOLUNTEERS[0])
    caller = call_in(sim)
    volunteer.answer().press("1")

    caller.hang_up()

    assert volunteer.state is Stage.ended and volunteer.status == "completed"
    assert helpline.dial_ended()["DialBridged"] == "true"


def test_a_busy_phone_a_phone_on_another_call_and_call_waiting() -> None:
    helpline = Helpline(ring_all())
    sim = twilio_for(helpline, Clock())
    busy = sim.phone(VOLUNTEERS[0], pickup=Pickup.busy)
    talking = sim.phone(VOLUNTEERS[1])
    waiting = sim.phone(VOLUNTEERS[2], call_waiting=True)
    sim.dial("+48225550000", VOLUNTEERS[1])  # on a call of its own
    sim.dial("+48225550000", VOLUNTEERS[2])

    caller = call_in(sim)

    assert (busy.status, talking.status, waiting.status) == ("busy", "busy", "ringing")
    assert busy.screen == [] and talking.screen == []  # a busy phone never rang
    waiting.decline()
    assert helpline.dial_ended()["DialCallStatus"] == "busy"
    assert caller.said == THANKS


def test_a_caller_id_that_is_not_the_accounts_rings_nobody() -> None:
    helpline = Helpline(ring_all(callerId="+48225559999"))  # overrides the line's number
    sim = twilio_for(helpline, Clock())
    volunteer = sim.phone(VOLUNTEERS[0])

    caller = call_in(sim)

    assert volunteer.screen == []
    assert sim.engine.errors == ["13214 Dial: Invalid callerId value"]
    assert helpline.dial_ended()["DialCallStatus"] == "failed"
    assert caller.said == THANKS


def test_a_verified_caller_id_is_shown() -> None:
    helpline = Helpline(ring_all(VOLUNTEERS[:1], callerId="+48225559999"))
    sim = twilio_for(helpline, Clock())
    sim.engine.dialing.own_numbers.add("+48225559999")
    volunteer = sim.phone(VOLUNTEERS[0])

    call_in(sim)

    assert volunteer.caller_id == "+48225559999" and CALLER not in volunteer.screen


def test_a_number_the_account_has_is_shown_as_asked_for_when_needed() -> None:
    helpline = Helpline(ring_all(VOLUNTEERS[:1], callerId="+48225559999"))
    sim = twilio_for(helpline, Clock())
    asked: list[str] = []

    def account_numbers() -> frozenset[str]:
        asked.append("asked")
        return frozenset({"+48225559999"})

    sim.engine.dialing.account_numbers = account_numbers
    volunteer = sim.phone(VOLUNTEERS[0])

    call_in(sim)

    assert volunteer.caller_id == "+48225559999" and sim.engine.errors == []
    assert asked == ["asked"]


def test_one_bad_number_fails_alone_and_the_others_ring() -> None:
    helpline = Helpline(ring_all(["0048 600", VOLUNTEERS[0]]))
    sim = twilio_for(helpline, Clock())
    unreachable = sim.phone(VOLUNTEERS[1], pickup=Pickup.unreachable)
    volunteer = sim.phone(VOLUNTEERS[0])

    caller = call_in(sim)

    assert volunteer.ringing and caller.state is Stage.dialing
    assert sim.engine.errors == ["13224 Dial: Twilio does not support calling this number"]
    assert unreachable.screen == []


def test_an_unreachable_number_alone_is_a_failed_dial() -> None:
    helpline = Helpline(ring_all(VOLUNTEERS[:1]))
    sim = twilio_for(helpline, Clock())
    sim.phone(VOLUNTEERS[0], pickup=Pickup.unreachable)

    call_in(sim)

    assert helpline.dial_ended()["DialCallStatus"] == "failed"


def test_the_time_limit_ends_a_connected_call_counted_from_the_answer() -> None:
    clock = Clock()
    helpline = Helpline(ring_all(VOLUNTEERS[:1], timeLimit="600"))
    sim = twilio_for(helpline, clock)
    volunteer = sim.phone(VOLUNTEERS[0])
    caller = call_in(sim)
    clock.advance(seconds=15)
    volunteer.answer().press("1")

    clock.advance(seconds=599)
    sim.deliver()
    assert caller.state is Stage.connected
    clock.advance(seconds=1)
    sim.deliver()

    assert volunteer.state is Stage.ended
    ended = helpline.dial_ended()
    assert (ended["DialCallStatus"], ended["DialCallDuration"]) == ("completed", "600")
    assert "[the Dial's time limit]" in caller.heard


def test_a_whisper_with_a_verb_twilio_does_not_run_there_connects_nobody() -> None:
    helpline = Helpline(ring_all(VOLUNTEERS[:1]))
    sim = twilio_for(helpline, Clock())
    transport = sim.courier.transport

    def whisper_with_a_pause(url: str, params: dict[str, str], signature: str) -> str:
        if url.endswith("/whisper"):
            return "<Response><Pause/><Say>A caller.</Say></Response>"
        return transport(url, params, signature)

    sim.courier.transport = whisper_with_a_pause
    volunteer = sim.phone(VOLUNTEERS[0])
    caller = call_in(sim)

    volunteer.answer()

    assert volunteer.status == "completed" and caller.state is not Stage.connected
    assert sim.engine.errors == ["Pause is not allowed in a <Number url> document"]
    assert helpline.dial_ended()["DialBridged"] == "false"


def test_the_line_number_is_an_allowed_caller_id() -> None:
    sim = twilio_for(Helpline(ring_all(VOLUNTEERS[:1])), Clock())
    volunteer = sim.phone(VOLUNTEERS[0])

    call_in(sim)

    assert volunteer.caller_id == LINE
