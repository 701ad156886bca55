"""Two schedulers running the candidacy and term job at the same moment, each on a connection of
its own: every coordinator and admin is told once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from auth import service as auth_service
from auth.models import Role
from helpline import tasks
from helpline.models import Candidacy, ContactPoint, Volunteer, contact_point_coordinators
from notifications.models import Kind, OutboxMessage

DUE = datetime(2027, 3, 28, 7, 0, tzinfo=UTC)  # 09:00 in Warsaw, the day the clocks go forward


@pytest.mark.postgres_only
def test_two_schedulers_at_once_tell_each_person_once(own_engine: Engine) -> None:
    with Session(own_engine, expire_on_commit=False) as session, session.begin():
        admin = auth_service.create_staff(
            session, username="admin", password="x" * 12, role=Role.admin
        )
        coordinator = auth_service.create_staff(
            session, username="coordinator", password="x" * 12, role=Role.helper
        )
        admin.email, coordinator.email = "admin@example.org", "coordinator@example.org"
        point = ContactPoint(
            name="Warszawa",
            language="pl",
            time_zone="Europe/Warsaw",
            coordinator_term_start=date(2025, 5, 28),
            coordinator_term_end=date(2027, 5, 28),  # two months after DUE's day
        )
        session.add(point)
        session.flush()
        session.execute(
            contact_point_coordinators.insert().values(
                contact_point_id=point.id, staff_id=coordinator.id
            )
        )
        volunteer = Volunteer(staff_id=coordinator.id, phone="+48600999001", phone_index="i" * 64)
        session.add(volunteer)
        session.flush()
        session.add(
            Candidacy(
                contact_point_id=point.id,
                volunteer_id=volunteer.id,
                starts_on=date(2026, 4, 28),
                ends_on=date(2027, 4, 28),  # a month after DUE's day
            )
        )
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            start.wait(timeout=10)
            for _ in range(5):
                tasks.terms_ending_job(sessionmaker(bind=own_engine), DUE)
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with Session(own_engine) as session:
        told = session.execute(
            select(OutboxMessage.staff_id, OutboxMessage.payload).where(
                OutboxMessage.kind == Kind.helpline_notice
            )
        ).all()
    events = sorted((staff_id, payload["event"]) for staff_id, payload in told)
    assert events == sorted([(admin.id, "term_ending"), (coordinator.id, "candidacy_ending")])
