"""Turning submitted forms into the domain's schemas, with one message per field on bad input.

Messages name the problem, never the value: they are shown next to the field, which already holds
what was typed, so nothing personal is repeated in text (or in a URL: forms are always posted).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from core.schemas import MAX_ID
from groups import schedule

M = TypeVar("M", bound=BaseModel)
SLOT_ROWS = 3
FIELD_MESSAGES = {
    "missing": "this field is required",
    "string_too_short": "this field is required",
    "bool_parsing": "tick the box or leave it empty",
    "int_parsing": "enter a whole number",
    "enum": "choose one of the options",
    "literal_error": "choose one of the options",
    "too_short": "add at least one",
}


def _message(item: dict[str, Any]) -> str:
    known = FIELD_MESSAGES.get(str(item.get("type")))
    if known is not None:
        return known
    return str(item.get("msg", "this value is not valid")).removeprefix("Value error, ")


def validate(model: type[M], data: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    """The schema built from ``data``, or the first error of each field (keyed by field name)."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for item in exc.errors():
            location = item.get("loc") or ("form",)
            errors.setdefault(str(location[0]), _message(dict(item)))
        return None, errors


def pick(fields: dict[str, str], *names: str) -> dict[str, Any]:
    """Only the named fields, blank ones left out (so optional fields fall back to defaults)."""
    return {name: fields[name] for name in names if fields.get(name, "").strip()}


def referral_data(fields: dict[str, str], group_languages: dict[str, str]) -> dict[str, Any]:
    """The referral form's fields; ``group_languages``: each group's language by its id."""
    data = pick(fields, "group_id", "alias", "phone", "email", "language", "note")
    data["consent"] = fields.get("consent") == "yes"
    # The form offers the language of the group it shows first, and a script keeps it in step
    # with the group chosen. Left as offered (without the script: another group chosen, the
    # language not touched), it is the chosen group's language; one picked by hand is kept.
    group_language = group_languages.get(fields.get("group_id", ""))
    offered = fields.get("language_offered")
    if group_language and offered is not None and fields.get("language") == offered:
        data["language"] = group_language
    return data


def slots_data(fields: dict[str, str]) -> list[dict[str, str]]:
    """The weekly slot rows of the schedule form; a row with no time is an unused row."""
    rows = []
    for row in range(1, SLOT_ROWS + 1):
        start = fields.get(f"slot_time_{row}", "").strip()
        if start:
            rows.append({"weekday": fields.get(f"slot_day_{row}", ""), "start": start})
    return rows


def slot_rows(fields: dict[str, str]) -> list[dict[str, str]]:
    """The rows to show again: those filled in, then empty ones up to ``SLOT_ROWS``."""
    rows = slots_data(fields)
    return rows + [{"weekday": "mon", "start": ""}] * (SLOT_ROWS - len(rows))


def schedule_data(fields: dict[str, str]) -> dict[str, Any]:
    data = pick(fields, "time_zone", "duration_minutes", "capacity", "reminder_minutes_before")
    data["slots"] = slots_data(fields)
    return data


ID_DIGITS = len(str(MAX_ID))


def group_data(fields: dict[str, str]) -> dict[str, Any]:
    """A new group: its names, language, schedule and the lines ticked (``line_<id>``)."""
    ticked = [
        name.removeprefix("line_")
        for name, value in fields.items()
        if name.startswith("line_") and value == "yes"
    ]
    # Only names the form renders (line_<id>); others are ignored, and an id beyond any record
    # is refused by the schema (RecordId).
    lines = [int(i) for i in ticked if i.isascii() and i.isdigit() and len(i) <= ID_DIGITS]
    return {**schedule_data(fields), **pick(fields, "name", "topic", "language"), "line_ids": lines}


# What a ``datetime-local`` field sends (seconds optional), or the same typed with a space.
LOCAL_START = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::[0-9]{2})?")


def local_start(value: str, zone: str) -> tuple[datetime | None, dict[str, str]]:
    """A ``datetime-local`` field in the group's time zone, as a UTC instant."""
    found = LOCAL_START.fullmatch(value.strip())
    if found is None:
        return None, {"starts_at": "enter a date and a time, for example 2026-03-05 20:00"}
    hours, minutes = int(found[2]), int(found[3])
    if hours > 23 or minutes > 59:
        return None, {"starts_at": "enter a time between 00:00 and 23:59"}
    try:
        local_date = date.fromisoformat(found[1])
        return schedule.local_to_utc(local_date, hours * 60 + minutes, ZoneInfo(zone)), {}
    except (ValueError, OverflowError):  # 2026-02-30; the year 1 in a zone east of UTC
        return None, {"starts_at": "enter a date that exists, for example 2026-03-05"}
