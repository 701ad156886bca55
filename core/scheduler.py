"""The scheduler: APScheduler 3 with a persistent job store, and only one acting at a time.

``supportline serve`` runs it in-process by default; ``serve --no-scheduler`` plus
``supportline worker`` is the multi-process layout. Whatever the layout, one scheduler acts: it
holds a PostgreSQL session-level advisory lock (or, on SQLite, a file lock next to the database)
for as long as it runs; the others wait and try again, and take over when the holder's process
ends (both locks die with their process).

Every periodic job is registered in :func:`job_specs`, and nowhere else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from filelock import FileLock, Timeout
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    LargeBinary,
    Table,
    Unicode,
    create_engine,
    make_url,
    text,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from core.database import Base, get_engine, get_sessionmaker, utcnow
from core.logs import get_logger
from core.settings import get_settings

log = get_logger("scheduler")

JOBS_TABLE = "scheduler_jobs"
# The same columns APScheduler's SQLAlchemyJobStore creates, so the table comes from a migration.
Table(
    JOBS_TABLE,
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
ADVISORY_LOCK_KEY = 0x5355_504C  # "SUPL": the one-scheduler lock on PostgreSQL
JobFunction = Callable[[sessionmaker[Session], datetime], None]


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    seconds: int


def plan_meetings_job(sessions: sessionmaker[Session], now: datetime) -> None:
    from groups import meetings as groups_meetings  # noqa: PLC0415 - core must not import domains early

    with sessions.begin() as session:
        groups_meetings.plan_all(session, now=now)


def job_specs() -> list[JobSpec]:
    """The one place where periodic jobs are registered."""
    from conference import tasks as conference_tasks  # noqa: PLC0415 - see above
    from notifications import tasks as notification_tasks  # noqa: PLC0415 - see above

    settings = get_settings()
    return [
        JobSpec("plan_meetings", plan_meetings_job, settings.scheduler_plan_minutes * 60),
        JobSpec(
            "enqueue_reminders",
            notification_tasks.reminders_job,
            settings.scheduler_reminder_seconds,
        ),
        JobSpec(
            "dispatch_outbox", notification_tasks.dispatch_job, settings.scheduler_dispatch_seconds
        ),
        JobSpec(
            "meeting_lifecycle",
            conference_tasks.lifecycle_job,
            settings.scheduler_conference_seconds,
        ),
    ]


def run_job(name: str) -> None:
    """What APScheduler calls (by reference, so the persistent store holds no code)."""
    spec = next(spec for spec in job_specs() if spec.name == name)
    spec.function(get_sessionmaker(), utcnow())


# --- one scheduler at a time ---


class SchedulerLock(Protocol):
    def acquire(self) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock held on a dedicated connection.

    The connection comes from an unpooled engine of its own: closing it really ends the database
    session (and the lock), and the job store disposing the shared pool cannot touch it.
    """

    def __init__(self, engine: Engine, key: int = ADVISORY_LOCK_KEY) -> None:
        self.engine = create_engine(engine.url, poolclass=NullPool)
        self.key = key
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        if self.connection is not None:
            return True
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        if not got:
            connection.close()
            return False
        self.connection = connection
        return True

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        finally:
            self.connection.close()
            self.connection = None


class FileSchedulerLock:
    """An exclusive file lock (SQLite: one machine, one database file)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = FileLock(str(path), thread_local=False)

    def acquire(self) -> bool:
        if self.lock.is_locked:
            return True
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def release(self) -> None:
        if self.lock.is_locked:
            self.lock.release(force=True)


def make_lock(engine: Engine) -> SchedulerLock:
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    database = make_url(str(engine.url)).database
    base = Path(database) if database and database != ":memory:" else get_settings().data_dir
    return FileSchedulerLock(base.with_name(base.name + ".scheduler.lock"))


def make_scheduler(engine: Engine) -> BackgroundScheduler:
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
    scheduler = BackgroundScheduler(jobstores={"default": store}, timezone="UTC")
    return scheduler


def register_jobs(scheduler: BackgroundScheduler) -> list[str]:
    names = []
    for spec in job_specs():
        scheduler.add_job(
            "core.scheduler:run_job",
            "interval",
            seconds=spec.seconds,
            args=[spec.name],
            id=spec.name,
            name=spec.name,
            replace_existing=True,
            coalesce=True,  # after downtime: one run, not one per missed interval
            max_instances=1,
            misfire_grace_time=None,
        )
        names.append(spec.name)
    return names


class SchedulerRunner:
    """Waits for the lock, then runs the scheduler until :meth:`stop`."""

    def __init__(self, engine: Engine | None = None, *, retry_seconds: float = 30.0) -> None:
        self.engine = engine or get_engine()
        self.lock = make_lock(self.engine)
        self.retry_seconds = retry_seconds
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def try_start(self) -> bool:
        """One attempt: take the lock and start the scheduler; False while another one acts."""
        if self.scheduler is not None:
            return True
        if not self.lock.acquire():
            return False
        scheduler = make_scheduler(self.engine)
        register_jobs(scheduler)
        scheduler.start()
        self.scheduler = scheduler
        log.info("scheduler.started", extra={"jobs": [spec.name for spec in job_specs()]})
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.try_start():
                break
            log.info("scheduler.standby")
            self._stop.wait(self.retry_seconds)

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        self.lock.release()

    def wait(self) -> None:
        self._stop.wait()
