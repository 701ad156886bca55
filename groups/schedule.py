"""Pure schedule arithmetic: weekly local slots to UTC instants, right across DST changes.

Rules for the two awkward hours of the year (docs/architecture.md, "Meetings across
daylight-saving changes"):
- a slot inside the spring-forward gap (02:30 in Warsaw on the last Sunday of March) starts at the
  same wall-clock distance after the gap, i.e. 03:30 local — the meeting is not skipped;
- a slot inside the autumn repeated hour (02:30 happens twice) starts at the first 02:30.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_WEEK = 7 * 24 * 60

# Extensions of a running meeting have a ceiling, so a query for running meetings can have a
# lower bound and never walks a group's whole history on each dial-in.
MAX_EXTENSION = timedelta(hours=4)


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    start_minute: int


@dataclass(frozen=True)
class Occurrence:
    local_date: date
    slot_start_minute: int
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


def local_to_utc(local_date: date, minute: int, zone: ZoneInfo) -> datetime:
    """Wall-clock time in ``zone`` to UTC, resolving gaps forward and overlaps to the first."""
    # fold=0 picks the earlier offset: the first of two repeated times, and for a time inside a
    # gap the pre-change offset, which lands the same distance after the gap.
    naive = datetime.combine(local_date, time(minute // 60, minute % 60))
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def occurrences(
    slots: list[Slot], *, zone: ZoneInfo, duration_minutes: int, start: date, end: date
) -> list[Occurrence]:
    """Every occurrence of ``slots`` on local dates ``start`` .. ``end`` inclusive, sorted."""
    result = []
    day = start
    while day <= end:
        for slot in slots:
            if slot.weekday == day.weekday():
                starts_at = local_to_utc(day, slot.start_minute, zone)
                ends_at = starts_at + timedelta(minutes=duration_minutes)
                result.append(Occurrence(day, slot.start_minute, starts_at, ends_at))
        day += timedelta(days=1)
    return sorted(result, key=lambda occurrence: occurrence.starts_at)


def overlapping(slots: list[Slot], duration_minutes: int) -> bool:
    """Whether two weekly slots overlap (a slot late on Sunday may run into Monday)."""
    starts = sorted(slot.weekday * 24 * 60 + slot.start_minute for slot in slots)
    for index, begin in enumerate(starts):
        following = starts[(index + 1) % len(starts)]
        gap = (following - begin) % MINUTES_PER_WEEK
        if len(starts) > 1 and gap < duration_minutes:
            return True
    return False


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_minute(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)
