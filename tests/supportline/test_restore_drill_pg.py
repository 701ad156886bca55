"""The restore drill of docs/operations.md, on PostgreSQL: a dump restored into a fresh database
passes ``supportline doctor`` with the same keys, and a member dials in."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from core import migrate
from core.database import get_session, get_sessionmaker
from core.settings import get_settings, use_settings
from supportline.cli import app as cli
from tests.clock import Clock
from tests.fixtures.calls import MEETING_START, local_twilio, login, make_world
from tests.fixtures.settings import change_settings, forget_settings

pytestmark = [pytest.mark.postgres_only, pytest.mark.integration]


def libpq(url: str) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def two_databases(database_url: str) -> Iterator[tuple[str, str]]:
    """A source and a fresh target database of this test's own, dropped afterwards."""
    base = make_url(database_url)
    names = [f"restore_drill_src_{os.getpid()}", f"restore_drill_{os.getpid()}"]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    before = get_settings()
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        source, target = (
            base.set(database=name).render_as_string(hide_password=False) for name in names
        )
        yield source, target
    finally:
        use_settings(before)
        forget_settings()  # closes the pools on both databases
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_restored_dump_passes_doctor_and_a_member_dials_in(
    two_databases: tuple[str, str], app: FastAPI, client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    source, target = two_databases
    change_settings(database_url=source)
    migrate.upgrade()
    clock.set(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    with get_sessionmaker().begin() as session:
        world = make_world(session, clock)

    dump = tmp_path / "supportline.dump"
    for command in (
        ["pg_dump", "--format=custom", f"--file={dump}", libpq(source)],
        ["pg_restore", "--no-owner", f"--dbname={libpq(target)}", str(dump)],
    ):
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr

    change_settings(database_url=target)  # the same SECRET_KEY and PII_KEYS, kept apart
    doctor = CliRunner().invoke(cli, ["doctor"])
    assert doctor.exit_code == 0, doctor.output
    assert "ok       keys: decrypt a stored record and find it by its blind index" in doctor.output

    def restored_session() -> Iterator[Session]:
        yield from get_session()  # the restored database, as a server started on it would

    app.dependency_overrides[get_session] = restored_session
    clock.set(MEETING_START.replace(hour=18, minute=55))  # the dial-in window is open
    call = login(local_twilio(app, client, clock), world, world.member)
    assert call.state == "in_conference"
