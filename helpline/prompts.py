"""Everything a helpline call says, to the caller and to the volunteer's phone, in the contact
point's language (the national line's for a national call), from Babel catalogs in
``helpline/locale``. Placeholders are the contact point's name, a day, a time or the national
line's number read digit by digit: never anything about the caller or a volunteer."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from core.schemas import language_or_default
from core.speech import read_catalog, translate

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


class Prompt(StrEnum):
    greeting = "You have reached the helpline of {name}. We are connecting you to a volunteer."
    national_greeting = (
        "You have reached the national helpline. We are connecting you to a volunteer."
    )
    whisper = "Helpline call for {name}. Press 1 to take it."
    taken_elsewhere = "Someone else has taken this call. Thank you."
    all_busy = "All our volunteers are busy just now. Please call again in a little while."
    no_answer = "Nobody could take your call just now. Please call again in a little while."
    on_duty_until = "Volunteers are on duty until {time}."
    out_of_hours = "The line is not staffed now. Volunteers are on duty next on {day} at {time}."
    no_hours = "The line is not staffed now. Please call again another day."
    national_closed = "The national helpline is not staffed now. Please call again later."
    national_next = (
        "The national helpline is not staffed now. Volunteers are on duty next on {day} at {time}."
    )
    point_number = "You can call {name} directly on {number}."
    national_number = "You can also call the national helpline on {number}."
    not_taken = "This line cannot take your call."
    goodbye = "Thank you for calling. Goodbye."
    voicemail = "You can leave a message after the tone. Press the hash key when you have finished."
    voicemail_saved = "Thank you, your message has been recorded."


def catalog(language: str) -> dict[str, str]:
    return read_catalog(LOCALE_DIR, language)


def text(language: str, prompt: Prompt, **values: str) -> str:
    """The prompt in ``language`` (English when a translation is missing), placeholders filled."""
    return translate(catalog(language_or_default(language)), prompt.value, **values)


def digits(number: str) -> str:
    """An E.164 number as ``<Say>`` should read it: digit by digit."""
    return " ".join(number.lstrip("+"))
