"""The project's schema base and the constrained types every domain shares."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Generic, Self, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import CoreSchema, core_schema


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid", str_strip_whitespace=True)


def _no_null_in_schema(schema: dict[str, Any]) -> None:
    """The JSON schema of ``Changes``: its fields may be left out, never null."""
    for field in schema.get("properties", {}).values():
        options = [o for o in field.pop("anyOf", []) if o != {"type": "null"}]
        if len(options) == 1:
            field.update(options[0])
        elif options:
            field["anyOf"] = options
        if "default" in field and field["default"] is None:
            del field["default"]


class Changes(Schema):
    """A PATCH body: a field left out keeps its value; ``null`` is refused, not read as "keep"
    for some fields and "empty" for others."""

    model_config = ConfigDict(**Schema.model_config, json_schema_extra=_no_null_in_schema)

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(
                f"{', '.join(nulls)} cannot be null: leave a field out to keep its value"
            )
        return self


class Language(StrEnum):
    """The languages the service speaks: a line's calls, a group, a member's messages."""

    en = "en"
    pl = "pl"
    he = "he"


LANGUAGES = tuple(language.value for language in Language)


def language_or_default(language: str | None) -> str:
    """``language`` if the service speaks it, else English."""
    return language if language in LANGUAGES else "en"


def normalize_phone(value: str) -> str:
    """Parse a phone number written in international form and return it as E.164.

    The message never repeats the value: validation errors end up in responses and logs.
    """
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError(
            "not a phone number; write it in international form, for example +48 601 234 567"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("this phone number does not exist; check the country code and digits")
    if parsed.extension:  # E.164 has none: it would be dropped, and texts cannot reach one
        raise ValueError("leave out the extension: reminders are sent by text message")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone; use an IANA name such as Europe/Warsaw") from None
    return value


def normalize_email(value: str) -> str:
    """Validate an e-mail address; like phones, the message never quotes any part of it.

    (email-validator's own messages quote the offending characters, so they are replaced.)
    """
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(
            "not a valid e-mail address; check it for typos (it looks like name@example.org)"
        ) from None
    return result.normalized.lower()


def check_pin(value: str) -> str:
    if not value.isascii() or not value.isdigit() or not 4 <= len(value) <= 12:
        raise ValueError("a PIN is 4 to 12 digits (0-9), because it is typed on a phone keypad")
    return value


def check_local_time(value: str) -> str:
    if not LOCAL_TIME.match(value):
        raise ValueError("give the time as HH:MM on the 24-hour clock, for example 20:00")
    return value


LOCAL_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

# The bidi marks (left-to-right, right-to-left, Arabic letter mark) are the one kind of invisible
# format character kept: they only place punctuation next to right-to-left words, never hide or
# reorder text. Every other format character (Unicode category Cf) is refused, among them the
# embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the zero-width ones
# (U+200B-U+200D, U+2060, U+FEFF).
BIDI_MARKS = frozenset("\u200e\u200f\u061c")
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# Letters that are drawn as nothing: text of these alone looks empty.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
RETYPE = "type it again rather than pasting it"
UNWANTED = {
    "line break": "keep it on one line: it holds a line break ({code})",
    "odd line break": "it holds an unusual line break ({code}); use ordinary line breaks",
    "control": "it holds a control character ({code}) that cannot be seen; " + RETYPE,
    "direction": "it holds an invisible direction control ({code}) that changes how the text "
    "around it is shown; " + RETYPE,
    "invisible": "it holds an invisible character ({code}); " + RETYPE,
    "surrogate": "it holds an unpaired surrogate ({code}), which is no character",
}


def _unwanted(character: str, *, multiline: bool) -> str | None:
    """What ``character`` is, among ``UNWANTED``; ``None`` if it has its place in text."""
    if character in LINE_BREAKS:
        if multiline:
            return None if character == "\n" else "odd line break"
        return "line break"
    category = unicodedata.category(character)
    if category == "Cc":
        return "control"
    if character in DIRECTION_CONTROLS:
        return "direction"
    if category == "Cf" and character not in BIDI_MARKS:
        return "invisible"
    return "surrogate" if category == "Cs" else None


def _visible(character: str) -> bool:
    return unicodedata.category(character)[0] in "LNPS" and character not in BLANK_LETTERS


@dataclass(frozen=True)
class PlainText:
    """Text staff type for other people to read: aliases, names, topics, notes, reasons.

    Refuses what would be invisible or misleading on a screen: control characters (line breaks
    too, unless ``multiline``: there LF stays, and CR LF, which browsers send for a textarea's
    lines, becomes LF), format characters that hide or reorder text (``BIDI_MARKS`` aside), and
    text with nothing visible in it. The message names the character's code point, never the
    text. Hebrew, Polish and every other script's letters pass unchanged.
    """

    multiline: bool = False

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def check(self, value: str) -> str:
        if self.multiline:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        for character in value:
            kind = _unwanted(character, multiline=self.multiline)
            if kind is not None:
                raise ValueError(UNWANTED[kind].format(code=f"U+{ord(character):04X}"))
        if value and not any(_visible(character) for character in value):
            raise ValueError("nothing in it can be seen; write it in letters, digits or signs")
        return value


E164Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(normalize_phone)]
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(normalize_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]
TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(check_time_zone)]
Alias = Annotated[
    str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True), PlainText()
]
DigitsPin = Annotated[
    str,
    AfterValidator(check_pin),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4,12}$"}),
]
LocalTime = Annotated[
    str,
    AfterValidator(check_local_time),
    WithJsonSchema({"type": "string", "pattern": LOCAL_TIME.pattern}),
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check_weekday(value: str) -> str:
    if value not in WEEKDAYS:
        raise ValueError("a weekday is one of mon, tue, wed, thu, fri, sat, sun")
    return value


Weekday = Annotated[
    str,
    StringConstraints(to_lower=True),
    AfterValidator(check_weekday),
    WithJsonSchema({"type": "string", "enum": list(WEEKDAYS)}),
]
DIGITS = re.compile(r"^\d+$")

# Ids are 32-bit integers in PostgreSQL (and at most 64-bit in SQLite): a larger number in a path,
# query or body is refused as invalid input instead of overflowing inside the database driver.
MAX_ID = 2**31 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

T = TypeVar("T")


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(Schema):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=MAX_ID)
