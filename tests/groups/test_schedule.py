"""Weekly local slots to UTC across the DST weekends of Warsaw, Jerusalem and New York (2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from groups.schedule import Slot, local_to_utc, occurrences, overlapping


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def minute(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


# (zone, local date, local slot, expected UTC start, expected local wall clock)
CASES = [
    # Warsaw springs forward on Sun 29 March 02:00 -> 03:00: 02:30 does not exist that night.
    ("Europe/Warsaw", date(2026, 3, 28), "20:00", utc(2026, 3, 28, 19, 0), "20:00"),
    ("Europe/Warsaw", date(2026, 3, 29), "02:30", utc(2026, 3, 29, 1, 30), "03:30"),
    ("Europe/Warsaw", date(2026, 3, 29), "20:00", utc(2026, 3, 29, 18, 0), "20:00"),
    # ... and falls back on Sun 25 October 03:00 -> 02:00: 02:30 happens twice; the first counts.
    ("Europe/Warsaw", date(2026, 10, 25), "02:30", utc(2026, 10, 25, 0, 30), "02:30"),
    ("Europe/Warsaw", date(2026, 10, 25), "20:00", utc(2026, 10, 25, 19, 0), "20:00"),
    # Jerusalem springs forward on Fri 27 March 02:00 -> 03:00 ...
    ("Asia/Jerusalem", date(2026, 3, 26), "20:00", utc(2026, 3, 26, 18, 0), "20:00"),
    ("Asia/Jerusalem", date(2026, 3, 27), "02:30", utc(2026, 3, 27, 0, 30), "03:30"),
    ("Asia/Jerusalem", date(2026, 3, 27), "20:00", utc(2026, 3, 27, 17, 0), "20:00"),
    # ... and falls back on Sun 25 October 02:00 -> 01:00: 01:30 twice.
    ("Asia/Jerusalem", date(2026, 10, 25), "01:30", utc(2026, 10, 24, 22, 30), "01:30"),
    ("Asia/Jerusalem", date(2026, 10, 25), "20:00", utc(2026, 10, 25, 18, 0), "20:00"),
    # New York springs forward on Sun 8 March 02:00 -> 03:00 ...
    ("America/New_York", date(2026, 3, 7), "20:00", utc(2026, 3, 8, 1, 0), "20:00"),
    ("America/New_York", date(2026, 3, 8), "02:30", utc(2026, 3, 8, 7, 30), "03:30"),
    ("America/New_York", date(2026, 3, 8), "20:00", utc(2026, 3, 9, 0, 0), "20:00"),
    # ... and falls back on Sun 1 November 02:00 -> 01:00: 01:30 twice.
    ("America/New_York", date(2026, 11, 1), "01:30", utc(2026, 11, 1, 5, 30), "01:30"),
    ("America/New_York", date(2026, 11, 1), "20:00", utc(2026, 11, 2, 1, 0), "20:00"),
]


@pytest.mark.parametrize(("zone", "day", "slot", "expected", "wall"), CASES)
def test_local_slot_to_utc_across_dst(
    zone: str, day: date, slot: str, expected: datetime, wall: str
) -> None:
    starts_at = local_to_utc(day, minute(slot), ZoneInfo(zone))
    assert starts_at == expected
    assert starts_at.astimezone(ZoneInfo(zone)).strftime("%H:%M") == wall


def test_a_weekly_evening_slot_keeps_its_local_time_across_the_change() -> None:
    found = occurrences(
        [Slot(6, minute("20:00"))],  # Sundays 20:00 in Warsaw
        zone=ZoneInfo("Europe/Warsaw"),
        duration_minutes=60,
        start=date(2026, 3, 22),
        end=date(2026, 4, 5),
    )
    assert [o.starts_at for o in found] == [
        utc(2026, 3, 22, 19, 0),  # CET, UTC+1
        utc(2026, 3, 29, 18, 0),  # CEST, UTC+2, the day of the change
        utc(2026, 4, 5, 18, 0),
    ]
    assert all(o.ends_at - o.starts_at == found[0].ends_at - found[0].starts_at for o in found)


def test_a_meeting_in_the_repeated_hour_lasts_its_real_duration() -> None:
    (only,) = occurrences(
        [Slot(6, minute("01:30"))],
        zone=ZoneInfo("America/New_York"),
        duration_minutes=60,
        start=date(2026, 11, 1),
        end=date(2026, 11, 1),
    )
    assert only.starts_at == utc(2026, 11, 1, 5, 30)
    assert only.ends_at == utc(2026, 11, 1, 6, 30)  # 01:30 EST: sixty real minutes later


def test_occurrences_are_sorted_and_cover_the_dates_inclusive() -> None:
    found = occurrences(
        [Slot(3, minute("20:00")), Slot(0, minute("20:00"))],
        zone=ZoneInfo("Europe/Warsaw"),
        duration_minutes=60,
        start=date(2026, 3, 2),
        end=date(2026, 3, 9),
    )
    assert [o.local_date for o in found] == [date(2026, 3, 2), date(2026, 3, 5), date(2026, 3, 9)]


@pytest.mark.parametrize(
    ("slots", "duration", "clash"),
    [
        ([Slot(0, minute("20:00")), Slot(3, minute("20:00"))], 60, False),
        ([Slot(0, minute("20:00")), Slot(0, minute("20:30"))], 60, True),
        ([Slot(0, minute("20:00")), Slot(0, minute("21:00"))], 60, False),
        # Sunday 23:30 runs into Monday 00:00 across the week boundary.
        ([Slot(6, minute("23:30")), Slot(0, minute("00:00"))], 60, True),
        ([Slot(2, minute("10:00"))], 240, False),
    ],
)
def test_overlapping_slots(slots: list[Slot], duration: int, clash: bool) -> None:
    assert overlapping(slots, duration) is clash
