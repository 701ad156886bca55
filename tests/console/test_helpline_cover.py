"""Cover and swaps in the console: a volunteer takes a seat someone gave up, offers their own
and changes how they are reached; a refusal shows on the page; the coordinators' settings."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from helpline import cover, seats, shifts
from helpline.models import NotifyBy, Shift
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import create_staff
from tests.helpline.world import Point, contact_point, weekly

# The clock's Monday, 2 March 2026, 12:00 UTC (13:00 in Warsaw).
WEDNESDAY, THURSDAY = date(2026, 3, 4), date(2026, 3, 5)


@pytest.fixture
def point(db: Session, clock: Clock) -> Point:
    admin: Staff = create_staff(db, Role.admin)
    built = contact_point(db, admin, name="Warszawa", volunteers=3)
    weekly(db, built, admin, clock.now(), days="wed thu", start="16:00", end="21:00", seats=1)
    return built


def shift_on(db: Session, point: Point, day: date) -> Shift:
    [shift] = shifts.shifts_between(db, point.point, day, day)
    return shift


def cover_path(point: Point) -> str:
    return f"/console/helpline/{point.point.id}/cover"


def test_a_volunteer_takes_a_seat_someone_gave_up_and_a_second_is_told_it_is_gone(
    client: TestClient, db: Session, clock: Clock, point: Point
) -> None:
    wednesday = shift_on(db, point, WEDNESDAY)
    seats.sign_up(db, point.point, wednesday, point.volunteers[0], now=clock.now())
    seats.withdraw(db, point.point, wednesday, point.volunteers[0], now=clock.now())
    db.flush()

    sign_in(client, point.staff[1])
    page = client.get(cover_path(point)).text
    assert "Seats waiting for cover" in page
    assert 'aria-label="Take the seat on Wed 04 Mar, 16:00–21:00"' in page
    [request] = cover.open_requests(db, point.point, now=clock.now())
    request_id = request.id
    done = post_form(client, f"{cover_path(point)}/{request_id}/take", page=cover_path(point))
    assert done.status_code == 303
    assert (
        "Thank you: you are on duty Wed 04 Mar, 16:00–21:00." in client.get(cover_path(point)).text
    )
    assert wednesday.seats[0].volunteer_id == point.volunteers[1].id

    client.cookies.clear()
    sign_in(client, point.staff[2])
    late = post_form(client, f"{cover_path(point)}/{request_id}/take", page=cover_path(point))
    assert late.status_code == 422
    assert "Someone has already taken this seat; thank you all the same." in late.text
    assert wednesday.seats[0].volunteer_id == point.volunteers[1].id


def test_a_volunteer_offers_a_seat_to_all_and_another_takes_it(
    client: TestClient, db: Session, clock: Clock, point: Point
) -> None:
    thursday = shift_on(db, point, THURSDAY)
    seats.sign_up(db, point.point, thursday, point.volunteers[0], now=clock.now())
    db.flush()
    sign_in(client, point.staff[0])
    month = client.get(f"/console/helpline/{point.point.id}?month=2026-03").text
    link = f"/console/helpline/{point.point.id}/cover?shift={thursday.id}#offer"
    assert f'href="{link}"' in month
    assert (
        f'<option value="{thursday.id}" selected>' in client.get(link.removesuffix("#offer")).text
    )
    offered = post_form(
        client,
        f"{cover_path(point)}/offers",
        {"shift_id": str(thursday.id), "to_volunteer_id": ""},
        page=cover_path(point),
    )
    assert offered.status_code == 303
    assert "Your seat Thu 05 Mar, 16:00–21:00 is offered." in client.get(cover_path(point)).text

    client.cookies.clear()
    sign_in(client, point.staff[2])
    page = client.get(cover_path(point)).text
    assert "offered to all" in page
    [offer_id] = [
        part.split("/")[0]
        for part in page.split(f"{cover_path(point)}/offers/")[1:]
        if "/take" in part
    ]
    taken = post_form(client, f"{cover_path(point)}/offers/{offer_id}/take", page=cover_path(point))
    assert taken.status_code == 303
    assert thursday.seats[0].volunteer_id == point.volunteers[2].id


def test_a_volunteer_chooses_e_mail_and_stops_cover_requests(
    client: TestClient, db: Session, point: Point
) -> None:
    sign_in(client, point.staff[0])
    saved = post_form(
        client,
        f"{cover_path(point)}/preferences",
        {"notify_by": "email"},
        page=cover_path(point),
    )
    assert saved.status_code == 303
    volunteer = point.volunteers[0]
    db.refresh(volunteer)
    assert (volunteer.notify_by, volunteer.cover_requests) == (NotifyBy.email, False)
    refused = post_form(
        client, f"{cover_path(point)}/preferences", {"notify_by": "fax"}, page=cover_path(point)
    )
    assert refused.status_code == 422


def test_the_coordinator_sets_the_unfilled_alert_and_a_volunteer_cannot(
    client: TestClient, db: Session, point: Point
) -> None:
    sign_in(client, point.coordinator)
    page = client.get(cover_path(point)).text
    assert "Cover settings" in page and "How we reach you" not in page
    saved = post_form(
        client,
        f"{cover_path(point)}/settings",
        {"cover_deadline_minutes": "90", "unfilled_alert_days": "5"},
        page=cover_path(point),
    )
    assert saved.status_code == 303
    db.refresh(point.point)
    assert (point.point.cover_deadline_minutes, point.point.unfilled_alert_days) == (90, 5)

    client.cookies.clear()
    sign_in(client, point.staff[0])
    assert "Cover settings" not in client.get(cover_path(point)).text
    refused = post_form(
        client,
        f"{cover_path(point)}/settings",
        {"unfilled_alert_days": "1"},
        page=cover_path(point),
    )
    assert refused.status_code == 403
