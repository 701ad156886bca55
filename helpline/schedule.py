"""Pure shift arithmetic: weekly templates in local time to UTC shifts, right across DST.

On duty is decided in UTC instants computed from the contact point's local wall-clock times, never
by comparing times of day: 16:00–21:00 stays 16:00–21:00 local the whole year, and a shift across
the spring-forward or autumn hour lasts its real length (four or six hours). A start or end inside
the spring-forward gap lands the same distance after it; one in the repeated autumn hour is the
first of the two (``groups.schedule.local_to_utc``, the meetings' rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from groups.schedule import MINUTES_PER_WEEK, format_minute, local_to_utc
from helpline.exceptions import BadMonth

DAY = 24 * 60


@dataclass(frozen=True)
class Weekly:
    """A template's week: weekday (0 = Monday), start and end in minutes after local midnight.
    An end at or before the start is an overnight shift, ending the next day."""

    weekday: int
    start_minute: int
    end_minute: int

    @property
    def overnight(self) -> bool:
        return self.end_minute <= self.start_minute

    @property
    def minutes(self) -> int:
        """Its nominal length on a day without a clock change."""
        return self.end_minute - self.start_minute + (DAY if self.overnight else 0)

    def describe(self) -> str:
        span = f"{format_minute(self.start_minute)}–{format_minute(self.end_minute)}"
        return span + (" (overnight)" if self.overnight else "")


@dataclass(frozen=True)
class Planned:
    local_date: date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


def times(weekly: Weekly, local_date: date, zone: ZoneInfo) -> Planned:
    """The shift of ``weekly`` that starts on ``local_date``, in UTC."""
    end_date = local_date + timedelta(days=1) if weekly.overnight else local_date
    return Planned(
        local_date,
        local_to_utc(local_date, weekly.start_minute, zone),
        local_to_utc(end_date, weekly.end_minute, zone),
    )


def dates(weekly: Weekly, start: date, end: date) -> list[date]:
    """The local dates ``start`` .. ``end`` inclusive on which ``weekly`` starts."""
    day = start + timedelta(days=(weekly.weekday - start.weekday()) % 7)
    found = []
    while day <= end:
        found.append(day)
        day += timedelta(weeks=1)
    return found


def clash(one: Weekly, other: Weekly) -> bool:
    """Whether two weekly shifts overlap (an overnight or late-Sunday one runs into the next
    day or week)."""
    a = one.weekday * DAY + one.start_minute
    b = other.weekday * DAY + other.start_minute
    return (b - a) % MINUTES_PER_WEEK < one.minutes or (a - b) % MINUTES_PER_WEEK < other.minutes


# --- months: the rota's, the calendar's and the figures' unit, named YYYY-MM -----------------

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def month_key(day: date) -> str:
    """The month ``day`` falls in, as YYYY-MM."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(value: str) -> date:
    """The first day of the month ``value`` (YYYY-MM); :class:`BadMonth` for anything else.
    Not the first or the last year a date holds: the months around it must exist too."""
    found = MONTH.fullmatch(value.strip())
    if found is None or not 1 < int(found[1]) < 9999 or not 1 <= int(found[2]) <= 12:
        raise BadMonth()
    return date(int(found[1]), int(found[2]), 1)


def this_month(time_zone: str, now: datetime) -> date:
    """The first day of the local month ``now`` is in."""
    return now.astimezone(ZoneInfo(time_zone)).date().replace(day=1)


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def last_day(first: date) -> date:
    """The last day of the month that starts on ``first``."""
    return next_month(first) - timedelta(days=1)
