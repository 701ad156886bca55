"""Pytest fixtures for the Twilio REST emulator (Prism + the recording, fault-injecting client).

Kept out of ``conftest.py`` so that ``tests/conftest.py`` can re-export them for the whole suite:
``from tests.emulators.fixtures import prism_url, twilio_client``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twilio.rest import Client

from tests.emulators.faults import FaultInjectingHttpClient
from tests.emulators.prism import run_prism

# Syntactically valid test credentials; Prism checks the AccountSid pattern, not the token.
TEST_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TEST_AUTH_TOKEN = "test-auth-token"  # not a secret: the emulator ignores it


@pytest.fixture(scope="session")
def prism_url() -> Iterator[str]:
    """Base URL of one Prism mock of Twilio's 2010 API for the test session (fails if absent)."""
    with run_prism() as url:
        yield url


@pytest.fixture
def twilio_client(prism_url: str) -> Iterator[tuple[Client, FaultInjectingHttpClient]]:
    """A Twilio ``Client`` talking to Prism, and its recording, fault-injecting HTTP client."""
    http = FaultInjectingHttpClient(prism_url, timeout=10.0)
    client = Client(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, http_client=http)
    yield client, http
    if http.session is not None:
        http.session.close()
