"""Engine, sessions and the declarative base shared by every domain package."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from select import POLLERR, POLLHUP, POLLIN, poll
from typing import Annotated, Any, ClassVar, TypeVar

from fastapi import Depends
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Enum,
    MetaData,
    Select,
    create_engine,
    event,
    func,
    make_url,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from core.errors import AppError
from core.logs import get_logger
from core.settings import get_settings

log = get_logger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


T = TypeVar("T")


def paginate(
    session: Session, query: Select[T], *order_by: Any, limit: int, offset: int
) -> tuple[list[T], int]:
    """One page of ``query`` in the given order, and how many rows match in all."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(*order_by).limit(limit).offset(offset))
    return list(rows), total


def insert_or_nothing(session: Session, model: type[Base]) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``model``'s table, on the session's backend:
    a row someone else inserted a moment before is no error."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).on_conflict_do_nothing()


def string_enum(enum_type: type[StrEnum], length: int = 24) -> Enum:
    """An enum stored as its string value (no native database enum: adding a value needs no DDL)."""
    return Enum(enum_type, native_enum=False, length=length, validate_strings=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    url = make_url(url)
    # A statement's error text would list its parameters as given, before encryption: a phone
    # number, an e-mail, an alias would reach the log of any failed write.
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:":
            _private_file(Path(database))
        busy = get_settings().database_busy_seconds
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": busy})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    settings = get_settings()
    kwargs.setdefault("pool_size", settings.database_pool_size)
    kwargs.setdefault("max_overflow", settings.database_max_overflow)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkout", _still_connected)
    return engine


def _private_file(path: Path) -> None:
    """The SQLite file readable by its owner only (argon2 hashes and ciphertexts are in it),
    whatever the umask. SQLite gives its -wal and -shm files the database file's permissions
    (https://www.sqlite.org/tempfiles.html); ones left by an earlier start are narrowed too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


def _still_connected(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server has closed is not handed out (the pool opens another).

    Instead of ``pool_pre_ping``'s ``SELECT 1``: one round trip per unit of work was an eighth
    of what a dial-in cost the server (``bench/dialin_cost.py`` measures that cost). An idle
    pooled connection has nothing to read unless the server has said goodbye (a restart,
    ``pg_terminate_backend``, an idle timeout): then its socket is readable, seen without a
    round trip. A rare harmless message (a server setting reported after a reload) only costs a
    new connection.
    """
    if dbapi_connection.closed or getattr(dbapi_connection, "broken", False):
        raise DisconnectionError("the pooled connection is closed")
    poller = poll()
    poller.register(dbapi_connection.fileno(), POLLIN | POLLERR | POLLHUP)
    if poller.poll(0):
        raise DisconnectionError("the database server closed the pooled connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite opens transactions itself, lazily and only before writes, which turns a SAVEPOINT
    # into the outermost transaction (its RELEASE commits). SQLAlchemy's recipe: let the driver
    # autocommit and emit BEGIN ourselves, so transactions and savepoints mean what they say.
    # IMMEDIATE takes the write lock at once: a unit of work that read first and writes later
    # then waits for another writer (busy_timeout) instead of failing on a stale snapshot.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={get_settings().database_busy_seconds * 1000}")
    cursor.close()


# Execution option of connections whose statements each commit on their own (``Work.autocommit``).
AUTOCOMMIT = "supportline_autocommit"


def _sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(AUTOCOMMIT):
        return  # each statement on its own, holding the write lock only while it runs
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().effective_database_url)


@lru_cache
def get_relaxed_engine() -> Engine:
    """The engine for what lives only as long as a phone call, written while Twilio waits.

    On PostgreSQL its connections commit without waiting for the write-ahead log to reach the
    disk (``synchronous_commit=off``; the database stays consistent, only its last fraction of a
    second of commits can be lost if the server crashes, and with it every call then in
    progress). Waiting for the disk made the dial-in burst's slowest webhooks a hundred times
    the bare baseline's (``bench/dialin_burst.py`` measures both). What must survive a crash —
    failed PINs, lockouts, access events — asks for it with ``durable_commit``. On SQLite it is
    the one engine: in WAL mode with ``synchronous=NORMAL`` no commit waits for the disk anyway.
    """
    url = make_url(get_settings().effective_database_url)
    if url.get_backend_name() != "postgresql":
        return get_engine()
    relaxed_url, kwargs = _relaxed(url)
    return make_engine(relaxed_url, **kwargs)


def _relaxed(url: URL) -> tuple[URL, dict[str, Any]]:
    """The URL and connection arguments of relaxed connections (``synchronous_commit=off``),
    added to the server options the URL or PGOPTIONS already give, not instead of them."""
    given = url.query.get("options") or get_settings().postgres_options
    options = [*(given if isinstance(given, tuple) else [given]), "-c synchronous_commit=off"]
    connect_args = {"options": " ".join(option for option in options if option)}
    return url.difference_update_query(["options"]), {"connect_args": connect_args}


def make_autocommit_engine(url: str | URL, connections: int, **kwargs: Any) -> Engine:
    """Connections whose statements each commit on their own: no BEGIN and COMMIT round trips
    on PostgreSQL; on SQLite no write lock for a read, and for a write only while it runs. At
    most ``connections`` of them."""
    engine = make_engine(
        url, isolation_level="AUTOCOMMIT", pool_size=connections, max_overflow=0, **kwargs
    )
    return engine.execution_options(**{AUTOCOMMIT: True})


@lru_cache
def get_autocommit_engine() -> Engine:
    """The engine of ``Work.autocommit``: the call's own state, relaxed like ``get_relaxed_engine``,
    one connection for each unit-of-work thread (``core.work``), which keeps it."""
    url = make_url(get_settings().effective_database_url)
    if url.get_backend_name() != "postgresql":
        return make_autocommit_engine(url, UNIT_THREADS)
    relaxed_url, kwargs = _relaxed(url)
    return make_autocommit_engine(relaxed_url, UNIT_THREADS, **kwargs)


# How long the start waits for ``open_pools``: a database host that drops packets would otherwise
# hold the start for the operating system's whole connect timeout (minutes).
OPEN_POOLS_WAIT_SECONDS = 5.0


def open_pools() -> None:
    """Open the connections the first requests after a start would otherwise open while callers
    wait (each a new server process on PostgreSQL), and let the dialect read the server's
    settings once. A restart minutes before the top of the hour made the first seconds' calls
    the burst's slowest (``bench/dialin_burst.py`` starts its server just before the burst).
    Waits ``OPEN_POOLS_WAIT_SECONDS`` at most (the opening goes on in the background); a
    database not reachable yet is logged, not fatal: requests then open their own connections."""
    opening = threading.Thread(target=_open_pools, name="open-pools", daemon=True)
    opening.start()
    opening.join(OPEN_POOLS_WAIT_SECONDS)
    if opening.is_alive():
        log.warning("database.slow_at_start", extra={"waited_s": OPEN_POOLS_WAIT_SECONDS})


def _open_pools() -> None:
    engines = [get_engine(), get_relaxed_engine()]
    try:
        for engine in dict.fromkeys(engines):  # one engine on SQLite
            size = engine.pool.size() if isinstance(engine.pool, QueuePool) else 1
            opened = [engine.connect() for _ in range(size)]
            for connection in opened:
                connection.close()  # back to the pool, which keeps it open
    except (SQLAlchemyError, OSError) as exc:
        log.warning("database.not_reachable_at_start", extra={"error": type(exc).__name__})


def durable_commit(session: Session) -> None:
    """This unit of work's commit waits for the disk, even on the relaxed engine."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_SYNCHRONOUS_COMMIT)


_SYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit TO on")


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@lru_cache
def get_relaxed_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_relaxed_engine(), expire_on_commit=False)


def forget_engines() -> None:
    """Close the pools and forget the cached engines (after the settings changed)."""
    close_kept_connections()
    for cached in (get_engine, get_relaxed_engine, get_autocommit_engine):
        if cached.cache_info().currsize:
            cached().dispose()
    for maker in (get_engine, get_relaxed_engine, get_autocommit_engine):
        maker.cache_clear()
    get_sessionmaker.cache_clear()
    get_relaxed_sessionmaker.cache_clear()


def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit on success, roll back on error (unless the error says its changes must stay)."""
    try:
        yield session
        session.commit()
    except AppError as exc:
        if exc.keeps_changes:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise


def _unit_of_work_from(maker: sessionmaker[Session]) -> Iterator[Session]:
    session = maker()
    try:
        yield from unit_of_work(session)
    finally:
        session.close()


def get_session() -> Iterator[Session]:
    """One unit of work per request; finished before the response is sent."""
    yield from _unit_of_work_from(get_sessionmaker())


# --- connections kept by the unit-of-work threads (``core.work``) --------------------------------

# Threads running the webhooks' units of work, per process; one kept connection each.
UNIT_THREADS = 8
_kept = threading.local()
_every_kept: set[Connection] = set()  # every thread's, so that ``forget_engines`` closes them
_every_kept_lock = threading.Lock()


def kept_connection() -> Iterator[Connection]:
    """This thread's autocommit connection (``get_autocommit_engine``): opened by the thread's
    first unit and kept for the next ones. A pool check-out and return, a ``Session`` and an
    isolation-level switch for every single-statement webhook cost more than the statement
    (``bench/dialin_cost.py`` counts the check-outs and measures a webhook's CPU). A connection
    the server closed is replaced before use, as the pool would (``_still_connected``); one that
    failed is invalidated by SQLAlchemy and replaced too. The driver commits each statement;
    SQLAlchemy's logical transaction is left open between units (nothing to end) and rolled back
    after an error."""
    connection = _usable(getattr(_kept, "connection", None))
    if connection is None:
        connection = get_autocommit_engine().connect()
        _kept.connection = connection
        with _every_kept_lock:
            _every_kept.add(connection)
    try:
        yield connection
    except BaseException:
        if not (connection.invalidated or connection.closed):
            connection.rollback()
        raise


def _usable(connection: Connection | None) -> Connection | None:
    if connection is None:
        return None
    if (
        not (connection.closed or connection.invalidated)
        and connection.engine is get_autocommit_engine()
    ):
        if connection.dialect.name == "sqlite":
            return connection
        try:
            _still_connected(connection.connection.dbapi_connection, None, None)
            return connection
        except DisconnectionError:
            connection.invalidate()
    _drop(connection)
    return None


def _drop(connection: Connection) -> None:
    with _every_kept_lock:
        _every_kept.discard(connection)
    connection.close()


def close_kept_connections() -> None:
    """Close every thread's kept connection (each thread opens a new one when it next needs it)."""
    with _every_kept_lock:
        kept = list(_every_kept)
        _every_kept.clear()
    for connection in kept:
        connection.close()


def relaxed_session() -> Iterator[Session]:
    """One unit of work on the relaxed engine (``get_relaxed_engine``)."""
    yield from _unit_of_work_from(get_relaxed_sessionmaker())


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
