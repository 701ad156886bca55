"""Cover on PostgreSQL with real concurrent connections: two volunteers saying YES at the same
moment give one winner, and two schedulers running the reminder and cover jobs at once tell
each thing once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role
from helpline import cover, seats, shifts, tasks
from helpline.models import CoverRequest, Seat, UnfilledAlert, Volunteer
from notifications.models import OutboxMessage
from tests.factories import create_staff
from tests.helpline.world import contact_point, weekly

pytestmark = pytest.mark.postgres_only

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
THURSDAY = MONDAY.date() + timedelta(days=3)  # 16:00 in Warsaw is 15:00 UTC
DEADLINE = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)  # an hour before the start


def build(engine: Engine, seat_count: int) -> tuple[int, list[int]]:
    """A Thursday shift whose first volunteer withdrew on Monday; (shift id, volunteer ids)."""
    with Session(engine) as session, session.begin():
        admin = create_staff(session, Role.admin)
        point = contact_point(session, admin, name="Warszawa", volunteers=4)
        point.coordinator.email = "coordinator@example.org"
        for volunteer in point.volunteers:
            volunteer.cover_requests = True
        weekly(session, point, admin, MONDAY, days="thu", start="16:00", end="21:00", seats=3)
        [shift] = shifts.shifts_between(session, point.point, THURSDAY, THURSDAY)
        for volunteer in point.volunteers[:seat_count]:
            seats.sign_up(session, point.point, shift, volunteer, now=MONDAY)
        seats.withdraw(session, point.point, shift, point.volunteers[0], now=MONDAY)
        return shift.id, [volunteer.id for volunteer in point.volunteers]


def at_once(*work: Callable[[], object]) -> list[object]:
    """Run each callable on a thread of its own, started together; their results in order."""
    start = threading.Barrier(len(work))
    results: list[object] = [None] * len(work)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(timeout=10)
            results[index] = work[index]()
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_two_volunteers_saying_yes_at_once_only_one_takes_the_seat(own_engine: Engine) -> None:
    _, volunteers = build(own_engine, seat_count=1)
    now = MONDAY + timedelta(hours=1)

    def yes(volunteer_id: int) -> Callable[[], str]:
        def reply() -> str:
            with Session(own_engine) as session, session.begin():
                volunteer = session.get_one(Volunteer, volunteer_id)
                return cover.reply_accept(session, volunteer=volunteer, now=now)

        return reply

    replies = at_once(yes(volunteers[1]), yes(volunteers[2]))

    assert sorted(str(reply) for reply in replies) == [
        "Dziękujemy: masz dyżur (czwartek 5 marca, 16:00–21:00).",
        "Ten dyżur jest już zajęty. Mimo to dziękujemy.",
    ]
    winner = volunteers[1] if str(replies[0]).startswith("Dziękujemy:") else volunteers[2]
    with Session(own_engine) as session:
        [request] = session.scalars(select(CoverRequest)).all()
        assert request.filled_by_id == winner
        seated = set(session.scalars(select(Seat.volunteer_id)))
        assert seated == {winner, None}


def test_two_schedulers_running_the_jobs_at_once_tell_each_thing_once(
    own_engine: Engine,
) -> None:
    build(own_engine, seat_count=2)  # one seat given up, one still seated, one never filled
    sessions = sessionmaker(own_engine)

    def scheduler() -> None:
        for _ in range(3):
            tasks.remind_duty_job(sessions, DEADLINE)
            tasks.cover_alerts_job(sessions, DEADLINE)

    at_once(scheduler, scheduler)

    with Session(own_engine) as session:
        messages = session.scalars(select(OutboxMessage)).all()
        # One message per person, event and thing (the shift, or the cover request).
        events = Counter((row.payload["event"], row.staff_id, row.version) for row in messages)
        assert set(events.values()) == {1}, events
        told = Counter(event for event, _, _ in events)
        assert told["duty_soon"] == 1  # the one still seated
        assert told["cover_unanswered"] == 1  # the seat given up on Monday
        assert told["shift_unfilled"] == 1
        assert len(session.scalars(select(UnfilledAlert)).all()) == 1
        requests = session.scalars(select(CoverRequest).order_by(CoverRequest.position)).all()
        assert [(r.position, r.reason) for r in requests] == [(1, "withdrawn"), (3, "unfilled")]
