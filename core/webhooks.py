"""Twilio's webhooks: every request carries a valid ``X-Twilio-Signature``, checked before any
handler runs, and is answered without FastAPI's per-request machinery.

The URL Twilio signed is rebuilt from ``SUPPORTLINE_PUBLIC_BASE_URL`` (never from the Host header a
proxy may rewrite). No setting turns this off: without a Twilio account the server signs and checks
with a token derived from its secret key (``Settings.webhook_auth_token``), which is what
``supportline call`` uses. While the auth token is rotated, a signature made with the previous one
(``SUPPORTLINE_TWILIO_PREVIOUS_AUTH_TOKEN``) is accepted too, and only then.

Why not FastAPI routes: at the top of the hour Twilio waits for every answer while the caller hears
silence, and a webhook's work is small (one or two statements). FastAPI's dependency solving, its
middleware chain and its router took about a millisecond per call of the four dial-in webhooks — a
fifth of everything the server did besides the PIN's hash (``bench/dialin_cost.py`` measures the
app's CPU per webhook against a bare FastAPI app). Here one ASGI middleware in front of the
application serves every path a ``TwilioRouter`` declares: it reads the form, checks the signature,
gives the handler a ``Webhook`` (form, unit of work, the time) and sends the TwiML back. Nothing
else reaches those paths, so no handler can forget the check. The rest of the application (API,
console) stays FastAPI; tests override the session and the clock for both through
``app.dependency_overrides``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from hmac import compare_digest
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl

from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from twilio.request_validator import RequestValidator

from core.clock import get_now
from core.errors import AppError, Forbidden, error_response
from core.limits import BodyTooLarge
from core.outage import is_outage, record_outage, unavailable_response
from core.settings import get_settings
from core.work import Work, work_for


class InvalidSignature(Forbidden):
    def __init__(self) -> None:
        super().__init__("this request is not signed by Twilio")


MAX_SID_LENGTH = 64


# Twilio's webhook forms are a few hundred bytes (a long SMS body is still under 2 KB).
MAX_BODY_BYTES = 64 * 1024


def public_url(scope: Scope) -> str:
    """The URL Twilio called: public base URL + path + query string."""
    url: str = get_settings().public_base_url + scope["path"]
    query: bytes = scope.get("query_string", b"")
    if query:
        url += "?" + query.decode("latin-1")
    return url


class _FormParams(dict[str, str]):
    """Form parameters as the SDK's validator reads them first (``getall``, as in a MultiDict).

    Given a plain dict, the validator tries ``getall`` and ``getlist`` and catches the
    AttributeError of each, for every parameter of every signature it computes: ~60 exceptions
    per webhook, a noticeable share of answering one at the top of the hour.
    """

    def getall(self, name: str) -> list[str]:
        return [self[name]]


def signature_valid(url: str, params: dict[str, str], signature: str, auth_token: str) -> bool:
    """Twilio's check. The SDK's ``validate`` always computes two signatures (the URL with and
    without its port, as Twilio signs either); the URL as configured is one of the two, so it is
    tried alone first and the SDK's full check runs only when it does not match."""
    if not signature:
        return False
    validator = _validator(auth_token)
    form = _FormParams(params)
    if compare_digest(validator.compute_signature(url, form).encode(), signature.encode()):
        return True
    return bool(validator.validate(url, form, signature))


@lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


@dataclass(frozen=True, slots=True)
class Webhook:
    """One Twilio webhook whose signature checked out, as its handler sees it."""

    form: Mapping[str, str]  # the form parameters Twilio posted (and signed)
    query: Mapping[str, str]  # the query string of the URL Twilio was given (signed too)
    param: str  # the last path segment, for a route declared with a trailing ``{name}``
    work: Work  # runs a service function in its own unit of work on a worker thread
    now: datetime  # when the request arrived

    def get(self, name: str) -> str:
        """A form parameter, or "" when Twilio did not send it."""
        return self.form.get(name, "")


Answer = str | None  # TwiML to send back, or None for an empty answer (204)
Handler = Callable[[Webhook], Awaitable[Answer]]
H = TypeVar("H", bound=Handler)


