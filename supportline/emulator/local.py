"""The engine in the server's own process: phones that dial it, phones its ``<Dial><Number>``
rings, and the ``ConferenceControl`` the server uses to act on its conferences. Tests and the
benchmark's reference runs use it; the terminal phone uses the same engine in a process of its
own (``supportline.emulator.server``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from conference.providers import ControlRejected, ParticipantGone
from helpline.providers import Audio, RecordingGone
from supportline.emulator.delivery import Courier, Mode, Transport
from supportline.emulator.dialing import Phone, Pickup
from supportline.emulator.engine import Call, Engine, Stage
from supportline.emulator.hooks import TwilioError, Webhook
from supportline.emulator.rooms import Conference, Leg


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Twilio's REST errors as the server's provider sees them (conference.providers)."""
    try:
        yield
    except TwilioError as error:
        if error.code == 20404:
            raise ParticipantGone(f"{what}: not found at Twilio") from error
        raise ControlRejected(f"{what}: Twilio refused (error {error.code})") from error


@dataclass
class Handset:
    """A phone on a call: what it heard, and the keys it presses."""

    twilio: LocalTwilio
    call: Call

    @property
    def sid(self) -> str:
        return self.call.sid

    def params(self, **extra: str) -> dict[str, str]:
        """The parameters Twilio sends with this call's requests."""
        return self.call.params(**extra)

    @property
    def state(self) -> Stage:
        return self.call.stage

    @property
    def spoken(self) -> list[str]:
        return self.call.spoken

    @property
    def said(self) -> str:
        return self.call.said

    @property
    def heard(self) -> list[str]:
        return self.call.heard

    @property
    def leg(self) -> Leg | None:
        conference = self.twilio.engine.rooms.of_call(self.sid)
        return None if conference is None else conference.legs[self.sid]

    @property
    def room(self) -> str | None:
        return None if self.leg is None else self.leg.room

    @property
    def label(self) -> str | None:
        return None if self.leg is None else self.leg.label

    @property
    def moderator(self) -> bool:
        return self.leg is not None and self.leg.start_on_enter

    @property
    def music_loops(self) -> bool:
        return self.leg is not None and self.leg.music_loops

    @property
    def time_limit(self) -> int | None:
        """The ``<Dial timeLimit>`` of the leg in the conference, in seconds."""
        dial = self.call.dial
        return None if dial is None else int(dial.get("timeLimit", "14400"))

    def press(self, digits: str) -> Handset:
        """Type digits (a trailing ``#`` ends the input) at the pending ``<Gather>``, or end a
        ``<Record>`` with one of its ``finishOnKey`` keys."""
        assert self.state in (Stage.gathering, Stage.recording), f"not gathering: {self.state}"
        self.twilio.courier.run(self.twilio.engine.press(self.sid, digits))
        return self

    def stay_silent(self) -> Handset:
        """Type nothing: the Gather times out."""
        assert self.state is Stage.gathering, f"not gathering: {self.state}"
        self.twilio.courier.run(self.twilio.engine.silence(self.sid))
        return self

    def speak(self, *, speaking: bool = True) -> None:
        self.twilio.courier.run(self.twilio.engine.speak(self.sid, speaking=speaking))

    def hang_up(self, *, heard_by_server: bool = True) -> None:
        """Put the phone down. ``heard_by_server=False``: the callbacks it causes are still on
        their way when the server next acts (Twilio then answers 20404 for this call)."""
        hooks = self.twilio.engine.hang_up(self.sid)
        if heard_by_server:
            self.twilio.courier.run(hooks)
        else:
            self.twilio.courier.pending += hooks


@dataclass
class Receiver:
    """A phone a ``<Dial><Number>`` rings: what its screen shows, what it heard, what it does.

    Its properties describe its latest call (None or empty before any rang it)."""

    twilio: LocalTwilio
    number: str

    @property
    def phone(self) -> Phone:
        return self.twilio.engine.phone(self.number)

    @property
    def call(self) -> Call | None:
        return self.phone.calls[-1] if self.phone.calls else None

    @property
    def ringing(self) -> bool:
        return self.call is not None and self.call.stage is Stage.ringing

    @property
    def caller_id(self) -> str | None:
        """The number its screen showed for the latest call that rang it."""
        return self.phone.screen[-1] if self.phone.screen else None

    @property
    def screen(self) -> list[str]:
        """The caller ID of every call that rang it, in order."""
        return self.phone.screen

    @property
    def state(self) -> Stage | None:
        return None if self.call is None else self.call.stage

    @property
    def status(self) -> str | None:
        """The latest leg's Call resource status: ringing, in-progress, completed, busy,
        no-answer, canceled or failed."""
        legs = self.twilio.engine.dialing.legs
        return None if self.call is None else legs[self.call.sid][1].status

    @property
    def heard(self) -> list[str]:
        return [] if self.call is None else self.call.heard

    @property
    def spoken(self) -> list[str]:
        return [] if self.call is None else self.call.spoken

    @property
    def said(self) -> str:
        return "" if self.call is None else self.call.said

    def _sid(self) -> str:
        assert self.call is not None, f"nothing rang {self.number}"
        return self.call.sid

    def answer(self) -> Receiver:
        """Pick up the ringing call: its whisper runs, or it is connected."""
        assert self.ringing, f"not ringing: {self.state}"
        self.twilio.courier.run(self.twilio.engine.pick_up(self._sid()))
        return self

    def decline(self) -> None:
        """Reject the ringing call (Twilio hears busy)."""
        assert self.ringing, f"not ringing: {self.state}"
        self.twilio.courier.run(self.twilio.engine.decline(self._sid()))

    def press(self, digits: str) -> Receiver:
        """Type digits at the whisper's pending ``<Gather>``."""
        assert self.state is Stage.gathering, f"not gathering: {self.state}"
        self.twilio.courier.run(self.twilio.engine.press(self._sid(), digits))
        return self

    def stay_silent(self) -> Receiver:
        """Type nothing: the whisper's Gather times out."""
        assert self.state is Stage.gathering, f"not gathering: {self.state}"
        self.twilio.courier.run(self.twilio.engine.silence(self._sid()))
        return self

    def hang_up(self) -> None:
        """Put the phone down: during the whisper the caller is not connected (the other
        numbers ring on); once connected, the caller's Dial is over."""
        self.twilio.courier.run(self.twilio.engine.hang_up(self._sid()))


