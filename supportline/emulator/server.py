"""Twilio as a process of its own on loopback (``supportline twilio-emulator``).

It holds one :class:`Engine` and speaks on one port:
- to the server, the part of Twilio's REST API it uses (``supportline.emulator.rest``): the
  server's own ``TwilioConferenceControl`` and SMS sender reach it through
  ``SUPPORTLINE_TWILIO_API_URL``;
- to terminal phones (``supportline call``), a small phone API under ``/phone``: dial a line from
  a number, press keys, hang up, and read what the call hears as it happens (long polling:
  ``GET /phone/calls/{sid}/events?after=N`` answers as soon as there is an event after the
  first N, or after ``wait`` seconds with none); and to phones a ``<Dial><Number>`` rings
  (``supportline receive``): register a number (``POST /phone/numbers``), wait for its calls
  (``GET /phone/numbers/{number}/rings``, long polling too), answer or decline one.
It posts the engine's webhooks to the server, signed with the auth token over the server's
public URL, as Twilio does (``supportline.emulator.switchboard``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import uvicorn
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from core.twilio_http import is_loopback_host
from supportline.emulator.delivery import Mode, Poster, http_transport
from supportline.emulator.engine import Engine
from supportline.emulator.hooks import TwilioError, not_found
from supportline.emulator.rest import account_router, error_body, recordings_router, rest_router
from supportline.emulator.switchboard import Switchboard

NUMBER = r"^\+?[0-9]{2,15}$"
# Twilio gives a voice webhook 15 seconds to answer (docs/twilio.md, connection overrides).
WEBHOOK_TIMEOUT_SECONDS = 15.0
LONGEST_WAIT_SECONDS = 30.0
GRACE_SECONDS = 2


class Dialled(BaseModel):
    line: str = Field(pattern=NUMBER, description="the number dialled")
    caller: str = Field(pattern=NUMBER, description="the number calling")


class Registered(BaseModel):
    number: str = Field(pattern=NUMBER, description="the phone's own number")


class Keys(BaseModel):
    digits: str = Field(pattern=r"^[0-9*#]*$", max_length=64, description="empty: silence")


def phone_router(board: Switchboard) -> APIRouter:
    """What a phone does on a call, and what it hears."""
    router = APIRouter(prefix="/phone/calls")

    def known(sid: str) -> str:
        if sid not in board.feeds:
            raise not_found(f"/phone/calls/{sid}")
        return sid

    @router.post("", status_code=201)
    def dial(dialled: Dialled) -> dict[str, str]:
        """Call ``line`` from ``caller``."""
        return {"sid": board.dial(dialled.line, dialled.caller).sid}

    @router.get("/{sid}/events")
    def events(
        sid: str,
        after: Annotated[int, Query(ge=0)] = 0,
        wait: Annotated[float, Query(ge=0, le=LONGEST_WAIT_SECONDS)] = 20.0,
    ) -> dict[str, Any]:
        """What the call heard, and its stages, after the first ``after`` events."""
        found = board.events(known(sid), after=after, wait=wait)
        return {"events": found, "next": after + len(found)}

    @router.post("/{sid}/keys", status_code=204)
    def press(sid: str, keys: Keys) -> Response:
        """Keys pressed (a Gather takes them; elsewhere they go nowhere)."""
        board.press(known(sid), keys.digits)
        return Response(status_code=204)

    @router.post("/{sid}/hangup", status_code=204)
    def hang_up(sid: str) -> Response:
        """The phone is put down."""
        board.hang_up(known(sid))
        return Response(status_code=204)

    @router.post("/{sid}/answer", status_code=204)
    def answer(sid: str) -> Response:
        """The phone a <Dial> rings is picked up."""
        board.pick_up(known(sid))
        return Response(status_code=204)

    @router.post("/{sid}/decline", status_code=204)
    def decline(sid: str) -> Response:
        """The phone a <Dial> rings rejects the call (Twilio hears busy)."""
        board.decline(known(sid))
        return Response(status_code=204)

    return router


def number_router(board: Switchboard) -> APIRouter:
    """Phones that a <Dial><Number> rings: register a number, then wait for its calls."""
    router = APIRouter(prefix="/phone/numbers")

    @router.post("")
    def register(registered: Registered) -> dict[str, int]:
        """This phone answers to ``number`` from now on; ``next``: its rings so far, which a
        phone that waits for the next call skips (another phone of the number had them)."""
        return {"next": board.register(registered.number)}

    @router.get("/{number}/rings")
    def rings(
        number: str,
        after: Annotated[int, Query(ge=0)] = 0,
        wait: Annotated[float, Query(ge=0, le=LONGEST_WAIT_SECONDS)] = 20.0,
    ) -> dict[str, Any]:
        """The calls that rang the number (call SID, caller ID) after the first ``after``."""
        if number not in board.rings:
            raise not_found(f"/phone/numbers/{number}")
        found = board.rings_of(number, after=after, wait=wait)
        return {"rings": found, "next": after + len(found)}

    return router


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(TwilioError(status, message, status=status)), status_code=status)


async def _twilio_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TwilioError)
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if exc.status == 401 else None
    return JSONResponse(error_body(exc), status_code=exc.status, headers=headers)


async def _invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    names = sorted({str(error["loc"][-1]) for error in exc.errors()})
    return _error(400, "Invalid or missing parameter: " + ", ".join(names))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return _error(exc.status_code, str(exc.detail))


def create_emulator_app(board: Switchboard, *, account: str, auth_token: str) -> FastAPI:
    """The emulator's application; its start and end start and stop the board's threads."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        board.start()
        yield
        board.stop()

    app = FastAPI(
        title="Twilio emulator",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_exception_handler(TwilioError, _twilio_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http_error)
    app.include_router(rest_router(board, account=account, auth_token=auth_token))
    app.include_router(account_router(account=account, auth_token=auth_token))
    app.include_router(recordings_router(board, account=account, auth_token=auth_token))
    app.include_router(phone_router(board))
    app.include_router(number_router(board))
    return app


@dataclass(frozen=True)
class EmulatorConfig:
    host: str
    port: int
    server: str  # where the supportline server listens
    public_url: str  # the server's public URL: what the webhooks are signed over
    account: str
    auth_token: str
    mode: Mode = Mode.in_order

    def refusal(self) -> str | None:
        """Why this configuration may not run, if it may not: loopback only, both ways."""
        try:
            server = httpx.URL(self.server)
        except httpx.InvalidURL:
            return f"{self.server!r} is not a URL"
        if not is_loopback_host(self.host):
            return f"the emulator listens on loopback only, not {self.host}"
        if server.scheme not in ("http", "https") or not is_loopback_host(server.host):
            return f"the emulator posts webhooks to a server on loopback only, not {self.server}"
        if not self.auth_token:
            return "the emulator needs SUPPORTLINE_TWILIO_AUTH_TOKEN (the server's too)"
        return None


Numbers = Callable[[], Collection[str]]


def build(
    config: EmulatorConfig, http: Poster, *, account_numbers: Numbers = frozenset
) -> tuple[FastAPI, Switchboard]:
    """The emulator for ``config``, posting its webhooks over ``http``; ``account_numbers``
    tells the account's numbers, which a ``<Dial callerId>`` may show."""
    public_url = config.public_url.rstrip("/")
    wire = http_transport(http, server=config.server, public_url=public_url)
    engine = Engine(voice_url=f"{public_url}/twilio/voice")
    engine.dialing.account_numbers = account_numbers
    board = Switchboard(engine, wire, auth_token=config.auth_token, mode=config.mode)
    return create_emulator_app(board, account=config.account, auth_token=config.auth_token), board


def webhook_client() -> httpx.Client:
    """Webhooks go to loopback only: no proxy from the environment, no redirects."""
    return httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS, trust_env=False, follow_redirects=False)


def serve(config: EmulatorConfig, *, account_numbers: Numbers = frozenset) -> None:
    """Run the emulator until it is stopped (SIGINT, SIGTERM)."""
    with webhook_client() as http:
        app, _board = build(config, http, account_numbers=account_numbers)
        uvicorn.run(
            app,
            host=config.host,
            port=config.port,
            log_level="warning",
            access_log=False,  # the server's own log tells what happens
            timeout_graceful_shutdown=GRACE_SECONDS,  # a phone's long poll does not hold it up
        )
