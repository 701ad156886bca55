"""The month in figures from hand-built months of calls whose answers are known: local months
and local hours right across DST in Warsaw and London, the median wait, the shifts, an empty
and a future month, and the CSV's shape."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from helpline import figures, seats, shifts
from helpline.exceptions import BadMonth
from helpline.models import (
    CallOutcome,
    ContactPoint,
    CoverRequest,
    HelplineCall,
    Leg,
    LegOutcome,
    NoShow,
    Voicemail,
)
from helpline.schemas import FiguresRead
from tests.factories import create_staff
from tests.helpline.world import Point, contact_point, weekly

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
_sids = count(1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def add_call(
    db: Session,
    point: ContactPoint,
    started_at: datetime,
    outcome: CallOutcome = CallOutcome.answered,
    *,
    wait: float | None = None,
    legs: tuple[LegOutcome, ...] = (),
) -> HelplineCall:
    """A call as the helpline records it; ``wait``: seconds until a volunteer took it."""
    call = HelplineCall(
        call_sid=f"CA{next(_sids):032x}",
        language="pl",
        contact_point_id=point.id,
        caller_key="f" * 64,
        started_at=started_at,
        answered_at=None if wait is None else started_at + timedelta(seconds=wait),
        outcome=outcome,
        legs=[Leg(step=0, rung_at=started_at, outcome=leg) for leg in legs],
    )
    db.add(call)
    db.flush()
    return call


def figures_of(db: Session, point: ContactPoint, month: str, now: datetime) -> FiguresRead:
    return figures.month_figures(db, point, figures.month_of(point, month, now=now), now=now)


def cells(found: FiguresRead) -> dict[tuple[int, int], int]:
    """The weekday × hour grid's non-empty cells."""
    return {
        (day, hour): calls
        for day, hours in enumerate(found.by_weekday_hour)
        for hour, calls in enumerate(hours)
        if calls
    }


@pytest.fixture
def admin(db: Session) -> Staff:
    return create_staff(db, Role.admin)


@pytest.fixture
def warszawa(db: Session, admin: Staff) -> Iterator[Point]:
    yield contact_point(db, admin, name="Warszawa", zone="Europe/Warsaw")


@pytest.fixture
def london(db: Session, admin: Staff) -> Iterator[Point]:
    yield contact_point(db, admin, name="London", language="en", zone="Europe/London")


def test_warsaw_march_counts_local_months_and_local_hours_across_the_spring_change(
    db: Session, warszawa: Point
) -> None:
    point = warszawa.point
    # Around local midnight on the month's edges (Warsaw is UTC+1 until 29 March, then +2).
    add_call(db, point, utc(2026, 2, 28, 22, 30))  # Sat 28 Feb 23:30 local: February
    add_call(db, point, utc(2026, 2, 28, 23, 30), wait=30)  # Sun 1 Mar 00:30 local: March
    add_call(db, point, utc(2026, 3, 31, 21, 30), CallOutcome.missed)  # Tue 31 Mar 23:30
    add_call(db, point, utc(2026, 3, 31, 22, 30))  # Wed 1 Apr 00:30 local: April
    # The same UTC hour before and after the change: 19:00 and 20:00 local.
    add_call(db, point, utc(2026, 3, 10, 18, 0), wait=10, legs=(LegOutcome.taken,))
    add_call(
        db,
        point,
        utc(2026, 3, 30, 18, 0),
        wait=20,
        legs=(LegOutcome.taken, LegOutcome.not_answered),
    )
    add_call(db, point, utc(2026, 3, 29, 0, 30), CallOutcome.out_of_hours)  # Sun 01:30 CET
    add_call(db, point, utc(2026, 3, 29, 1, 30), CallOutcome.out_of_hours)  # Sun 03:30 CEST
    add_call(db, point, utc(2026, 3, 28, 17, 0), wait=40)  # Sat 18:00
    add_call(db, point, utc(2026, 3, 2, 15, 10), CallOutcome.busy)  # Mon 16:10
    add_call(db, point, utc(2026, 3, 3, 15, 10), CallOutcome.hung_up, legs=(LegOutcome.declined,))
    add_call(db, point, utc(2026, 3, 4, 15, 10), CallOutcome.blocked)  # Wed 16:10
    add_call(db, point, utc(2026, 3, 5, 15, 10), CallOutcome.answered)  # no answer time kept
    other = contact_point(db, create_staff(db, Role.admin), name="Kraków").point
    add_call(db, other, utc(2026, 3, 10, 18, 0), wait=500)  # another contact point's

    found = figures_of(db, point, "2026-03", now=utc(2026, 4, 15, 12))

    assert found.month == "2026-03" and found.complete
    assert found.calls == 11
    assert found.outcomes == {
        CallOutcome.answered: 5,
        CallOutcome.missed: 1,
        CallOutcome.busy: 1,
        CallOutcome.out_of_hours: 2,
        CallOutcome.hung_up: 1,
        CallOutcome.blocked: 1,
        CallOutcome.ringing: 0,
    }
    assert cells(found) == {
        (SUN, 0): 1,
        (TUE, 23): 1,
        (TUE, 19): 1,
        (MON, 20): 1,
        (SUN, 1): 1,
        (SUN, 3): 1,
        (SAT, 18): 1,
        (MON, 16): 1,
        (TUE, 16): 1,
        (WED, 16): 1,
        (THU, 16): 1,
    }
    assert found.by_weekday == [2, 3, 1, 1, 0, 1, 3]
    assert found.by_hour[16] == 4 and found.by_hour[19] == 1 and found.by_hour[20] == 1
    assert found.median_wait_seconds == 25.0  # of 10, 20, 30 and 40 seconds
    assert (found.weekdays.calls, found.weekdays.answered) == (7, 3)
    assert found.weekdays.answered_share == pytest.approx(3 / 7, abs=0.001)
    assert (found.weekends.calls, found.weekends.answered) == (4, 2)
    assert found.weekends.answered_share == 0.5
    assert found.rings == {
        LegOutcome.taken: 2,
        LegOutcome.not_answered: 1,
        LegOutcome.declined: 1,
        LegOutcome.too_late: 0,
        LegOutcome.ringing: 0,
    }
    assert figures_of(db, point, "2026-02", now=utc(2026, 4, 15)).calls == 1
    assert figures_of(db, point, "2026-04", now=utc(2026, 4, 15)).calls == 1


