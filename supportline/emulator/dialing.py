"""``<Dial><Number>``: calls from a caller's call to other phones, and the phones they ring.

The rules, each from the documentation page named beside it:
- Up to ten ``<Number>`` nouns (or a number as the Dial's text) are rung at once; "the first call
  to pick up is connected to the current call and the rest are hung up"
  (https://www.twilio.com/docs/voice/twiml/number, and its example "Simultaneous Dialing": "the
  rest of the connection attempts are canceled"; https://www.twilio.com/docs/voice/twiml/dial,
  "<Dial> nouns" for the plain-text number).
- A ``<Number url>`` is TwiML run "on the called party's end, after they answer, but before the
  parties are connected"; it may hold ``<Play>``, ``<Say>``, ``<Gather>`` and ``<Hangup>`` only
  ("The url attribute does not support any other TwiML verbs", same page). The leg is connected
  when that TwiML ends without hanging up — a document that simply ends connects the call, so a
  voicemail that never presses a key is connected unless the whisper hangs up after its Gather.
  **Not documented:** whether the other numbers ring on while a whisper runs; here they do, and
  a whisper that hangs up leaves them ringing (see docs/twilio.md).
- ``timeout`` is how long the numbers ring before ``no-answer``: default 30 s, at least 5, at most
  600, and "Twilio always adds a five-second timeout buffer" (Dial page, timeout).
- ``callerId`` is what the called phone shows; by default the caller's own number. It may be only
  the call's ``To`` or ``From``, a number of the account, or a verified caller ID (Dial page,
  callerId); any other value is warning 13214 (https://www.twilio.com/docs/api/errors/13214).
  The account's numbers are ``own_numbers`` and, for a running emulator, ``account_numbers()``:
  the lines the server has, as a Twilio account has every line that reaches the server.
  **Not documented:** what the Dial then does; here it fails and rings nobody.
- A number that is not E.164 cannot be called (error 13224,
  https://www.twilio.com/docs/api/errors/13224): that leg fails, the others ring.
- ``timeLimit`` ends a connected Dial after that many seconds, default 14400 (Dial page).
- The Dial's ``action`` is requested when the dialled call ends, with ``DialCallStatus``,
  ``DialCallSid``, ``DialCallDuration`` and ``DialBridged`` (Dial page, action): ``completed``
  when the called party answered, ``busy``, ``no-answer``, ``failed``, ``canceled``. A whisper
  that hung up was still answered: ``completed`` with ``DialBridged=false``.
- ``statusCallbackEvent`` (``initiated ringing answered completed``; ``completed`` alone by
  default once a ``statusCallback`` is given) reports each leg's progress with ``CallStatus``,
  ``ParentCallSid``, ``CallbackSource=call-progress-events`` and ``SequenceNumber`` from 0
  (Number page, statusCallbackEvent and "Status Callback HTTP Parameters").
- A leg "hung up while it was queued or ringing" is ``canceled``
  (https://www.twilio.com/docs/voice/api/call-resource#call-status-values).
"""

from __future__ import annotations

import email.utils
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from supportline.emulator.calls import MAX_CALL_SECONDS, Call, Stage
from supportline.emulator.hooks import Purpose, Webhook, new_sid

MAX_NUMBERS = 10
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")  # https://www.twilio.com/docs/api/errors/13224
DEFAULT_TIMEOUT, SHORTEST_TIMEOUT, LONGEST_TIMEOUT = 30, 5, 600
RING_BUFFER_SECONDS = 5
WHISPER_VERBS = frozenset({"Play", "Say", "Gather", "Hangup"})
LIVE = frozenset({"initiated", "ringing", "in-progress"})
# When no leg was connected, the Dial reports the first of these its legs ended with
# (not documented for several numbers; one answered is "completed", as for a single number).
OUTCOMES = ("completed", "canceled", "no-answer", "busy", "failed")

# ended a connected Dial: (the caller's call, DialCallStatus, the action's other parameters)
DialOver = Callable[[Call, str, dict[str, str]], list[Webhook]]


