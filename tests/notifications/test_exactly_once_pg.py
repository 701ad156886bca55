"""Exactly-once on PostgreSQL with real concurrent connections and a real SIGKILL.

These tests use a database of their own on the server named by SUPPORTLINE_TEST_DATABASE_URL,
because they commit. Without PostgreSQL they fail (they are deselected in the SQLite pass).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from core import migrate, pii
from core.database import make_engine
from core.scheduler import AdvisoryLock, SchedulerRunner
from core.settings import get_settings
from groups import meetings as groups_meetings
from groups import service as groups_service
from groups.models import Group, Membership, MembershipRole
from notifications import tasks
from notifications.delivery import Providers
from notifications.models import OutboxMessage, Status
from notifications.providers import Sms
from notifications.tasks import dispatch, enqueue_due_reminders
from supportline.jobs import JOBS, job_specs
from tests.conftest import _postgres_database
from tests.factories import create_group
from tests.fixtures.settings import as_environment
from tests.notifications.fakes import FakeMailer, FakeSms

pytestmark = [pytest.mark.postgres_only, pytest.mark.integration]
MEMBERS = 1000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    url = os.environ.get("SUPPORTLINE_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.fail(
            "these tests need PostgreSQL: set SUPPORTLINE_TEST_DATABASE_URL, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    for own in _postgres_database(url):
        engine = make_engine(own)
        with engine.begin() as connection:
            # Only a server crash could lose a commit with this off, and these tests kill
            # clients, not the server; it makes their thousands of small commits fast.
            connection.execute(
                text(f'ALTER DATABASE "{engine.url.database}" SET synchronous_commit = off')
            )
            migrate.upgrade(connection)
        engine.dispose()
        yield own


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    with engine.begin() as connection:  # leave the next test an empty outbox
        connection.execute(delete(OutboxMessage))
        connection.execute(delete(Membership))
    engine.dispose()


def seed_due_reminders(engine: Engine, members: int = MEMBERS) -> datetime:
    """One group, ``members`` members, and the moment all their reminders are due."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    now = datetime.fromisoformat("2026-03-02T12:00:00+00:00")
    with sessions.begin() as session:
        group = create_group(session, now=now, capacity=100)
        session.add_all(
            Membership(
                group_id=group.id,
                role=MembershipRole.member,
                ref=groups_service.new_ref(),
                phone=f"+4860{index:07d}",
                phone_index=pii.blind_index("phone", f"+4860{index:07d}"),
                language="en",
            )
            for index in range(members)
        )
        session.flush()
        meeting = groups_meetings.next_meeting(session, group.id, now)
        assert meeting is not None
        due = tasks.reminder_at(meeting, session.get_one(Group, group.id))
        assert enqueue_due_reminders(session, now=due) == members
    return due


class SlowRecordingSms(FakeSms):
    """Records which dispatcher sent what; a little latency lets the two interleave."""

    def __init__(self) -> None:
        super().__init__()
        self.by_thread: Counter[str] = Counter()

    def send_sms(self, message: Sms) -> str:
        time.sleep(0.0005)
        with self.lock:
            # Sending threads are named after their dispatcher's: "d1:send_0" is d1's.
            self.by_thread[threading.current_thread().name.partition(":")[0]] += 1
        return super().send_sms(message)


def test_two_concurrent_dispatchers_send_each_of_1000_reminders_once(
    pg_engine: Engine, pg_url: str
) -> None:
    due = seed_due_reminders(pg_engine)
    sms = SlowRecordingSms()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def dispatcher() -> None:
        engine = make_engine(pg_url)  # its own pool: real separate connections
        try:
            start.wait()
            dispatch(
                sessionmaker(bind=engine, expire_on_commit=False),
                clock=tasks.running_clock(due),
                providers=Providers(sms=sms, mailer=FakeMailer()),
            )
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=dispatcher, name=f"d{n}") for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    recipients = Counter(message.to for message in sms.sent)
    assert len(recipients) == MEMBERS
    assert set(recipients.values()) == {1}
    assert set(sms.by_thread) == {"d1", "d2"}  # both really took part
    with Session(pg_engine) as session:
        statuses = session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    assert dict(statuses) == {Status.sent: MEMBERS}


