"""A candidate volunteer signs up only beside their mentor (or, where the contact point allows,
beside any experienced volunteer); the coordinator confirms or extends the candidacy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from helpline import mentoring, seats, shifts
from helpline.exceptions import CandidateNeedsMentor, MentorNotExperienced
from helpline.models import Candidacy, CandidacyStatus, Shift
from notifications.models import Kind, OutboxMessage
from tests.clock import Clock
from tests.factories import auth_headers, create_staff
from tests.helpline.world import Point, contact_point, weekly

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning in Warsaw


@dataclass
class Team:
    point: Point
    admin: Staff
    shift: Shift  # Wednesday, three seats, nobody on it yet
    candidacy: Candidacy  # volunteers[0], mentored by volunteers[1]


def team(db: Session, clock: Clock) -> Team:
    clock.set(NOW)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Warszawa", volunteers=4)
    weekly(db, point, admin, NOW, days="wed", start="16:00", end="21:00", seats=3)
    [shift] = shifts.shifts_between(db, point.point, date(2026, 3, 4), date(2026, 3, 4))
    candidate, mentor = point.volunteers[:2]
    candidacy = mentoring.add_candidate(
        db,
        point.point,
        actor=point.coordinator,
        volunteer=candidate,
        mentor=mentor,
        starts_on=None,
        months=12,
        now=NOW,
    )
    return Team(point, admin, shift, candidacy)


def sign_up(db: Session, built: Team, n: int) -> None:
    seats.sign_up(db, built.point.point, built.shift, built.point.volunteers[n], now=NOW)


def test_a_candidate_signs_up_only_after_their_mentor(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built = team(db, clock)
    headers = auth_headers(client, built.point.staff[0])
    url = f"/api/v1/helpline/contact-points/{built.point.point.id}/shifts/{built.shift.id}/sign-up"
    sign_up(db, built, 2)  # an experienced volunteer, but not the mentor

    refused = client.post(url, headers=headers)
    sign_up(db, built, 1)  # the mentor
    allowed = client.post(url, headers=headers)

    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "your mentor" in detail
    assert all(staff.username not in detail for staff in built.point.staff)  # names nobody
    assert allowed.status_code == 200, allowed.text


def test_where_allowed_any_experienced_volunteer_will_do_but_not_another_candidate(
    db: Session, clock: Clock
) -> None:
    built = team(db, clock)
    built.point.point.any_experienced_mentor = True
    other = mentoring.add_candidate(
        db,
        built.point.point,
        actor=built.admin,
        volunteer=built.point.volunteers[3],
        mentor=built.point.volunteers[2],
        starts_on=None,
        months=12,
        now=NOW,
    )
    sign_up(db, built, 2)  # experienced: lets the other candidate on
    sign_up(db, built, 3)
    assert other.status is CandidacyStatus.open

    seats.withdraw(db, built.point.point, built.shift, built.point.volunteers[2], now=NOW)
    with pytest.raises(CandidateNeedsMentor, match="an experienced volunteer"):
        sign_up(db, built, 0)  # beside a candidate only


def test_a_confirmed_volunteer_signs_up_anywhere_and_can_mentor(db: Session, clock: Clock) -> None:
    built = team(db, clock)
    with pytest.raises(CandidateNeedsMentor):
        sign_up(db, built, 0)

    mentoring.confirm(db, built.candidacy, actor=built.point.coordinator)
    sign_up(db, built, 0)

    assert built.candidacy.status is CandidacyStatus.confirmed
    mentoring.add_candidate(
        db,
        built.point.point,
        actor=built.admin,
        volunteer=built.point.volunteers[3],
        mentor=built.point.volunteers[0],
        starts_on=None,
        months=12,
        now=NOW,
    )


def test_a_candidate_cannot_mentor_and_a_candidacy_is_extended_by_months(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built = team(db, clock)
    with pytest.raises(MentorNotExperienced):
        mentoring.add_candidate(
            db,
            built.point.point,
            actor=built.admin,
            volunteer=built.point.volunteers[3],
            mentor=built.point.volunteers[0],  # a candidate
            starts_on=None,
            months=12,
            now=NOW,
        )
    assert built.candidacy.ends_on == date(2027, 3, 2)  # a year from today, local
    headers = auth_headers(client, built.point.coordinator)
    base = f"/api/v1/helpline/contact-points/{built.point.point.id}/candidates"

    extended = client.post(
        f"{base}/{built.candidacy.id}/extend", json={"months": 6}, headers=headers
    )
    confirmed = client.post(f"{base}/{built.candidacy.id}/confirm", headers=headers)
    again = client.post(f"{base}/{built.candidacy.id}/confirm", headers=headers)

    assert extended.json()["ends_on"] == "2027-09-02"
    assert confirmed.json()["status"] == "confirmed"
    assert again.status_code == 409


def test_the_coordinator_seats_a_candidate_without_the_rule(db: Session, clock: Clock) -> None:
    built = team(db, clock)
    seats.assign(
        db,
        built.point.point,
        built.shift,
        built.point.volunteers[0],
        actor=built.point.coordinator,
        duty_phone=None,
        now=NOW + timedelta(minutes=1),
    )
    assert built.shift.seats[0].volunteer_id == built.point.volunteers[0].id


def test_the_coordinators_hear_when_a_mentor_leaves_their_candidate_alone_on_a_shift(
    db: Session, clock: Clock
) -> None:
    built = team(db, clock)
    sign_up(db, built, 1)  # the mentor
    sign_up(db, built, 0)  # the candidate, beside them
    sign_up(db, built, 2)  # someone experienced, but not the mentor
    mentor = built.point.volunteers[1]
    built.point.coordinator.email = "coordinator@example.org"

    seats.withdraw(db, built.point.point, built.shift, mentor, now=NOW)

    told = db.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == Kind.duty_notice,
            OutboxMessage.staff_id == built.point.coordinator.id,
        )
    ).all()
    assert "candidate_alone" in {row.payload["event"] for row in told}
    # The candidate keeps the seat: the coordinators decide what to do.
    assert built.point.volunteers[0].id in {seat.volunteer_id for seat in built.shift.seats}
