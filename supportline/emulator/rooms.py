"""Conferences as Twilio keeps them: who is in, when one starts and ends, what each one hears,
and the status callbacks it sends.

The rules, each from the documentation page named beside it:
- A conference starts once at least two participants are in and one of them has
  ``startConferenceOnEnter`` (TwiML ``<Conference>``,
  https://www.twilio.com/docs/voice/twiml/conference#attributes-startConferenceOnEnter); until
  then each participant hears its wait URL's document, which runs once ("Once the TwiML document
  located at the waitUrl runs out of verbs to execute, silence will be played", same page, waitUrl)
  and may hold only Play, Say, Pause and Redirect (error 13238).
- ``statusCallback`` and ``statusCallbackEvent`` are taken from the first participant to join;
  only the events named are sent (same page, statusCallbackEvent).
- ``participantLabel`` is unique within a conference (error 16025) and at most 128 characters;
  the conference's name too is at most 128 (error 13237).
- The conference ends when its last participant leaves, when one with ``endConferenceOnExit``
  leaves, or when the REST API completes it
  (https://www.twilio.com/docs/voice/api/conference-resource#update-a-conference-resource); each
  leg then leaves and its ``<Dial>`` ends.
- Status callbacks carry ``SequenceNumber`` in the order the events fired
  (https://www.twilio.com/docs/voice/twiml/conference#statuscallbackevent); they are separate
  requests and may arrive in any order (the delivery modes in ``supportline.emulator.delivery``).
"""

from __future__ import annotations

import email.utils
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from supportline.emulator.hooks import (
    ACCOUNT_SID,
    Purpose,
    TwilioError,
    Webhook,
    new_sid,
    not_found,
)

MAX_NAME = 128
WAIT_VERBS = frozenset({"Play", "Say", "Pause", "Redirect"})
EVENT_OF = {  # statusCallbackEvent word → the events it subscribes to
    "start": ("conference-start",),
    "end": ("conference-end",),
    "join": ("participant-join",),
    "leave": ("participant-leave",),
    "mute": ("participant-mute", "participant-unmute"),
    "hold": ("participant-hold", "participant-unhold"),
    "speaker": ("participant-speech-start", "participant-speech-stop"),
    "announcement": ("announcement-end", "announcement-fail"),
}


class Ear(Protocol):
    def hear(self, what: str, *, speech: bool = False) -> None: ...


def _flag(element: ET.Element, name: str, default: bool) -> bool:
    return element.get(name, "true" if default else "false") == "true"


@dataclass
class Leg:
    """A participant: one call's ``<Dial><Conference>``."""

    call_sid: str
    room: str
    label: str
    start_on_enter: bool
    end_on_exit: bool
    muted: bool
    wait_url: str
    status_callback: str
    events: frozenset[str]
    ends_at: datetime  # the Dial's timeLimit
    call_params: dict[str, str]
    hold: bool = False
    wait_redirect: str | None = None  # a wait document's closing Redirect, fetched on
    music_loops: bool = False

    @classmethod
    def of(
        cls, noun: ET.Element, call_sid: str, params: dict[str, str], now: datetime, limit: int
    ) -> Leg:
        events = frozenset(
            name for word in noun.get("statusCallbackEvent", "").split() for name in EVENT_OF[word]
        )
        return cls(
            call_sid=call_sid,
            room=(noun.text or "").strip(),
            label=noun.get("participantLabel", ""),
            start_on_enter=_flag(noun, "startConferenceOnEnter", True),
            end_on_exit=_flag(noun, "endConferenceOnExit", False),
            muted=_flag(noun, "muted", False),
            # the default wait URL is Twilio's hold music; only the document's shape matters here
            wait_url=noun.get("waitUrl", ""),
            status_callback=noun.get("statusCallback", ""),
            events=events,
            ends_at=now + timedelta(seconds=limit),
            call_params=params,
        )


@dataclass
class Conference:
    sid: str
    name: str
    status_callback: str
    events: frozenset[str]
    status: str = "init"  # init (waiting) | in-progress | completed
    legs: dict[str, Leg] = field(default_factory=dict)
    sequence: int = 0
    created_at: datetime | None = None
    ended_by: str = ""  # ReasonConferenceEnded, once completed

    @property
    def started(self) -> bool:
        return self.status == "in-progress"

    @property
    def ended(self) -> bool:
        return self.status == "completed"

    def labels(self) -> set[str]:
        return {leg.label for leg in self.legs.values() if leg.label}


