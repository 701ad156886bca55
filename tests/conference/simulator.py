"""A call simulator that plays Twilio against the app.

It dials a line, follows the TwiML the app returns (Say, Play, Pause, Gather, Redirect, Dial,
Hangup), signs every request it sends with ``RequestValidator`` over the public URL, and sends the
conference status callbacks Twilio would send. It is also the ``ConferenceControl`` the app uses
in these tests: moderator actions and lifecycle steps change its conferences, and the callbacks
Twilio would send about them are delivered with :meth:`TwilioSimulator.deliver` (after the app's
own request finished, as with the real Twilio).
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2

from conference.providers import ParticipantGone
from tests.twilio_signing import signature_for

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class SimCall:
    sim: TwilioSimulator
    caller: str
    to: str
    sid: str = field(default_factory=lambda: new_sid("CA"))
    spoken: list[str] = field(default_factory=list)
    state: str = "ringing"  # gathering | in_conference | ended
    gather_action: str | None = None
    after_gather: list[ET.Element] = field(default_factory=list)
    room: str | None = None
    label: str | None = None
    dial_action: str | None = None
    time_limit: int | None = None
    moderator: bool = False
    # While waiting: whether the wait document's music goes on until the conference starts
    # (a <Play loop="0"> or a closing <Redirect>), or stops once played.
    music_loops: bool = False

    @property
    def said(self) -> str:
        return " ".join(self.spoken)

    def params(self, **extra: str) -> dict[str, str]:
        return {
            "AccountSid": ACCOUNT_SID,
            "CallSid": self.sid,
            "From": self.caller,
            "To": self.to,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            "CallStatus": "in-progress",
            **extra,
        }

    def press(self, digits: str) -> SimCall:
        """Type digits and ``#`` at the pending ``<Gather>``."""
        assert self.state == "gathering" and self.gather_action, f"not gathering: {self.state}"
        action, self.gather_action = self.gather_action, None
        self.sim.run(self, self.sim.post(action, self.params(Digits=digits, FinishedOnKey="#")))
        return self

    def stay_silent(self) -> SimCall:
        """Let the ``<Gather>`` time out: Twilio goes on with the verbs after it."""
        assert self.state == "gathering"
        self.gather_action = None
        self.sim.execute(self, self.after_gather)
        return self

    def hang_up(self) -> None:
        if self.state == "in_conference" and self.room is not None:
            self.sim.conferences[self.room].leave(self)
            self.sim.post(self.dial_action or "", self.params(CallStatus="completed"))
        self.state = "ended"


@dataclass
class SimConference:
    sim: TwilioSimulator
    name: str
    status_callback: str
    sid: str = field(default_factory=lambda: new_sid("CF"))
    started: bool = False
    ended: bool = False
    calls: dict[str, SimCall] = field(default_factory=dict)
    sequence: int = 0

    def event(self, name: str, call: SimCall | None = None, **extra: str) -> None:
        self.sequence += 1
        params = {
            "AccountSid": ACCOUNT_SID,
            "ConferenceSid": self.sid,
            "FriendlyName": self.name,
            "StatusCallbackEvent": name,
            "SequenceNumber": str(self.sequence),
            "Timestamp": "Mon, 02 Mar 2026 19:00:00 +0000",
            **extra,
        }
        if call is not None:
            params.update(
                CallSid=call.sid,
                ParticipantLabel=call.label or "",
                Coaching="false",
                EndConferenceOnExit="false",
                StartConferenceOnEnter="true" if call.moderator else "false",
            )
        self.sim.post(self.status_callback, params)

    def join(self, call: SimCall, wait_url: str) -> None:
        self.calls[call.sid] = call
        # "Conferences will not start until at least two participants join", one of them with
        # startConferenceOnEnter (https://www.twilio.com/docs/voice/twiml/conference).
        if (
            not self.started
            and len(self.calls) >= 2
            and any(c.moderator for c in self.calls.values())
        ):
            self.started = True
            self.event("conference-start")
        self.event("participant-join", call, Muted="false", Hold="false")
        if not self.started:
            # The wait document runs once: "Once the TwiML document located at the waitUrl runs
            # out of verbs to execute, silence will be played" (same page); a <Play> plays once
            # unless its loop says otherwise (https://www.twilio.com/docs/voice/twiml/play).
            twiml = ET.fromstring(call.sim.post(wait_url, call.params(ConferenceSid=self.sid)))
            call.spoken.extend(say.text or "" for say in twiml.iter("Say"))
            verbs = list(twiml)
            call.music_loops = any(play.get("loop") == "0" for play in twiml.iter("Play")) or (
                bool(verbs) and verbs[-1].tag == "Redirect"
            )

    def leave(self, call: SimCall) -> None:
        if self.calls.pop(call.sid, None) is None:
            return
        self.event("participant-leave", call, Muted="false", Hold="false")
        if not self.calls and self.started and not self.ended:
            self.ended = True  # the last one out: Twilio ends the conference
            self.event("conference-end")

    def finish(self) -> None:
        """Twilio ends the conference: everyone leaves and their calls go on after ``<Dial>``."""
        self.ended = True
        for call in list(self.calls.values()):
            self.leave(call)
            self.sim.after_dial(call)
        self.event("conference-end")


