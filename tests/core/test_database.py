"""SQLite transactions behave like PostgreSQL's: a released savepoint is not a commit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.database import make_engine


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
