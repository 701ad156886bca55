"""End to end: seeded members, then ``supportline serve`` with SMTP (aiosmtpd) and the Twilio
emulator (Prism) configured really sends the invitations and the temporary PINs.

The main scenario runs the real ``supportline demo`` command; the smaller ones seed members
through the services (``seed_like_demo``), the same referral → approval path the demo takes.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core import migrate
from core.database import make_engine
from core.settings import get_settings
from groups.service import Credentials
from notifications.models import Kind, OutboxMessage, Status
from tests.emulators.fixtures import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.factories import create_group, create_member
from tests.fixtures.settings import as_environment
from tests.notifications.smtp_server import Inbox, decoded_text, free_port, smtp_server

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SUPPORTLINE = str(Path(sys.executable).with_name("supportline"))


@dataclass
class Setup:
    env: dict[str, str]
    database_url: str


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    database_url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = as_environment(
        get_settings(),
        **{
            "SUPPORTLINE_DATABASE_URL": database_url,
            "SUPPORTLINE_DATA_DIR": str(tmp_path),
            "SUPPORTLINE_SCHEDULER_DISPATCH_SECONDS": "1",
            "SUPPORTLINE_SCHEDULER_REMINDER_SECONDS": "5",
        },
    )
    return Setup(env=env, database_url=database_url)


def seed_like_demo(database_url: str, members: int = 3) -> list[Credentials]:
    """Members approved through the services (what ``supportline demo`` seeds)."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    now = datetime.now(UTC)
    try:
        with sessionmaker(bind=engine, expire_on_commit=False).begin() as session:
            group = create_group(session, now=now)
            return [
                create_member(session, group, now=now, language=("en", "pl", "he")[n % 3])
                for n in range(members)
            ]
    finally:
        engine.dispose()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


