"""The webhooks' units of work: on threads of their own, single statements on kept connections."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import database
from core.database import UNIT_THREADS, forget_engines, get_autocommit_engine
from core.work import Mode, Work, runs, stop_unit_threads, work_for

T = TypeVar("T")


@pytest.fixture
def real_engines() -> Iterator[None]:
    """The engines the settings name (the test database), not a test's rolled-back session."""
    forget_engines()
    yield
    forget_engines()


def _in_a_loop(awaitable: Coroutine[Any, Any, T]) -> T:
    # On a thread of its own: browser tests leave an event loop running on the main thread.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, awaitable).result()


def _autocommit(service: Callable[..., T], *args: Any) -> T:
    return _in_a_loop(work_for({}).autocommit(service, *args))


def _backend(connection: Connection) -> str:
    if connection.dialect.name == "sqlite":
        return str(id(connection.connection.dbapi_connection))
    return str(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _thread_name(session: Session) -> str:
    return threading.current_thread().name


@pytest.mark.usefixtures("real_engines")
def test_units_run_on_the_unit_threads() -> None:
    assert _in_a_loop(work_for({})(_thread_name)).startswith("unit")


def _opening(unit: str) -> Callable[[], Iterator[Any]]:
    def opened() -> Iterator[str]:
        yield unit

    return opened


def test_a_service_runs_in_the_unit_of_work_declared_beside_it() -> None:
    work = Work(_opening("session"), _opening("relaxed"), _opening("connection"))

    @runs(Mode.normal)
    def normal(unit: Any) -> Any:
        return unit

    @runs(Mode.relaxed)
    def relaxed(unit: Any) -> Any:
        return unit

    @runs(Mode.autocommit)
    def single(unit: Any) -> Any:
        return unit

    units = [_in_a_loop(work.run(service)) for service in (normal, relaxed, single)]
    assert units == ["session", "relaxed", "connection"]


def test_a_service_that_declares_no_unit_of_work_is_not_run() -> None:
    def undeclared(session: Session) -> None:
        raise AssertionError("run")

    with pytest.raises(TypeError, match="declares no unit of work"):
        _in_a_loop(work_for({}).run(undeclared))


@pytest.mark.usefixtures("real_engines")
def test_single_statement_units_keep_their_threads_connections() -> None:
    # A pool check-out per webhook cost more than its statement: each unit thread keeps one.
    checkouts = []
    event.listen(get_autocommit_engine(), "checkout", lambda *_: checkouts.append(1))
    backends = {_autocommit(_backend) for _ in range(60)}
    assert len(checkouts) == len(backends) <= UNIT_THREADS


@pytest.mark.usefixtures("real_engines")
def test_a_unit_that_failed_leaves_its_connection_usable(engine: Engine) -> None:
    with engine.begin() as setup:
        setup.exec_driver_sql("CREATE TABLE IF NOT EXISTS work_notes (id INTEGER PRIMARY KEY)")
        setup.exec_driver_sql("DELETE FROM work_notes")
    try:

        def insert(connection: Connection, note: int) -> None:
            connection.execute(text("INSERT INTO work_notes (id) VALUES (:id)"), {"id": note})

        _autocommit(insert, 1)
        for _ in range(UNIT_THREADS * 2):  # whichever thread takes it, the duplicate fails
            with pytest.raises(IntegrityError):
                _autocommit(insert, 1)
        for note in range(2, 30):
            _autocommit(insert, note)
        with engine.connect() as check:
            assert check.exec_driver_sql("SELECT count(*) FROM work_notes").scalar_one() == 29
    finally:
        with engine.begin() as cleanup:
            cleanup.exec_driver_sql("DROP TABLE work_notes")


@pytest.mark.usefixtures("real_engines")
def test_forgetting_the_engines_closes_every_kept_connection() -> None:
    for _ in range(20):
        _autocommit(_backend)
    kept = list(database._every_kept)
    assert kept
    forget_engines()
    assert all(connection.closed for connection in kept)
    assert _autocommit(_backend)  # the next unit opens a new one


def test_every_unit_thread_has_its_connection_from_start_to_shutdown(app: FastAPI) -> None:
    forget_engines()
    try:
        with TestClient(app):
            kept = list(database._every_kept)
            assert len(kept) == UNIT_THREADS
            assert not any(connection.closed for connection in kept)
        assert all(connection.closed for connection in kept)
    finally:
        forget_engines()


@pytest.mark.usefixtures("real_engines")
def test_a_unit_still_running_at_shutdown_finishes_on_its_connection() -> None:
    # A request given up by the server's graceful-shutdown timeout leaves its unit running on
    # its thread: the shutdown must not close the connection under it mid-way.
    started, release = threading.Event(), threading.Event()

    def slow(connection: Connection) -> int:
        connection.execute(text("SELECT 1"))
        started.set()
        release.wait(10)
        return int(connection.execute(text("SELECT 2")).scalar_one())

    with ThreadPoolExecutor(max_workers=2) as threads:
        unit = threads.submit(_autocommit, slow)
        assert started.wait(10)
        kept = list(database._every_kept)
        shutdown = threads.submit(stop_unit_threads)
        time.sleep(0.3)
        assert not shutdown.done()  # waits for the unit
        release.set()
        assert unit.result(10) == 2
        shutdown.result(10)
    assert kept and all(connection.closed for connection in kept)
    assert _autocommit(_backend)  # a later start gets new threads and connections


@pytest.mark.postgres_only
@pytest.mark.usefixtures("real_engines")
def test_a_kept_connection_the_server_closed_is_replaced_before_a_unit_uses_it(
    engine: Engine,
) -> None:
    # A restart of PostgreSQL, an idle timeout or pg_terminate_backend between two calls must
    # never reach a caller's webhook as an error.
    for _ in range(4 * UNIT_THREADS):
        _autocommit(_backend)
    before = {_backend(connection) for connection in database._every_kept}
    with engine.connect() as admin:
        for pid in before:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": int(pid)})
        for _ in range(100):  # until the backends have exited and closed their sockets
            left = admin.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": [int(pid) for pid in before]},
            ).scalar_one()
            if not left:
                break
            time.sleep(0.02)
        time.sleep(0.2)  # a process leaves that view just before it exits
    after = {_autocommit(_backend) for _ in range(4 * UNIT_THREADS)}
    assert after and not after & before
