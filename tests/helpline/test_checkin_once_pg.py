"""Two schedulers running the check-in job at the same moments, each on a connection of its
own: every shift-start SMS, no-show alert and summary is queued once, and a no-show is one row."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role, Staff
from core import pii
from helpline import tasks
from helpline.models import (
    ContactPoint,
    NoShow,
    RingsAt,
    Seat,
    Shift,
    Volunteer,
    contact_point_coordinators,
)
from notifications.models import OutboxMessage

START = datetime(2026, 3, 29, 14, 0, tzinfo=UTC)  # 16:00 in Warsaw, the first day of summer time


def seed(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        point = ContactPoint(name="Warszawa", language="pl", time_zone="Europe/Warsaw")
        people = [
            Staff(
                username=f"person{n}",
                password_hash="-",
                role=Role.helper,
                email=f"person{n}@example.org",
            )
            for n in range(3)
        ]
        session.add_all([point, *people])
        session.flush()
        session.execute(
            insert(contact_point_coordinators).values(
                contact_point_id=point.id, staff_id=people[0].id
            )
        )
        volunteers = [
            Volunteer(staff_id=staff.id, phone=phone, phone_index=pii.phone_index(phone))
            for staff, phone in zip(people[1:], ("+48600000001", "+48600000002"), strict=True)
        ]
        session.add_all(volunteers)
        session.flush()
        shift = Shift(
            contact_point_id=point.id,
            local_date=date(2026, 3, 29),
            starts_at=START,
            ends_at=START + timedelta(hours=5),
            rings_at=RingsAt.own_phone,
        )
        shift.seats.extend(
            Seat(position=n + 1, volunteer_id=volunteer.id)
            for n, volunteer in enumerate(volunteers)
        )
        session.add(shift)


@pytest.mark.postgres_only
def test_two_schedulers_tell_each_no_show_and_summary_once(own_engine: Engine) -> None:
    seed(own_engine)
    sessions = sessionmaker(bind=own_engine, expire_on_commit=False)
    moments = [START + timedelta(minutes=m) for m in (0, 1, 15, 15, 16)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            for now in moments:
                start.wait(timeout=10)
                tasks.check_in_job(sessions, now)
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with Session(own_engine) as session:
        queued = Counter(
            (row.staff_id, row.payload["event"], row.payload["subject"])
            for row in session.scalars(select(OutboxMessage))
        )
        assert len(session.scalars(select(NoShow)).all()) == 2
    assert set(queued.values()) == {1}
    assert Counter(event for _, event, _ in queued) == {
        "duty_start": 2,
        "no_show": 2,  # to the coordinator, one per volunteer
        "no_show_partner": 2,  # each to the other volunteer
        "checkin_summary": 1,
    }