class WatchingSms(FakeSms):
    """Looks at the outbox from inside each send, on a connection of its own.

    The first sends wait (30 s at most in all) until the next batch is claimed: it is built
    while this one is with the provider (a dispatcher that built it afterwards fails the test).
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.seen: list[Counter[Status]] = []
        self.overlapped = threading.Event()
        self.give_up_at = time.monotonic() + 30  # once, for all sends: a failure stays quick

    def statuses(self) -> Counter[Status]:
        with Session(self.engine) as session:
            query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            return Counter({status: count for status, count in session.execute(query)})

    def send_sms(self, message: Sms) -> str:
        while not self.overlapped.is_set() and time.monotonic() < self.give_up_at:
            if self.statuses()[Status.claimed]:
                self.overlapped.set()
            time.sleep(0.01)
        seen = self.statuses()
        with self.lock:
            self.seen.append(seen)
        return super().send_sms(message)


def test_the_next_batch_is_built_during_sending_but_one_batch_at_most_is_in_doubt(
    pg_engine: Engine,
) -> None:
    due = seed_due_reminders(pg_engine, members=200)
    sms = WatchingSms(pg_engine)
    dispatch(
        sessionmaker(bind=pg_engine, expire_on_commit=False),
        clock=tasks.running_clock(due),
        providers=Providers(sms=sms, mailer=FakeMailer()),
    )

    assert sms.overlapped.is_set()
    batch_size = get_settings().outbox_batch_size
    assert max(seen[Status.sending] for seen in sms.seen) <= batch_size
    assert Counter(message.to for message in sms.sent).most_common(1)[0][1] == 1
    assert len(sms.sent) == 200


def run_dispatcher(url: str, log: Path, now: datetime) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.notifications.dispatcher_process",
            url,
            str(log),
            now.isoformat(),
        ],
        cwd=ROOT,
        env=as_environment(get_settings(), PYTHONPATH=str(ROOT)),
    )


def sent_ids(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def test_dispatcher_killed_mid_batch_loses_nothing_and_repeats_only_the_batch_in_flight(
    pg_engine: Engine, pg_url: str, tmp_path: Path
) -> None:
    due = seed_due_reminders(pg_engine, members=300)
    log = tmp_path / "provider.log"
    process = run_dispatcher(pg_url, log, due)
    deadline = time.monotonic() + 60
    while len(sent_ids(log)) < 100 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    with Session(pg_engine) as session:
        rows = {row.id: row.status for row in session.scalars(select(OutboxMessage))}
    before = sent_ids(log)
    recorded_sent = {i for i, status in rows.items() if status is Status.sent}
    in_flight = {i for i, status in rows.items() if status is Status.sending}
    assert 100 <= len(before) < 300
    # At most the batch being sent when the kill came: it is marked ``sending`` in one commit
    # and its outcomes are recorded in one commit after the last send.
    assert len(in_flight) <= get_settings().outbox_batch_size
    assert len(before) == len(set(before))
    # The provider received exactly what was recorded as sent, plus perhaps some in flight.
    assert recorded_sent <= set(before) <= recorded_sent | in_flight

    # Restarted after the in-doubt lease (no status callback came: the worker was dead).
    later = due + timedelta(seconds=get_settings().outbox_in_doubt_seconds + 1)
    restarted = run_dispatcher(pg_url, log, later)
    assert restarted.wait(timeout=120) == 0

    after = Counter(sent_ids(log))
    assert set(after) == set(rows)  # nothing lost
    repeated = {i for i, count in after.items() if count > 1}
    assert repeated <= in_flight  # nothing repeated beyond the documented in-flight case
    assert max(after.values()) <= 2
    with Session(pg_engine) as session:
        statuses = set(session.scalars(select(OutboxMessage.status)))
    assert statuses == {Status.sent}


def test_only_one_scheduler_holds_the_advisory_lock(pg_url: str) -> None:
    first_engine, second_engine = make_engine(pg_url), make_engine(pg_url)
    first, second = AdvisoryLock(first_engine), AdvisoryLock(second_engine)
    try:
        assert first.acquire()
        assert not second.acquire()
        first.release()
        assert second.acquire()
    finally:
        first.release()
        second.release()
        first_engine.dispose()
        second_engine.dispose()


def test_a_standby_scheduler_takes_over_when_the_active_one_stops(pg_url: str) -> None:
    engines = [make_engine(pg_url), make_engine(pg_url)]
    active, standby = (SchedulerRunner(JOBS, engine) for engine in engines)
    try:
        assert active.try_start()
        assert not standby.try_start()
        assert standby.scheduler is None
        with Session(engines[0]) as session:
            stored = set(
                session.scalars(
                    select(__import__("sqlalchemy").text("id")).select_from(
                        __import__("sqlalchemy").text("scheduler_jobs")
                    )
                )
            )
        assert stored == {spec.name for spec in job_specs()}
        active.stop()
        assert standby.try_start()
    finally:
        active.stop()
        standby.stop()
        for engine in engines:
            engine.dispose()
