"""Everything the call says, in the line's language, from Babel message catalogs.

The English text is the message id. Catalogs live in ``conference/locale/<lang>/LC_MESSAGES/
messages.po`` and are read at runtime with Babel (no compiled binaries in the repository). A test
checks that every catalog translates every prompt. Placeholders are ``{time}`` and ``{day}``,
filled after translation; they never carry personal data.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from core.schemas import language_or_default
from core.speech import VOICES, local_day, read_catalog, translate

__all__ = ["LOCALE_DIR", "VOICES", "Prompt", "catalog", "local_day", "text"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


class Prompt(StrEnum):
    welcome = "Welcome. Please enter your participant number, then press the hash key."
    number_again = "Please enter your participant number again, then press the hash key."
    enter_pin = "Please enter your PIN, then press the hash key."
    not_recognised = "Sorry, those details were not recognised."
    too_many_tries = (
        "Sorry, we could not let you in. If this keeps happening, please contact your moderator."
    )
    throttled = "There have been too many attempts from this phone. Please try again later."
    no_input = "We did not hear any digits."
    choose_pin = (
        "This is your first call. Please choose a new PIN of {min} to 12 digits, then press "
        "the hash key."
    )
    choose_pin_again = "Please choose a new PIN of {min} to 12 digits, then press the hash key."
    confirm_pin = "Please enter your new PIN once more, then press the hash key."
    pin_length = "That PIN has the wrong length. It needs {min} to 12 digits."
    pin_one_digit = "That PIN repeats one digit. Please choose a harder one."
    pin_sequence = "That PIN is a simple sequence. Please choose a harder one."
    pin_temporary = "That is your temporary PIN. Please choose a different one."
    pin_mismatch = "The two PINs were different. Let us try again."
    pin_saved = "Thank you. Your new PIN is saved."
    not_open = (
        "Your meeting has not started yet. It starts at {time}. You can call from ten minutes "
        "before."
    )
    no_meeting = "There is no meeting now."
    cancelled = "Today's meeting is cancelled."
    next_meeting = "The next meeting is on {day} at {time}."
    access_ended = "Your access has ended. Please contact the person who referred you."
    room_locked = "The moderator has closed the room for now. Please try again later."
    already_in_call = "These details are already in use in the call, so we cannot connect you."
    joining = "Thank you. You are joining your group now."
    wait = "Your meeting starts at {time}. Please wait for the moderator."
    moderator_wait = "You are the first one here. The members will join you."
    five_minutes = "The meeting ends in five minutes."
    one_minute = "The meeting ends in one minute."
    reconnecting = "The moderator is reconnecting. Please stay on the line."
    not_in_service = "This number is not in service."
    unavailable = "We cannot connect you right now. Please try again in a few minutes."
    goodbye = "Goodbye."


def catalog(language: str) -> dict[str, str]:
    """msgid → msgstr of one language (fuzzy and empty entries left out)."""
    return read_catalog(LOCALE_DIR, language)


def text(language: str, prompt: Prompt, **values: str) -> str:
    """The prompt in ``language`` (English when a translation is missing), placeholders filled."""
    return translate(catalog(language_or_default(language)), prompt.value, **values)
