"""A terminal phone: dials a running server exactly as Twilio would (``supportline call``).

It signs every request like Twilio (``X-Twilio-Signature`` over the public URL), follows the
TwiML (Say, Play, Pause, Gather, Redirect, Dial, Hangup), prints what would be spoken, reads
keypad digits from the terminal, and on joining a conference sends the status callbacks Twilio
would send, so the moderators' roster shows the caller.
"""

from __future__ import annotations

import hashlib
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from twilio.request_validator import RequestValidator

MAX_STEPS = 200


class PhoneError(RuntimeError):
    """The server refused or broke the call (bad signature, error status, not TwiML)."""


class Answer(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...


class Poster(Protocol):
    def post(self, url: str, *, data: Mapping[str, str], headers: Mapping[str, str]) -> Answer: ...


@dataclass
class Phone:
    http: Poster
    server: str  # where requests go
    public_url: str  # the base URL the server rebuilds and checks signatures against
    auth_token: str
    number: str
    caller: str
    read: Callable[[str], str]
    write: Callable[[str], None]
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    joined: str | None = None

    def post(self, url: str, params: Mapping[str, str]) -> str:
        if url.startswith("/"):
            url = self.public_url + url
        signature = RequestValidator(self.auth_token).compute_signature(url, dict(params))
        target = self.server + url.removeprefix(self.public_url)
        response = self.http.post(
            target, data=dict(params), headers={"X-Twilio-Signature": signature}
        )
        if response.status_code != 200:
            raise PhoneError(f"the server answered {response.status_code} to {target}")
        return response.text

    def params(self, **extra: str) -> dict[str, str]:
        return {
            "AccountSid": "AC" + "0" * 32,
            "CallSid": self.call_sid,
            "From": self.caller,
            "To": self.number,
            "Direction": "inbound",
            "CallStatus": "in-progress",
            **extra,
        }

    def dial(self) -> None:
        """Ring the line and follow the call until it ends."""
        self.write(f"[dialling {self.number}]")
        twiml = self.post("/twilio/voice", self.params(CallStatus="ringing"))
        for _ in range(MAX_STEPS):
            next_request = self.follow(twiml)
            if next_request is None:
                self.write("[call ended]")
                return
            url, params = next_request
            twiml = self.post(url, params)
        raise PhoneError("the call did not end after many steps")

    def follow(self, twiml: str) -> tuple[str, dict[str, str]] | None:
        """Play one TwiML document; return the next request to make, or None when it hangs up."""
        try:
            verbs = list(ET.fromstring(twiml))  # noqa: S314 - our own server's TwiML
        except ET.ParseError as exc:
            raise PhoneError("the server did not answer with TwiML") from exc
        for verb in verbs:
            if verb.tag == "Say":
                self.write(f"  {verb.text or ''}")
            elif verb.tag in ("Play", "Pause"):
                self.write(f"[{verb.tag.lower()}]")
            elif verb.tag == "Gather":
                for say in verb.iter("Say"):
                    self.write(f"  {say.text or ''}")
                digits = self.read("keypad> ").strip().rstrip("#")
                if digits:
                    return verb.get("action", ""), self.params(Digits=digits)
            elif verb.tag == "Redirect":
                return verb.text or "", self.params()
            elif verb.tag == "Hangup":
                return None
            elif verb.tag == "Dial":
                return self.conference(verb)
        return None

    def conference(self, dial: ET.Element) -> tuple[str, dict[str, str]] | None:
        room = dial.find("Conference")
        if room is None or not room.text:
            return None
        moderator = room.get("startConferenceOnEnter") == "true"
        callback = room.get("statusCallback", "")
        sid = "CF" + hashlib.sha256(room.text.encode()).hexdigest()[:32]
        event = self._event(callback, sid, room, moderator)
        if moderator:
            event("conference-start", with_call=False)
        event("participant-join", with_call=True)
        self.joined = room.text
        self.write(f"[joined the conference as {'moderator' if moderator else 'member'}]")
        if not moderator and room.get("waitUrl"):
            self.follow_wait(room.get("waitUrl", ""), sid)
        self.read("[in the call: press Enter to hang up] ")
        event("participant-leave", with_call=True)
        action = dial.get("action")
        return (action, self.params(CallStatus="completed")) if action else None

    def follow_wait(self, url: str, conference_sid: str) -> None:
        for verb in ET.fromstring(self.post(url, self.params(ConferenceSid=conference_sid))):  # noqa: S314
            if verb.tag == "Say":
                self.write(f"  {verb.text or ''}")
            elif verb.tag == "Play":
                self.write("[music while waiting]")

    def _event(
        self, callback: str, sid: str, room: ET.Element, moderator: bool
    ) -> Callable[..., None]:
        def send(name: str, *, with_call: bool) -> None:
            params = {
                "AccountSid": "AC" + "0" * 32,
                "ConferenceSid": sid,
                "FriendlyName": room.text or "",
                "StatusCallbackEvent": name,
            }
            if with_call:
                params.update(
                    CallSid=self.call_sid,
                    ParticipantLabel=room.get("participantLabel", ""),
                    Muted="false",
                    Hold="false",
                    StartConferenceOnEnter=str(moderator).lower(),
                )
            if callback:
                self.post(callback, params)

        return send
