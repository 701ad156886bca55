"""The application's start-up and shutdown."""

from __future__ import annotations

import gc
import logging
import socket
import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.pool import QueuePool

from core import database, security, work
from core.database import forget_engines, get_relaxed_engine
from supportline.app import create_app, create_served_app
from tests.fixtures.settings import Change


def test_start_up_objects_are_kept_out_of_the_garbage_collectors_scans() -> None:
    # A full collection over everything loaded at start-up took ~100 ms, with every request of
    # the process waiting behind it; frozen, they are not scanned again. Only the served app
    # (a process of its own) freezes: the test runner's heap is left alone.
    gc.unfreeze()
    try:
        create_app()
        assert gc.get_freeze_count() == 0
        with TestClient(create_served_app()) as client:
            assert gc.get_freeze_count() > 10_000
            assert client.get("/healthz").json() == {"status": "ok"}
    finally:
        gc.unfreeze()


def test_the_database_connections_are_open_before_the_first_call(app: FastAPI) -> None:
    # After a restart minutes before the top of the hour, the first callers' webhooks would
    # each open a connection (on PostgreSQL a new server process) while Twilio waits.
    forget_engines()
    with TestClient(app):
        pool = get_relaxed_engine().pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedin() == pool.size() > 1


def test_a_database_not_reachable_at_start_up_is_logged_and_the_server_still_starts(
    app: FastAPI,
    settings: Change,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings(database_url="postgresql+psycopg://nobody@127.0.0.1:9/none")
    with caplog.at_level(logging.WARNING), TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}  # the test's own session
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "database.not_reachable_at_start" in warnings
    assert "nobody" not in caplog.text


def test_a_database_that_never_answers_holds_the_start_for_a_bounded_time_only(
    app: FastAPI,
    settings: Change,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A host that drops packets would hold the start for the system's connect timeout
    # (minutes); here a listening socket that never speaks stands in for it, closed after a
    # while so that a start which waits for it fails this test instead of hanging it.
    silent = socket.create_server(("127.0.0.1", 0))
    closing = threading.Timer(3, silent.close)
    closing.daemon = True  # never keeps the test run alive
    closing.start()
    port = silent.getsockname()[1]
    settings(database_url=f"postgresql+psycopg://x@127.0.0.1:{port}/x")
    monkeypatch.setattr(database, "OPEN_POOLS_WAIT_SECONDS", 0.5)
    monkeypatch.setattr(work, "START_WAIT_SECONDS", 0.5)
    try:
        with caplog.at_level(logging.WARNING), TestClient(app) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert "database.slow_at_start" in warnings
    finally:
        closing.cancel()
        silent.close()


def test_the_hashing_threads_run_and_the_dummy_hash_exists_before_the_first_pin(
    app: FastAPI,
) -> None:
    # Otherwise the first PINs after a start wait for threads to start and, for an unknown
    # participant number, for a whole extra hash.
    security._hashing_threads().shutdown()
    security._hashing_threads.cache_clear()
    security.dummy_hash.cache_clear()
    with TestClient(app):
        running = [t for t in threading.enumerate() if t.name.startswith("argon2")]
        assert len(running) == security.HASHING_THREADS
        assert security.dummy_hash.cache_info().currsize == 1


def test_the_servers_own_address_leads_to_the_console(client: TestClient) -> None:
    # README's first address is http://127.0.0.1:8000: a browser opening it reaches the console.
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/console/"
    assert client.get("/").url.path == "/console/login"
