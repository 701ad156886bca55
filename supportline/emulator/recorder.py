"""``<Record>`` as Twilio runs it, and the recordings it leaves on the account.

Rules, from https://www.twilio.com/docs/voice/twiml/record:
- A beep first unless ``playBeep="false"``; recording ends on a key of ``finishOnKey`` (default:
  any digit, ``*`` or ``#``), at ``maxLength`` seconds (default 3600), or when the caller hangs up.
- Then the ``action`` URL is requested with ``RecordingUrl``, ``RecordingSid``,
  ``RecordingDuration`` and ``Digits`` (the key pressed, or ``hangup``); for a caller who hung
  up Twilio ignores the TwiML it returns. An empty recording requests no action: the call goes
  on with the next verb.
- The ``recordingStatusCallback`` is requested asynchronously, once the file is processed, for
  the events in ``recordingStatusCallbackEvent`` (default ``completed``); ``absent`` when there
  is no audio (https://support.twilio.com/hc/en-us/articles/360014251313). Its form has
  ``AccountSid``, ``CallSid``, ``RecordingSid``, ``RecordingUrl``, ``RecordingStatus``,
  ``RecordingDuration`` (https://www.twilio.com/docs/voice/api/recording#recordingstatuscallback).

The recordings are Recording resources (https://www.twilio.com/docs/voice/api/recording): the
media at the resource's URI with ``.wav`` (8 kHz mono, as Twilio records calls), and DELETE
removes it; a deleted recording is 404 (error 20404) from then on.
"""

from __future__ import annotations

import io
import math
import struct
import wave
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from supportline.emulator.calls import Call
from supportline.emulator.hooks import ACCOUNT_SID, Purpose, Webhook, new_sid, not_found

DEFAULT_FINISH_KEYS = "1234567890*#"
DEFAULT_MAX_LENGTH = 3600
SAMPLE_RATE = 8000


@dataclass
class Recording:
    sid: str
    call_sid: str
    created_at: datetime
    duration: int
    media: bytes
    deleted: bool = False

    @property
    def uri(self) -> str:
        return f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{self.sid}"


def tone(seconds: int, sid: str) -> bytes:
    """A WAV of ``seconds`` of a tone (its pitch differs per recording), 8 kHz 16-bit mono."""
    pitch = 300 + int(sid[-4:], 16) % 400
    period = [
        int(8000 * math.sin(2 * math.pi * pitch * n / SAMPLE_RATE)) for n in range(SAMPLE_RATE)
    ]
    second = struct.pack(f"<{SAMPLE_RATE}h", *period)
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(SAMPLE_RATE)
        file.writeframes(second * seconds)
    return out.getvalue()


class Recorder:
    """The ``<Record>`` in progress on each call, and the account's recordings."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.recordings: dict[str, Recording] = {}
        self.started: dict[str, datetime] = {}

    def start(self, call: Call, verb: ET.Element) -> None:
        if verb.get("playBeep", "true") != "false":
            call.hear("[beep]")
        call.record = verb
        self.started[call.sid] = self.clock()

    def finish_key(self, call: Call, digits: str) -> str | None:
        """The first of ``digits`` that ends the recording (other keys are recorded sound)."""
        record = call.record
        keys = "" if record is None else record.get("finishOnKey", DEFAULT_FINISH_KEYS)
        return next((key for key in digits if key in keys), None)

    def over(self, call: Call, now: datetime) -> bool:
        """Whether the recording on ``call`` reached its ``maxLength``."""
        if call.record is None or call.sid not in self.started:
            return False
        limit = int(call.record.get("maxLength", str(DEFAULT_MAX_LENGTH)))
        return (now - self.started[call.sid]).total_seconds() >= limit

    def finish(
        self, call: Call, verb: ET.Element, digits: str
    ) -> tuple[Recording | None, list[Webhook]]:
        """The recording ends: the recording (None when empty) and the hooks after it — the
        action (unless empty) and then the status callback."""
        started = self.started.pop(call.sid)
        limit = int(verb.get("maxLength", str(DEFAULT_MAX_LENGTH)))
        seconds = min(int((self.clock() - started).total_seconds()), limit)
        recording = None
        if seconds > 0:
            sid = new_sid("RE")
            recording = Recording(sid, call.sid, self.clock(), seconds, tone(seconds, sid))
            self.recordings[sid] = recording
        hooks = []
        if recording is not None and verb.get("action"):
            params = call.params(
                RecordingSid=recording.sid,
                RecordingUrl="https://api.twilio.com" + recording.uri,
                RecordingDuration=str(seconds),
                Digits=digits,
            )
            hooks.append(Webhook(verb.get("action", ""), params, Purpose.action, call.sid))
        callback = verb.get("recordingStatusCallback")
        events = verb.get("recordingStatusCallbackEvent", "completed").split()
        status = "completed" if recording is not None else "absent"
        if callback and status in events:
            params = {
                "AccountSid": ACCOUNT_SID,
                "CallSid": call.sid,
                "RecordingSid": recording.sid if recording else new_sid("RE"),
                "RecordingUrl": "https://api.twilio.com" + recording.uri if recording else "",
                "RecordingStatus": status,
                "RecordingDuration": str(seconds if recording else 0),
                "RecordingChannels": "1",
                "RecordingSource": "RecordVerb",
            }
            hooks.append(Webhook(callback, params, Purpose.status, call.sid))
        return recording, hooks

    def get(self, sid: str) -> Recording:
        recording = self.recordings.get(sid)
        if recording is None or recording.deleted:
            raise not_found(f"/Recordings/{sid}")
        return recording

    def delete(self, sid: str) -> None:
        self.get(sid).deleted = True
