from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role
from tests.clock import Clock
from tests.factories import auth_headers, create_group, create_line, create_member, create_staff


def test_admin_creates_a_group_and_its_meetings_are_planned(
    client: TestClient, db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    line = create_line(db)
    response = client.post(
        "/api/v1/groups",
        headers=auth_headers(client, admin),
        json={
            "name": "Thursday evening",
            "topic": "internet addiction",
            "language": "pl",
            "time_zone": "Europe/Warsaw",
            "slots": [{"weekday": "mon", "start": "20:00"}, {"weekday": "thu", "start": "20:00"}],
            "line_ids": [line.id],
        },
    )
    assert response.status_code == 201, response.text
    group = response.json()
    assert group["slots"] == [
        {"weekday": "mon", "start": "20:00"},
        {"weekday": "thu", "start": "20:00"},
    ]
    # Monday 2 March 2026, 20:00 in Warsaw (CET, UTC+1)
    assert group["next_meeting_at"] == "2026-03-02T19:00:00Z"
    meetings = client.get(
        f"/api/v1/groups/{group['id']}/meetings", headers=auth_headers(client, admin)
    )
    assert meetings.json()["total"] == 17  # two a week for eight weeks, plus today's


def test_moderator_of_another_group_gets_not_found(
    client: TestClient, db: Session, clock: Clock
) -> None:
    mine = create_staff(db)
    other = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=mine)
    create_group(db, now=clock.now(), moderator=other)
    assert (
        client.get(f"/api/v1/groups/{group.id}", headers=auth_headers(client, mine)).status_code
        == 200
    )
    response = client.get(f"/api/v1/groups/{group.id}", headers=auth_headers(client, other))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_approval_returns_credentials_once(client: TestClient, db: Session, clock: Clock) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    credentials = create_member(db, group, now=clock.now())
    assert credentials.participant_number.isdigit() and len(credentials.participant_number) >= 8
    assert credentials.pin.isdigit() and len(credentials.pin) == 6
    listing = client.get(
        f"/api/v1/groups/{group.id}/memberships", headers=auth_headers(client, moderator)
    ).text
    assert credentials.pin not in listing
    assert credentials.participant_number not in listing
