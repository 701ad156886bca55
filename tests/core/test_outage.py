"""A busy or broken database: calls hear a short apology within Twilio's timeout, the API says
503 in JSON, liveness stays cheap and readiness tells the truth."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from core import migrate
from core.database import get_session, make_engine, unit_of_work
from tests.clock import Clock
from tests.factories import create_group, create_member
from tests.fixtures.settings import Change
from tests.twilio_signing import signed_post

CALL = {"CallSid": "CA" + "7" * 32, "From": "+48601000999", "To": "+12025550100"}


@pytest.fixture
def locked_database(app: FastAPI, tmp_path: Path, settings: Change) -> Iterator[Callable[[], None]]:
    """The app's requests use a SQLite file of their own; calling the fixture's value locks
    it from outside (another process's write transaction), as an attack or a stuck backup
    would."""
    settings(database_busy_seconds=1)
    path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        migrate.upgrade(connection)
    makers = sessionmaker(bind=engine, expire_on_commit=False)

    def own_session() -> Iterator[Session]:
        with makers() as session:
            yield from unit_of_work(session)

    app.dependency_overrides[get_session] = own_session
    outsider = sqlite3.connect(path, isolation_level=None)

    def lock() -> None:
        outsider.execute("BEGIN EXCLUSIVE")

    try:
        yield lock
    finally:
        outsider.close()
        engine.dispose()


def test_a_call_into_a_locked_database_hears_an_apology_not_silence(
    client: TestClient, locked_database: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    locked_database()
    answer = signed_post(client, "/twilio/voice", CALL)
    assert answer.status_code == 200
    assert "We cannot connect you right now" in answer.text and "<Hangup" in answer.text
    (record,) = [r for r in caplog.records if r.getMessage() == "database.unavailable"]
    assert record.__dict__["error"] == "OperationalError" and "+48601000999" not in str(
        record.__dict__
    )


def test_a_member_waiting_keeps_the_music_and_callbacks_are_told_503(
    client: TestClient, locked_database: Callable[[], None]
) -> None:
    locked_database()
    wait = signed_post(client, "/twilio/conference/wait", CALL)
    assert wait.status_code == 200 and 'loop="0"' in wait.text and "<Hangup" not in wait.text
    status = signed_post(client, "/twilio/conference/status", CALL)
    assert status.status_code == 503
    assert status.json()["error"] == "service_unavailable"


def test_the_api_answers_503_in_json_and_liveness_stays_up(
    client: TestClient, locked_database: Callable[[], None], db: Session
) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}
    locked_database()
    answer = client.post("/api/v1/auth/token", data={"username": "ana", "password": "p" * 12})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    assert answer.json() == {
        "error": "service_unavailable",
        "detail": "the database is busy or unavailable just now; please try again in a minute",
    }
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 503


def test_readiness_finds_a_read_only_database(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    path = tmp_path / "read-only.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        migrate.upgrade(connection)
    engine.dispose()
    read_only = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    makers = sessionmaker(bind=read_only)

    def own_session() -> Iterator[Session]:
        with makers() as session:
            yield from unit_of_work(session)

    app.dependency_overrides[get_session] = own_session
    try:
        assert client.get("/readyz").status_code == 503
    finally:
        read_only.dispose()


def test_readiness_answers_ready_on_the_tests_database(client: TestClient) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readiness_finds_keys_that_are_not_the_datas(
    client: TestClient, db: Session, clock: Clock, settings: Change
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    assert client.get("/readyz").json() == {"status": "ready"}
    settings(secret_key="another-secret-" + "x" * 20)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith("SUPPORTLINE_SECRET_KEY is not the key")
    settings(pii_keys=Fernet.generate_key().decode())
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith("SUPPORTLINE_PII_KEYS does not decrypt")
