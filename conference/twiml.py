"""TwiML of the dial-in call: ``render`` turns a reply (``conference.replies``) into its
document, built with the twilio SDK's ``VoiceResponse`` only.

Every URL is absolute, on the public base URL, and carries no personal data: the call is found
again through its CallSid, which Twilio sends with every request.
"""

from __future__ import annotations

from functools import lru_cache
from typing import assert_never

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from conference.prompts import Prompt, catalog
from conference.replies import Ask, Empty, Farewell, Join, Lines, Reply, Speak, Wait, line
from core.settings import get_settings
from core.speech import say

CONFERENCE_EVENTS = "start end join leave mute hold speaker"


def url(path: str) -> str:
    return get_settings().public_base_url + path


def render(reply: Reply) -> str:
    """The TwiML document that answers with ``reply``."""
    match reply:
        case Ask(language, action_path, lines):
            return _ask(language, url(action_path), lines)
        case Farewell(language, lines):
            return _farewell(language, lines)
        case Join():
            return _join(reply)
        case Wait(language, lines):
            return _waiting(language, lines)
        case Speak(language, lines):
            return _spoken(language, lines)
        case Empty():
            return _empty()
        case _:
            assert_never(reply)


def _say(target: VoiceResponse | Gather, language: str, lines: Lines) -> None:
    say(target, language, lines, catalog)


_NO_INPUT = (line(Prompt.no_input), line(Prompt.goodbye))


# The same few documents answer most webhooks (welcome, enter your PIN, goodbye ...): built once
# per language and wording instead of on every request at the top of the hour.
@lru_cache(maxsize=512)
def _ask(language: str, action_url: str, lines: Lines) -> str:
    response = VoiceResponse()
    gather = Gather(
        input="dtmf",
        finish_on_key="#",
        timeout=10,
        action=action_url,
        method="POST",
        action_on_empty_result=False,
    )
    _say(gather, language, lines)
    response.append(gather)
    _say(response, language, _NO_INPUT)
    response.hangup()
    return str(response)


@lru_cache(maxsize=512)
def _farewell(language: str, lines: Lines) -> str:
    response = VoiceResponse()
    _say(response, language, (*lines, line(Prompt.goodbye)))
    response.hangup()
    return str(response)


def _join(reply: Join) -> str:
    """Into the meeting's room: moderators start it; members wait with music until then."""
    response = VoiceResponse()
    _say(response, reply.language, reply.lines)
    dial = Dial(time_limit=reply.time_limit, action=url("/twilio/voice/dial-ended"), method="POST")
    dial.conference(
        reply.room,
        participant_label=reply.label,
        start_conference_on_enter=reply.moderator,
        end_conference_on_exit=False,
        beep=True,
        wait_url=url("/twilio/conference/wait"),
        wait_method="POST",
        status_callback=url("/twilio/conference/status"),
        status_callback_method="POST",
        status_callback_event=CONFERENCE_EVENTS,
    )
    response.append(dial)
    return str(response)


def _waiting(language: str, lines: Lines) -> str:
    """The wait URL's TwiML: the spoken lines once, then music until the conference starts.

    Twilio runs the wait document once: "Once the TwiML document located at the waitUrl runs
    out of verbs to execute, silence will be played"
    (https://www.twilio.com/docs/voice/twiml/conference#attributes-waiturl), and a ``<Play>``
    plays once unless ``loop`` says otherwise; "0" loops until the call ends or the conference
    starts (https://www.twilio.com/docs/voice/twiml/play#attributes-loop).
    """
    response = VoiceResponse()
    _say(response, language, lines)
    response.play(get_settings().wait_music_url, loop=0)
    return str(response)


def _spoken(language: str, lines: Lines) -> str:
    """Only speech: announcements into the room."""
    response = VoiceResponse()
    _say(response, language, lines)
    return str(response)


@lru_cache(maxsize=1)
def _empty() -> str:
    """An empty document: the answer to every conference status callback (built once)."""
    return str(VoiceResponse())


def unavailable() -> str:
    """The answer to a call when the database cannot be used now (core.outage): an apology and
    goodbye, in English, as the line (and so its language) cannot be looked up."""
    return render(Farewell("en", (line(Prompt.unavailable),)))


def unavailable_wait() -> str:
    """A wait document when the database cannot be used now: the music goes on."""
    return render(Wait("en"))
