"""Units of work for Twilio's webhooks, run on threads of their own.

A webhook's handler is async (no request thread is held while it waits for a hash or a query);
its unit of work runs on one of ``UNIT_THREADS`` threads, commits on success, rolls back on
error, and is finished before the answer is sent — the rules of ``SessionDep``, for one thread
hop per unit. Single-statement units (``Work.autocommit``) run on the connection their thread
keeps (``core.database.kept_connection``). A webhook's service declares the unit it runs in
beside its definition (``runs``), and ``Work.run`` runs it so.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache, partial
from typing import Annotated, Any, Concatenate, Literal, ParamSpec, TypeVar, overload

from fastapi import Depends, Request
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.database import (
    UNIT_THREADS,
    close_kept_connections,
    get_session,
    kept_connection,
    relaxed_session,
)
from core.logs import get_logger

log = get_logger(__name__)

T = TypeVar("T")
P = ParamSpec("P")
SessionService = TypeVar("SessionService", bound=Callable[Concatenate[Session, ...], Any])
ConnectionService = TypeVar("ConnectionService", bound=Callable[Concatenate[Connection, ...], Any])
Service = TypeVar("Service", bound=Callable[..., Any])


class Mode(Enum):
    """The unit of work a service runs in."""

    normal = "normal"  # one transaction (``Work.__call__``)
    relaxed = "relaxed"  # one transaction on the relaxed engine (``Work.relaxed``)
    autocommit = "autocommit"  # no transaction: each statement commits alone (``Work.autocommit``)


_MODES: dict[Callable[..., Any], Mode] = {}


@overload
def runs(mode: Literal[Mode.autocommit]) -> Callable[[ConnectionService], ConnectionService]: ...
@overload
def runs(
    mode: Literal[Mode.normal, Mode.relaxed],
) -> Callable[[SessionService], SessionService]: ...
def runs(mode: Mode) -> Callable[[Service], Service]:
    """Declares, beside a service, the unit of work ``Work.run`` runs it in: a ``Connection``
    service runs outside any transaction, a ``Session`` service in one."""

    def declare(service: Service) -> Service:
        _MODES[service] = mode
        return service

    return declare


def mode_of(service: Callable[..., Any]) -> Mode:
    try:
        return _MODES[service]
    except KeyError:
        raise TypeError(
            f"{service.__qualname__} declares no unit of work (core.work.runs)"
        ) from None


@lru_cache
def _unit_threads() -> ThreadPoolExecutor:
    """Units of work run here rather than on the general thread pool: a hop through asyncio's
    executor costs a third less CPU than through anyio's (capacity limiter, cancel scope), and
    the number of threads bounds the connections they keep."""
    return ThreadPoolExecutor(max_workers=UNIT_THREADS, thread_name_prefix="unit")


async def _on_unit_thread(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_unit_threads(), partial(function, *args, **kwargs))


def _run(opened: Callable[[], Iterator[Any]], service: Callable[..., T], /, *a: Any, **k: Any) -> T:
    with contextmanager(opened)() as session_or_connection:
        return service(session_or_connection, *a, **k)


@dataclass(frozen=True)
class Work:
    """Runs one service function in its own unit of work on a unit thread."""

    open_session: Callable[[], Iterator[Session]]
    open_relaxed: Callable[[], Iterator[Session]]
    open_connection: Callable[[], Iterator[Connection]]

    async def __call__(
        self, service: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await _on_unit_thread(_run, self.open_session, service, *args, **kwargs)

    async def relaxed(
        self, service: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``service`` in a unit of work on the relaxed engine (``get_relaxed_engine``): for the
        call's own state, written while Twilio waits; what must survive a database crash in it
        asks for ``durable_commit``."""
        return await _on_unit_thread(_run, self.open_relaxed, service, *args, **kwargs)

    async def autocommit(
        self,
        service: Callable[Concatenate[Connection, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``service`` runs outside any transaction: each of its statements commits on its own.

        Only for services whose every statement stands alone (one read, or one write whose
        effect is whole by itself), on the busiest webhooks: on PostgreSQL a transaction costs
        two more round trips, on SQLite it holds the database's only write lock from the first
        statement to the commit. Relaxed, like ``relaxed``; Core statements on a ``Connection``.
        """
        return await _on_unit_thread(_run, self.open_connection, service, *args, **kwargs)

    @overload
    async def run(
        self,
        service: Callable[Concatenate[Connection, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T: ...
    @overload
    async def run(
        self, service: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T: ...
    async def run(self, service: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``service`` in the unit of work declared beside it (``runs``)."""
        mode = mode_of(service)
        if mode is Mode.autocommit:
            opened: Callable[[], Iterator[Any]] = self.open_connection
        else:
            opened = self.open_relaxed if mode is Mode.relaxed else self.open_session
        return await _on_unit_thread(_run, opened, service, *args, **kwargs)


def get_work(request: Request) -> Work:
    """The ``Work`` of this request's application (its test overrides included)."""
    return work_for(request.app.dependency_overrides)


WorkDep = Annotated[Work, Depends(get_work)]


def client_address(request: Request) -> str:
    """The address the request came from (the proxy's, unless uvicorn trusts its headers)."""
    return request.client.host if request.client is not None else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]


def work_for(overrides: Mapping[Callable[..., Any], Callable[..., Any]]) -> Work:
    """A ``Work`` opening sessions the way ``get_session`` does; when tests override
    ``get_session`` (``app.dependency_overrides``), its override serves ``relaxed`` and
    ``autocommit`` too."""
    override = overrides.get(get_session)
    if override is None:
        return _WORK
    return Work(override, override, _connection_of(override))


def _connection_of(
    open_session: Callable[[], Iterator[Session]],
) -> Callable[[], Iterator[Connection]]:
    def opened() -> Iterator[Connection]:
        with contextmanager(open_session)() as session:
            yield session.connection()

    return opened


_WORK = Work(get_session, relaxed_session, kept_connection)

# How long the start waits for the unit threads to open their connections (see ``open_pools``).
START_WAIT_SECONDS = 5.0


def start_unit_threads() -> None:
    """Start every unit thread and open the connection it keeps, before the first call arrives
    (a new connection is a new server process on PostgreSQL: the first callers after a start
    would wait for it). A database not reachable yet is logged, not fatal."""
    started = threading.Barrier(UNIT_THREADS)  # each task holds its thread until all started
    tasks = [_unit_threads().submit(_open_kept, started) for _ in range(UNIT_THREADS)]
    for task in tasks:
        try:
            task.result(START_WAIT_SECONDS)
        except (SQLAlchemyError, OSError, threading.BrokenBarrierError, TimeoutError) as exc:
            log.warning("database.not_reachable_at_start", extra={"error": type(exc).__name__})
            return


def stop_unit_threads() -> None:
    """At shutdown: let the units still running or queued finish, then close the connections the
    threads kept. A request the server gave up on (its graceful-shutdown timeout) leaves its
    unit running on its thread; closing its connection from here would fail it mid-way. A later
    start (tests start many apps) gets new threads."""
    threads = _unit_threads()
    _unit_threads.cache_clear()
    threads.shutdown(wait=True)
    close_kept_connections()


def _open_kept(started: threading.Barrier) -> None:
    started.wait(START_WAIT_SECONDS)
    with contextmanager(kept_connection)():
        pass