class TwilioRouter:
    """The webhooks of one domain package: ``@router.post("/voice")`` on an async handler that
    takes a ``Webhook`` and returns TwiML. A path may end in one ``{name}`` segment."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.exact: dict[str, Handler] = {}
        self.parameterised: dict[str, Handler] = {}  # by the path before the last segment
        self.unavailable: dict[Handler, Callable[[], str]] = {}

    def post(self, path: str, *, unavailable: Callable[[], str] | None = None) -> Callable[[H], H]:
        """``unavailable``: the TwiML to answer with when the database cannot be used now (a
        spoken apology on a call); without it such a webhook is answered 503."""

        def register(handler: H) -> H:
            if unavailable is not None:
                self.unavailable[handler] = unavailable
            full = self.prefix + path
            head, _, last = full.rpartition("/")
            if last.startswith("{") and last.endswith("}"):
                self.parameterised[head] = handler
            else:
                self.exact[full] = handler
            return handler

        return register

    def match(self, path: str) -> tuple[Handler, str] | None:
        handler = self.exact.get(path)
        if handler is not None:
            return handler, ""
        head, _, last = path.rpartition("/")
        handler = self.parameterised.get(head)
        return (handler, last) if handler is not None and last else None


class TwilioWebhooks:
    """ASGI middleware answering the routers' webhooks; every other request goes on to ``app``.

    Installed outermost of the application's own middleware (the console's session cookie means
    nothing to Twilio). An ``AppError`` becomes the API's JSON error with its status (a bad
    signature 403); anything else propagates to the server-error middleware, as from a route.
    """

    def __init__(self, app: ASGIApp, routers: Sequence[TwilioRouter]) -> None:
        self.app = app
        self.routers = tuple(routers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._match(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        handler, param = found
        try:
            if scope["method"] != "POST":
                raise _MethodNotAllowed()
            form = await _verified_form(scope, receive)
            overrides = _overrides(scope)
            hook = Webhook(
                form=form,
                query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
                param=param,
                work=work_for(overrides),
                now=await _now(overrides),
            )
            answer = await handler(hook)
        except AppError as exc:
            await error_response(exc)(scope, receive, send)
            return
        except DBAPIError as exc:
            if not is_outage(exc):
                raise
            record_outage(exc, scope["path"])
            apology = self._unavailable(handler)
            if apology is None:
                await unavailable_response()(scope, receive, send)
                return
            answer = apology()
        await _send_answer(send, answer)

    def _unavailable(self, handler: Handler) -> Callable[[], str] | None:
        for router in self.routers:
            if handler in router.unavailable:
                return router.unavailable[handler]
        return None

    def _match(self, scope: Scope) -> tuple[Handler, str] | None:
        path: str = scope["path"]
        for router in self.routers:
            if path.startswith(router.prefix):
                found = router.match(path)
                if found is not None:
                    return found
        return None


class _MethodNotAllowed(AppError):
    status_code = 405
    error = "method_not_allowed"
    headers: ClassVar[Mapping[str, str]] = {"Allow": "POST"}

    def __init__(self) -> None:
        super().__init__("Twilio's webhooks take POST only")


async def _verified_form(scope: Scope, receive: Receive) -> dict[str, str]:
    """The form parameters of a webhook whose signature checks out; ``InvalidSignature`` if not."""
    headers = dict(scope["headers"])
    signature = headers.get(b"x-twilio-signature", b"").decode("latin-1")
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    form = await _form_params(scope, receive, content_type)
    url = public_url(scope)
    tokens = get_settings().webhook_auth_tokens
    if not any(signature_valid(url, form, signature, token) for token in tokens):
        raise InvalidSignature()
    too_long = sorted(k for k, v in form.items() if k.endswith("Sid") and len(v) > MAX_SID_LENGTH)
    if too_long:  # Twilio's ids are 34 characters; the columns keeping them hold 64
        raise AppError(f"{', '.join(too_long)}: longer than any Twilio id")
    return form


async def _form_params(scope: Scope, receive: Receive, content_type: bytes) -> dict[str, str]:
    """Twilio posts ``application/x-www-form-urlencoded``: parsed by the standard library, several
    times cheaper than the general form parser; anything else goes through that one. Either way
    the body is read within ``MAX_BODY_BYTES`` first: it all arrives before the signature can be
    checked."""
    body = await _body(receive)
    if content_type != b"application/x-www-form-urlencoded":
        try:
            async with Request(scope, _replay(body)).form() as form:
                return {key: value for key, value in form.items() if isinstance(value, str)}
        except HTTPException as exc:  # a malformed multipart body; the reason names no content
            raise AppError(f"the form cannot be read: {exc.detail}") from None
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _replay(body: bytes) -> Receive:
    """A ``receive`` giving a body already read, for Starlette's form parser."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(MAX_BODY_BYTES, "a Twilio webhook's form")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _overrides(scope: Scope) -> Mapping[Callable[..., Any], Callable[..., Any]]:
    return getattr(scope.get("app"), "dependency_overrides", None) or {}


async def _now(overrides: Mapping[Callable[..., Any], Callable[..., Any]]) -> datetime:
    clock = overrides.get(get_now, get_now)
    now = clock()
    if inspect.isawaitable(now):
        now = await now
    assert isinstance(now, datetime)
    return now


_XML = [(b"content-type", b"application/xml")]


async def _send_answer(send: Send, answer: Answer) -> None:
    if answer is None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    body = answer.encode()
    headers = [*_XML, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
