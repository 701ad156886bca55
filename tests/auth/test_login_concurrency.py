"""A login verifies the password's hash while holding no transaction, and failures count per
client address as well as per account. Committed rows on connections of their own (each must
see the other's commits), removed afterwards."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, Engine, delete, text
from sqlalchemy.orm import Session, sessionmaker

from auth import service
from auth.exceptions import InvalidCredentials, LoginThrottled
from auth.models import LoginFailure, Role, Staff
from core import security
from core.database import make_engine, unit_of_work
from core.work import Work
from tests.fixtures.committed import START

PASSWORD = "a long enough password"


@pytest.fixture
def committed(engine: Engine) -> Iterator[tuple[Engine, Work]]:
    """An engine configured as the server's, a staff account committed on it, and a ``Work``
    whose units open sessions and connections of their own on it."""
    own = make_engine(engine.url.render_as_string(hide_password=False))
    makers = sessionmaker(bind=own, expire_on_commit=False)

    def open_session() -> Iterator[Session]:
        with makers() as session:
            yield from unit_of_work(session)

    def open_connection() -> Iterator[Connection]:
        with own.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection

    with Session(own) as session:
        service.create_staff(session, username="Lock-Tester", password=PASSWORD, role=Role.helper)
        session.commit()
    try:
        yield own, Work(open_session, open_session, open_connection)
    finally:
        with Session(own) as session:
            session.execute(delete(LoginFailure))
            session.execute(delete(Staff).where(Staff.username == "Lock-Tester"))
            session.commit()
        own.dispose()


@contextmanager
def hashing_held() -> Iterator[tuple[threading.Event, threading.Event]]:
    """Verifications wait until ``release`` is set; ``started`` says one is under way."""
    started, release = threading.Event(), threading.Event()
    original = security._verify

    def held(secret: str, hashed: str) -> bool:
        started.set()
        release.wait(10)
        return original(secret, hashed)

    security._verify = held
    try:
        yield started, release
    finally:
        release.set()
        security._verify = original


def log_in(work: Work, username: str, password: str, client: str) -> service.Authenticated:
    return asyncio.run(
        service.log_in(work, username=username, password=password, client=client, now=START)
    )


def test_while_a_password_is_verified_others_can_write(committed: tuple[Engine, Work]) -> None:
    engine, work = committed
    with hashing_held() as (started, release):
        login = threading.Thread(target=log_in, args=(work, "lock-tester", PASSWORD, "a"))
        login.start()
        assert started.wait(10)
        # Another writer (a webhook) gets the database's write lock while the login is still
        # verifying (on SQLite a transaction open across the hash would hold that lock).
        with engine.connect() as other, other.begin():
            other.execute(text("UPDATE staff SET is_active = is_active WHERE id < 0"))
        assert login.is_alive() and not release.is_set()
        release.set()
        login.join(10)


def test_one_address_trying_many_accounts_is_throttled(committed: tuple[Engine, Work]) -> None:
    _engine, work = committed
    for attempt in range(20):
        with pytest.raises(InvalidCredentials):
            log_in(work, f"nobody{attempt}", "wrong", "10.0.0.9")
    with pytest.raises(LoginThrottled):  # even the right password of a real account
        log_in(work, "lock-tester", PASSWORD, "10.0.0.9")
    # Another address still signs in, whatever the case of the username.
    assert log_in(work, "LOCK-TESTER", PASSWORD, "10.0.0.10").id > 0