def test_london_october_counts_the_repeated_hour_twice_and_keeps_its_month_edges(
    db: Session, london: Point
) -> None:
    point = london.point
    add_call(db, point, utc(2026, 9, 30, 23, 30))  # Thu 1 Oct 00:30 BST: October
    add_call(db, point, utc(2026, 9, 30, 22, 30))  # Wed 30 Sep 23:30 BST: September
    add_call(db, point, utc(2026, 10, 20, 18, 0), wait=12)  # Tue 19:00 BST
    add_call(db, point, utc(2026, 10, 27, 18, 0), wait=8)  # Tue 18:00 GMT
    add_call(db, point, utc(2026, 10, 25, 0, 30), CallOutcome.out_of_hours)  # Sun 01:30 BST
    add_call(db, point, utc(2026, 10, 25, 1, 30), CallOutcome.out_of_hours)  # Sun 01:30 GMT
    add_call(db, point, utc(2026, 10, 31, 23, 30), CallOutcome.missed)  # Sat 31 Oct 23:30 GMT
    add_call(db, point, utc(2026, 11, 1, 0, 30))  # Sun 1 Nov 00:30 GMT: November

    found = figures_of(db, point, "2026-10", now=utc(2026, 10, 31, 23, 45))

    assert found.calls == 6 and not found.complete  # a quarter of an hour of October left
    assert cells(found) == {(THU, 0): 1, (TUE, 19): 1, (TUE, 18): 1, (SUN, 1): 2, (SAT, 23): 1}
    assert found.median_wait_seconds == 10.0
    assert (found.weekends.calls, found.weekends.answered) == (3, 0)
    assert found.weekends.answered_share == 0.0
    assert (found.weekdays.calls, found.weekdays.answered) == (3, 3)


def test_london_march_puts_calls_in_british_summer_time_hours(db: Session, london: Point) -> None:
    point = london.point
    add_call(db, point, utc(2026, 3, 28, 19, 0))  # Sat 19:00 GMT
    add_call(db, point, utc(2026, 3, 29, 19, 0))  # Sun 20:00 BST
    add_call(db, point, utc(2026, 3, 31, 23, 30))  # Wed 1 Apr 00:30 BST: April
    found = figures_of(db, point, "2026-03", now=utc(2026, 5, 1))
    assert cells(found) == {(SAT, 19): 1, (SUN, 20): 1}
    assert figures_of(db, point, "2026-04", now=utc(2026, 5, 1)).by_weekday_hour[WED][0] == 1


def test_the_median_wait_of_an_odd_number_of_answered_calls_is_the_middle_one(
    db: Session, warszawa: Point
) -> None:
    for wait in (3, 95, 7.5):
        add_call(db, warszawa.point, utc(2026, 5, 4, 16), wait=wait)
    add_call(db, warszawa.point, utc(2026, 5, 4, 17), CallOutcome.missed, wait=1000)
    assert figures_of(db, warszawa.point, "2026-05", now=utc(2026, 6, 1)).median_wait_seconds == 7.5


