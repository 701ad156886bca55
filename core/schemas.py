"""The project's schema base and the constrained types every domain shares."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid", str_strip_whitespace=True)


class Language(StrEnum):
    en = "en"
    pl = "pl"
    he = "he"


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
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone; use an IANA name such as Europe/Warsaw") from None
    return value


def normalize_email(value: str) -> str:
    return value.strip().lower()


E164Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(normalize_phone)]
Email = Annotated[EmailStr, AfterValidator(normalize_email)]
TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(check_time_zone)]
Alias = Annotated[str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True)]
DigitsPin = Annotated[str, StringConstraints(pattern=r"^\d{4,12}$")]
LocalTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]

DIGITS = re.compile(r"^\d+$")

T = TypeVar("T")


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(Schema):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)
