"""Twilio webhook authentication: every request carries a valid ``X-Twilio-Signature``.

The URL Twilio signed is rebuilt from ``SUPPORTLINE_PUBLIC_BASE_URL`` (never from the Host header a
proxy may rewrite). No setting turns this off: without a Twilio account the server signs and checks
with a token derived from its secret key (``Settings.webhook_auth_token``), which is what
``supportline call`` uses.
"""

from __future__ import annotations

from functools import lru_cache
from hmac import compare_digest
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from twilio.request_validator import RequestValidator

from core.errors import Forbidden
from core.settings import get_settings


class InvalidSignature(Forbidden):
    def __init__(self) -> None:
        super().__init__("this request is not signed by Twilio")


def public_url(request: Request) -> str:
    """The URL Twilio called: public base URL + path + query string (read from the ASGI scope:
    ``request.url`` parses a whole URL, Host header included, on every webhook)."""
    url: str = get_settings().public_base_url + request.scope["path"]
    query: bytes = request.scope.get("query_string", b"")
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
    validator = _validator(auth_token)
    form = _FormParams(params)
    if compare_digest(validator.compute_signature(url, form).encode(), signature.encode()):
        return True
    return bool(validator.validate(url, form, signature))


@lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


async def verified_twilio_form(request: Request) -> dict[str, str]:
    """The form parameters of a Twilio webhook whose signature checks out; 403 otherwise."""
    params = await _form_params(request)
    signature = request.headers.get("X-Twilio-Signature", "")
    token = get_settings().webhook_auth_token
    if not signature or not signature_valid(public_url(request), params, signature, token):
        raise InvalidSignature()
    return params


async def _form_params(request: Request) -> dict[str, str]:
    """Twilio posts ``application/x-www-form-urlencoded``: parsed by the standard library, several
    times cheaper than the general form parser; anything else goes through that one."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        body = (await request.body()).decode("utf-8", errors="replace")
        return dict(parse_qsl(body, keep_blank_values=True))
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


TwilioForm = Annotated[dict[str, str], Depends(verified_twilio_form)]
