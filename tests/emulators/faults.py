"""A Twilio HTTP client for tests: records what the app sent and injects Twilio failures.

Prism answers every valid request with the same example and keeps no state, so tests assert on
the requests the app sent (``http.requests``) and provoke failures here instead: the next N
requests (optionally only those whose URL contains a substring, or of one method) can answer with
a Twilio error (HTTP status + Twilio's JSON error body, which the SDK turns into
``TwilioRestException`` with ``.code``), with a chosen JSON body, or raise a ``requests`` timeout
like a real one; injected answers never reach Prism. ``prefer_example`` instead asks Prism for a
named example of the spec.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from twilio.http.response import Response

from core.twilio_http import RedirectingHttpClient

# Messages Twilio sends with the codes tests use most; any other code needs message= or gets
# a generic one.
TWILIO_ERROR_MESSAGES: dict[int, str] = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class SentRequest:
    """One request the app made through the SDK (``url`` is the Twilio URL it asked for)."""

    method: str
    url: str
    params: dict[str, object]
    data: dict[str, object]
    status: int | None = None  # HTTP status the app got; None if it got an exception
    injected: str | None = None  # "reply" or "timeout" when the answer was injected

    @property
    def path(self) -> str:
        """The URL path, e.g. ``/2010-04-01/Accounts/AC.../Messages.json``."""
        return urlsplit(self.url).path


@dataclass
class _Fault:
    kind: str  # "reply": answer with status/body; "timeout"; "prefer": forward with Prefer header
    match: str | None
    method: str | None
    remaining: int | None  # None: every matching request from now on
    status: int = 0
    body: str = ""
    connect: bool = False
    example: str = ""

    def matches(self, method: str, url: str) -> bool:
        return (
            (self.remaining is None or self.remaining > 0)
            and (self.method is None or self.method == method)
            and (self.match is None or self.match in url)
        )


class FaultInjectingHttpClient(RedirectingHttpClient):
    """``RedirectingHttpClient`` (loopback only) that records requests and injects failures."""

    def __init__(self, api_url: str, *, timeout: float = 10.0) -> None:
        super().__init__(api_url, timeout=timeout)
        self.requests: list[SentRequest] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()

    def fail_next(
        self,
        *,
        status: int,
        code: int | None = None,
        message: str | None = None,
        times: int | None = 1,
        match: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests (None: all) with a Twilio error.

        ``code`` is Twilio's error code (20404, 21610, 21211...), defaulting to ``status``.
        ``match`` is a substring of the Twilio URL (e.g. ``"/Messages.json"`` or a SID).
        """
        code = status if code is None else code
        body = {
            "code": code,
            "message": message or TWILIO_ERROR_MESSAGES.get(code, f"Injected Twilio error {code}"),
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        self.reply_next(status=status, body=body, times=times, match=match, method=method)

    def reply_next(
        self,
        *,
        status: int,
        body: dict[str, object],
        times: int | None = 1,
        match: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and this JSON ``body``.

        For answers the spec's examples do not give (e.g. a conference list with chosen SIDs).
        """
        fault = _Fault("reply", match, _upper(method), times, status=status, body=json.dumps(body))
        self._add(fault)

    def timeout_next(
        self,
        *,
        times: int | None = 1,
        match: str | None = None,
        method: str | None = None,
        connect: bool = False,
    ) -> None:
        """Make the next ``times`` matching requests raise ``requests.ReadTimeout``.

        ``connect=True`` raises ``requests.ConnectTimeout`` instead (Twilio surely did not act;
        after a read timeout it may have).
        """
        self._add(_Fault("timeout", match, _upper(method), times, connect=connect))

    def prefer_example(
        self,
        example: str,
        *,
        times: int | None = 1,
        match: str | None = None,
        method: str | None = None,
    ) -> None:
        """Have Prism answer the next matching requests with the spec example named ``example``.

        Sends ``Prefer: example=NAME`` (Prism otherwise serves the first example; for list
        operations that is the empty page ``readEmpty``, while ``readNext`` has records and a
        next page).
        """
        self._add(_Fault("prefer", match, _upper(method), times, example=example))

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    def sent(self, match: str = "", method: str | None = None) -> list[SentRequest]:
        """The recorded requests whose URL contains ``match`` (and of ``method``, if given)."""
        wanted = _upper(method)
        with self._lock:
            return [
                r
                for r in self.requests
                if match in r.url and (wanted is None or r.method == wanted)
            ]

    def _add(self, fault: _Fault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        with self._lock:
            self._faults.append(fault)

    def request(  # noqa: PLR0917  # same signature as TwilioHttpClient.request
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Record the request, then answer with a pending fault or forward it to the emulator."""
        entry = SentRequest(method.upper(), url, dict(params or {}), dict(data or {}))
        with self._lock:
            self.requests.append(entry)
            fault = next((f for f in self._faults if f.matches(entry.method, url)), None)
            if fault is not None and fault.remaining is not None:
                fault.remaining -= 1
        if fault is not None and fault.kind == "prefer":
            headers = {**(headers or {}), "Prefer": f"example={fault.example}"}
        elif fault is not None:
            self.target_url(url)  # an injected answer must not hide a refused target
            entry.injected = fault.kind
            if fault.kind == "timeout":
                kind = requests.ConnectTimeout if fault.connect else requests.ReadTimeout
                raise kind(f"injected timeout: {entry.method} {url}")
            entry.status = fault.status
            return Response(fault.status, fault.body, {"Content-Type": "application/json"})
        response: Response = super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        entry.status = response.status_code
        return response


def _upper(method: str | None) -> str | None:
    return None if method is None else method.upper()
