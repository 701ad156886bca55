"""The scheduler: jobs registered in one place, kept in the persistent store, one acting."""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from auth.models import Role
from conference.models import Room
from core import migrate
from core.database import get_sessionmaker, make_engine
from core.scheduler import AdvisoryLock, Jobs, LockLost, SchedulerRunner, guard
from groups import meetings as groups_meetings
from supportline.jobs import JOBS as REGISTERED
from supportline.jobs import job_specs
from tests.factories import create_group, create_staff

JOBS = {
    "plan_meetings",
    "plan_shifts",
    "enqueue_reminders",
    "remind_duty",
    "terms_ending",
    "check_in",
    "fetch_voicemails",
    "remind_voicemails",
    "cover_alerts",
    "dispatch_outbox",
    "meeting_lifecycle",
    "retention",
}


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'scheduler.db'}")
    with engine.begin() as connection:
        migrate.upgrade(connection)
    yield engine
    engine.dispose()


def test_the_periodic_jobs_are_registered_in_one_place() -> None:
    specs = {spec.name: spec for spec in job_specs()}
    assert set(specs) == JOBS
    assert specs["dispatch_outbox"].seconds == 15
    assert specs["enqueue_reminders"].seconds == 60
    assert specs["meeting_lifecycle"].seconds == 5  # announcements land within seconds


def test_the_meeting_lifecycle_job_ends_a_finished_conference(own_database: Path) -> None:
    """The registered job opens its own unit of work and runs the conference's due steps."""
    now = datetime(2026, 3, 3, 20, 1, tzinfo=UTC)  # a Tuesday: no weekly slot in the way
    sessions = get_sessionmaker()
    with sessions.begin() as session:
        group = create_group(session, now=now - timedelta(hours=2))
        meeting = groups_meetings.add_meeting(
            session,
            actor=create_staff(session, Role.admin),
            group=group,
            starts_at=now - timedelta(minutes=61),
            now=now - timedelta(hours=2),
        )
        session.add(Room(meeting_id=meeting.id, conference_sid="CF" + "3" * 32, started_at=now))
    spec = next(spec for spec in job_specs() if spec.name == "meeting_lifecycle")
    spec.function(sessions, now)
    with sessions() as session:
        room = session.scalars(select(Room).where(Room.meeting_id == meeting.id)).one()
        assert room.ended_at == now


def test_jobs_live_in_the_persistent_store_and_one_scheduler_acts(sqlite_engine: Engine) -> None:
    active, standby = (
        SchedulerRunner(REGISTERED, sqlite_engine),
        SchedulerRunner(REGISTERED, sqlite_engine),
    )
    try:
        assert active.try_start()
        assert active.scheduler is not None
        assert {job.id for job in active.scheduler.get_jobs()} == JOBS
        with sqlite_engine.connect() as connection:
            stored = set(connection.scalars(text("SELECT id FROM scheduler_jobs")))
        assert stored == JOBS

        assert not standby.try_start()  # the file lock is held
        assert standby.scheduler is None

        active.stop()
        assert standby.try_start()
        assert standby.scheduler is not None
        assert {job.id for job in standby.scheduler.get_jobs()} == JOBS  # same rows, replaced
    finally:
        active.stop()
        standby.stop()


def test_a_store_written_before_the_jobs_moved_is_rewritten_on_start(sqlite_engine: Engine) -> None:
    # A store from before the composition root held "core.scheduler:run_job", a reference that
    # no longer resolves: the start replaces every stored job with the current reference.
    runner = SchedulerRunner(REGISTERED, sqlite_engine)
    try:
        assert runner.try_start()
        assert runner.scheduler is not None
        runner.scheduler.shutdown(wait=True)
        runner.scheduler = None
        with sqlite_engine.begin() as connection:
            stored = connection.execute(text("SELECT id, job_state FROM scheduler_jobs")).all()
            for job_id, blob in stored:
                state = pickle.loads(blob)
                state["func"] = "core.scheduler:run_job"
                connection.execute(
                    text("UPDATE scheduler_jobs SET job_state = :s WHERE id = :id"),
                    {"s": pickle.dumps(state), "id": job_id},
                )
        assert runner.try_start()
        assert runner.scheduler is not None
        jobs = runner.scheduler.get_jobs()
        assert {job.id for job in jobs} == JOBS
        assert {job.func_ref for job in jobs} == {"supportline.jobs:run_job"}
    finally:
        runner.stop()


NO_JOBS = Jobs(specs=list, run_job="supportline.jobs:run_job")


@pytest.fixture
def engines(engine: Engine) -> Iterator[list[Engine]]:
    """Two engines of the test's own, one per worker as in two processes: a scheduler's job
    store disposes its engine when it shuts down."""
    url = engine.url.render_as_string(hide_password=False)
    own = [make_engine(url), make_engine(url)]
    yield own
    for one in own:
        one.dispose()


@pytest.mark.postgres_only
def test_after_the_database_drops_the_lock_exactly_one_scheduler_acts(
    engines: list[Engine],
) -> None:
    # The two-schedulers drill: the database terminates the acting worker's connections (a
    # restart), a second worker starts and takes the lock; the first must stand down.
    first, second = SchedulerRunner(NO_JOBS, engines[0]), SchedulerRunner(NO_JOBS, engines[1])
    try:
        assert first.try_start()
        assert isinstance(first.lock, AdvisoryLock) and first.lock.connection is not None
        pid = first.lock.connection.scalar(text("SELECT pg_backend_pid()"))
        with engines[1].connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert second.try_start()  # the lock died with the session
        with pytest.raises(LockLost):
            guard()  # the first's next job would run beside the second's: refused
        assert not first.active and second.active
        guard()  # the second's jobs run
        assert not first.try_start()  # standing by: the second holds the lock
    finally:
        second.stop()
        first.stop()


@pytest.mark.postgres_only
def test_the_standby_keeps_trying_through_database_errors(engines: list[Engine]) -> None:
    holder = SchedulerRunner(NO_JOBS, engines[0])
    broken = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    waiting = SchedulerRunner(NO_JOBS, broken, retry_seconds=0.05)
    try:
        assert holder.try_start()
        waiting.start()
        time.sleep(0.5)  # several rounds, each failing to reach the database
        assert waiting._thread is not None and waiting._thread.is_alive()
        assert not waiting.failed and not waiting.active
    finally:
        waiting.stop()
        holder.stop()
        broken.dispose()
