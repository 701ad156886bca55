"""A call as Twilio keeps it: who calls whom, what the phone heard, and where its TwiML is.

An inbound call comes in on a line; an ``outbound-dial`` call is a leg a ``<Dial><Number>`` placed
from it (its parent), to another phone (``supportline.emulator.dialing``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from supportline.emulator.hooks import ACCOUNT_SID

# "Twilio will hang up the call after 4 hours" unless the account allows 24 hours
# (https://www.twilio.com/docs/voice/api/call-resource, TimeLimit; Console → Voice → Settings).
MAX_CALL_SECONDS = 4 * 3600


class Stage(StrEnum):
    ringing = "ringing"
    talking = "talking"  # executing TwiML, or waiting for the answer to a request
    gathering = "gathering"
    recording = "recording"
    in_conference = "in_conference"
    dialing = "dialing"  # a <Dial><Number> rings; the caller hears ringing
    connected = "connected"  # bridged to the other party of a <Dial><Number>
    ended = "ended"


@dataclass
class Call:
    """One call: what the phone heard, and where its TwiML is."""

    sid: str
    caller: str  # From: for a dialled leg, the caller ID its phone shows
    to: str
    started_at: datetime
    stage: Stage = Stage.ringing
    direction: str = "inbound"  # or "outbound-dial": a leg of a parent's <Dial><Number>
    parent_sid: str | None = None
    machine: bool = False  # answered by a voicemail: it never presses a key
    heard: list[str] = field(default_factory=list)  # speech as text, sounds as [bracketed]
    spoken: list[str] = field(default_factory=list)  # speech only
    rest: list[ET.Element] = field(default_factory=list)  # verbs after the blocking one
    gather: ET.Element | None = None
    record: ET.Element | None = None
    dial: ET.Element | None = None
    time_limit: int = MAX_CALL_SECONDS
    documents: int = 0
    listeners: list[Callable[[str], None]] = field(default_factory=list)

    @property
    def said(self) -> str:
        return " ".join(self.spoken)

    @property
    def dialled(self) -> bool:
        """Whether this is a leg a ``<Dial><Number>`` placed (its TwiML is a whisper)."""
        return self.parent_sid is not None

    def hear(self, what: str, *, speech: bool = False) -> None:
        self.heard.append(what)
        if speech:
            self.spoken.append(what)
        for listener in self.listeners:
            listener(what)

    def params(self, **extra: str) -> dict[str, str]:
        status = "completed" if self.stage is Stage.ended else "in-progress"
        params = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": status,
            "Direction": self.direction,
            "From": self.caller,
            "To": self.to,
        }
        if self.parent_sid is not None:
            params["ParentCallSid"] = self.parent_sid
        return {**params, **extra}
