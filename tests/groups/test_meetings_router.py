"""Cancel, move and set the topic of one meeting through the API."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from groups import meetings
from groups.models import Group, Meeting
from tests.clock import Clock
from tests.factories import auth_headers, create_group, create_staff


def setup(client: TestClient, db: Session, clock: Clock) -> tuple[Group, dict[str, str]]:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    return group, auth_headers(client, moderator)


def thursday(db: Session, group: Group) -> Meeting:
    (meeting,) = meetings.meetings_on(db, group_id=group.id, day=date(2026, 3, 5))
    return meeting


def test_cancel_one_meeting(client: TestClient, db: Session, clock: Clock) -> None:
    group, headers = setup(client, db, clock)
    meeting = thursday(db, group)
    response = client.post(f"/api/v1/meetings/{meeting.id}/cancel", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/meetings/{meeting.id}/cancel", headers=headers)
    assert again.status_code == 409
    assert again.json()["detail"] == "this meeting is cancelled; it cannot be cancelled"
    # Only that occurrence: the group's other meetings stay scheduled.
    listing = client.get(f"/api/v1/groups/{group.id}/meetings", headers=headers).json()["items"]
    assert [m["status"] for m in listing].count("cancelled") == 1


def test_a_started_meeting_cannot_be_cancelled_or_moved(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    (today,) = meetings.meetings_on(db, group_id=group.id, day=date(2026, 3, 2))
    clock.set(today.starts_at)
    headers = auth_headers(client, moderator)
    response = client.post(f"/api/v1/meetings/{today.id}/cancel", headers=headers)
    assert response.status_code == 409
    assert "already started" in response.json()["detail"]
    moved = client.post(
        f"/api/v1/meetings/{today.id}/move",
        headers=headers,
        json={"starts_at": "2026-03-03T19:00:00+00:00"},
    )
    assert moved.status_code == 409


def test_move_one_meeting_keeps_its_duration_and_remembers_the_original_time(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group, headers = setup(client, db, clock)
    meeting = thursday(db, group)
    response = client.post(
        f"/api/v1/meetings/{meeting.id}/move",
        headers=headers,
        json={"starts_at": "2026-03-06T18:30:00+01:00"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["starts_at"] == "2026-03-06T17:30:00Z"
    assert body["ends_at"] == "2026-03-06T18:30:00Z"
    assert body["local_start"] == "18:30"
    assert body["original_starts_at"] == "2026-03-05T19:00:00Z"
    assert body["local_date"] == "2026-03-05"  # still stands for Thursday's occurrence


def test_move_refuses_the_past_an_overlap_and_a_time_without_offset(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group, headers = setup(client, db, clock)
    meeting = thursday(db, group)
    url = f"/api/v1/meetings/{meeting.id}/move"
    past = client.post(url, headers=headers, json={"starts_at": "2026-03-01T19:00:00+00:00"})
    assert past.status_code == 422
    assert past.json()["detail"] == "the new start time is in the past"
    clash = client.post(url, headers=headers, json={"starts_at": "2026-03-09T19:30:00+00:00"})
    assert clash.status_code == 422
    assert "overlaps another meeting" in clash.json()["detail"]
    for far in ("9999-12-31T23:30:00+00:00", "2028-03-06T19:00:00+00:00"):
        too_late = client.post(url, headers=headers, json={"starts_at": far})
        assert too_late.status_code == 422
        assert too_late.json()["detail"] == "a meeting can be moved at most a year ahead"
    too_early = client.post(url, headers=headers, json={"starts_at": "0001-01-01T00:30:00+01:00"})
    assert too_early.status_code == 422
    assert too_early.json()["detail"] == "starts_at: this time is out of range"
    naive = client.post(url, headers=headers, json={"starts_at": "2026-03-06T19:00:00"})
    assert naive.status_code == 422
    assert "UTC offset" in naive.json()["detail"]
    # Not a date-time at all: the format expected, with an example (not "input is too short").
    for malformed in ("2026-03", "next Friday", "2026-13-06T19:00:00+01:00", True):
        refused = client.post(url, headers=headers, json={"starts_at": malformed})
        assert refused.status_code == 422
        assert refused.json()["detail"] == (
            "starts_at: expected an ISO 8601 date-time such as 2026-03-02T19:00:00+01:00"
        )
    db.refresh(meeting)
    assert meeting.original_starts_at is None


def test_topic_of_one_meeting(client: TestClient, db: Session, clock: Clock) -> None:
    group, headers = setup(client, db, clock)
    meeting = thursday(db, group)
    url = f"/api/v1/meetings/{meeting.id}/topic"
    response = client.put(url, headers=headers, json={"topic": "step one"})
    assert response.status_code == 200
    assert response.json()["topic"] == "step one"
    assert client.put(url, headers=headers, json={"topic": None}).json()["topic"] is None
    too_long = client.put(url, headers=headers, json={"topic": "x" * 201})
    assert too_long.status_code == 422
    assert too_long.json()["detail"].startswith("topic:")


def test_cancelled_meeting_is_not_the_next_meeting(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group, headers = setup(client, db, clock)
    (today,) = meetings.meetings_on(db, group_id=group.id, day=date(2026, 3, 2))
    client.post(f"/api/v1/meetings/{today.id}/cancel", headers=headers)
    body = client.get(f"/api/v1/groups/{group.id}", headers=headers).json()
    assert body["next_meeting_at"] == "2026-03-05T19:00:00Z"


def test_meeting_list_is_paginated(client: TestClient, db: Session, clock: Clock) -> None:
    group, headers = setup(client, db, clock)
    url = f"/api/v1/groups/{group.id}/meetings"
    first = client.get(url, headers=headers, params={"limit": 5}).json()
    second = client.get(url, headers=headers, params={"limit": 5, "offset": 5}).json()
    assert (first["total"], first["limit"], first["offset"]) == (17, 5, 0)
    assert len(first["items"]) == 5 and len(second["items"]) == 5
    assert first["items"][-1]["starts_at"] < second["items"][0]["starts_at"]
    assert client.get(url, headers=headers, params={"limit": 500}).status_code == 422
