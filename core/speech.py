"""What a call says, in the caller's language: Babel message catalogs read at runtime, and the
Twilio ``<Say>`` voice of each language.

The English text is the message id. Each domain keeps its catalogs in ``<package>/locale/<lang>/
LC_MESSAGES/messages.po`` (no compiled binaries in the repository) and its prompts as a
``StrEnum`` of the English texts. Placeholders are filled after translation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.messages.pofile import read_po
from twilio.twiml.voice_response import Gather, VoiceResponse

from core.schemas import language_or_default


@dataclass(frozen=True)
class Voice:
    """A Twilio ``<Say>`` voice and the language code it speaks."""

    voice: str
    language: str


# Voices Twilio lists for each language: Amazon Polly for English and Polish, Google for Hebrew
# (Polly has no Hebrew voice).
VOICES = {
    "en": Voice("Polly.Joanna", "en-US"),
    "pl": Voice("Polly.Ewa", "pl-PL"),
    "he": Voice("Google.he-IL-Standard-A", "he-IL"),
}


@lru_cache
def read_catalog(locale_dir: Path, language: str) -> dict[str, str]:
    """msgid → msgstr of one language (fuzzy and empty entries left out)."""
    path = locale_dir / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in parsed
        if message.id and message.string and not message.fuzzy
    }


def translate(catalog: dict[str, str], english: str, **values: str) -> str:
    """``english`` as ``catalog`` has it (English when missing), placeholders filled."""
    translated = catalog.get(english, english)
    return translated.format(**values) if values else translated


def local_day(at: datetime, zone: str, language: str) -> str:
    """The weekday and date of ``at`` in ``zone``, as ``language`` says it."""
    day = at.astimezone(ZoneInfo(zone)).date()
    return str(format_date(day, "EEEE d MMMM", locale=language_or_default(language)))


@dataclass(frozen=True, slots=True)
class Line:
    """One spoken sentence: a prompt (a member of its domain's prompts, the English text) and
    its placeholder values."""

    prompt: StrEnum
    values: tuple[tuple[str, str], ...] = ()


def line(prompt: StrEnum, **values: str) -> Line:
    return Line(prompt, tuple(values.items()))


Lines = tuple[Line, ...]


def say(
    target: VoiceResponse | Gather,
    language: str,
    lines: Lines,
    catalog: Callable[[str], dict[str, str]],
) -> None:
    """``<Say>`` each line in ``language``'s voice, translated by the domain's ``catalog``."""
    language = language_or_default(language)
    voice = VOICES[language]
    for item in lines:
        spoken = translate(catalog(language), item.prompt.value, **dict(item.values))
        target.say(spoken, voice=voice.voice, language=voice.language)
