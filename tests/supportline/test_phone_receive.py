"""``supportline receive``: a terminal phone with a number of its own, rung by a ``<Dial>`` the
server answers with. It shows the caller ID the Dial sets, lets the person answer and press 1 in
the whisper, and then carries the call — here against a few TwiML callbacks standing in for the
helpline, through the emulator process's phone API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import FastAPI, Form, Response
from fastapi.testclient import TestClient
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from supportline.phone import IN_CONFERENCE, RINGING
from tests.fixtures.calls import BASE_URL
from tests.fixtures.phones import Phone, RunningEmulator, dial, receive, running_emulator

LINE = "+48221234567"
CALLER = "+48601000777"
VOLUNTEER = "+48600100001"
WHISPER = "A caller is waiting. Press 1 to take the call."


def helpline() -> FastAPI:
    app = FastAPI()

    def twiml(response: VoiceResponse) -> Response:
        return Response(str(response), media_type="application/xml")

    @app.post("/twilio/voice")
    def voice() -> Response:
        response = VoiceResponse()
        ring = Dial(action=f"{BASE_URL}/dial-ended", caller_id=LINE, timeout=20)
        ring.number(VOLUNTEER, url=f"{BASE_URL}/whisper")
        response.append(ring)
        return twiml(response)

    @app.post("/whisper")
    def whisper() -> Response:
        response = VoiceResponse()
        gather = Gather(num_digits=1, action=f"{BASE_URL}/accept")
        gather.say(WHISPER)
        response.append(gather)
        response.hangup()
        return twiml(response)

    @app.post("/accept")
    def accept(digits: Annotated[str, Form(alias="Digits")] = "") -> Response:
        response = VoiceResponse()
        if digits != "1":
            response.hangup()
        return twiml(response)

    @app.post("/dial-ended")
    def dial_ended() -> Response:
        response = VoiceResponse()
        response.say("Thank you for calling.")
        return twiml(response)

    return app


@contextmanager
def ringing() -> Iterator[tuple[RunningEmulator, Phone, Phone]]:
    """The emulator, the volunteer's terminal as it rings, and the caller's."""
    with (
        TestClient(helpline()) as server,
        running_emulator(server, server=BASE_URL, public_url=BASE_URL, auth_token="t") as emulator,
    ):
        volunteer = receive(emulator.url, VOLUNTEER)
        volunteer.heard(f"[waiting for calls to {VOLUNTEER}]")
        caller = dial(emulator.url, LINE, CALLER)
        volunteer.heard(f"[ringing: {LINE}] {RINGING}")
        yield emulator, volunteer, caller


def test_the_terminal_rings_shows_the_line_and_the_volunteer_takes_the_call() -> None:
    with ringing() as (_emulator, volunteer, caller):
        volunteer.type("", "1")  # Enter answers; 1 at the keypad takes the call
        volunteer.heard("[connected]")
        caller.heard("[connected]")
        volunteer.type("")  # Enter hangs up
        printed = volunteer.ended()
        assert caller.ended()[-4:] == [
            IN_CONFERENCE,
            "[the other party hung up]",
            "Thank you for calling.",
            "[call ended]",
        ]
    assert printed == [
        f"[waiting for calls to {VOLUNTEER}]",
        f"[ringing: {LINE}] {RINGING}",
        f"[ringing: {LINE}]",
        "[answered]",
        WHISPER,
        "[connected]",
        IN_CONFERENCE,
        "[hung up]",
    ]


def test_ctrl_d_declines_and_the_caller_hears_the_dial_end_busy() -> None:
    with ringing() as (emulator, volunteer, caller):
        volunteer.keys.put(None)  # ctrl-D
        assert volunteer.ended()[-1] == "[declined]"
        assert caller.ended()[-2:] == ["Thank you for calling.", "[call ended]"]
        assert emulator.board.wait_idle(10)
        assert "posted action /dial-ended" in " ".join(emulator.board.journal)
