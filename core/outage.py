"""A busy or broken database: answered at once and kindly, never with a bare 500 after a long wait.

The SQLite database waits ``DATABASE_BUSY_SECONDS`` for another writer, then fails with "database
is locked"; a read-only file, corrupted pages or a PostgreSQL server that is down fail at once.
Twilio waits 15 seconds for a webhook's answer
(https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides) and otherwise plays its
own error message, so the wait is shorter than that, and a voice webhook answers with what its
router declares (a short spoken apology); the API answers a JSON 503. The log names the error's
type only: a statement's text and parameters stay out of it.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from core.errors import AppError
from core.logs import get_logger

log = get_logger("supportline.database")

UNAVAILABLE = "the database is busy or unavailable just now; please try again in a minute"


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be used now (locked, unreachable, read-only,
    corrupted), rather than that a statement was wrong (integrity, data, programming errors)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return type(exc) is DatabaseError  # e.g. "database disk image is malformed"


def record_outage(exc: BaseException, where: str) -> None:
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    log.error("database.unavailable", extra={"where": where, "error": type(original).__name__})


def unavailable_response() -> JSONResponse:
    return JSONResponse(
        {"error": "service_unavailable", "detail": UNAVAILABLE},
        status_code=503,
        headers={"Retry-After": "60"},
    )


def install_outage_handler(app: FastAPI) -> None:
    """The API's answer to a database that cannot be used now: a JSON 503 (the console shows a
    page with the same words instead, ``console.rendering``)."""

    async def outage(request: Request, exc: Exception) -> JSONResponse:
        if not is_outage(exc):
            raise exc
        record_outage(exc, request.url.path)
        return unavailable_response()

    app.add_exception_handler(DBAPIError, outage)


class NotReady(AppError):
    status_code = 503
    error = "service_unavailable"


def check_database(session: Session) -> None:
    """The readiness check: the schema's version read, a write to it undone at once (a read-only
    file or a lost connection fails here), and on SQLite the pages' integrity (``quick_check``:
    corrupted pages answer reads of other tables normally until someone touches them)."""
    session.execute(text("SELECT version_num FROM alembic_version")).one()
    savepoint = session.begin_nested()
    session.execute(text("UPDATE alembic_version SET version_num = version_num"))
    savepoint.rollback()
    if session.get_bind().dialect.name == "sqlite":
        verdict = session.execute(text("PRAGMA quick_check(1)")).scalar()
        if verdict != "ok":
            log.error("database.corrupted", extra={"check": "quick_check"})
            raise NotReady("the database file is damaged; restore it from a backup")
