"""Test harness: settings for tests, one database per run, one rolled-back transaction per test.

The suite runs on SQLite by default; with ``SUPPORTLINE_TEST_DATABASE_URL`` (a PostgreSQL URL) it
creates a fresh database on that server for the run and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

from core import migrate
from core.database import get_session, make_engine, unit_of_work
from core.settings import use_settings
from tests.clock import Clock

pytest_plugins = [
    "tests.fixtures.settings",
    "tests.emulators.fixtures",
    "tests.fixtures.own_database",
    "tests.fixtures.calls",
    "tests.fixtures.committed",
    "tests.fixtures.phones",
]


# Fixtures that start a real part beside the test: whoever uses one is an integration test.
INTEGRATION_FIXTURES = frozenset(
    {"prism_url", "twilio_client", "live_server", "twilio_live_server", "emulated_live_server"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``pytest -m "not integration"`` is the quick inner loop; the full run takes everything."""
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if uses & INTEGRATION_FIXTURES or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.integration)


def pytest_configure(config: pytest.Config) -> None:
    from tests.fixtures.settings import BASE, IsolatedSettings

    use_settings(IsolatedSettings(**BASE))


def _postgres_database(url: str) -> Iterator[str]:
    """Create a database of our own on the server in ``url`` and drop it after the run."""
    base = make_url(url)
    name = f"supportline_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = os.environ.get("SUPPORTLINE_TEST_DATABASE_URL")
    if url:
        yield from _postgres_database(url)
    else:
        from tests.fixtures.settings import DATA_DIR

        yield f"sqlite:///{DATA_DIR / 'test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    from tests.fixtures.settings import change_settings

    change_settings(database_url=database_url)
    engine = make_engine(database_url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def started_client(engine: Engine) -> Iterator[TestClient]:
    """One application for the whole run, started once (its worker and hashing threads); each
    test gets it with its own overrides (``app``) and a client without cookies (``client``)."""
    from supportline.app import create_app

    with TestClient(create_app(), base_url="https://line.example.org") as test_client:
        yield test_client


@pytest.fixture
def app(started_client: TestClient, db: Session, clock: Clock) -> Iterator[FastAPI]:
    from core.clock import get_now

    application = started_client.app
    assert isinstance(application, FastAPI)

    def test_session() -> Iterator[Session]:
        # What the test set up before the request counts as committed, as it would be in real
        # life; otherwise a request's rollback would take the test's own data with it.
        db.commit()
        yield from unit_of_work(db)

    application.dependency_overrides.clear()
    application.dependency_overrides[get_session] = test_session
    application.dependency_overrides[get_now] = clock.now
    yield application
    application.dependency_overrides.clear()


@pytest.fixture
def client(app: FastAPI, started_client: TestClient) -> Iterator[TestClient]:
    headers = dict(started_client.headers)
    yield started_client
    started_client.cookies.clear()
    started_client.headers.clear()
    started_client.headers.update(headers)
