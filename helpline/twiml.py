"""TwiML of a helpline call: ``render`` turns a reply (``helpline.replies``) into its document.

URLs are absolute on the public base URL and carry only a leg's id; the caller's call is found
again by its CallSid. A volunteer's phone is rung with ``<Dial><Number url=…>``: the ``url`` is
the whisper, TwiML Twilio runs on the called party's leg once it answers and before it connects
the two ("url: A URL specifying the TwiML to be executed on the called party's end, after they
answer but before the parties are connected", https://www.twilio.com/docs/voice/twiml/number).
"""

from __future__ import annotations

from typing import assert_never

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse
from twilio.twiml.voice_response import Record as RecordVerb

from core.settings import get_settings
from core.speech import say
from helpline.prompts import Prompt, catalog
from helpline.replies import (
    Goodbye,
    HangUp,
    Lines,
    PutThrough,
    Record,
    Reply,
    Ring,
    Whisper,
    line,
)

# The whisper waits this long for the volunteer's key before it hangs up their leg.
WHISPER_SECONDS = 8


def url(path: str) -> str:
    return get_settings().public_base_url + path


def render(reply: Reply) -> str:
    match reply:
        case Goodbye(language, lines):
            return _goodbye(language, lines)
        case HangUp(language, lines):
            return _hang_up(language, lines)
        case Ring():
            return _ring(reply)
        case Whisper(language, contact_point, leg_id):
            return _whisper(language, contact_point, leg_id)
        case PutThrough():
            return str(VoiceResponse())
        case Record():
            return _record(reply)
        case _:
            assert_never(reply)


def _say(target: VoiceResponse | Gather, language: str, lines: Lines) -> None:
    say(target, language, lines, catalog)


def _goodbye(language: str, lines: Lines) -> str:
    response = VoiceResponse()
    _say(response, language, (*lines, line(Prompt.goodbye)))
    response.hangup()
    return str(response)


def _hang_up(language: str, lines: Lines) -> str:
    response = VoiceResponse()
    _say(response, language, lines)
    response.hangup()
    return str(response)


def _ring(reply: Ring) -> str:
    """Every phone at once; the caller hears ringing meanwhile. "The <Dial> verb's action URL
    is requested when the dialed call ends" (https://www.twilio.com/docs/voice/twiml/dial):
    there the next phones are rung, or the caller is told nobody could answer."""
    response = VoiceResponse()
    _say(response, reply.language, reply.lines)
    dial = Dial(
        action=url("/twilio/helpline/dialled"),
        method="POST",
        timeout=reply.seconds,
        time_limit=reply.time_limit,
        caller_id=reply.caller_id,
    )
    for phone in reply.phones:
        dial.number(
            phone.number, url=url(f"/twilio/helpline/whisper/{phone.leg_id}"), method="POST"
        )
    response.append(dial)
    return str(response)


def _whisper(language: str, contact_point: str, leg_id: int) -> str:
    """Press 1 to take the call. No key (a voicemail that picked up, a pocket) is asked to the
    accept URL too (``actionOnEmptyResult``), which hangs the leg up: only a person takes it."""
    response = VoiceResponse()
    gather = Gather(
        input="dtmf",
        num_digits=1,
        timeout=WHISPER_SECONDS,
        action=url(f"/twilio/helpline/accept/{leg_id}"),
        method="POST",
        action_on_empty_result=True,
    )
    _say(gather, language, (line(Prompt.whisper, name=contact_point),))
    response.append(gather)
    response.hangup()
    return str(response)


def _record(reply: Record) -> str:
    """Voicemail (https://www.twilio.com/docs/voice/twiml/record): ``maxLength`` in seconds,
    ``finishOnKey`` "#", a beep first, silence trimmed, no transcription. The ``action`` is
    requested when the recording ends (the caller's thanks); the recording is fetched later,
    when ``recordingStatusCallback`` says it is ``completed`` — "Call recordings require
    post-processing, and may not always be ready right away when your call ends"
    (https://support.twilio.com/hc/en-us/articles/360014251313). A caller who says nothing
    ("if no audio is recorded") goes on to the goodbye after the verb."""
    response = VoiceResponse()
    _say(response, reply.language, (*reply.lines, line(Prompt.voicemail)))
    response.append(
        RecordVerb(
            action=url("/twilio/helpline/recorded"),
            method="POST",
            max_length=reply.max_seconds,
            finish_on_key="#",
            play_beep=True,
            trim="trim-silence",
            recording_status_callback=url("/twilio/helpline/recording"),
            recording_status_callback_method="POST",
            recording_status_callback_event="completed absent",
        )
    )
    _say(response, reply.language, (line(Prompt.goodbye),))
    response.hangup()
    return str(response)


def empty() -> str:
    """An empty document: the answer to a callback whose body Twilio ignores."""
    return str(VoiceResponse())


def unavailable() -> str:
    """When the database cannot be used now: an apology, as for the dial-in call."""
    return _goodbye("en", (line(Prompt.no_answer),))


def unavailable_leg() -> str:
    """A volunteer's phone when the database cannot be used now: it is not put through."""
    return _hang_up("en", ())