def test_shifts_planned_filled_and_cancelled_belong_to_their_local_start_month(
    db: Session, admin: Staff, warszawa: Point
) -> None:
    start = utc(2026, 2, 28, 23, 0)  # local midnight, 1 March
    weekly(db, warszawa, admin, start, days="wed", start="16:00", end="21:00", seats=2)
    march = shifts.shifts_between(db, warszawa.point, start.date(), utc(2026, 4, 1).date())
    assert [s.local_date.day for s in march] == [4, 11, 18, 25, 1]  # 1 April is a Wednesday
    first, second, third, _fourth, april = march
    one, two = warszawa.volunteers
    for shift, volunteers in ((first, (one, two)), (second, (one,)), (april, (one, two))):
        for volunteer in volunteers:
            seats.assign(
                db, warszawa.point, shift, volunteer, actor=admin, duty_phone=None, now=start
            )
    seats.cancel_shift(db, third, actor=admin, now=start)
    # A seat taken through a cover request in March; one still open does not count.
    for position, filled_at in ((2, start), (1, None)):
        db.add(
            CoverRequest(
                shift_id=second.id,
                position=position,
                reason="declined",
                created_at=start,
                deadline=second.starts_at,
                filled_at=filled_at,
            )
        )
    # One no-show in March; one who checked in late (cleared) and one in April do not count.
    for shift, cleared in ((first, None), (second, first.ends_at), (april, None)):
        no_show = NoShow(
            contact_point_id=warszawa.point.id,
            shift_id=shift.id,
            volunteer_id=one.id,
            noticed_at=shift.starts_at,
            cleared_at=cleared,
        )
        db.add(no_show)
    db.flush()

    found = figures_of(db, warszawa.point, "2026-03", now=start)

    assert found.shifts.model_dump() == {
        "planned": 3,
        "filled": 1,
        "cancelled": 1,
        "no_shows": 1,
        "covered": 1,
    }
    assert figures_of(db, warszawa.point, "2026-04", now=start).shifts.filled == 1


def test_an_empty_month_and_a_future_one_are_zeros(db: Session, warszawa: Point) -> None:
    add_call(db, warszawa.point, utc(2026, 3, 10, 18), wait=5)
    for month, complete in (("2026-01", True), ("2027-01", False)):
        found = figures_of(db, warszawa.point, month, now=utc(2026, 3, 15))
        assert found.complete is complete
        assert found.calls == 0 and set(found.outcomes.values()) == {0}
        assert found.by_weekday_hour == [[0] * 24] * 7
        assert found.median_wait_seconds is None and found.voicemails == 0
        assert found.weekdays.answered_share is None and found.weekends.answered_share is None
        assert (found.shifts.planned, found.shifts.filled, found.shifts.cancelled) == (0, 0, 0)


def test_without_a_month_it_is_the_local_month_now(db: Session, warszawa: Point) -> None:
    now = utc(2026, 2, 28, 23, 30)  # already 1 March in Warsaw
    assert figures.month_of(warszawa.point, None, now=now).key == "2026-03"


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-3", "26-03", "March", "0001-01"])
def test_a_malformed_month_is_refused_with_how_to_write_it(
    db: Session, warszawa: Point, month: str
) -> None:
    with pytest.raises(BadMonth, match="YYYY-MM"):
        figures.month_of(warszawa.point, month, now=utc(2026, 3, 1))


def test_the_csv_has_one_figure_a_row(db: Session, warszawa: Point) -> None:
    add_call(db, warszawa.point, utc(2026, 3, 10, 18), wait=5)  # Tue 19:00 local
    add_call(db, warszawa.point, utc(2026, 3, 14, 18), CallOutcome.missed)  # Sat 19:00
    found = figures_of(db, warszawa.point, "2026-03", now=utc(2026, 4, 1))

    text = figures.to_csv(found)

    assert text.startswith("month,section,name,weekday,hour,value\r\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["month"] for row in rows} == {"2026-03"}
    by_name = {(row["section"], row["name"]): row["value"] for row in rows if not row["weekday"]}
    assert by_name[("calls", "total")] == "2"
    assert by_name[("outcome", "answered")] == "1" and by_name[("outcome", "missed")] == "1"
    assert by_name[("wait", "median_seconds")] == "5.0"
    assert by_name[("voicemails", "total")] == "0"
    assert by_name[("weekends", "answered_share")] == "0.0"
    assert by_name[("shifts", "no_shows")] == "0"
    grid = [row for row in rows if row["section"] == "calls_by_time"]
    assert len(grid) == 7 * 24
    assert {(r["weekday"], r["hour"]): r["value"] for r in grid if r["value"] != "0"} == {
        ("Tuesday", "19"): "1",
        ("Saturday", "19"): "1",
    }
    assert len(rows) == len(by_name) + len(grid)


def test_voicemails_count_in_the_local_month_they_were_left(db: Session, warszawa: Point) -> None:
    left = (
        utc(2026, 2, 28, 23, 30),  # 00:30 on 1 March in Warsaw
        utc(2026, 3, 20, 12, 0),
        utc(2026, 3, 31, 22, 30),  # 00:30 on 1 April (summer time)
    )
    for number, received_at in enumerate(left):
        db.add(
            Voicemail(
                contact_point_id=warszawa.point.id,
                recording_sid=f"RE{number:032x}",
                received_at=received_at,
                deletes_at=received_at + timedelta(days=30),
            )
        )
    db.flush()
    assert figures_of(db, warszawa.point, "2026-03", now=utc(2026, 4, 2)).voicemails == 2
    assert figures_of(db, warszawa.point, "2026-04", now=utc(2026, 4, 2)).voicemails == 1
