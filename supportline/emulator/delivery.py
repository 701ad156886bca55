"""Posting the engine's webhooks to the server, signed, in the orders Twilio may use.

A call's own requests (the Voice URL, a Gather's action, a Redirect, a wait document) are
sequential by nature: Twilio waits for each answer before the call goes on. Status callbacks and
the Dial actions a conference's end causes are separate requests with no order promised: "there is
no guarantee they will arrive in the same order" (status callbacks,
https://www.twilio.com/docs/voice/api/call-resource#statuscallbackevent); Twilio retries a webhook
on a failed connection, so one may arrive twice
(https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides). The modes:

- ``in_order``: every request in the order it arose, after the request that caused it;
- ``during``: the requests a REST call causes are posted before that REST call returns (the
  server's own request is still running: the end-now race);
- ``shuffled``: pending requests in a random (seeded) order;
- ``duplicated``: every status callback twice;
- ``delayed``: status callbacks held back until the test settles, then delivered newest first —
  late, after everything that happened since, as after a slow network.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from twilio.request_validator import RequestValidator

from supportline.emulator.engine import Engine
from supportline.emulator.hooks import Purpose, Webhook

# (absolute URL, params, signature header) → the answer's body; raises when it is not a 2xx
Transport = Callable[[str, dict[str, str], str], str]


class Poster(Protocol):
    """An HTTP client's post (httpx's, or a test client's)."""

    def post(
        self,
        url: str,
        *,
        data: Mapping[str, str],
        headers: Mapping[str, str],
        extensions: dict[str, Any] | None = None,
    ) -> Any: ...


# httpcore's trace events once a request is wholly written to its connection
BODY_SENT = frozenset({"http11.send_request_body.complete", "http2.send_request_body.complete"})


@dataclass(frozen=True)
class HttpTransport:
    """Posts to a server listening at ``server`` whose public address (the one Twilio signs
    and the server checks) is ``public_url``; anything but a 2xx is an error: Twilio's 11200
    (https://www.twilio.com/docs/api/errors/11200)."""

    http: Poster
    server: str
    public_url: str

    def __call__(self, url: str, params: dict[str, str], signature: str) -> str:
        return self.post(url, params, signature)

    def post(
        self,
        url: str,
        params: dict[str, str],
        signature: str,
        *,
        on_sent: Callable[[], None] | None = None,
    ) -> str:
        """``on_sent`` is told once the request is wholly on its connection, before any answer
        comes; with a client that has no connections (a test client), or when the post fails,
        it is told when the post is over."""
        public_url = self.public_url.rstrip("/")
        if not url.startswith(public_url + "/"):
            raise WebhookRefused(f"{url} is not an address of the server ({public_url})")
        target = self.server.rstrip("/") + url.removeprefix(public_url)
        told = False

        def tell(event: str = "", _info: object = None) -> None:
            nonlocal told
            if on_sent is not None and not told and (not event or event in BODY_SENT):
                told = True
                on_sent()

        headers = {"X-Twilio-Signature": signature}
        try:
            response = self.http.post(
                target, data=params, headers=headers, extensions={"trace": tell}
            )
        finally:
            tell()
        if not 200 <= response.status_code < 300:
            raise WebhookRefused(f"the server answered {response.status_code} to {target}")
        return str(response.text)


def http_transport(http: Poster, *, server: str, public_url: str) -> HttpTransport:
    """Webhooks posted over ``http`` (see :class:`HttpTransport`)."""
    return HttpTransport(http, server, public_url)


class WebhookRefused(RuntimeError):
    """The server answered a webhook with something other than a 2xx (Twilio's error 11200)."""


class Mode(StrEnum):
    in_order = "in_order"
    during = "during"
    shuffled = "shuffled"
    duplicated = "duplicated"
    delayed = "delayed"


def is_loose(hook: Webhook) -> bool:
    """Whether Twilio promises no order for it: callbacks, and Dial actions a REST call caused."""
    return hook.purpose is Purpose.status or hook.caused_by_rest


@dataclass
class Courier:
    """Posts webhooks with Twilio's signature and feeds the answers back to the engine."""

    engine: Engine
    transport: Transport
    auth_token: str
    mode: Mode = Mode.in_order
    seed: int = 7
    sent: list[Webhook] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    pending: list[Webhook] = field(default_factory=list)  # caused by REST calls, not yet sent
    held: list[Webhook] = field(default_factory=list)  # ``delayed``: late callbacks

    def __post_init__(self) -> None:
        self.validator = RequestValidator(self.auth_token)
        self.rng = random.Random(self.seed)  # noqa: S311 - an order to replay, not a secret

    def signature(self, url: str, params: dict[str, str]) -> str:
        """``X-Twilio-Signature`` as Twilio computes it (https://www.twilio.com/docs/usage/security)."""
        return str(self.validator.compute_signature(url, params))

    def post(self, hook: Webhook) -> list[Webhook]:
        """One request; the engine goes on with the answer and returns what follows."""
        self.sent.append(hook)
        body = self.transport(hook.url, hook.params, self.signature(hook.url, hook.params))
        self.answers.append(body)
        return self.engine.answer(hook, body)

    def run(self, hooks: Iterable[Webhook]) -> None:
        """Post ``hooks`` and everything they lead to, in this courier's mode."""
        queue = list(hooks)
        while queue:
            hook = queue.pop(self._next(queue))
            if self.mode is Mode.delayed and hook.purpose is Purpose.status:
                self.held.append(hook)
                continue
            queue += self.post(hook)
            if self.mode is Mode.duplicated and hook.purpose is Purpose.status:
                self.post(hook)  # the retry: same request, same signature

    def _next(self, queue: list[Webhook]) -> int:
        if self.mode is Mode.shuffled:
            return self.rng.randrange(len(queue))
        return 0

    def caused_by_rest(self, hooks: list[Webhook]) -> None:
        """Requests a REST call caused: posted now in ``during`` mode, else after the server's
        request is over (:meth:`deliver`)."""
        if self.mode is Mode.during:
            self.run(hooks)
        else:
            self.pending += hooks

    def deliver(self) -> None:
        """Post what REST calls caused, and what time brought (Dial limits, wait redirects)."""
        hooks, self.pending = self.pending, []
        self.run([*hooks, *self.engine.advance()])

    def settle(self) -> None:
        """Everything still pending is delivered, then what was held back, newest first."""
        self.deliver()
        late, self.held = self.held, []
        for hook in reversed(late):
            self.post(hook)
