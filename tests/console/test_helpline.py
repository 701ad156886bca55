"""The helpline's month in the console: what a volunteer and a coordinator see and do there."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from helpline import seats, shifts
from helpline.models import DutyPhoneKind, Shift, ShiftStatus
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import create_staff
from tests.helpline.world import Point, add_volunteer, contact_point, duty_phone, weekly

# The clock's Monday, 2 March 2026, 12:00 UTC (13:00 in Warsaw).
WEDNESDAY, THURSDAY = date(2026, 3, 4), date(2026, 3, 5)


@pytest.fixture
def admin(db: Session) -> Staff:
    return create_staff(db, Role.admin)


@pytest.fixture
def point(db: Session, admin: Staff, clock: Clock) -> Point:
    """Warszawa: a coordinator, two volunteers, Wednesdays and Thursdays 16:00–21:00, two
    seats each, a duty mobile."""
    built = contact_point(db, admin, name="Warszawa")
    weekly(db, built, admin, clock.now(), days="wed thu", start="16:00", end="21:00", seats=2)
    duty_phone(db, built, admin, DutyPhoneKind.mobile, "Mobile 1")
    return built


def shift_on(db: Session, point: Point, day: date) -> Shift:
    [shift] = shifts.shifts_between(db, point.point, day, day)
    return shift


def month_path(point: Point) -> str:
    return f"/console/helpline/{point.point.id}"


def test_the_helpline_is_in_the_navigation_of_its_team_only(
    client: TestClient, db: Session, point: Point, admin: Staff
) -> None:
    for person in (point.staff[0], point.coordinator, admin):
        client.cookies.clear()
        sign_in(client, person)
        page = client.get("/console/helpline").text
        assert 'href="/console/helpline"' in page
        assert "Warszawa" in page
    client.cookies.clear()
    sign_in(client, create_staff(db, Role.helper))
    assert 'href="/console/helpline"' not in client.get("/console/referrals/new").text


def test_a_volunteer_sees_the_month_with_open_seats_and_signs_up(
    client: TestClient, db: Session, point: Point
) -> None:
    sign_in(client, point.staff[0])
    page = client.get(month_path(point)).text
    assert "Shifts in March 2026" in page
    assert "Wed 04 Mar, 16:00–21:00" in page  # local times of Warsaw
    assert "2 open seats" in page
    assert 'aria-label="Sign up for Wed 04 Mar, 16:00–21:00"' in page
    assert "Assign" not in page and "Cancel this shift" not in page
    assert "Call log" not in page
    wednesday = shift_on(db, point, WEDNESDAY)
    done = post_form(client, f"{month_path(point)}/shifts/{wednesday.id}/sign-up")
    assert done.status_code == 303
    assert done.headers["location"] == f"{month_path(point)}?month=2026-03#shift-{wednesday.id}"
    page = client.get(month_path(point)).text
    assert "Thank you: you are on duty Wed 04 Mar, 16:00–21:00." in page
    assert f"{point.staff[0].username} (you)" in page
    assert "1 open seat<" in page
    assert 'aria-label="Withdraw from Wed 04 Mar, 16:00–21:00"' in page

    withdrawn = post_form(client, f"{month_path(point)}/shifts/{wednesday.id}/withdraw")
    assert withdrawn.status_code == 303
    db.refresh(wednesday)
    assert all(seat.volunteer_id is None for seat in wednesday.seats)


def test_a_full_shift_and_the_cut_off_are_said_in_words(
    client: TestClient, db: Session, point: Point, admin: Staff, clock: Clock
) -> None:
    wednesday = shift_on(db, point, WEDNESDAY)
    add_volunteer(db, point, admin)
    for volunteer in point.volunteers[1:]:
        seats.assign(
            db, point.point, wednesday, volunteer, actor=admin, duty_phone=None, now=clock.now()
        )
    sign_in(client, point.staff[0])
    full = post_form(client, f"{month_path(point)}/shifts/{wednesday.id}/sign-up")
    assert full.status_code == 422
    assert "Please check the form" in full.text
    assert "Every seat of this shift is taken; choose another shift." in full.text
    assert f'id="shift-{wednesday.id}-error"' in full.text  # beside the shift too

    # Wednesday 16:00 UTC: Thursday's shift starts in 23 hours, past the 24-hour cut-off.
    clock.advance(days=2, hours=4)
    thursday = shift_on(db, point, THURSDAY)
    sign_in(client, point.staff[0])  # the session of two days ago has expired
    late = post_form(client, f"{month_path(point)}/shifts/{thursday.id}/sign-up")
    assert late.status_code == 422
    assert (
        "Sign-ups and withdrawals close 24 hours before a shift; ask the coordinator." in late.text
    )
    assert "Sign-ups and withdrawals closed 24 hours before the start" in late.text
    assert 'aria-label="Sign up for Thu 05 Mar, 16:00–21:00"' not in late.text


def test_a_coordinator_assigns_with_a_mobile_removes_and_cancels(
    client: TestClient, db: Session, point: Point, clock: Clock
) -> None:
    wednesday = shift_on(db, point, WEDNESDAY)
    volunteer = point.volunteers[0]
    sign_in(client, point.coordinator)
    page = client.get(month_path(point)).text
    assert "Call log" in page
    assert 'aria-label="Assign seat 1 of Wed 04 Mar, 16:00–21:00"' in page
    shift_page = f"{month_path(point)}/shifts/{wednesday.id}"
    form = client.get(shift_page).text
    assert point.staff[0].username in form and "Mobile 1" in form
    assert point.phones[0] not in form
    data = {"volunteer_id": str(volunteer.id), "duty_phone_id": str(point.duty["Mobile 1"].id)}
    assert post_form(client, f"{shift_page}/seats", data, page=shift_page).status_code == 303
    page = client.get(month_path(point)).text
    assert f"{point.staff[0].username} · with Mobile 1" in page
    assert "Seat assigned for Wed 04 Mar, 16:00–21:00." in page

    again = post_form(client, f"{shift_page}/seats", {"volunteer_id": "x"}, page=shift_page)
    assert again.status_code == 422 and "enter a whole number" in again.text

    removed = post_form(client, f"{shift_page}/seats/{volunteer.id}/remove")
    assert removed.status_code == 303
    db.refresh(wednesday)
    assert all(seat.volunteer_id is None for seat in wednesday.seats)

    seats.assign(
        db,
        point.point,
        wednesday,
        point.volunteers[1],
        actor=point.coordinator,
        duty_phone=None,
        now=clock.now(),
    )
    confirm = client.get(f"{shift_page}/cancel").text
    assert "Cancel the shift of Wed 04 Mar, 16:00–21:00?" in confirm
    assert f"On duty then: {point.staff[1].username}; tell them yourself." in confirm
    assert post_form(client, f"{shift_page}/cancel").status_code == 303
    db.refresh(wednesday)
    assert wednesday.status is ShiftStatus.cancelled
    assert "1 volunteer had a seat on it" in client.get(month_path(point)).text


def test_a_volunteer_is_refused_a_coordinators_action_and_another_point_is_missing(
    client: TestClient, db: Session, point: Point, admin: Staff
) -> None:
    other = contact_point(db, admin, name="Kraków")
    wednesday = shift_on(db, point, WEDNESDAY)
    sign_in(client, point.staff[0])
    shift_page = f"{month_path(point)}/shifts/{wednesday.id}"
    assert client.get(f"{shift_page}/cancel").status_code == 403
    refused = post_form(client, f"{shift_page}/cancel")
    assert refused.status_code == 403
    assert "coordinators (or an admin) can do this" in refused.text
    data = {"volunteer_id": str(point.volunteers[0].id)}
    assert post_form(client, f"{shift_page}/seats", data).status_code == 403
    for path in (month_path(other), f"{month_path(other)}/shifts/1"):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert "Not found" in missing.text
    for month in ("2026-13", "9999-12", "0001-01", "March"):
        assert client.get(f"{month_path(point)}?month={month}").status_code == 422, month
    # A button's address opened as a page leads back to the shift, nothing done.
    opened = client.get(f"{shift_page}/sign-up", follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (303, shift_page)


def test_previous_and_next_months(client: TestClient, point: Point) -> None:
    sign_in(client, point.staff[0])
    page = client.get(month_path(point)).text
    assert "?month=2026-02" in page and "?month=2026-04" in page
    april = client.get(f"{month_path(point)}?month=2026-04").text
    assert "Shifts in April 2026" in april and "Wed 01 Apr, 16:00–21:00" in april
    assert (
        "No shifts planned in February 2026"
        in client.get(f"{month_path(point)}?month=2026-02").text
    )


def test_impossible_ids_are_a_clear_error(client: TestClient, point: Point) -> None:
    huge = 2**63
    sign_in(client, point.coordinator)
    for path in (
        f"/console/helpline/{huge}",
        f"{month_path(point)}/shifts/{huge}",
        f"{month_path(point)}/calls?offset={huge}",
    ):
        assert 400 <= client.get(path).status_code < 500, path
    refused = post_form(client, f"{month_path(point)}/volunteers/{huge}/remove")
    assert 400 <= refused.status_code < 500
