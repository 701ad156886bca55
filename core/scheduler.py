"""The scheduler: APScheduler 3 with a persistent job store, and only one acting at a time.

``supportline serve`` runs it in-process by default; ``serve --no-scheduler`` plus
``supportline worker`` is the multi-process layout. Whatever the layout, one scheduler acts: it
holds a PostgreSQL session-level advisory lock (or, on SQLite, a file lock next to the database)
for as long as it runs; the others wait and try again, and take over when the holder's process
ends (both locks die with their process).

The scheduler knows no domain: the composition root (``supportline.jobs``) gives it the list
of jobs and the reference APScheduler's persistent store keeps for running one.
"""

from __future__ import annotations

import contextlib
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
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from core.database import Base, get_engine
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


@dataclass(frozen=True)
class Jobs:
    """What the scheduler runs: the specs, and the ``module:function`` APScheduler stores and
    calls with a job's name (a reference, so the persistent store holds no code)."""

    specs: Callable[[], list[JobSpec]]
    run_job: str


# --- one scheduler at a time ---


class SchedulerLock(Protocol):
    def acquire(self) -> bool: ...

    def held(self) -> bool: ...

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

    def held(self) -> bool:
        """Whether this session still holds the lock: a database restart or a terminated
        connection ends the session and the lock with it, without a word to this process."""
        if self.connection is None:
            return False
        try:
            count = self.connection.scalar(_HELD, _held_params(self.key))
        except SQLAlchemyError:
            count = 0
        if count:
            return True
        self._forget()
        return False

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except SQLAlchemyError:
            pass  # the session is gone, and its lock with it
        finally:
            self._forget()

    def _forget(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self.connection.invalidate()  # closes the database connection itself, now
                self.connection.close()
        self.connection = None


# A bigint key is held as (classid, objid) = (high, low 32 bits), objsubid 1
# (https://www.postgresql.org/docs/current/view-pg-locks.html).
_HELD = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid = :high AND objid = :low AND objsubid = 1"
)


def _held_params(key: int) -> dict[str, int]:
    return {"high": key >> 32, "low": key & 0xFFFF_FFFF}


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

    def held(self) -> bool:
        return bool(self.lock.is_locked)  # dies only with the process

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


def register_jobs(scheduler: BackgroundScheduler, jobs: Jobs) -> list[str]:
    """Add every job; ``replace_existing`` rewrites what an earlier version stored."""
    names = []
    for spec in jobs.specs():
        scheduler.add_job(
            jobs.run_job,
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


class LockLost(RuntimeError):
    """This process no longer holds the one-scheduler lock: its jobs must not run."""


_acting: list[SchedulerRunner] = []  # the runner of this process whose scheduler acts


def guard() -> None:
    """Called by every job before it runs: refuses (``LockLost``) when this process's scheduler
    lost its lock, so that no job runs beside another process's scheduler."""
    for runner in list(_acting):
        runner.check_lock()


class SchedulerRunner:
    """Waits for the lock, runs the scheduler while it holds it, and stands by again when the
    lock is lost (a database restart); database errors on the way are logged and retried."""

    def __init__(
        self, jobs: Jobs, engine: Engine | None = None, *, retry_seconds: float = 30.0
    ) -> None:
        self.jobs = jobs
        self.engine = engine or get_engine()
        self.lock = make_lock(self.engine)
        self.retry_seconds = retry_seconds
        self.scheduler: BackgroundScheduler | None = None
        self.failed = False  # the loop ended by an error it could not handle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._changing = threading.Lock()

    @property
    def active(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def try_start(self) -> bool:
        """One attempt: take the lock and start the scheduler; False while another one acts."""
        with self._changing:
            if self.scheduler is not None:
                return True
            if not self.lock.acquire():
                return False
            scheduler = make_scheduler(self.engine)
            names = register_jobs(scheduler, self.jobs)
            scheduler.start()
            self.scheduler = scheduler
            _acting.append(self)
        log.info("scheduler.started", extra={"jobs": names})
        return True

    def check_lock(self) -> None:
        """Stand down (and raise ``LockLost``) when the lock is no longer held."""
        if self.scheduler is None or self.lock.held():
            return
        self._stand_down()
        raise LockLost("the one-scheduler lock was lost; standing by")

    def _stand_down(self) -> None:
        with self._changing:
            scheduler, self.scheduler = self.scheduler, None
            if self in _acting:
                _acting.remove(self)
        if scheduler is not None:
            log.warning("scheduler.lock_lost")
            scheduler.shutdown(wait=False)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._step()
                self._stop.wait(self.retry_seconds)
        except BaseException:
            self.failed = True
            log.exception("scheduler.failed")
            self._stop.set()
            raise

    def _step(self) -> None:
        try:
            if self.scheduler is None:
                if not self.try_start():
                    log.info("scheduler.standby")
            else:
                with contextlib.suppress(LockLost):
                    self.check_lock()
        except SQLAlchemyError as exc:  # the database restarting: the next round tries again
            log.warning("scheduler.database_error", extra={"error": type(exc).__name__})

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._changing:
            scheduler, self.scheduler = self.scheduler, None
            if self in _acting:
                _acting.remove(self)
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        self.lock.release()

    def wait(self) -> None:
        self._stop.wait()