class LocalTwilio:
    """Twilio for one process: dial lines, and act on conferences as the server asks."""

    def __init__(
        self,
        transport: Transport,
        *,
        auth_token: str,
        voice_url: str,
        clock: Callable[[], datetime] | None = None,
        mode: Mode = Mode.in_order,
    ) -> None:
        self.engine = Engine(voice_url=voice_url, clock=clock)
        self.courier = Courier(self.engine, transport, auth_token, mode)
        self.actions: list[tuple[str, ...]] = []  # what the server asked, for the tests to read
        self.handsets: list[Handset] = []

    @property
    def sent(self) -> list[Webhook]:
        return self.courier.sent

    @property
    def twiml(self) -> list[str]:
        """Every answer the server gave, in order."""
        return self.courier.answers

    @property
    def calls(self) -> list[Handset]:
        return self.handsets

    def post(self, url: str, params: dict[str, str]) -> str:
        """A request of the test's own making, signed as Twilio signs (a late or crafted
        callback); the answer is returned, not followed."""
        return self.courier.transport(url, params, self.courier.signature(url, params))

    def conference_named(self, name: str) -> Conference | None:
        return self.engine.conference_named(name)

    def dial(self, to: str, caller: str) -> Handset:
        call, hooks = self.engine.dial(to, caller)
        handset = Handset(self, call)
        self.handsets.append(handset)
        self.courier.run(hooks)
        return handset

    def phone(
        self, number: str, *, pickup: Pickup = Pickup.person, call_waiting: bool = False
    ) -> Receiver:
        """The phone of ``number``, as ``<Dial><Number>`` finds it: a person who answers when
        the test says (else it rings out), a voicemail that answers at once and presses
        nothing, a busy line, or no such number; while on another call it is busy unless it
        has call waiting."""
        phone = self.engine.phone(number)
        phone.pickup, phone.call_waiting = pickup, call_waiting
        return Receiver(self, number)

    def room_of(self, handset: Handset) -> Conference:
        conference = self.engine.rooms.of_call(handset.sid)
        assert conference is not None, f"{handset.sid} is in no conference"
        return conference

    def deliver(self) -> None:
        """What the REST calls caused, and what the clock brought, after the server's request."""
        self.courier.deliver()

    def settle(self) -> None:
        self.courier.settle()

    # --- ConferenceControl ------------------------------------------------------------------

    def set_muted(self, conference_sid: str, call_sid: str, *, muted: bool) -> None:
        self.actions.append(("mute" if muted else "unmute", call_sid))
        with _translated("mute"):
            hooks = self.engine.update_participant(conference_sid, call_sid, muted=muted)
        self.courier.caused_by_rest(hooks)

    def set_hold(self, conference_sid: str, call_sid: str, *, hold: bool) -> None:
        self.actions.append(("hold" if hold else "resume", call_sid))
        with _translated("hold"):
            hooks = self.engine.update_participant(conference_sid, call_sid, hold=hold)
        self.courier.caused_by_rest(hooks)

    def remove(self, conference_sid: str, call_sid: str) -> None:
        self.actions.append(("remove", call_sid))
        with _translated("remove"):
            hooks = self.engine.remove_participant(conference_sid, call_sid)
        self.courier.caused_by_rest(hooks)

    def announce(self, conference_sid: str, url: str) -> None:
        self.actions.append(("announce", url))
        with _translated("announce"):
            hooks = self.engine.announce(conference_sid, url)
        self.courier.caused_by_rest(hooks)

    def end(self, conference_sid: str) -> None:
        self.actions.append(("end", conference_sid))
        with _translated("end"):
            hooks = self.engine.end_conference(conference_sid)
        self.courier.caused_by_rest(hooks)

    def set_time_limit(self, call_sid: str, seconds: int) -> None:
        self.actions.append(("time_limit", call_sid, str(seconds)))
        with _translated("time limit"):
            self.engine.update_call(call_sid, time_limit=seconds)

    # --- Recordings (helpline.providers) ----------------------------------------------------

    def fetch(self, recording_sid: str) -> Audio:
        """A recording's audio, as ``GET …/Recordings/{sid}.wav`` answers it."""
        self.actions.append(("fetch_recording", recording_sid))
        try:
            return Audio(self.engine.recording(recording_sid).media, "audio/wav")
        except TwilioError as error:
            raise RecordingGone("fetch recording: not found at Twilio") from error

    def delete(self, recording_sid: str) -> None:
        self.actions.append(("delete_recording", recording_sid))
        try:
            self.engine.delete_recording(recording_sid)
        except TwilioError as error:
            raise RecordingGone("delete recording: not found at Twilio") from error
