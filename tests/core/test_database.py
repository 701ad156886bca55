"""SQLite transactions behave like PostgreSQL's: a released savepoint is not a commit."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from core.database import (
    durable_commit,
    forget_engines,
    get_autocommit_engine,
    get_engine,
    get_relaxed_engine,
    get_relaxed_sessionmaker,
    make_autocommit_engine,
    make_engine,
)
from tests.fixtures.settings import Change


def test_a_savepoint_inside_a_rolled_back_transaction_leaves_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'savepoints.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    session.execute(text("INSERT INTO notes VALUES ('kept only inside the test')"))
    session.commit()  # releases the savepoint, as a request's unit of work does in tests
    outer.rollback()
    connection.close()
    with engine.connect() as check:
        assert check.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0
    engine.dispose()


def test_a_committed_unit_of_work_is_durable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'durable.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    with Session(engine) as session:
        session.execute(text("INSERT INTO notes VALUES ('stays')"))
        session.commit()
    with engine.connect() as check:
        assert check.execute(text("SELECT count(*) FROM notes")).scalar_one() == 1
    engine.dispose()


def test_a_read_outside_transactions_does_not_wait_for_a_writer_on_sqlite(tmp_path: Path) -> None:
    # The PIN's hash is read this way just before hashing: it must not queue for the write
    # lock that every unit of work takes on SQLite (BEGIN IMMEDIATE).
    url = f"sqlite:///{tmp_path / 'reader.db'}"
    engine = make_engine(url, connect_args={"timeout": 0.2})
    autocommit = make_autocommit_engine(url, 1, connect_args={"timeout": 0.2})
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('committed')"))
    with engine.connect() as writer:
        writer.begin()  # holds the write lock
        writer.execute(text("INSERT INTO notes VALUES ('not yet committed')"))
        with autocommit.connect() as reader:
            assert reader.execute(text("SELECT count(*) FROM notes")).scalar_one() == 1
        writer.rollback()
    engine.dispose()
    autocommit.dispose()


def test_a_read_outside_transactions_opens_none(engine: Engine) -> None:
    # On PostgreSQL: autocommit, so no BEGIN and COMMIT round trips around the one statement.
    autocommit = make_autocommit_engine(engine.url, 1)
    with autocommit.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
        raw = connection.connection.dbapi_connection
        if engine.dialect.name == "sqlite":
            assert raw is not None and not raw.in_transaction
        else:
            assert raw is not None and raw.autocommit
    autocommit.dispose()


def test_an_autocommit_write_is_committed_at_once_and_holds_no_lock(tmp_path: Path) -> None:
    # The entry and participant-number webhooks write this way: one statement, whole by itself.
    url = f"sqlite:///{tmp_path / 'autocommit.db'}"
    engine = make_engine(url, connect_args={"timeout": 0.2})
    autocommit = make_autocommit_engine(url, 1, connect_args={"timeout": 0.2})
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    with autocommit.connect() as writer:
        writer.execute(text("INSERT INTO notes VALUES ('at once')"))
        # The connection still open: another writer gets the lock, and sees the row committed.
        with engine.begin() as other:
            other.execute(text("INSERT INTO notes VALUES ('meanwhile')"))
            assert other.execute(text("SELECT count(*) FROM notes")).scalar_one() == 2
        writer.rollback()  # nothing to take back
    with engine.connect() as check:
        assert check.execute(text("SELECT count(*) FROM notes")).scalar_one() == 2
    engine.dispose()
    autocommit.dispose()


def _setting(connection: Connection, name: str) -> str:
    return str(connection.exec_driver_sql(f"SHOW {name}").scalar_one())


def test_call_state_commits_do_not_wait_for_the_disk_unless_asked(engine: Engine) -> None:
    # The webhooks Twilio waits on write through the relaxed engine (the settings point at the
    # test database here); everything else waits for the disk.
    forget_engines()
    try:
        relaxed = get_relaxed_engine()
        if engine.dialect.name == "sqlite":
            # One engine: in WAL mode with synchronous=NORMAL no SQLite commit waits anyway.
            assert relaxed is get_engine()
            with relaxed.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar_one() == 1
            return
        with get_engine().connect() as connection:
            assert _setting(connection, "synchronous_commit") == "on"
        with get_autocommit_engine().connect() as connection:
            assert _setting(connection, "synchronous_commit") == "off"
        with get_relaxed_sessionmaker()() as session:
            assert _setting(session.connection(), "synchronous_commit") == "off"
            durable_commit(session)
            assert _setting(session.connection(), "synchronous_commit") == "on"
            session.rollback()
            # SET LOCAL: the pooled connection is relaxed again for the next unit of work.
            assert _setting(session.connection(), "synchronous_commit") == "off"
    finally:
        forget_engines()


@pytest.mark.postgres_only
def test_the_relaxed_engine_keeps_the_server_options_the_url_gives(
    engine: Engine, settings: Change
) -> None:
    with_options = engine.url.update_query_dict({"options": "-c statement_timeout=4321"})
    settings(database_url=with_options.render_as_string(False))
    with get_relaxed_engine().connect() as connection:
        assert _setting(connection, "statement_timeout") == "4321ms"
        assert _setting(connection, "synchronous_commit") == "off"


def _backend_pid(connection: Connection) -> int:
    return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


@pytest.mark.postgres_only
def test_a_connection_the_server_closed_is_replaced_before_a_unit_of_work_uses_it(
    engine: Engine,
) -> None:
    # No ping per check-out (a round trip per webhook at the top of the hour): a pooled
    # connection whose server process is gone must still never reach a caller's webhook.
    pooled = make_engine(engine.url, pool_size=1, max_overflow=0)
    try:
        with pooled.connect() as connection:
            first = _backend_pid(connection)
        with engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            for _ in range(100):  # until the backend has exited and closed its socket
                gone = admin.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": first}
                ).scalar_one()
                if not gone:
                    break
                time.sleep(0.02)
            time.sleep(0.2)  # its process leaves that view just before it exits
        with pooled.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            second = _backend_pid(connection)
            assert second != first
        with pooled.connect() as connection:  # a healthy idle one is kept, not replaced
            assert _backend_pid(connection) == second
    finally:
        pooled.dispose()


def test_the_sqlite_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    # They hold argon2 hashes and ciphertexts: 0600 whatever the umask, -wal and -shm included.
    path = tmp_path / "private.db"
    old_umask = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{path}")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect():  # the -wal and -shm files exist while a connection is open
            modes = {
                name: stat.S_IMODE((tmp_path / name).stat().st_mode)
                for name in ("private.db", "private.db-wal", "private.db-shm")
            }
        engine.dispose()
    finally:
        os.umask(old_umask)
    assert modes == dict.fromkeys(modes, 0o600)


def test_postgresql_pools_take_their_sizes_from_the_settings(settings: Change) -> None:
    settings(database_pool_size=3, database_max_overflow=2)
    engine = make_engine("postgresql+psycopg://supportline@127.0.0.1:5432/never_connected")
    try:
        assert isinstance(engine.pool, QueuePool)
        assert (engine.pool.size(), engine.pool._max_overflow) == (3, 2)
    finally:
        engine.dispose()
