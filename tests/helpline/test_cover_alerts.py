"""The cover deadline, the unfilled-shift alert and the reminders, in the contact point's local
time right across a clock change in Warsaw (spring) and London (autumn), each told once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from helpline import cover, cover_alerts, reminders, seats, shifts
from helpline.models import CoverRequest, Shift
from notifications.models import Kind, OutboxMessage
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.world import Point, contact_point, weekly


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def point_with_shift(
    db: Session, clock: Clock, *, zone: str, day: date, planned_at: datetime
) -> tuple[Point, Shift]:
    """A contact point with a 16:00–21:00 shift of two seats on ``day``, one of them filled."""
    clock.set(planned_at)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name=f"Point {zone}", zone=zone, volunteers=3)
    point.coordinator.email = "coordinator@example.org"
    for volunteer in point.volunteers[1:]:
        volunteer.cover_requests = True
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    weekly(db, point, admin, planned_at, days=weekday, start="16:00", end="21:00", seats=2)
    [shift] = shifts.shifts_between(db, point.point, day, day)
    seats.sign_up(db, point.point, shift, point.volunteers[0], now=planned_at)
    return point, shift


def told(db: Session, event: str) -> int:
    db.flush()
    return sum(
        1
        for row in db.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.duty_notice))
        if row.payload["event"] == event
    )


# Sunday 29 March 2026: Warsaw's clocks go forward (16:00 is 14:00 UTC, it was 15:00 UTC before).
# Sunday 25 October 2026: London's clocks go back (16:00 is 16:00 UTC, it was 15:00 UTC before).
DEADLINES = {
    "Europe/Warsaw": (date(2026, 3, 29), utc(2026, 3, 29, 14, 0)),
    "Europe/London": (date(2026, 10, 25), utc(2026, 10, 25, 16, 0)),
}


@pytest.mark.parametrize("zone", sorted(DEADLINES))
def test_the_coordinator_is_told_once_when_nobody_takes_a_seat_by_the_deadline(
    db: Session, clock: Clock, zone: str
) -> None:
    day, starts = DEADLINES[zone]
    point, shift = point_with_shift(
        db, clock, zone=zone, day=day, planned_at=starts - timedelta(days=6)
    )
    assert shift.starts_at == starts
    seats.withdraw(db, point.point, shift, point.volunteers[0], now=starts - timedelta(days=5))
    deadline = starts - timedelta(hours=1)  # 15:00 local, whatever the clocks did

    assert cover_alerts.expire_due(db, now=deadline - timedelta(minutes=1)) == 0
    assert cover_alerts.expire_due(db, now=deadline) == 1
    assert cover_alerts.expire_due(db, now=deadline + timedelta(minutes=1)) == 0
    assert told(db, "cover_unanswered") == 1
    # Still open to a volunteer until the shift: a late YES is welcome.
    [request] = db.scalars(select(CoverRequest)).all()
    cover.take(db, request=request, volunteer=point.volunteers[1], now=deadline)


def test_a_seat_taken_before_the_deadline_tells_nobody(db: Session, clock: Clock) -> None:
    day, starts = DEADLINES["Europe/Warsaw"]
    point, shift = point_with_shift(
        db, clock, zone="Europe/Warsaw", day=day, planned_at=starts - timedelta(days=6)
    )
    seats.withdraw(db, point.point, shift, point.volunteers[0], now=starts - timedelta(days=5))
    [request] = db.scalars(select(CoverRequest)).all()
    cover.take(db, request=request, volunteer=point.volunteers[1], now=starts - timedelta(days=4))

    assert cover_alerts.expire_due(db, now=starts) == 0
    assert told(db, "cover_unanswered") == 0


def test_a_seat_the_coordinator_filled_meanwhile_tells_nobody(db: Session, clock: Clock) -> None:
    day, starts = DEADLINES["Europe/Warsaw"]
    point, shift = point_with_shift(
        db, clock, zone="Europe/Warsaw", day=day, planned_at=starts - timedelta(days=6)
    )
    seats.withdraw(db, point.point, shift, point.volunteers[0], now=starts - timedelta(days=5))
    seats.assign(
        db,
        point.point,
        shift,
        point.volunteers[2],
        actor=point.coordinator,
        duty_phone=None,
        now=starts - timedelta(days=4),
    )

    assert cover_alerts.expire_due(db, now=starts - timedelta(hours=1)) == 0
    assert told(db, "cover_unanswered") == 0
    [request] = db.scalars(select(CoverRequest)).all()
    assert request.filled_by_id == point.volunteers[2].id


# Three days before a Tuesday 16:00 shift is the Saturday at 16:00 local time: across the change
# that is 71 hours before in Warsaw (spring) and 73 in London (autumn), not 72.
UNFILLED = {
    "Europe/Warsaw": (date(2026, 3, 31), utc(2026, 3, 28, 15, 0)),
    "Europe/London": (date(2026, 10, 27), utc(2026, 10, 24, 15, 0)),
}


@pytest.mark.parametrize("zone", sorted(UNFILLED))
def test_a_shift_short_of_volunteers_three_days_ahead_is_told_once(
    db: Session, clock: Clock, zone: str
) -> None:
    day, alert = UNFILLED[zone]
    point_with_shift(db, clock, zone=zone, day=day, planned_at=alert - timedelta(days=3))

    assert cover_alerts.alert_unfilled(db, now=alert - timedelta(minutes=1)) == 0
    assert cover_alerts.alert_unfilled(db, now=alert) == 1
    assert cover_alerts.alert_unfilled(db, now=alert + timedelta(hours=1)) == 0
    assert told(db, "shift_unfilled") == 1
    [request] = db.scalars(select(CoverRequest)).all()
    assert (request.reason, request.position) == ("unfilled", 2)
    assert told(db, "cover_needed") == 2  # both others take cover requests


def test_a_full_shift_raises_no_alert(db: Session, clock: Clock) -> None:
    day, alert = UNFILLED["Europe/Warsaw"]
    point, shift = point_with_shift(
        db, clock, zone="Europe/Warsaw", day=day, planned_at=alert - timedelta(days=3)
    )
    seats.sign_up(db, point.point, shift, point.volunteers[1], now=alert - timedelta(days=3))
    assert cover_alerts.alert_unfilled(db, now=alert) == 0


def test_london_reminders_the_evening_before_and_two_hours_before_across_the_autumn_change(
    db: Session, clock: Clock
) -> None:
    day, starts = DEADLINES["Europe/London"]
    point_with_shift(
        db, clock, zone="Europe/London", day=day, planned_at=starts - timedelta(days=3)
    )
    evening = utc(2026, 10, 24, 17, 0)  # Saturday 18:00 in London, still summer time
    assert reminders.queue_due(db, now=evening - timedelta(minutes=1)) == 0
    assert reminders.queue_due(db, now=evening) == 1
    assert reminders.queue_due(db, now=utc(2026, 10, 25, 13, 59)) == 0
    assert reminders.queue_due(db, now=utc(2026, 10, 25, 14, 0)) == 1  # 14:00 GMT