class TwilioSimulator:
    """Twilio, as far as the app can tell: calls, conferences, REST controls, callbacks."""

    def __init__(
        self,
        client: httpx2.Client,
        base_url: str = "https://line.example.org",
        auth_token: str | None = None,
    ) -> None:
        """``client`` is the app's TestClient, or an HTTP client for a server on loopback (then
        ``auth_token`` is its Twilio auth token, which the signatures use)."""
        self.client = client
        self.base_url = base_url
        self.auth_token = auth_token
        self.conferences: dict[str, SimConference] = {}
        self.calls: list[SimCall] = []
        self.sent: list[tuple[str, dict[str, str]]] = []
        self.twiml: list[str] = []
        self.actions: list[tuple[str, ...]] = []
        self.gone: set[str] = set()
        self._pending: list[Callable[[], None]] = []

    # --- the phone network side -----------------------------------------------------------

    def post(self, url: str, params: dict[str, str]) -> str:
        """A signed webhook request, exactly as Twilio signs it; the app must answer 200."""
        self.sent.append((url, params))
        headers = {"X-Twilio-Signature": signature_for(url, params, self.auth_token)}
        response = self.client.post(url, data=params, headers=headers)
        assert response.status_code == 200, (url, response.status_code, response.text)
        self.twiml.append(response.text)
        return response.text

    def dial(self, to: str, caller: str) -> SimCall:
        call = SimCall(self, caller=caller, to=to)
        self.calls.append(call)
        self.run(
            call, self.post(f"{self.base_url}/twilio/voice", call.params(CallStatus="ringing"))
        )
        return call

    def run(self, call: SimCall, twiml: str) -> None:
        root = ET.fromstring(twiml)
        assert root.tag == "Response", twiml
        self.execute(call, list(root))

    def execute(self, call: SimCall, verbs: list[ET.Element]) -> None:
        for index, verb in enumerate(verbs):
            if verb.tag == "Say":
                call.spoken.append(verb.text or "")
            elif verb.tag == "Gather":
                call.spoken.extend(say.text or "" for say in verb.iter("Say"))
                call.state = "gathering"
                call.gather_action = verb.get("action")
                call.after_gather = verbs[index + 1 :]
                return
            elif verb.tag == "Redirect":
                self.run(call, self.post(verb.text or "", call.params()))
                return
            elif verb.tag == "Hangup":
                call.state = "ended"
                return
            elif verb.tag == "Dial":
                self._dial_conference(call, verb)
                return
        call.state = "ended"  # the end of the document hangs up

    def _dial_conference(self, call: SimCall, dial: ET.Element) -> None:
        conference = dial.find("Conference")
        assert conference is not None and conference.text
        call.room = conference.text
        call.label = conference.get("participantLabel")
        call.moderator = conference.get("startConferenceOnEnter") == "true"
        call.dial_action = dial.get("action")
        call.time_limit = int(dial.get("timeLimit", "14400"))
        call.state = "in_conference"
        room = self.conferences.get(call.room)
        if room is None or room.ended:
            room = SimConference(self, call.room, conference.get("statusCallback", ""))
            self.conferences[call.room] = room
        room.join(call, conference.get("waitUrl", ""))

    def after_dial(self, call: SimCall) -> None:
        """The caller is still on the line after ``<Dial>`` ended: Twilio asks the action URL."""
        call.state = "ringing"
        self.run(call, self.post(call.dial_action or "", call.params()))

    def time_limit_reached(self, call: SimCall) -> None:
        """The ``<Dial timeLimit>`` expired: the leg leaves the room; the call goes on."""
        assert call.room is not None
        self.conferences[call.room].leave(call)
        self.after_dial(call)

    def room_of(self, call: SimCall) -> SimConference:
        assert call.room is not None
        return self.conferences[call.room]

    # --- ConferenceControl: what the app asks Twilio's REST API to do ---------------------------

    def _conference(self, sid: str) -> SimConference:
        for conference in self.conferences.values():
            if conference.sid == sid and not conference.ended and sid not in self.gone:
                return conference
        raise ParticipantGone("conference not found")

    def _participant(self, conference_sid: str, call_sid: str) -> tuple[SimConference, SimCall]:
        conference = self._conference(conference_sid)
        call = conference.calls.get(call_sid)
        if call is None or call_sid in self.gone:
            raise ParticipantGone("participant not found")
        return conference, call

    def set_muted(self, conference_sid: str, call_sid: str, *, muted: bool) -> None:
        conference, call = self._participant(conference_sid, call_sid)
        self.actions.append(("mute" if muted else "unmute", call_sid))
        event = "participant-mute" if muted else "participant-unmute"
        self._pending.append(lambda: conference.event(event, call, Muted=str(muted).lower()))

    def set_hold(self, conference_sid: str, call_sid: str, *, hold: bool) -> None:
        conference, call = self._participant(conference_sid, call_sid)
        self.actions.append(("hold" if hold else "resume", call_sid))
        event = "participant-hold" if hold else "participant-unhold"
        self._pending.append(lambda: conference.event(event, call, Hold=str(hold).lower()))

    def remove(self, conference_sid: str, call_sid: str) -> None:
        conference, call = self._participant(conference_sid, call_sid)
        self.actions.append(("remove", call_sid))

        def removed() -> None:
            conference.leave(call)
            self.after_dial(call)

        self._pending.append(removed)

    def announce(self, conference_sid: str, url: str) -> None:
        conference = self._conference(conference_sid)
        self.actions.append(("announce", url))

        def play() -> None:
            twiml = self.post(url, {"AccountSid": ACCOUNT_SID, "ConferenceSid": conference.sid})
            said = [say.text or "" for say in ET.fromstring(twiml).iter("Say")]
            for call in conference.calls.values():
                call.spoken.extend(said)

        self._pending.append(play)

    def end(self, conference_sid: str) -> None:
        conference = self._conference(conference_sid)
        self.actions.append(("end", conference_sid))
        self._pending.append(conference.finish)

    def set_time_limit(self, call_sid: str, seconds: int) -> None:
        self.actions.append(("time_limit", call_sid, str(seconds)))

    def deliver(self) -> None:
        """Send the callbacks and requests Twilio makes after the REST actions it was asked for."""
        while self._pending:
            self._pending.pop(0)()
