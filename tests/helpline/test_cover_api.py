"""Cover and swaps through the API: a seat offered to a named volunteer rings them once they
confirm, everyone concerned is told and the audit log has both steps; bad input is a clear 4xx
and changes nothing; a volunteer's preferences decide how they are reminded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from core.audit import AuditEntry
from helpline import duty, reminders, seats, service, shifts
from helpline.models import NotifyBy, Shift
from helpline.schemas import ContactPointCreate, VolunteerCreate
from notifications.models import Channel, Kind, OutboxMessage
from tests.clock import Clock
from tests.factories import auth_headers, create_staff
from tests.helpline.world import Point, contact_point, weekly

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
THURSDAY = MONDAY.date() + timedelta(days=3)
P = "/api/v1/helpline/contact-points/{}"


@dataclass
class Team:
    point: Point
    shift: Shift


def team(db: Session, clock: Clock) -> Team:
    clock.set(MONDAY)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Warszawa", volunteers=3)
    point.coordinator.email = "coordinator@example.org"
    weekly(db, point, admin, MONDAY, days="thu", start="16:00", end="21:00", seats=1)
    [shift] = shifts.shifts_between(db, point.point, THURSDAY, THURSDAY)
    seats.sign_up(db, point.point, shift, point.volunteers[0], now=MONDAY)
    db.flush()
    return Team(point, shift)


def events(db: Session) -> set[tuple[str, int | None]]:
    db.flush()
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.duty_notice))
    return {(row.payload["event"], row.staff_id) for row in rows}


def test_a_seat_offered_to_a_named_volunteer_is_theirs_once_they_confirm(
    client: TestClient, db: Session, clock: Clock
) -> None:
    world = team(db, clock)
    giver, taker, other = world.point.staff
    url = P.format(world.point.point.id) + "/seat-offers"

    response = client.post(
        url,
        json={"shift_id": world.shift.id, "to_volunteer_id": world.point.volunteers[1].id},
        headers=auth_headers(client, giver),
    )
    assert response.status_code == 201, response.text
    offer_id = response.json()["id"]
    assert ("seat_offered", taker.id) in events(db)

    refused = client.post(f"{url}/{offer_id}/take", headers=auth_headers(client, other))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this seat is offered to someone else"

    taken = client.post(f"{url}/{offer_id}/take", headers=auth_headers(client, taker))
    assert taken.status_code == 200, taken.text
    assert [seat["username"] for seat in taken.json()["seats"]] == [taker.username]
    told = events(db)
    assert ("seat_removed", giver.id) in told and ("seat_taken", taker.id) in told
    assert ("seat_swapped", world.point.coordinator.id) in told
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"seat.offer", "seat.swap"} <= actions
    # The schedule is the routing: at the start the taker's phone rings, not the giver's.
    targets = duty.on_duty(db, world.point.point.id, world.shift.starts_at)
    assert [target.number for target in targets] == [world.point.phones[1]]


def test_a_seat_cannot_be_offered_to_a_volunteer_of_another_contact_point(
    client: TestClient, db: Session, clock: Clock
) -> None:
    world = team(db, clock)
    admin = create_staff(db, Role.admin)
    elsewhere = service.create_point(
        db,
        actor=admin,
        data=ContactPointCreate(name="Kraków", language="pl", time_zone="Europe/Warsaw"),
    )
    stranger = service.add_volunteer(
        db,
        elsewhere,
        actor=admin,
        data=VolunteerCreate(staff_id=create_staff(db, Role.helper).id, phone="+48600123999"),
    )
    db.flush()

    response = client.post(
        P.format(world.point.point.id) + "/seat-offers",
        json={"shift_id": world.shift.id, "to_volunteer_id": stranger.id},
        headers=auth_headers(client, world.point.staff[0]),
    )

    assert 400 <= response.status_code < 500
    assert "contact point" in response.json()["detail"]
    assert world.shift.seats[0].volunteer_id == world.point.volunteers[0].id


def test_accepting_a_cover_request_someone_took_already_is_a_clear_409(
    client: TestClient, db: Session, clock: Clock
) -> None:
    world = team(db, clock)
    seats.withdraw(db, world.point.point, world.shift, world.point.volunteers[0], now=MONDAY)
    db.flush()
    url = P.format(world.point.point.id) + "/cover-requests"
    [request] = client.get(url, headers=auth_headers(client, world.point.staff[1])).json()

    first = client.post(
        f"{url}/{request['id']}/accept", headers=auth_headers(client, world.point.staff[1])
    )
    late = client.post(
        f"{url}/{request['id']}/accept", headers=auth_headers(client, world.point.staff[2])
    )

    assert first.status_code == 200, first.text
    assert late.status_code == 409
    assert late.json()["detail"] == "someone has already taken this seat; thank you all the same"
    assert world.shift.seats[0].volunteer_id == world.point.volunteers[1].id
    listed = client.get(url, headers=auth_headers(client, world.point.staff[2]))
    assert listed.json() == []


def test_a_volunteer_chooses_e_mail_and_is_reminded_by_e_mail(
    client: TestClient, db: Session, clock: Clock
) -> None:
    world = team(db, clock)
    volunteer = world.point.staff[0]
    volunteer.email = "volunteer@example.org"
    headers = auth_headers(client, volunteer)

    response = client.patch(
        "/api/v1/helpline/me/preferences",
        json={"notify_by": "email", "cover_requests": True},
        headers=headers,
    )

    assert response.json() == {"notify_by": "email", "cover_requests": True}
    assert world.point.volunteers[0].notify_by is NotifyBy.email
    reminders.queue_due(db, now=world.shift.starts_at - timedelta(hours=2))
    [row] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.duty_notice))
    assert row.channel is Channel.email
    refused = client.patch(
        "/api/v1/helpline/me/preferences", json={"notify_by": "fax"}, headers=headers
    )
    assert refused.status_code == 422
