"""No-shows counted per volunteer and shown to coordinators; after the contact point's number of
them within its period, a volunteer's sign-ups wait for a coordinator's approval; and the
check-in API's clear answers to a seat that cannot be checked in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from helpline import noshows, seats, shifts
from helpline.models import NoShow, RingsAt, Shift, Volunteer
from notifications.models import Kind, OutboxMessage
from tests.clock import Clock
from tests.factories import auth_headers, create_staff
from tests.helpline.world import Point, contact_point, weekly

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday morning in Warsaw
P = "/api/v1/helpline/contact-points/{}"


def team(db: Session, clock: Clock) -> tuple[Point, Staff]:
    clock.set(NOW)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Bielsko-Biała")
    point.coordinator.email = "coordinator@example.org"
    weekly(db, point, admin, NOW, days="mon fri sat", start="16:00", end="21:00", seats=2)
    return point, admin


def missed(db: Session, point: Point, volunteer: Volunteer, *days_ago: int) -> None:
    """No-shows of ``volunteer`` on past shifts, so many days before NOW."""
    for n, days in enumerate(days_ago):
        shift = Shift(
            contact_point_id=point.point.id,
            local_date=(NOW - timedelta(days=days)).date(),
            starts_at=NOW - timedelta(days=days, hours=n),
            ends_at=NOW - timedelta(days=days, hours=n) + timedelta(hours=1),
            rings_at=RingsAt.own_phone,
        )
        db.add(shift)
        db.flush()
        db.add(
            NoShow(
                contact_point_id=point.point.id,
                shift_id=shift.id,
                volunteer_id=volunteer.id,
                noticed_at=shift.starts_at + timedelta(minutes=15),
            )
        )
    db.flush()


def friday(db: Session, point: Point) -> Shift:
    day = (NOW + timedelta(days=4)).date()
    [shift] = shifts.shifts_between(db, point.point, day, day)
    return shift


def told(db: Session, staff_id: int) -> list[str]:
    found = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == Kind.duty_notice, OutboxMessage.staff_id == staff_id)
        .order_by(OutboxMessage.id)
    )
    return [str(row.payload["event"]) for row in found]


def test_two_no_shows_in_the_period_make_a_sign_up_wait_for_approval(
    client: TestClient, db: Session, clock: Clock
) -> None:
    point, _ = team(db, clock)
    volunteer, staff = point.volunteers[0], point.staff[0]
    missed(db, point, volunteer, 10, 89)
    shift = friday(db, point)

    seat = seats.sign_up(db, point.point, shift, volunteer, now=NOW)
    assert seat.pending_approval
    assert told(db, point.coordinator.id) == ["signup_pending"]

    coordinator = auth_headers(client, point.coordinator)
    listed = client.get(P.format(point.point.id) + "/sign-ups/pending", headers=coordinator)
    assert [(s["seat_id"], s["no_shows"]) for s in listed.json()] == [(seat.id, 2)]
    team_list = client.get(P.format(point.point.id) + "/volunteers", headers=coordinator).json()
    assert {v["id"]: v["no_shows"] for v in team_list} == {
        point.volunteers[0].id: 2,
        point.volunteers[1].id: 0,
    }
    own_view = client.get(
        P.format(point.point.id) + "/volunteers", headers=auth_headers(client, staff)
    ).json()
    assert {v["no_shows"] for v in own_view} == {None}  # only coordinators see them

    approved = client.post(
        P.format(point.point.id) + f"/sign-ups/{seat.id}/approve", headers=coordinator
    )
    assert approved.status_code == 204
    db.expire_all()
    assert not seat.pending_approval and seat.volunteer_id == volunteer.id
    assert told(db, staff.id) == ["signup_approved"]
    again = client.post(
        P.format(point.point.id) + f"/sign-ups/{seat.id}/refuse", headers=coordinator
    )
    assert again.status_code == 409
    assert "waiting for approval" in again.json()["detail"]


def test_a_refused_sign_up_opens_the_seat_again(db: Session, clock: Clock) -> None:
    point, _ = team(db, clock)
    volunteer, staff = point.volunteers[0], point.staff[0]
    missed(db, point, volunteer, 1, 2, 3)
    shift = friday(db, point)
    seat = seats.sign_up(db, point.point, shift, volunteer, now=NOW)

    noshows.decide(db, seat, approve=False, actor=point.coordinator, now=NOW)
    assert seat.volunteer_id is None and not seat.pending_approval
    assert told(db, staff.id) == ["signup_refused"]


def test_old_or_cleared_no_shows_do_not_count(db: Session, clock: Clock) -> None:
    point, _ = team(db, clock)
    volunteer = point.volunteers[0]
    missed(db, point, volunteer, 10, 91)  # one is older than the 90 days
    missed(db, point, point.volunteers[1], 5, 6)
    for late in db.scalars(select(NoShow).where(NoShow.volunteer_id == point.volunteers[1].id)):
        late.cleared_at = late.noticed_at + timedelta(minutes=5)  # came late: not a no-show

    for who in point.volunteers:
        seat = seats.sign_up(db, point.point, friday(db, point), who, now=NOW)
        assert not seat.pending_approval
    assert told(db, point.coordinator.id) == []


def test_the_limit_and_the_period_are_the_contact_points(db: Session, clock: Clock) -> None:
    point, _ = team(db, clock)
    point.point.no_show_limit, point.point.no_show_days = 3, 365
    volunteer = point.volunteers[0]
    missed(db, point, volunteer, 100, 200)
    assert not seats.sign_up(
        db, point.point, friday(db, point), volunteer, now=NOW
    ).pending_approval
    missed(db, point, volunteer, 300)
    saturday = (NOW + timedelta(days=5)).date()
    [shift] = shifts.shifts_between(db, point.point, saturday, saturday)
    assert seats.sign_up(db, point.point, shift, volunteer, now=NOW).pending_approval


def test_a_check_in_outside_the_window_or_without_a_seat_is_a_clear_409(
    client: TestClient, db: Session, clock: Clock
) -> None:
    point, admin = team(db, clock)
    shift = friday(db, point)
    seats.assign(db, point.point, shift, point.volunteers[0], actor=admin, duty_phone=None, now=NOW)
    url = P.format(point.point.id) + f"/shifts/{shift.id}/check-in"

    early = client.post(url, headers=auth_headers(client, point.staff[0]))
    assert early.status_code == 409
    assert "nothing to check in for" in early.json()["detail"]
    clock.set(shift.starts_at - timedelta(minutes=10))
    unseated = client.post(url, headers=auth_headers(client, point.staff[1]))
    assert unseated.status_code == 409
    assert "no seat on this shift" in unseated.json()["detail"]
    on_time = client.post(url, headers=auth_headers(client, point.staff[0]))
    assert on_time.status_code == 200
    assert on_time.json()["checked_in_at"].startswith(
        (shift.starts_at - timedelta(minutes=10)).isoformat()[:16]
    )


def test_the_coordinator_sets_the_check_in_rules_of_the_contact_point(
    client: TestClient, db: Session, clock: Clock
) -> None:
    point, _ = team(db, clock)
    url = P.format(point.point.id)
    coordinator = auth_headers(client, point.coordinator)
    assert (
        client.get(url, headers=coordinator).json()
        | {
            "no_show_minutes": 15,
            "no_show_limit": 2,
            "no_show_days": 90,
            "ring_checked_in_only": False,
        }
        == client.get(url, headers=coordinator).json()
    )

    changes = {
        "no_show_minutes": 10,
        "no_show_limit": 3,
        "no_show_days": 60,
        "ring_checked_in_only": True,
    }
    changed = client.patch(url, json=changes, headers=coordinator)
    assert changed.status_code == 200 and changed.json() | changes == changed.json()
    wrong = client.patch(url, json={"no_show_minutes": 0}, headers=coordinator)
    assert wrong.status_code == 422