class Pickup(StrEnum):
    """How a phone answers when a Dial rings it."""

    person = "person"  # rings until someone answers or declines (or the Dial gives up)
    voicemail = "voicemail"  # answers at once and never presses a key
    busy = "busy"  # the line is busy: refused at once
    unreachable = "unreachable"  # no such number: Twilio cannot route the call


@dataclass
class Phone:
    """A phone the network knows: how it answers, and every call that rang it."""

    number: str
    pickup: Pickup = Pickup.person
    call_waiting: bool = False  # rings even while on another call (without it: busy)
    calls: list[Call] = field(default_factory=list)  # every leg placed to it
    screen: list[str] = field(default_factory=list)  # the caller ID of each call that rang it
    on_ring: list[Callable[[Call], None]] = field(default_factory=list)

    @property
    def leg(self) -> Call | None:
        """The call ringing it or on it now."""
        last = self.calls[-1] if self.calls else None
        return last if last is not None and last.stage is not Stage.ended else None


@dataclass
class Callee:
    """One dialled leg, with its Call resource status."""

    call: Call
    phone: Phone
    url: str
    send_digits: str
    status_callback: str
    events: frozenset[str]
    status: str = "initiated"
    answered_at: datetime | None = None
    sequence: int = 0

    @property
    def live(self) -> bool:
        return self.status in LIVE


@dataclass
class Ring:
    """One ``<Dial>`` of numbers: its legs, until one is connected or none is left."""

    parent: Call
    callees: list[Callee]
    ring_until: datetime
    time_limit: int
    bridged: Callee | None = None


