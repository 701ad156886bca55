"""The Alembic migrations build exactly the schema the models describe (on either backend), and
keep what they move."""

from __future__ import annotations

import threading
import warnings
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, column, insert, select, table, text
from sqlalchemy.exc import IntegrityError, SAWarning
from sqlalchemy.orm import Session

import supportline.models  # noqa: F401 - every table known
from auth.models import Staff
from core import migrate
from core.database import Base
from groups.models import Meeting
from notifications.tasks import enqueue_due_reminders
from tests.clock import Clock
from tests.factories import create_group, create_member

ACCOUNT = {
    "password_hash": "x",
    "role": "helper",
    "is_active": True,
    "token_generation": 0,
    "created_at": datetime(2026, 3, 2, tzinfo=UTC),
}


def test_the_migrations_build_the_schema_the_models_describe(engine: Engine) -> None:
    # A model changed without a migration would work in tests made from the models and fail
    # on a production database made by `supportline db upgrade`.
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLite's reflection skips expression indexes (the staff's lower(username)); the
        # index itself is tested below on every backend.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        warnings.filterwarnings("ignore", "autogenerate skipping .* expression-based index")
        drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert drift == []


def test_usernames_are_unique_whatever_their_case(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(insert(Staff).values(username="Victim3", **ACCOUNT))
        with pytest.raises(IntegrityError):
            connection.execute(insert(Staff).values(username="victim3", **ACCOUNT))
        connection.rollback()


def test_reminders_queued_at_survives_a_downgrade_as_the_first_reminder_queued(
    own_engine: Engine,
) -> None:
    clock = Clock()  # Monday; the group meets at 20:00 in Warsaw, reminded at 17:00 (16:00 UTC)
    with Session(own_engine) as session, session.begin():
        group = create_group(session, now=clock.now())
        create_member(session, group, now=clock.now())
        create_member(session, group, now=clock.now())
        clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
        assert enqueue_due_reminders(session, now=clock.now()) == 2
    with own_engine.connect() as connection:
        before = dict(connection.execute(select(Meeting.id, Meeting.reminders_queued_at)).all())
    assert sorted(value for value in before.values() if value is not None) == [clock.now()]

    with own_engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0005_encrypted_decision_reason")
    with own_engine.begin() as connection:
        migrate.upgrade(connection)
    with own_engine.connect() as connection:
        after = dict(connection.execute(select(Meeting.id, Meeting.reminders_queued_at)).all())
    assert after == before


def test_usernames_that_differ_only_in_case_are_renamed_oldest_first(own_engine: Engine) -> None:
    with own_engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0008_room_conference_fired_at")
    staff = table("staff", *(column(name) for name in ("id", "username", *ACCOUNT)))
    with own_engine.begin() as connection:
        for name in ("Victim3", "victim3", "VICTIM3", "other"):
            connection.execute(insert(staff).values(username=name, **ACCOUNT))
    with own_engine.begin() as connection:
        migrate.upgrade(connection)
    with own_engine.connect() as connection:
        rows = connection.execute(select(staff.c.id, staff.c.username).order_by(staff.c.id)).all()
    first = rows[0].id
    renamed = ["Victim3", f"victim3-{first + 1}", f"VICTIM3-{first + 2}", "other"]
    assert [name for _, name in rows] == renamed


@pytest.mark.postgres_only
def test_a_migration_waits_for_one_already_running(own_engine: Engine) -> None:
    # serve and worker started together on a fresh database both migrated at once, and one died
    # on a duplicate type: each now waits for the migration lock (migrations/env.py).
    with own_engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "base")
    holder = own_engine.connect()
    holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": migrate.MIGRATION_LOCK_KEY})
    done: list[str] = []

    def migrating() -> None:
        with own_engine.begin() as connection:
            migrate.upgrade(connection)
        done.append("migrated")

    other = threading.Thread(target=migrating)
    other.start()
    other.join(timeout=2.0)  # the lock is held: the migration has not begun
    with own_engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 0
    holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": migrate.MIGRATION_LOCK_KEY})
    holder.close()
    other.join(timeout=60)
    assert done == ["migrated"]
