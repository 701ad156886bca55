"""The real server for browser tests (``tests.fixtures.live``: uvicorn in a subprocess on
127.0.0.1 with its own SQLite database), and Debian's Chromium driven by Playwright (never a
downloaded browser)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.fixtures import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.emulators.recording_proxy import RecordingProxy, run_recording_proxy
from tests.fixtures.live import ROOT, LiveServer, serve

__all__ = ["SCREENSHOTS", "LiveServer", "TwilioLiveServer"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """The application as production runs it, with the test settings and a fresh database."""
    with serve({}) as server:
        yield server


@dataclass(frozen=True)
class TwilioLiveServer:
    server: LiveServer
    rest: RecordingProxy  # every request the server sent to Twilio's REST API (Prism)
    auth_token: str  # what Twilio signs the server's webhooks with


@pytest.fixture(scope="session")
def twilio_live_server(prism_url: str) -> Iterator[TwilioLiveServer]:
    """The server with a Twilio account whose REST API is Prism, behind a recording proxy: the
    real ``TwilioConferenceControl`` and the twilio SDK run end to end."""
    with run_recording_proxy(prism_url) as rest:
        settings = {
            "SUPPORTLINE_TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
            "SUPPORTLINE_TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "SUPPORTLINE_TWILIO_API_URL": rest.url,
        }
        with serve(settings) as server:
            yield TwilioLiveServer(server, rest, TEST_AUTH_TOKEN)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"viewport": PHONE_VIEWPORT, "locale": "en-GB"}
