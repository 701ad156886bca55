"""A helpline in a few TwiML callbacks, standing in for the server while the engine's
``<Dial><Number>`` is tested: it rings volunteers with a "press 1" whisper and records every
request Twilio makes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from supportline.emulator.delivery import Mode
from supportline.emulator.local import Handset, LocalTwilio
from tests.clock import Clock

BASE = "https://line.example.org"
LINE = "+48221234567"  # the helpline's number: what the volunteers' phones show
CALLER = "+48601999888"
VOLUNTEERS = ["+48600100001", "+48600100002", "+48600100003"]
WHISPER = "A caller is waiting. Press 1 to take the call."
THANKS = "Thank you for calling."


@dataclass
class Helpline:
    """The server: ``dial`` builds the Dial the voice URL answers with."""

    dial: Callable[[], Dial]
    whisper_hangs_up: bool = True  # the whisper ends with <Hangup/> when no key was pressed
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __call__(self, url: str, params: dict[str, str], _signature: str) -> str:
        path = url.removeprefix(BASE)
        self.requests.append((path, params))
        response = VoiceResponse()
        if path == "/voice" and params["To"] != LINE:  # another line: a call that goes on
            response.gather().say("Another line.")
        elif path == "/voice":
            response.append(self.dial())
        elif path == "/whisper":
            gather = Gather(num_digits=1, action=f"{BASE}/accept")
            gather.say(WHISPER)
            response.append(gather)
            if self.whisper_hangs_up:
                response.say("Goodbye.")
                response.hangup()
        elif path == "/accept" and params.get("Digits") != "1":
            response.hangup()
        elif path == "/dial-ended":
            response.say(THANKS)
            response.hangup()
        return str(response)

    def posted(self, path: str) -> list[dict[str, str]]:
        return [params for at, params in self.requests if at == path]

    def dial_ended(self) -> dict[str, str]:
        (params,) = self.posted("/dial-ended")
        return params

    def progress(self, call_sid: str) -> list[str]:
        """A leg's status callbacks, in the order they fired, each once."""
        fired = {
            int(p["SequenceNumber"]): p["CallStatus"]
            for p in self.posted("/status")
            if p["CallSid"] == call_sid
        }
        return [fired[number] for number in sorted(fired)]


def ring_all(
    numbers: list[str] = VOLUNTEERS, *, whisper: bool = True, **attributes: str
) -> Callable[[], Dial]:
    """A Dial of ``numbers`` showing the line's number, each with the press-1 whisper."""

    def dial() -> Dial:
        built = Dial(action=f"{BASE}/dial-ended", caller_id=LINE, timeout=20, **attributes)
        for number in numbers:
            built.number(
                number,
                url=f"{BASE}/whisper" if whisper else None,
                status_callback=f"{BASE}/status",
                status_callback_event="initiated ringing answered completed",
            )
        return built

    return dial


def twilio_for(helpline: Helpline, clock: Clock, mode: Mode = Mode.in_order) -> LocalTwilio:
    return LocalTwilio(
        helpline, auth_token="token", voice_url=f"{BASE}/voice", clock=clock.now, mode=mode
    )


def document(dial: Dial) -> str:
    response = VoiceResponse()
    response.append(dial)
    return str(response)


def call_in(twilio: LocalTwilio) -> Handset:
    return twilio.dial(LINE, CALLER)
