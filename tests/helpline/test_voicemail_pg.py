"""Voicemail under two schedulers on PostgreSQL, each on connections of its own: the daily
reminder goes to each person once, and each recording is fetched once (``SKIP LOCKED``)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role, Staff
from helpline import service, voicemail, voicemail_reminders
from helpline.models import ContactPoint, FetchState, Voicemail
from helpline.providers import Audio, FakeRecordings
from notifications.models import Kind, OutboxMessage
from tests.factories import create_staff

pytestmark = pytest.mark.postgres_only
REVIEW = datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 in Warsaw, the day summer time starts


def at_once(*work: Callable[[], object]) -> None:
    start = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(step: Callable[[], object]) -> None:
        try:
            start.wait(timeout=10)
            step()
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(step,)) for step in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def point_with_voicemails(engine: Engine, count: int) -> tuple[int, list[str]]:
    with Session(engine) as session, session.begin():
        admin = create_staff(session, Role.admin)
        point = ContactPoint(name="Warszawa", language="pl", time_zone="Europe/Warsaw")
        session.add(point)
        session.flush()
        for _ in range(3):
            coordinator: Staff = create_staff(session, Role.helper)
            coordinator.email = f"c{coordinator.id}@example.org"
            service.add_coordinator(session, point, actor=admin, staff_id=coordinator.id)
        sids = [f"RE{index:032x}" for index in range(count)]
        for sid in sids:
            session.add(
                Voicemail(
                    contact_point_id=point.id,
                    recording_sid=sid,
                    received_at=REVIEW - timedelta(hours=5),
                    next_attempt_at=REVIEW - timedelta(hours=5),
                    deletes_at=REVIEW + timedelta(days=30),
                )
            )
        return point.id, sids


def test_two_schedulers_at_the_review_time_tell_each_person_once(own_engine: Engine) -> None:
    point_id, _ = point_with_voicemails(own_engine, 3)
    sessions = sessionmaker(own_engine, expire_on_commit=False)

    def remind() -> None:
        with sessions.begin() as session:
            voicemail_reminders.queue_due(session, now=REVIEW)

    at_once(remind, remind)

    with Session(own_engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.duty_notice))
        per_person = Counter(row.staff_id for row in rows)
        reminded = session.scalar(
            select(func.count())
            .where(Voicemail.contact_point_id == point_id)
            .where(Voicemail.reminded_on == REVIEW.date())
        )
    assert len(per_person) == 3 and set(per_person.values()) == {1}
    assert reminded == 3


class SlowRecordings(FakeRecordings):
    """Twilio taking its time: two fetch jobs overlap."""

    def fetch(self, recording_sid: str) -> Audio:
        time.sleep(0.05)
        return super().fetch(recording_sid)


def test_two_fetch_jobs_at_once_fetch_each_recording_once(own_engine: Engine) -> None:
    _, sids = point_with_voicemails(own_engine, 30)
    twilio = SlowRecordings({sid: sid.encode() for sid in sids})
    sessions = sessionmaker(own_engine, expire_on_commit=False)

    def fetch() -> None:
        while voicemail.fetch_due(sessions, now=REVIEW, recordings=twilio):
            pass

    at_once(fetch, fetch)

    assert sorted(twilio.fetched) == sids  # each once
    assert sorted(twilio.deleted) == sids
    with Session(own_engine) as session:
        states = Counter(session.scalars(select(Voicemail.fetch_state)))
    assert states == {FetchState.fetched: 30}
