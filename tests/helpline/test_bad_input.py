"""Bad input to the helpline's API: each a 4xx with a message a person can act on, and nothing
half-written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from core.audit import AuditEntry
from groups.models import Line
from helpline import seats, shifts
from helpline.models import Shift, ShiftTemplate
from tests.clock import Clock
from tests.factories import auth_headers, create_group, create_line, create_staff
from tests.helpline.world import Point, contact_point

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday morning in Warsaw


@pytest.fixture
def admin(db: Session) -> Staff:
    return create_staff(db, Role.admin)


@pytest.fixture
def point(db: Session, admin: Staff, clock: Clock) -> Point:
    clock.set(NOW)
    return contact_point(db, admin, name="Warszawa", volunteers=2)


def url(point: Point, path: str = "") -> str:
    return f"/api/v1/helpline/contact-points/{point.point.id}{path}"


def refused(response: Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert words in str(detail), detail


def count(db: Session, model: type[Shift] | type[ShiftTemplate]) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def template(client: TestClient, point: Point, headers: dict[str, str], **body: object) -> Response:
    data = {"weekday": "mon", "start": "16:00", "end": "21:00", "seats": 2, **body}
    return client.post(url(point, "/templates"), json=data, headers=headers)


def test_an_overlapping_shift_is_refused_and_nothing_is_planned(
    client: TestClient, db: Session, point: Point
) -> None:
    headers = auth_headers(client, point.coordinator)
    assert template(client, point, headers).status_code == 201
    shifts_before = count(db, Shift)

    refused(template(client, point, headers, start="20:00", end="23:00"), 409, "Monday 16:00–21:00")
    assert count(db, ShiftTemplate) == 1 and count(db, Shift) == shifts_before


def test_an_overnight_shift_is_accepted_and_said_to_be_one(
    client: TestClient, point: Point
) -> None:
    headers = auth_headers(client, point.coordinator)
    response = template(client, point, headers, weekday="sat", start="22:00", end="02:00")
    assert response.status_code == 201
    assert response.json()["overnight"] is True
    refused(
        template(client, point, headers, start="18:00", end="18:00"),
        422,
        "cannot end when it starts",
    )


def test_seats_cannot_go_below_the_volunteers_signed_up(
    client: TestClient, db: Session, point: Point, admin: Staff
) -> None:
    headers = auth_headers(client, point.coordinator)
    created = template(client, point, headers).json()
    shift = shifts.shifts_between(db, point.point, NOW.date(), NOW.date())[0]
    for volunteer in point.volunteers:
        seats.assign(db, point.point, shift, volunteer, actor=admin, duty_phone=None, now=NOW)
    db.commit()

    response = client.patch(
        url(point, f"/templates/{created['id']}"), json={"seats": 1}, headers=headers
    )
    refused(response, 409, "2 volunteers are already signed up")
    db.expire_all()
    kept = db.get(ShiftTemplate, created["id"])
    assert kept is not None and kept.seats == 2


def test_signing_up_twice_or_for_a_full_shift_is_refused(
    client: TestClient, db: Session, point: Point, admin: Staff
) -> None:
    headers = auth_headers(client, point.coordinator)
    template(client, point, headers, weekday="wed", seats=1)
    shift = shifts.shifts_between(db, point.point, NOW.date(), NOW.date().replace(day=4))[0]
    first, second = point.staff
    sign_up = url(point, f"/shifts/{shift.id}/sign-up")

    assert client.post(sign_up, headers=auth_headers(client, first)).status_code == 200
    refused(client.post(sign_up, headers=auth_headers(client, first)), 409, "already has a seat")
    refused(client.post(sign_up, headers=auth_headers(client, second)), 409, "every seat")


def test_past_the_cut_off_a_volunteer_is_sent_to_the_coordinator(
    client: TestClient, db: Session, point: Point, clock: Clock
) -> None:
    headers = auth_headers(client, point.coordinator)
    template(client, point, headers, weekday="mon", seats=2)  # today at 16:00, 6 hours away
    shift = shifts.shifts_between(db, point.point, NOW.date(), NOW.date())[0]
    response = client.post(
        url(point, f"/shifts/{shift.id}/sign-up"), headers=auth_headers(client, point.staff[0])
    )
    refused(response, 409, "ask the coordinator")


def test_a_volunteer_of_another_contact_point_cannot_be_seated(
    client: TestClient, db: Session, point: Point, admin: Staff
) -> None:
    other = contact_point(db, admin, name="Kraków", volunteers=1)
    headers = auth_headers(client, point.coordinator)
    template(client, point, headers, weekday="wed")
    shift = shifts.shifts_between(db, point.point, NOW.date(), NOW.date().replace(day=4))[0]

    response = client.post(
        url(point, f"/shifts/{shift.id}/seats"),
        json={"volunteer_id": other.volunteers[0].id},
        headers=headers,
    )
    refused(response, 404, "no such volunteer at this contact point")


def test_a_phone_number_already_used_by_another_volunteer_is_refused(
    client: TestClient, db: Session, point: Point
) -> None:
    newcomer = create_staff(db, Role.helper)
    response = client.post(
        url(point, "/volunteers"),
        json={"staff_id": newcomer.id, "phone": point.phones[0]},
        headers=auth_headers(client, point.coordinator),
    )
    refused(response, 409, "already used by another volunteer")


def test_a_line_of_a_group_is_not_given_to_the_helpline_nor_the_other_way(
    client: TestClient, db: Session, point: Point, admin: Staff, clock: Clock
) -> None:
    line = create_line(db)
    create_group(db, now=clock.now(), line=line)
    headers = auth_headers(client, admin)

    response = client.post(url(point, "/lines"), json={"line_id": line.id}, headers=headers)
    refused(response, 409, "this line belongs to a group")

    body = {
        "name": "Evening group",
        "topic": "support",
        "language": "pl",
        "time_zone": "Europe/Warsaw",
        "slots": [{"weekday": "tue", "start": "19:00"}],
        "line_ids": [_helpline_line_id(db, point)],
    }
    refused(
        client.post("/api/v1/groups", json=body, headers=headers), 409, "belongs to the helpline"
    )


def _helpline_line_id(db: Session, point: Point) -> int:
    found = db.scalar(select(Line.id).where(Line.number == point.line))
    assert found is not None
    return found


def test_one_shift_keeps_the_seats_its_volunteers_hold(
    client: TestClient, db: Session, point: Point, admin: Staff
) -> None:
    headers = auth_headers(client, point.coordinator)
    template(client, point, headers, weekday="wed", seats=2)
    shift = shifts.shifts_between(db, point.point, NOW.date(), NOW.date().replace(day=4))[0]
    for volunteer in point.volunteers:
        seats.assign(db, point.point, shift, volunteer, actor=admin, duty_phone=None, now=NOW)
    db.commit()
    change = url(point, f"/shifts/{shift.id}")

    refused(client.patch(change, json={"seats": 1}, headers=headers), 409, "2 volunteers")
    grown = client.patch(change, json={"seats": 3}, headers=headers)
    assert grown.status_code == 200 and grown.json()["open_seats"] == 1


def test_adding_the_same_volunteer_or_coordinator_again_records_nothing_new(
    client: TestClient, db: Session, point: Point, admin: Staff
) -> None:
    headers = auth_headers(client, admin)
    before = db.scalar(select(func.count()).select_from(AuditEntry))
    body = {"staff_id": point.staff[0].id, "phone": point.phones[0]}

    again = client.post(url(point, "/volunteers"), json=body, headers=headers)
    coordinator = client.post(
        url(point, "/coordinators"), json={"staff_id": point.coordinator.id}, headers=headers
    )

    assert again.status_code == 201 and coordinator.status_code == 204
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == before
