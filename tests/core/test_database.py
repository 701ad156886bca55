"""SQLite transactions behave like PostgreSQL's: a released savepoint is not a commit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from core.database import autocommit_sessionmaker, make_engine


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
    engine = make_engine(f"sqlite:///{tmp_path / 'reader.db'}", connect_args={"timeout": 0.2})
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('committed')"))
    with engine.connect() as writer:
        writer.begin()  # holds the write lock
        writer.execute(text("INSERT INTO notes VALUES ('not yet committed')"))
        with autocommit_sessionmaker(engine)() as session:
            assert session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 1
            session.commit()
        writer.rollback()
    engine.dispose()


def test_a_read_outside_transactions_opens_none(engine: Engine) -> None:
    # On PostgreSQL: autocommit, so no BEGIN and COMMIT round trips around the one statement.
    with autocommit_sessionmaker(engine)() as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
        raw = session.connection().connection.dbapi_connection
        if engine.dialect.name == "sqlite":
            assert raw is not None and not raw.in_transaction
        else:
            assert raw is not None and raw.autocommit


def test_an_autocommit_write_is_committed_at_once_and_holds_no_lock(tmp_path: Path) -> None:
    # The entry and participant-number webhooks write this way: one statement, whole by itself.
    engine = make_engine(f"sqlite:///{tmp_path / 'autocommit.db'}", connect_args={"timeout": 0.2})
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    with autocommit_sessionmaker(engine)() as session:
        session.execute(text("INSERT INTO notes VALUES ('at once')"))
        # Still inside the session: another writer gets the lock, and sees the row committed.
        with engine.begin() as other:
            other.execute(text("INSERT INTO notes VALUES ('meanwhile')"))
            assert other.execute(text("SELECT count(*) FROM notes")).scalar_one() == 2
        session.rollback()  # nothing to take back
    with engine.connect() as check:
        assert check.execute(text("SELECT count(*) FROM notes")).scalar_one() == 2
    engine.dispose()
