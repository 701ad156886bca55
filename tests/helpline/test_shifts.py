"""A one-off shift: duty outside the weekly shifts, planned and seated like theirs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from auth.models import Role
from helpline import duty, seats, shifts
from helpline.exceptions import OneOffOverlaps, OneOffTimes
from helpline.models import ContactPoint, RingsAt, Shift
from tests.factories import create_staff
from tests.helpline.world import contact_point, weekly

MONDAY_NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)  # 13:00 in Warsaw


def one_off(db: Session, point: ContactPoint, starts_at: datetime, ends_at: datetime) -> Shift:
    admin = create_staff(db, Role.admin)
    return shifts.add_one_off(
        db,
        point,
        actor=admin,
        starts_at=starts_at,
        ends_at=ends_at,
        seats=2,
        rings_at=RingsAt.own_phone,
        now=MONDAY_NOON,
    )


def test_a_one_off_shift_puts_its_seated_volunteers_on_duty(db: Session) -> None:
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Kraków")
    shift = one_off(
        db, point.point, MONDAY_NOON - timedelta(minutes=5), MONDAY_NOON + timedelta(hours=1)
    )
    assert (shift.template_id, shift.local_date.isoformat(), len(shift.seats)) == (
        None,
        "2026-03-02",
        2,
    )
    for volunteer in point.volunteers:
        seats.assign(
            db, point.point, shift, volunteer, actor=admin, duty_phone=None, now=MONDAY_NOON
        )
    on_duty = duty.on_duty(db, point.point.id, MONDAY_NOON)
    assert [target.number for target in on_duty] == point.phones
    assert duty.staffed_until(db, point.point.id, MONDAY_NOON) == MONDAY_NOON + timedelta(hours=1)


def test_a_one_off_shift_may_not_overlap_another(db: Session) -> None:
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Gdańsk", volunteers=0)
    weekly(db, point, admin, MONDAY_NOON, days="mon", start="16:00", end="21:00")
    evening = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 16:00 in Warsaw
    with pytest.raises(OneOffOverlaps):
        one_off(db, point.point, evening - timedelta(hours=1), evening + timedelta(minutes=1))
    before = one_off(db, point.point, evening - timedelta(hours=1), evening)
    assert before.ends_at == evening


@pytest.mark.parametrize(
    ("starts", "ends"),
    [(timedelta(hours=1), timedelta(hours=1)), (-timedelta(hours=2), -timedelta(hours=1))],
)
def test_a_one_off_shift_ends_after_it_starts_and_after_now(
    db: Session, starts: timedelta, ends: timedelta
) -> None:
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Poznań", volunteers=0)
    with pytest.raises(OneOffTimes):
        one_off(db, point.point, MONDAY_NOON + starts, MONDAY_NOON + ends)


def test_a_weekly_shift_is_not_planned_on_top_of_a_one_off(db: Session) -> None:
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Gdańsk", volunteers=0)
    wednesday = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 16:00 in Warsaw
    shifts.add_one_off(
        db,
        point.point,
        actor=admin,
        starts_at=wednesday,
        ends_at=wednesday + timedelta(hours=2),
        seats=1,
        rings_at=RingsAt.own_phone,
        now=MONDAY_NOON,
    )

    weekly(db, point, admin, MONDAY_NOON, days="wed", start="17:00", end="21:00")

    found = shifts.shifts_between(db, point.point, wednesday.date(), wednesday.date())
    assert [shift.template_id for shift in found] == [None]  # the one-off only
    later = shifts.shifts_between(
        db, point.point, wednesday.date() + timedelta(days=7), wednesday.date() + timedelta(days=7)
    )
    assert [shift.template_id is not None for shift in later] == [True]
