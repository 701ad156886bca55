"""The real server for browser tests: uvicorn in a subprocess on 127.0.0.1 with its own SQLite
database, and Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from core import migrate
from core.database import make_engine
from core.settings import get_settings
from tests.emulators.fixtures import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.emulators.recording_proxy import RecordingProxy, run_recording_proxy
from tests.fixtures.settings import as_environment

ROOT = Path(__file__).resolve().parents[2]
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


@dataclass(frozen=True)
class LiveServer:
    url: str
    sessions: sessionmaker[Session]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # waiting for a process to start, not for application time
    raise RuntimeError("the server did not start within 30 seconds")


@contextmanager
def _serve(settings: dict[str, str]) -> Iterator[LiveServer]:
    """uvicorn on a free loopback port with a fresh SQLite database and extra ``settings``."""
    directory = Path(tempfile.mkdtemp(prefix="supportline-browser-"))
    database_url = f"sqlite:///{directory / 'browser.db'}"
    engine = make_engine(database_url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = as_environment(
        get_settings(),
        **{
            "SUPPORTLINE_DATABASE_URL": database_url,
            "SUPPORTLINE_DATA_DIR": str(directory),
            "SUPPORTLINE_PUBLIC_BASE_URL": url,
            **settings,
        },
    )
    command = [sys.executable, "-m", "uvicorn", "supportline.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_until_up(url, process)
        yield LiveServer(url, sessionmaker(bind=engine, expire_on_commit=False))
    finally:
        process.terminate()
        process.wait(timeout=10)
        engine.dispose()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """The application as production runs it, with the test settings and a fresh database."""
    with _serve({}) as server:
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
        with _serve(settings) as server:
            yield TwilioLiveServer(server, rest, TEST_AUTH_TOKEN)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"viewport": PHONE_VIEWPORT, "locale": "en-GB"}
