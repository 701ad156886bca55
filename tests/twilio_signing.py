"""Signing simulated Twilio webhooks exactly as Twilio does."""

from __future__ import annotations

import httpx2
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from core.settings import get_settings


def signature_for(url: str, params: dict[str, str], auth_token: str | None = None) -> str:
    """The signature over ``url`` and ``params``; by default with this process's settings."""
    validator = RequestValidator(auth_token or get_settings().webhook_auth_token)
    return str(validator.compute_signature(url, params))


def signed_post(client: TestClient, path: str, params: dict[str, str]) -> httpx2.Response:
    """POST a form to ``path`` with the signature Twilio would compute for the public URL."""
    url = get_settings().public_base_url + path
    return client.post(
        path, data=params, headers={"X-Twilio-Signature": signature_for(url, params)}
    )
