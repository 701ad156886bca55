"""Shifts in the contact point's local time, right across the clock changes of Warsaw, London
and Jerusalem: 16:00 stays 16:00, and a shift across the change lasts its real length."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from auth.models import Role
from helpline import duty, shifts
from helpline.schedule import Weekly, clash, times
from tests.factories import create_staff
from tests.helpline.world import contact_point, seat_now, weekly

WARSAW, LONDON, JERUSALEM = (
    ZoneInfo(z) for z in ("Europe/Warsaw", "Europe/London", "Asia/Jerusalem")
)
SAT, SUN, MON, FRI = 5, 6, 0, 4


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "start", "end"),
    [
        # Warsaw springs forward on Sunday 29 March 2026 and falls back on 25 October.
        (WARSAW, date(2026, 3, 28), utc(2026, 3, 28, 15), utc(2026, 3, 28, 20)),
        (WARSAW, date(2026, 3, 30), utc(2026, 3, 30, 14), utc(2026, 3, 30, 19)),
        (WARSAW, date(2026, 10, 26), utc(2026, 10, 26, 15), utc(2026, 10, 26, 20)),
        # London: GMT, then BST from 29 March.
        (LONDON, date(2026, 3, 28), utc(2026, 3, 28, 16), utc(2026, 3, 28, 21)),
        (LONDON, date(2026, 3, 29), utc(2026, 3, 29, 15), utc(2026, 3, 29, 20)),
        # Jerusalem moves on Friday 27 March 2026.
        (JERUSALEM, date(2026, 3, 26), utc(2026, 3, 26, 14), utc(2026, 3, 26, 19)),
        (JERUSALEM, date(2026, 3, 29), utc(2026, 3, 29, 13), utc(2026, 3, 29, 18)),
    ],
)
def test_an_evening_shift_stays_at_its_local_hours(
    zone: ZoneInfo, day: date, start: datetime, end: datetime
) -> None:
    planned = times(Weekly(day.weekday(), 16 * 60, 21 * 60), day, zone)
    assert (planned.starts_at, planned.ends_at) == (start, end)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (WARSAW, date(2026, 3, 28), 7),  # 22:00–06:00 over the lost hour
        (WARSAW, date(2026, 10, 24), 9),  # over the repeated hour
        (LONDON, date(2026, 3, 28), 7),
        (LONDON, date(2026, 10, 24), 9),
        (JERUSALEM, date(2026, 3, 26), 7),
        (JERUSALEM, date(2026, 10, 24), 9),
    ],
)
def test_an_overnight_shift_across_the_change_lasts_its_real_length(
    zone: ZoneInfo, day: date, hours: int
) -> None:
    week = Weekly(day.weekday(), 22 * 60, 6 * 60)
    assert week.overnight
    planned = times(week, day, zone)
    assert planned.ends_at - planned.starts_at == timedelta(hours=hours)
    assert planned.starts_at.astimezone(zone).hour == 22
    assert planned.ends_at.astimezone(zone).hour == 6


def test_a_start_inside_the_lost_hour_lands_after_it() -> None:
    planned = times(Weekly(SUN, 2 * 60 + 30, 5 * 60), date(2026, 3, 29), WARSAW)
    assert planned.starts_at.astimezone(WARSAW).strftime("%H:%M") == "03:30"


def test_overlaps_are_found_across_midnight_and_the_week_end() -> None:
    evening = Weekly(MON, 16 * 60, 21 * 60)
    assert clash(evening, Weekly(MON, 20 * 60, 22 * 60))
    assert not clash(evening, Weekly(MON, 21 * 60, 22 * 60))  # back to back
    assert clash(Weekly(SUN, 22 * 60, 2 * 60), Weekly(MON, 1 * 60, 3 * 60))  # overnight into Monday
    assert not clash(Weekly(SAT, 16 * 60, 18 * 60), Weekly(SUN, 16 * 60, 18 * 60))
    assert not clash(Weekly(FRI, 16 * 60, 21 * 60), Weekly(MON, 16 * 60, 21 * 60))


def test_on_duty_follows_local_time_through_the_spring_change(db: Session) -> None:
    admin = create_staff(db, Role.admin)
    before = utc(2026, 3, 27, 10)
    point = contact_point(db, admin, name="Warszawa", volunteers=1)
    weekly(db, point, admin, before, days="mon", start="16:00", end="21:00")
    after = utc(2026, 3, 30, 14, 30)  # 16:30 in Warsaw, summer time
    seat_now(db, point, admin, after, point.volunteers[0])

    assert [t.volunteer_id for t in duty.on_duty(db, point.point.id, after)] == [
        point.volunteers[0].id
    ]
    assert duty.on_duty(db, point.point.id, utc(2026, 3, 30, 19, 30)) == []  # 21:30 local
    [shift] = shifts.running(db, point.point, after)
    assert shift.starts_at == utc(2026, 3, 30, 14)