def serve(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [SUPPORTLINE, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("serve did not answer /healthz in 30 s")


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def outbox_rows(database_url: str) -> list[OutboxMessage]:
    engine = make_engine(database_url)
    try:
        with sessionmaker(bind=engine, expire_on_commit=False)() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    finally:
        engine.dispose()


def wait_for_rows(
    database_url: str, unfinished: Callable[[OutboxMessage], bool], seconds: float = 30
) -> list[OutboxMessage]:
    """The outbox once no row is ``unfinished`` (or as it is after ``seconds``)."""
    deadline = time.monotonic() + seconds
    rows = outbox_rows(database_url)
    while time.monotonic() < deadline and any(unfinished(row) for row in rows):
        time.sleep(0.2)
        rows = outbox_rows(database_url)
    return rows


def run_demo(env: dict[str, str]) -> list[dict[str, str]]:
    """``supportline demo --json``; returns the demo members with their credentials."""
    result = subprocess.run(
        [SUPPORTLINE, "demo", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    # Nothing but the JSON: no warning about moderators nobody could notify (they have e-mail).
    assert result.stderr == ""
    demo = json.loads(result.stdout)
    return [member for group in demo["groups"] for member in group["members"]]


def test_demo_then_serve_sends_invitations_and_pins(
    setup: Setup, smtp: tuple[Inbox, int], prism_url: str
) -> None:
    members = run_demo(setup.env)
    assert len(members) >= 9
    inbox, smtp_port = smtp
    env = {
        **setup.env,
        "SUPPORTLINE_SMTP_HOST": "127.0.0.1",
        "SUPPORTLINE_SMTP_PORT": str(smtp_port),
        "SUPPORTLINE_SMTP_STARTTLS": "false",
        "SUPPORTLINE_TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "SUPPORTLINE_TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "SUPPORTLINE_TWILIO_API_URL": prism_url,
    }
    process = serve(env, free_port())
    try:
        rows = wait_for_rows(setup.database_url, lambda r: r.status is not Status.sent)
    finally:
        output = stop(process)

    assert "no provider configured" not in output
    notices = [r for r in rows if r.kind is Kind.moderator_notice]
    assert notices and {r.status for r in notices} == {Status.sent}  # to the demo moderator
    # The demo replaces each member's random PIN of the approval by its own, and the PIN message
    # with it: the first one is cancelled unsent.
    replaced = [r for r in rows if r.kind is Kind.pin and r.status is Status.cancelled]
    pins = [r for r in rows if r.kind is Kind.pin and r.status is not Status.cancelled]
    invitations = [r for r in rows if r.kind is Kind.invitation]
    assert len(pins) == len(invitations) == len(replaced) == len(members)
    assert all(r.provider_id is None and r.attempts == 0 for r in replaced)
    for row in pins:  # accepted by Twilio's spec on Prism, which answered with a message SID
        assert row.status is Status.sent, (row.status, row.last_error)
        assert row.provider_id is not None and re.fullmatch(r"SM[0-9a-f]{32}", row.provider_id)
        assert row.secret is None
    assert {r.status for r in invitations} == {Status.sent}
    received = {str(m["To"]): m for m in inbox.messages}
    for member in members:
        message = received[member["email"]]
        assert member["participant_number"] in decoded_text(message)
        assert member["pin"] not in decoded_text(message)


def test_serve_without_providers_says_so_and_keeps_messages(setup: Setup) -> None:
    seed_like_demo(setup.database_url, members=1)
    process = serve(setup.env, free_port())
    try:
        rows = wait_for_rows(setup.database_url, lambda r: r.status is Status.pending)
    finally:
        output = stop(process)
    assert "no provider configured for SMS (Twilio)" in output
    assert "no provider configured for e-mail (SMTP)" in output
    assert {(r.status, r.last_error) for r in rows} == {
        (Status.no_provider, "no provider configured")
    }


def test_outbox_cli_lists_messages_without_personal_data(setup: Setup) -> None:
    (member,) = seed_like_demo(setup.database_url, members=1)
    result = subprocess.run(
        [SUPPORTLINE, "outbox"],
        cwd=ROOT,
        env={**setup.env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "invitation" in result.stdout and "pin" in result.stdout
    assert "pending" in result.stdout
    membership = member.membership
    for secret in (
        member.pin,
        member.participant_number,
        membership.phone,
        membership.email,
        membership.alias,
    ):
        assert secret and secret not in result.stdout + result.stderr
    bad = subprocess.run(
        [SUPPORTLINE, "outbox", "--status", "lost"],
        cwd=ROOT,
        env=setup.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "unknown status 'lost'" in bad.stderr


def test_worker_runs_the_jobs_alone_and_stops_cleanly(setup: Setup) -> None:
    seed_like_demo(setup.database_url, members=1)
    process = subprocess.Popen(
        [SUPPORTLINE, "worker"],
        cwd=ROOT,
        env=setup.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        rows = wait_for_rows(setup.database_url, lambda r: r.status is Status.pending)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert {r.status for r in rows} == {Status.no_provider}
    assert process.returncode == 0
    assert "worker: stopped" in output
    assert "Traceback" not in output


def test_serve_logs_every_line_as_json_through_our_formatter(setup: Setup) -> None:
    # uvicorn's own lines too (a request's unhandled exception is logged by uvicorn): through
    # JsonFormatter an exception shows its type only, never its text.
    port = free_port()
    process = serve(setup.env, port)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/nowhere?x=1", timeout=5).status_code == 404
    finally:
        output = stop(process)
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    events = {(entry["logger"], entry["event"]) for entry in logged}
    assert ("uvicorn.error", "Application startup complete.") in events
    assert any(
        logger == "uvicorn.access" and "GET /nowhere?x=1" in event for logger, event in events
    )
    assert all("color_message" not in entry for entry in logged)
    unformatted = [line for line in output.splitlines() if "INFO:" in line or "Traceback" in line]
    assert unformatted == []
