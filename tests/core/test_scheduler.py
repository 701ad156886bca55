"""The scheduler: jobs registered in one place, kept in the persistent store, one acting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core import migrate
from core.database import make_engine
from core.scheduler import SchedulerRunner, job_specs

JOBS = {"plan_meetings", "enqueue_reminders", "dispatch_outbox"}


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


def test_jobs_live_in_the_persistent_store_and_one_scheduler_acts(sqlite_engine: Engine) -> None:
    active, standby = SchedulerRunner(sqlite_engine), SchedulerRunner(sqlite_engine)
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
