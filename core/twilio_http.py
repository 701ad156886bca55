"""HTTP client for the Twilio SDK that can point it at a local emulator.

The twilio SDK has no base-URL setting: every resource builds absolute ``https://*.twilio.com``
URLs. Twilio's own answer (and what twilio-python's tests do) is to inject an ``http_client``.
``RedirectingHttpClient`` rewrites those URLs to ``SUPPORTLINE_TWILIO_API_URL`` (for example a
Prism mock serving Twilio's OpenAPI description) so the app and its tests run the real SDK code
end to end without talking to Twilio.

Because an emulator setting that silently leaked to a real host could send real SMS or end real
calls, a redirecting client refuses (raises, never sends) any target that is not on loopback.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from core.settings import get_settings

__all__ = [
    "RedirectingHttpClient",
    "RefusedTargetError",
    "is_loopback_host",
    "make_twilio_client",
]


class RefusedTargetError(RuntimeError):
    """Raised instead of sending a request to a non-loopback host while emulating Twilio."""


def is_loopback_host(host: str | None) -> bool:
    """Tell whether ``host`` is ``localhost`` or an IPv4/IPv6 loopback address (127/8, ::1)."""
    if not host:
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_twilio_host(host: str | None) -> bool:
    host = (host or "").lower().rstrip(".")
    return host == "twilio.com" or host.endswith(".twilio.com")


def _check_loopback(parts: SplitResult, what: str) -> None:
    if parts.scheme not in ("http", "https") or not is_loopback_host(parts.hostname):
        raise RefusedTargetError(
            f"refusing {what} {urlunsplit(parts)!r}: while a Twilio emulator URL is configured "
            "only http(s) targets on loopback (127.0.0.0/8, ::1, localhost) are allowed"
        )


class RedirectingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no types
    """``TwilioHttpClient`` that sends ``https://*.twilio.com`` requests to a local emulator.

    With ``api_url=None`` it is the stock client (real Twilio). With ``api_url`` set (for example
    ``"http://127.0.0.1:4010"``) each Twilio URL keeps its path and query but goes to ``api_url``;
    any other target that is not on loopback raises :class:`RefusedTargetError` before anything
    is sent. Environment proxies and HTTP redirects are then ignored, because either could carry a
    request off loopback.
    """

    def __init__(self, api_url: str | None = None, *, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self.api_url: str | None = None
        if api_url is not None:
            base = urlsplit(api_url)
            _check_loopback(base, "Twilio API URL")
            self.api_url = urlunsplit(base._replace(path=base.path.rstrip("/"))).rstrip("?#")
            if self.session is not None:
                self.session.trust_env = False  # no HTTP(S)_PROXY detour for loopback traffic

    def target_url(self, url: str) -> str:
        """Return where a request for ``url`` is really sent, or raise RefusedTargetError."""
        if self.api_url is None:
            return url
        parts = urlsplit(url)
        if parts.scheme == "https" and _is_twilio_host(parts.hostname):
            query = f"?{parts.query}" if parts.query else ""
            url = f"{self.api_url}{parts.path}{query}"
            parts = urlsplit(url)
        _check_loopback(parts, "request to")
        return url

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
        """Send the request like ``TwilioHttpClient`` does, after :meth:`target_url`."""
        target = self.target_url(url)
        if self.api_url is not None:
            allow_redirects = False
        response: Response = super().request(
            method,
            target,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        return response


def make_twilio_client(
    *, account_sid: str, auth_token: str, api_url: str | None, timeout: float = 10.0
) -> Client:
    """Build a Twilio ``Client``; with ``api_url`` set it talks only to that local emulator."""
    http_client = RedirectingHttpClient(api_url, timeout=timeout)
    return Client(account_sid, auth_token, http_client=http_client)


def get_twilio_client() -> Client | None:
    """The process's Twilio client from the settings, or ``None`` when no account is configured."""
    settings = get_settings()
    if not settings.twilio_configured:
        return None
    return _cached_client(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        settings.twilio_api_url,
    )


@lru_cache
def _cached_client(account_sid: str, auth_token: str, api_url: str | None) -> Client:
    return make_twilio_client(account_sid=account_sid, auth_token=auth_token, api_url=api_url)