class Dialing:
    """Every Dial of numbers in progress, and the phones of the network."""

    def __init__(
        self,
        calls: dict[str, Call],
        clock: Callable[[], datetime],
        dial_over: DialOver,
        errors: list[str],
    ) -> None:
        self.calls, self.clock, self.dial_over, self.errors = calls, clock, dial_over, errors
        self.phones: dict[str, Phone] = {}
        self.rings: dict[str, Ring] = {}  # by the caller's call SID
        self.legs: dict[str, tuple[Ring, Callee]] = {}  # by the dialled leg's call SID
        self.unknown = Pickup.person  # how a number no test set up answers: it rings out
        self.own_numbers: set[str] = set()  # the account's numbers and verified caller IDs
        # More of the account's numbers, asked for when a callerId is none of the above.
        self.account_numbers: Callable[[], Collection[str]] = frozenset

    def phone(self, number: str) -> Phone:
        if number not in self.phones:
            self.phones[number] = Phone(number, self.unknown)
        return self.phones[number]

    # --- the Dial starts ---------------------------------------------------------------------

    def start(self, parent: Call, dial: ET.Element) -> list[Webhook]:
        nouns = dial.findall("Number") or [ET.Element("Number")]
        numbers = [(noun.text or "").strip() for noun in nouns]
        if not dial.findall("Number"):
            numbers = [(dial.text or "").strip()]
        if len(numbers) > MAX_NUMBERS:
            self.errors.append(f"more than {MAX_NUMBERS} <Number> nouns: the rest are not dialled")
        caller_id = dial.get("callerId") or parent.caller
        known = {parent.caller, parent.to, *self.own_numbers}
        if caller_id not in known and caller_id not in self.account_numbers():
            self.errors.append("13214 Dial: Invalid callerId value")
            return self.dial_over(parent, "failed", {})
        timeout = self._seconds(dial, "timeout", DEFAULT_TIMEOUT)
        timeout = min(max(timeout, SHORTEST_TIMEOUT), LONGEST_TIMEOUT)
        ring = Ring(
            parent,
            [],
            self.clock() + timedelta(seconds=timeout + RING_BUFFER_SECONDS),
            self._seconds(dial, "timeLimit", MAX_CALL_SECONDS),
        )
        self.rings[parent.sid] = ring
        parent.stage = Stage.dialing
        parent.hear("[ringing]")
        hooks: list[Webhook | None] = []
        for noun, number in list(zip(nouns, numbers, strict=True))[:MAX_NUMBERS]:
            hooks += self._place(ring, noun, number, caller_id)
        for callee in list(ring.callees):  # voicemails answer once every number rings
            if callee.status == "ringing" and callee.phone.pickup is Pickup.voicemail:
                callee.call.machine = True
                hooks += self.pick_up(callee.call.sid)
        return [hook for hook in hooks if hook is not None] + self._settle(ring)

    def _seconds(self, dial: ET.Element, name: str, default: int) -> int:
        """A positive whole number of seconds, else the default and a warning in the debugger
        (13212 for timeout, 13216 for timeLimit: https://www.twilio.com/docs/api/errors/13212)."""
        value = dial.get(name, str(default))
        if value.isdigit() and int(value) > 0:
            return int(value)
        code = "13212" if name == "timeout" else "13216"
        self.errors.append(f"{code} Dial: Invalid {name} value")
        return default

    def _place(
        self, ring: Ring, noun: ET.Element, number: str, caller_id: str
    ) -> list[Webhook | None]:
        phone = self.phone(number)
        call = Call(
            new_sid("CA"),
            caller_id,
            number,
            self.clock(),
            direction="outbound-dial",
            parent_sid=ring.parent.sid,
        )
        callback = noun.get("statusCallback", "")
        events = noun.get("statusCallbackEvent", "completed" if callback else "").split()
        url, digits = noun.get("url", ""), noun.get("sendDigits", "")
        callee = Callee(call, phone, url, digits, callback, frozenset(events))
        self.calls[call.sid] = call
        self.legs[call.sid] = (ring, callee)
        ring.callees.append(callee)
        hooks = [self._progress(callee, "initiated")]
        engaged = phone.leg is not None or self._calling(number)
        phone.calls.append(call)
        if not E164.match(number):
            self.errors.append("13224 Dial: Twilio does not support calling this number")
            return [*hooks, *self._finish(callee, "failed")]
        if phone.pickup is Pickup.unreachable:
            return [*hooks, *self._finish(callee, "failed")]
        if phone.pickup is Pickup.busy or (engaged and not phone.call_waiting):
            return [*hooks, *self._finish(callee, "busy")]
        phone.screen.append(caller_id)
        callee.status = "ringing"
        for listener in phone.on_ring:  # before the first sound: a terminal phone hears it
            listener(call)
        call.hear(f"[ringing: {caller_id}]")
        return [*hooks, self._progress(callee, "ringing")]

    def _calling(self, number: str) -> bool:
        """Whether the phone of that number is on a call it made."""
        return any(
            c.caller == number and c.direction == "inbound" and c.stage is not Stage.ended
            for c in self.calls.values()
        )

    # --- the called phone ----------------------------------------------------------------------

    def pick_up(self, call_sid: str) -> list[Webhook]:
        """The phone ringing with this leg answers: its whisper runs, or it is connected."""
        ring, callee = self.legs[call_sid]
        if callee.status != "ringing":
            return []
        callee.status, callee.answered_at = "in-progress", self.clock()
        call = callee.call
        call.stage = Stage.talking
        call.hear("[answered]")
        hooks = [self._progress(callee, "answered")]
        if callee.send_digits:
            call.hear(f"[tones {callee.send_digits}]")
        if callee.url:
            hooks.append(Webhook(callee.url, call.params(), Purpose.whisper, call.sid))
            return [hook for hook in hooks if hook is not None]
        return [hook for hook in hooks if hook is not None] + self._bridge(ring, callee)

    def decline(self, call_sid: str) -> list[Webhook]:
        """The phone rejects the ringing call: Twilio hears busy."""
        ring, callee = self.legs[call_sid]
        if callee.status != "ringing":
            return []
        return self._finish(callee, "busy") + self._settle(ring)

    def whispered(self, call: Call) -> list[Webhook]:
        """The whisper's TwiML ended without hanging up: this leg is connected."""
        ring, callee = self.legs[call.sid]
        if ring.bridged is not None or not callee.live:
            return self.ended(call)
        return self._bridge(ring, callee)

    def _bridge(self, ring: Ring, callee: Callee) -> list[Webhook]:
        ring.bridged = callee
        ring.parent.stage = callee.call.stage = Stage.connected
        ring.parent.hear("[connected]")
        callee.call.hear("[connected]")
        hooks: list[Webhook] = []
        for other in ring.callees:
            if other is not callee and other.live:
                hooks += self._finish(other, _hung_up(other))
        return hooks

    # --- the end of a leg, or of the Dial ------------------------------------------------------

    def ended(self, call: Call) -> list[Webhook]:
        """A call ended (hung up, a ``<Hangup>``, an error, a time limit): a caller's ringing
        legs are hung up; a dialled leg is over, and with it a connected Dial."""
        if call.sid in self.rings:
            ring = self.rings[call.sid]
            hooks: list[Webhook] = []
            for callee in ring.callees:
                if callee.live:
                    hooks += self._finish(callee, _hung_up(callee))
            return hooks + self._settle(ring)
        if call.sid not in self.legs:
            return []
        ring, callee = self.legs[call.sid]
        if not callee.live:
            return []
        status = "busy" if callee.status == "ringing" else "completed"
        return self._finish(callee, status) + self._settle(ring)

    def _finish(self, callee: Callee, status: str) -> list[Webhook]:
        call = callee.call
        callee.status = status
        if call.stage is not Stage.ended:
            call.stage = Stage.ended
            rang = "[stopped ringing]" if call.heard else f"[{status}]"
            call.hear("[call ended]" if callee.answered_at else rang)
        hook = self._progress(callee, "completed")
        return [hook] if hook is not None else []

    def _settle(self, ring: Ring) -> list[Webhook]:
        """Once no leg is live (or the connected one is over), the Dial is over."""
        if ring.parent.sid not in self.rings or any(callee.live for callee in ring.callees):
            return []
        del self.rings[ring.parent.sid]
        if ring.parent.stage is Stage.connected:
            ring.parent.hear("[the other party hung up]")
        status, callee = _outcome(ring)
        extra = {
            "DialCallSid": callee.call.sid,
            "DialCallDuration": str(self._duration(callee)),
            "DialBridged": str(ring.bridged is not None).lower(),
        }
        return self.dial_over(ring.parent, status, extra)

    def advance(self, now: datetime) -> list[Webhook]:
        """Numbers that rang out, and connected Dials that reached their time limit."""
        hooks: list[Webhook] = []
        for ring in list(self.rings.values()):
            bridged = ring.bridged
            if bridged is not None and bridged.answered_at is not None:
                if now >= bridged.answered_at + timedelta(seconds=ring.time_limit):
                    ring.parent.hear("[the Dial's time limit]")
                    hooks += self._finish(bridged, "completed") + self._settle(ring)
            elif now >= ring.ring_until:
                for callee in ring.callees:
                    if callee.status == "ringing":
                        hooks += self._finish(callee, "no-answer")
                hooks += self._settle(ring)
        return hooks

    # --- status callbacks ------------------------------------------------------------------------

    def _progress(self, callee: Callee, event: str) -> Webhook | None:
        sequence, callee.sequence = callee.sequence, callee.sequence + 1
        if event not in callee.events or not callee.status_callback:
            return None
        call = callee.call
        status = "in-progress" if event == "answered" else callee.status
        params = call.params(
            CallStatus=status,
            CallbackSource="call-progress-events",
            SequenceNumber=str(sequence),
            Timestamp=email.utils.format_datetime(self.clock()),
        )
        if event == "completed":
            params["CallDuration"] = str(self._duration(callee))
        return Webhook(callee.status_callback, params, Purpose.status, call.sid)

    def _duration(self, callee: Callee) -> int:
        if callee.answered_at is None:
            return 0
        return int((self.clock() - callee.answered_at).total_seconds())


def _hung_up(callee: Callee) -> str:
    """The status of a leg Twilio hangs up: "canceled" while it rang, else "completed"."""
    return "canceled" if callee.status == "ringing" else "completed"


def _outcome(ring: Ring) -> tuple[str, Callee]:
    if ring.bridged is not None:
        return "completed", ring.bridged
    ranked = sorted(
        ring.callees,
        key=lambda c: OUTCOMES.index("completed" if c.answered_at else c.status),
    )
    callee = ranked[0]
    return ("completed" if callee.answered_at else callee.status), callee