class Rooms:
    """Every conference of the account, by SID; at most one in progress per name."""

    def __init__(
        self, leg_left: Callable[[str, str], list[Webhook]], clock: Callable[[], datetime]
    ) -> None:
        self.leg_left = leg_left  # the Dial of this call is over (call SID, DialCallStatus)
        self.clock = clock
        self.conferences: dict[str, Conference] = {}
        self.ears: dict[str, Ear] = {}

    def by_sid(self, sid: str) -> Conference:
        conference = self.conferences.get(sid)
        if conference is None or conference.status == "completed":
            raise not_found(f"/Conferences/{sid}")
        return conference

    def active(self, name: str) -> Conference | None:
        for conference in self.conferences.values():
            if conference.name == name and conference.status != "completed":
                return conference
        return None

    def of_call(self, call_sid: str) -> Conference | None:
        for conference in self.conferences.values():
            if call_sid in conference.legs:
                return conference
        return None

    # --- joining and leaving -------------------------------------------------------------------

    def join(self, leg: Leg, ear: Ear) -> list[Webhook]:
        if not leg.room or len(leg.room) > MAX_NAME:
            raise TwilioError(13237, "Conference name must be 1 to 128 characters")
        if len(leg.label) > MAX_NAME:
            raise TwilioError(16023, "participantLabel is longer than 128 characters")
        conference = self.active(leg.room)
        if conference is None:
            conference = Conference(
                new_sid("CF"), leg.room, leg.status_callback, leg.events, created_at=self.clock()
            )
            self.conferences[conference.sid] = conference
        if leg.label and leg.label in conference.labels():
            raise TwilioError(16025, "participantLabel already in use in this conference")
        conference.legs[leg.call_sid] = leg
        self.ears[leg.call_sid] = ear
        hooks = [self._event(conference, "participant-join", leg)]
        if self._may_start(conference):
            conference.status = "in-progress"
            hooks.append(self._event(conference, "conference-start"))
            for other in conference.legs.values():
                other.music_loops, other.wait_redirect = False, None
                self.ears[other.call_sid].hear("[the conference starts]")
        elif conference.status == "init":
            ear.hear("[waiting]")
            hooks.append(self._wait_request(conference, leg))
        else:
            ear.hear("[in the conference]")
        return [hook for hook in hooks if hook is not None]

    def _may_start(self, conference: Conference) -> bool:
        legs = conference.legs.values()
        return (
            conference.status == "init"
            and len(conference.legs) >= 2
            and any(leg.start_on_enter for leg in legs)
        )

    def leave(self, call_sid: str, reason: str, *, by_rest: bool = False) -> list[Webhook]:
        conference = self.of_call(call_sid)
        if conference is None:
            return []
        leg = conference.legs.pop(call_sid)
        self.ears.pop(call_sid, None)
        hooks = [self._event(conference, "participant-leave", leg, ReasonParticipantLeft=reason)]
        hooks += self.leg_left(call_sid, "completed")
        if conference.status != "completed" and (leg.end_on_exit or not conference.legs):
            hooks += self._finish(
                conference,
                "participant-with-end-conference-on-exit-left"
                if leg.end_on_exit
                else "last-participant-left",
            )
        return _marked([hook for hook in hooks if hook is not None], by_rest)

    def _finish(self, conference: Conference, reason: str) -> list[Webhook]:
        conference.status, conference.ended_by = "completed", reason
        hooks: list[Webhook | None] = []
        for call_sid in list(conference.legs):
            leg = conference.legs.pop(call_sid)
            self.ears.pop(call_sid).hear("[the conference ends]")
            hooks.append(
                self._event(
                    conference, "participant-leave", leg, ReasonParticipantLeft="conference_ended"
                )
            )
            hooks += self.leg_left(call_sid, "completed")
        hooks.append(self._event(conference, "conference-end", ReasonConferenceEnded=reason))
        return [hook for hook in hooks if hook is not None]

    # --- waiting ---------------------------------------------------------------------------------

    def _wait_request(self, conference: Conference, leg: Leg) -> Webhook | None:
        if not leg.wait_url:
            leg.music_loops = True  # Twilio's own hold music loops
            return None
        return Webhook(
            leg.wait_url, dict(leg.call_params), Purpose.wait, leg.call_sid, conference.sid
        )

    def wait_document(self, call_sid: str, verbs: list[ET.Element], ear: Ear) -> list[Webhook]:
        """Play the wait document once, as Twilio does; a closing ``<Redirect>`` asks again
        later (on the next :meth:`advance`), a ``<Play loop="0">`` repeats until the start."""
        conference = self.of_call(call_sid)
        if conference is None or conference.status != "init":
            return []  # started (or gone) before the answer came: the document is not played
        leg = conference.legs[call_sid]
        for verb in verbs:
            if verb.tag not in WAIT_VERBS:
                ear.hear("[silence: error 13238, a verb not allowed in a wait document]")
                return []
            if verb.tag == "Say":
                ear.hear(verb.text or "", speech=True)
            elif verb.tag == "Play":
                # "loop: how many times to play; 0 plays it until the call ends"
                # (https://www.twilio.com/docs/voice/twiml/play#attributes-loop)
                leg.music_loops = leg.music_loops or verb.get("loop") == "0"
                ear.hear("[music]")
            elif verb.tag == "Redirect":
                leg.wait_redirect = verb.text or ""
                return []
        if not leg.music_loops:
            ear.hear("[silence]")
        return []

    def advance(self, now: datetime) -> list[Webhook]:
        """Dial time limits that passed, and wait documents that asked to be fetched again."""
        hooks: list[Webhook] = []
        for conference in list(self.conferences.values()):
            for leg in list(conference.legs.values()):
                if now >= leg.ends_at:
                    # "timeLimit: the maximum duration of the <Dial> in seconds"; the leg leaves
                    # and the action URL is requested (https://www.twilio.com/docs/voice/twiml/dial#timelimit)
                    self.ears[leg.call_sid].hear("[the Dial's time limit]")
                    hooks += self.leave(leg.call_sid, "participant_hung_up")
                elif leg.wait_redirect and conference.status == "init":
                    url, leg.wait_redirect = leg.wait_redirect, None
                    hooks.append(
                        Webhook(
                            url, dict(leg.call_params), Purpose.wait, leg.call_sid, conference.sid
                        )
                    )
        return hooks

    def speech(self, call_sid: str, *, speaking: bool) -> list[Webhook]:
        """The participant starts or stops talking (the ``speaker`` events)."""
        conference = self.of_call(call_sid)
        if conference is None:
            return []
        name = "participant-speech-start" if speaking else "participant-speech-stop"
        hook = self._event(conference, name, conference.legs[call_sid])
        return [hook] if hook is not None else []

    # --- the REST side -----------------------------------------------------------------------

    def complete(self, sid: str) -> list[Webhook]:
        conference = self.by_sid(sid)
        return _marked(self._finish(conference, "conference-ended-via-api"), True)

    def participant(self, sid: str, call_sid: str) -> Leg:
        leg = self.by_sid(sid).legs.get(call_sid)
        if leg is None:
            raise not_found(f"/Conferences/{sid}/Participants/{call_sid}")
        return leg

    def update(
        self, sid: str, call_sid: str, *, muted: bool | None, hold: bool | None
    ) -> list[Webhook]:
        leg, conference = self.participant(sid, call_sid), self.by_sid(sid)
        hooks: list[Webhook | None] = []
        ear = self.ears[call_sid]
        if muted is not None and muted != leg.muted:
            leg.muted = muted
            ear.hear("[muted]" if muted else "[unmuted]")
            name = "participant-mute" if muted else "participant-unmute"
            hooks.append(self._event(conference, name, leg))
        if hold is not None and hold != leg.hold:
            leg.hold = hold
            ear.hear("[on hold: music]" if hold else "[back from hold]")
            hooks.append(
                self._event(conference, "participant-hold" if hold else "participant-unhold", leg)
            )
        return _marked([hook for hook in hooks if hook is not None], True)

    def remove(self, sid: str, call_sid: str) -> list[Webhook]:
        self.participant(sid, call_sid)
        self.ears[call_sid].hear("[removed from the conference]")
        return self.leave(call_sid, "participant_updated_via_api", by_rest=True)

    def announce(self, sid: str, url: str) -> list[Webhook]:
        """``AnnounceUrl``: Twilio fetches the document and plays it into the conference. The
        parameters of that request are not documented; only the account and conference are
        sent here, so the server must carry what it needs in the URL itself."""
        conference = self.by_sid(sid)
        params = {"AccountSid": ACCOUNT_SID, "ConferenceSid": conference.sid}
        return [Webhook(url, params, Purpose.announce, None, conference.sid, caused_by_rest=True)]

    def announced(self, hook: Webhook, verbs: list[ET.Element]) -> list[Webhook]:
        conference = self.conferences.get(hook.conference_sid or "")
        if conference is None or conference.status == "completed":
            return []
        for call_sid in conference.legs:
            for verb in verbs:
                if verb.tag == "Say":
                    self.ears[call_sid].hear(verb.text or "", speech=True)
        done = self._event(conference, "announcement-end")
        return [done] if done is not None else []

    # --- status callbacks ----------------------------------------------------------------------

    def _event(
        self, conference: Conference, name: str, leg: Leg | None = None, **extra: str
    ) -> Webhook | None:
        conference.sequence += 1  # the order the events fired, sent or not
        if name not in conference.events or not conference.status_callback:
            return None
        params = {
            "AccountSid": ACCOUNT_SID,
            "ConferenceSid": conference.sid,
            "FriendlyName": conference.name,
            "StatusCallbackEvent": name,
            "SequenceNumber": str(conference.sequence),
            "Timestamp": email.utils.format_datetime(self.clock()),
            **extra,
        }
        if leg is not None:
            params.update(
                CallSid=leg.call_sid,
                Muted=str(leg.muted).lower(),
                Hold=str(leg.hold).lower(),
                Coaching="false",
                EndConferenceOnExit=str(leg.end_on_exit).lower(),
                StartConferenceOnEnter=str(leg.start_on_enter).lower(),
            )
            if leg.label:
                params["ParticipantLabel"] = leg.label
        return Webhook(
            conference.status_callback,
            params,
            Purpose.status,
            leg.call_sid if leg else None,
            conference.sid,
        )


def _marked(hooks: list[Webhook], by_rest: bool) -> list[Webhook]:
    if not by_rest:
        return hooks
    return [
        Webhook(h.url, h.params, h.purpose, h.call_sid, h.conference_sid, caused_by_rest=True)
        for h in hooks
    ]
