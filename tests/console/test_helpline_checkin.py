"""Check-in in the console: a volunteer presses "I am here", a coordinator checks a volunteer in,
sees the no-shows and decides on a sign-up waiting for approval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role
from helpline import seats, shifts
from helpline.models import CheckInBy, NoShow, Shift
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import create_staff
from tests.helpline.world import Point, contact_point, weekly

MONDAY = datetime(2026, 3, 2, 14, 45, tzinfo=UTC)  # 15:45 in Warsaw: a quarter before the shift


def point_now(db: Session, clock: Clock) -> tuple[Point, Shift]:
    clock.set(MONDAY)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Warszawa")
    weekly(
        db,
        point,
        admin,
        MONDAY - timedelta(days=1),
        days="mon thu",
        start="16:00",
        end="21:00",
        seats=2,
    )
    [shift] = shifts.shifts_between(db, point.point, MONDAY.date(), MONDAY.date())
    for volunteer in point.volunteers:
        seats.assign(db, point.point, shift, volunteer, actor=admin, duty_phone=None, now=MONDAY)
    return point, shift


def test_a_volunteer_checks_in_with_the_button_and_sees_who_is_here(
    client: TestClient, db: Session, clock: Clock
) -> None:
    point, shift = point_now(db, clock)
    path = f"/console/helpline/{point.point.id}/check-in"
    sign_in(client, point.staff[0])
    page = client.get(path).text
    assert "16:00–21:00" in page and page.count("not checked in") == 2
    assert page.count("I am here") == 1  # only their own seat has a button
    assert f"Check in {point.staff[1].username}" not in page
    assert "waiting for approval" not in page  # the coordinators' part is not shown

    done = post_form(
        client, f"/console/helpline/{point.point.id}/shifts/{shift.id}/check-in", page=path
    )
    assert done.status_code == 303 and done.headers["location"] == path
    page = client.get(path).text
    assert "Checked in at 15:45." in page
    assert "checked in at" in page and page.count("not checked in") == 1
    db.expire_all()
    assert shift.seats[0].checked_in_by is CheckInBy.console

    # Someone else's seat: refused with the reason on the page.
    refused = post_form(
        client,
        f"/console/helpline/{point.point.id}/shifts/{shift.id}/check-in",
        {"volunteer_id": str(point.volunteers[1].id)},
        page=path,
    )
    assert refused.status_code == 422
    assert "coordinators (or an admin) can do this" in refused.text


def test_a_coordinator_checks_in_sees_no_shows_and_approves_a_waiting_sign_up(
    client: TestClient, db: Session, clock: Clock
) -> None:
    point, shift = point_now(db, clock)
    late = point.volunteers[1]
    past = shifts.shifts_between(db, point.point, MONDAY.date(), MONDAY.date())[0]
    db.add_all(
        NoShow(
            contact_point_id=point.point.id,
            shift_id=past.id,
            volunteer_id=late.id,
            noticed_at=MONDAY - timedelta(days=days),
        )
        for days in (3,)
    )
    point.point.no_show_limit = 1
    thursday = MONDAY.date() + timedelta(days=3)
    [later] = shifts.shifts_between(db, point.point, thursday, thursday)
    waiting = seats.sign_up(db, point.point, later, late, now=MONDAY - timedelta(days=2))
    assert waiting.pending_approval
    path = f"/console/helpline/{point.point.id}/check-in"

    sign_in(client, point.coordinator)
    page = client.get(path).text
    assert f"Check in {point.staff[1].username}" in page
    assert "Sign-ups waiting for approval" in page and "1 no-shows" in page
    team = client.get(f"/console/helpline/{point.point.id}/team").text
    assert "1 no-show<" in team

    done = post_form(
        client,
        f"/console/helpline/{point.point.id}/shifts/{shift.id}/check-in",
        {"volunteer_id": str(late.id)},
        page=path,
    )
    assert done.status_code == 303
    approved = post_form(
        client, f"/console/helpline/{point.point.id}/sign-ups/{waiting.id}/approve", page=path
    )
    assert approved.status_code == 303
    page = client.get(path).text
    assert "is approved; the volunteer is told" in page
    db.expire_all()
    assert not waiting.pending_approval
