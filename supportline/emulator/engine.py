"""Calls as Twilio runs them: the TwiML a call executes, its Gather, Redirect, Dial and hang-up.

No I/O happens here. Each step returns the webhooks Twilio would request now (``Webhook``); a
driver posts them, signed, and hands each answer back to :meth:`Engine.answer`. Conferences and
their rules are in ``supportline.emulator.rooms``; ``<Dial><Number>``, the legs it places and the
phones they ring in ``supportline.emulator.dialing``; the REST side (what the server asks Twilio to
do) in :class:`Engine` methods named after the resources.

Each rule names the documentation page it comes from.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from supportline.emulator.calls import MAX_CALL_SECONDS, Call, Stage
from supportline.emulator.dialing import WHISPER_VERBS, Dialing, Phone
from supportline.emulator.hooks import Purpose, TwilioError, Webhook, new_sid, not_found
from supportline.emulator.recorder import Recorder, Recording
from supportline.emulator.rooms import Conference, Leg, Rooms

__all__ = ["Call", "Engine", "Phone", "Stage"]

MAX_DOCUMENT_STEPS = 50  # a Redirect loop without end is the server's fault: it is reported


SOUNDS = frozenset({"Say", "Play", "Pause"})


Step = Callable[[Call, ET.Element, list[ET.Element]], list[Webhook]]


class Engine:
    """Twilio's voice side for one account: calls, conferences, REST updates, callbacks.

    Thread-safe: every public method holds the engine's lock; webhooks are returned, never
    posted while it is held.
    """

    def __init__(self, *, voice_url: str, clock: Callable[[], datetime] | None = None) -> None:
        """``voice_url``: the number's "a call comes in" URL (every line has the same one)."""
        self.voice_url = voice_url
        self.clock = clock or (lambda: datetime.now(UTC))
        self.calls: dict[str, Call] = {}
        self.rooms = Rooms(self._leg_left, self.clock)
        self.errors: list[str] = []  # what Twilio's debugger would show (error codes, no data)
        self.dialing = Dialing(self.calls, self.clock, self._dial_ended, self.errors)
        self.recorder = Recorder(self.clock)
        self.lock = threading.RLock()
        self._steps: dict[str, Step] = {
            "Gather": self._gather,
            "Record": self._record,
            "Redirect": self._redirect,
            "Hangup": self._hangup,
            "Dial": self._dial,
        }

    # --- the phone network side ---------------------------------------------------------------

    def dial(self, to: str, caller: str) -> tuple[Call, list[Webhook]]:
        """A call comes in: Twilio requests the number's Voice URL."""
        with self.lock:
            call = Call(new_sid("CA"), caller, to, self.clock())
            self.calls[call.sid] = call
            call.stage = Stage.talking
            hook = Webhook(
                self.voice_url, call.params(CallStatus="ringing"), Purpose.voice, call.sid
            )
            return call, [hook]

    def press(self, call_sid: str, digits: str) -> list[Webhook]:
        """Keys typed at a ``<Gather>``; a trailing ``#`` (its finishOnKey) ends the input."""
        with self.lock:
            call = self.calls[call_sid]
            if call.stage is Stage.recording:
                key = self.recorder.finish_key(call, digits)
                return [] if key is None else self._recorded(call, key)
            if call.stage is not Stage.gathering or call.gather is None:
                return []  # keys pressed outside a Gather go nowhere
            gather, call.gather = call.gather, None
            finish = gather.get("finishOnKey", "#")
            typed = digits[: digits.index(finish)] if finish and finish in digits else digits
            if not typed and gather.get("actionOnEmptyResult", "false") != "true":
                # No digits: "Twilio will fall through to the next verb" unless
                # actionOnEmptyResult (https://www.twilio.com/docs/voice/twiml/gather#action).
                return self._run(call, call.rest)
            call.stage = Stage.talking
            params = call.params(Digits=typed, FinishedOnKey=finish if finish in digits else "")
            return [self._action(call, gather, params)]

    def silence(self, call_sid: str) -> list[Webhook]:
        """The caller types nothing: the Gather times out and the call goes on after it."""
        return self.press(call_sid, "")

    def hang_up(self, call_sid: str) -> list[Webhook]:
        """The caller hangs up. A Dial in progress still requests its action URL
        (https://www.twilio.com/docs/voice/twiml/dial#action), with ``CallStatus=completed``."""
        with self.lock:
            call = self.calls[call_sid]
            if call.stage is Stage.ended:
                return []
            in_room = call.stage is Stage.in_conference
            recording = call.stage is Stage.recording
            call.stage = Stage.ended
            call.hear("[hung up]")
            hooks = self.rooms.leave(call.sid, "participant_hung_up") if in_room else []
            if recording:  # the action is still requested, its TwiML ignored
                hooks += self._recorded(call, "hangup")
            return hooks + self.dialing.ended(call)

    def speak(self, call_sid: str, *, speaking: bool = True) -> list[Webhook]:
        """The caller starts (or stops) talking in the conference."""
        with self.lock:
            return self.rooms.speech(call_sid, speaking=speaking)

    def phone(self, number: str) -> Phone:
        """The phone of that number, as a ``<Dial><Number>`` will find it (set how it answers)."""
        with self.lock:
            return self.dialing.phone(number)

    def pick_up(self, call_sid: str) -> list[Webhook]:
        """The phone a ``<Dial><Number>`` leg rings answers it."""
        with self.lock:
            return self.dialing.pick_up(call_sid)

    def decline(self, call_sid: str) -> list[Webhook]:
        """The phone a leg rings rejects it: Twilio hears busy."""
        with self.lock:
            return self.dialing.decline(call_sid)

    def answer(self, hook: Webhook, twiml: str) -> list[Webhook]:
        """The server answered ``hook``: the call goes on with the document it returned."""
        with self.lock:
            if hook.purpose is Purpose.announce:
                return self.rooms.announced(hook, _document(twiml, self.errors))
            if hook.purpose is Purpose.status or hook.call_sid is None:
                return []
            call = self.calls[hook.call_sid]
            verbs = _document(twiml, self.errors)
            if hook.purpose is Purpose.wait:
                return self.rooms.wait_document(call.sid, verbs, call)
            if call.stage is Stage.ended:
                return []  # a hung-up call's action: "Twilio ignores the TwiML" (Dial action)
            call.documents += 1
            if call.documents > MAX_DOCUMENT_STEPS:
                self.errors.append("too many documents in one call")
                return self._end(call)
            return self._run(call, verbs)

    def unreachable(self, hook: Webhook) -> list[Webhook]:
        """The server did not answer ``hook`` with a 2xx (error 11200). A call waiting for the
        document hears Twilio's application error message and ends, as without a fallback URL
        (https://www.twilio.com/docs/usage/security/availability-reliability); a wait document
        that does not come leaves silence; a callback is only noted in the debugger."""
        with self.lock:
            self.errors.append(f"11200 HTTP retrieval failure ({hook.purpose})")
            if hook.purpose in (Purpose.status, Purpose.announce) or hook.call_sid is None:
                return []
            call = self.calls[hook.call_sid]
            if hook.purpose is Purpose.wait:
                call.hear("[silence]")
                return []
            if call.stage is Stage.ended:
                return []
            call.hear("[an application error has occurred]")
            return self._end(call)

    def advance(self) -> list[Webhook]:
        """Time has passed (the clock): Dial time limits, the calls' own limits, waiting music."""
        with self.lock:
            now = self.clock()
            hooks: list[Webhook] = []
            for call in list(self.calls.values()):
                if call.stage is Stage.ended:
                    continue
                if call.stage is Stage.recording and self.recorder.over(call, now):
                    hooks += self._recorded(call, "")
                if now >= call.started_at + timedelta(
                    seconds=min(call.time_limit, MAX_CALL_SECONDS)
                ):
                    hooks += self._cut_off(call)
            hooks += self.rooms.advance(now)
            return hooks + self.dialing.advance(now)

    # --- executing TwiML ---------------------------------------------------------------------

    def _run(self, call: Call, verbs: list[ET.Element]) -> list[Webhook]:
        """Execute verbs until one waits (Gather, Dial, Record) or asks for a new document."""
        for index, verb in enumerate(verbs):
            if call.dialled and verb.tag not in WHISPER_VERBS:
                # "The url attribute does not support any other TwiML verbs"
                # (https://www.twilio.com/docs/voice/twiml/number#attributes-url)
                self.errors.append(f"{verb.tag} is not allowed in a <Number url> document")
                return self._end(call)
            if verb.tag in SOUNDS:
                _sound(call, verb)
                continue
            step = self._steps.get(verb.tag)
            if step is None:
                self.errors.append(f"12100 unknown verb {verb.tag}")
                return self._end(call)
            return step(call, verb, verbs[index + 1 :])
        if call.dialled:  # a whisper that ends without hanging up: the parties are connected
            return self.dialing.whispered(call)
        # "If Twilio reaches the end of your TwiML document, it hangs up"
        # (https://www.twilio.com/docs/voice/twiml#twiml-and-the-call-flow).
        return self._end(call)

    def _gather(self, call: Call, verb: ET.Element, rest: list[ET.Element]) -> list[Webhook]:
        for inner in verb:
            if inner.tag in SOUNDS:
                _sound(call, inner)
        call.stage, call.gather, call.rest = Stage.gathering, verb, rest
        return self.silence(call.sid) if call.machine else []  # a voicemail presses nothing

    def _record(self, call: Call, verb: ET.Element, rest: list[ET.Element]) -> list[Webhook]:
        self.recorder.start(call, verb)
        call.stage, call.rest = Stage.recording, rest
        return []

    def _redirect(self, call: Call, verb: ET.Element, rest: list[ET.Element]) -> list[Webhook]:
        # "Redirect transfers control of a call to the TwiML at a different URL"
        # (https://www.twilio.com/docs/voice/twiml/redirect): later verbs never run.
        call.stage = Stage.talking
        return [Webhook(verb.text or "", call.params(), Purpose.action, call.sid)]

    def _hangup(self, call: Call, verb: ET.Element, rest: list[ET.Element]) -> list[Webhook]:
        return self._end(call)

    def _end(self, call: Call) -> list[Webhook]:
        call.stage = Stage.ended
        call.hear("[call ended]")
        return self.dialing.ended(call)

    def _action(self, call: Call, verb: ET.Element, params: dict[str, str]) -> Webhook:
        return Webhook(verb.get("action", ""), params, Purpose.action, call.sid)

    def _recorded(self, call: Call, digits: str) -> list[Webhook]:
        """The ``<Record>`` ended (``supportline.emulator.recorder``): its action, or with
        nothing recorded the next verb; then the recording's status callback."""
        record = call.record
        assert record is not None
        call.record = None
        recording, hooks = self.recorder.finish(call, record, digits)
        if call.stage is Stage.ended:
            return hooks
        call.stage = Stage.talking
        if recording is None:
            return self._run(call, call.rest) + hooks
        return hooks

    def _dial(self, call: Call, dial: ET.Element, rest: list[ET.Element]) -> list[Webhook]:
        call.dial, call.rest = dial, rest
        conference = dial.find("Conference")
        if conference is None:
            if any(noun.tag != "Number" for noun in dial):
                self.errors.append("only <Dial> of <Conference> or <Number>s is emulated")
                return self._dial_over(call, "failed")
            return self.dialing.start(call, dial)
        if not (conference.text or "").strip():
            self.errors.append("13237 a <Conference> needs a name")
            return self._dial_over(call, "failed")
        limit = int(dial.get("timeLimit", str(MAX_CALL_SECONDS)))
        leg = Leg.of(conference, call.sid, call.params(), self.clock(), limit)
        try:
            hooks = self.rooms.join(leg, call)
        except TwilioError as error:
            # Not added (e.g. 16025 duplicate label): the call continues after the Dial,
            # which with an action is the action URL (https://www.twilio.com/docs/api/errors/16025).
            self.errors.append(str(error))
            return self._dial_over(call, "failed")
        call.stage = Stage.in_conference
        return hooks

    def _leg_left(self, call_sid: str, status: str) -> list[Webhook]:
        """A conference leg is over: the Dial's action is requested, or the next verb runs."""
        return self._dial_ended(self.calls[call_sid], status, {})

    def _dial_over(self, call: Call, status: str) -> list[Webhook]:
        return self._dial_ended(call, status, {})

    def _dial_ended(self, call: Call, status: str, extra: dict[str, str]) -> list[Webhook]:
        """The Dial is over: its action is requested (for a caller who hung up too, whose
        answer is ignored: https://www.twilio.com/docs/voice/twiml/dial#action), or without
        one the call goes on with the next verb."""
        dial, call.dial = call.dial, None
        action = dial is not None and bool(dial.get("action"))
        params = call.params(DialCallStatus=status, **extra)
        if call.stage is Stage.ended:
            return [self._action(call, dial, params)] if dial is not None and action else []
        call.stage = Stage.talking
        if dial is not None and action:
            return [self._action(call, dial, params)]
        return self._run(call, call.rest)

    def _cut_off(self, call: Call) -> list[Webhook]:
        """The call reached its own time limit: Twilio hangs it up."""
        call.hear("[cut off: the call's time limit]")
        in_room = call.stage is Stage.in_conference
        call.stage = Stage.ended
        hooks = self.rooms.leave(call.sid, "participant_hung_up") if in_room else []
        return hooks + self.dialing.ended(call)

    # --- the REST side: what the server asks Twilio to do --------------------------------------

    def update_call(self, call_sid: str, *, time_limit: int) -> None:
        """Call resource ``TimeLimit``: the call's maximum duration; counted here from the
        call's start (the documentation does not say; this is the stricter reading)."""
        with self.lock:
            call = self.calls.get(call_sid)
            if call is None or call.stage is Stage.ended:
                raise not_found(f"/Calls/{call_sid}")
            call.time_limit = time_limit

    def recording(self, recording_sid: str) -> Recording:
        """A Recording resource (404, error 20404, once deleted)."""
        with self.lock:
            return self.recorder.get(recording_sid)

    def delete_recording(self, recording_sid: str) -> None:
        with self.lock:
            self.recorder.delete(recording_sid)

    def conference(self, conference_sid: str) -> Conference:
        with self.lock:
            return self.rooms.by_sid(conference_sid)

    def conference_named(self, name: str) -> Conference | None:
        """The conference of that name in progress (or waiting to start), if any."""
        with self.lock:
            return self.rooms.active(name)

    def end_conference(self, conference_sid: str) -> list[Webhook]:
        with self.lock:
            return self.rooms.complete(conference_sid)

    def announce(self, conference_sid: str, url: str) -> list[Webhook]:
        with self.lock:
            return self.rooms.announce(conference_sid, url)

    def update_participant(
        self,
        conference_sid: str,
        call_sid: str,
        *,
        muted: bool | None = None,
        hold: bool | None = None,
    ) -> list[Webhook]:
        with self.lock:
            return self.rooms.update(conference_sid, call_sid, muted=muted, hold=hold)

    def remove_participant(self, conference_sid: str, call_sid: str) -> list[Webhook]:
        with self.lock:
            return self.rooms.remove(conference_sid, call_sid)


def _sound(call: Call, verb: ET.Element) -> None:
    if verb.tag == "Say":
        call.hear(verb.text or "", speech=True)
    else:
        call.hear(f"[{verb.tag.lower()}]")


def _document(twiml: str, errors: list[str]) -> list[ET.Element]:
    """The verbs of a TwiML document; anything else is Twilio's error 12100 and ends the call."""
    try:
        root = ET.fromstring(twiml)  # noqa: S314 - the server under test's own answer
    except ET.ParseError:
        errors.append("12100 document parse failure")
        return [ET.Element("Hangup")]
    if root.tag != "Response":
        errors.append("12100 not a <Response>")
        return [ET.Element("Hangup")]
    return list(root)
