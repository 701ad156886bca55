"""``supportline call``: the terminal phone dials the app as Twilio would."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from core.settings import get_settings
from supportline.cli import app as cli
from supportline.emulator.local import LocalTwilio
from supportline.phone import Phone, PhoneError, Poster
from tests.factories import auth_headers
from tests.fixtures.calls import World

Key = str | Callable[[str], str]


def keypad(keys: list[Key]) -> Callable[[str], str]:
    """Answers the phone's prompts in order; a callable entry runs at that moment instead."""

    def read(prompt: str) -> str:
        key = keys.pop(0)
        return key(prompt) if callable(key) else key

    return read


def make_phone(
    client: Poster,
    world: World,
    keys: list[Key],
    out: list[str],
    server: str = "https://line.example.org",
) -> Phone:
    settings = get_settings()
    return Phone(
        http=client,
        server=server,
        public_url=settings.public_base_url,
        auth_token=settings.webhook_auth_token,
        number=world.line_number,
        caller="+48601000777",
        read=keypad(keys),
        write=out.append,
    )


def test_the_phone_logs_in_joins_and_shows_up_in_the_roster(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    login: list[Key] = [world.member.participant_number + "#", world.member.pin + "#"]
    seen: list[list[str]] = []

    def in_call(_prompt: str) -> str:
        headers = auth_headers(client, world.moderator_staff)
        body = client.get(f"/api/v1/meetings/{world.meeting.id}/roster", headers=headers).json()
        seen.append([p["ref"] for p in body["participants"]])
        return ""

    out: list[str] = []
    phone = make_phone(client, world, [*login, in_call], out)
    phone.dial()
    assert "  Welcome. Please enter your participant number, then press the hash key." in out
    assert "  Thank you. You are joining your group now." in out
    assert "[joined the conference as member]" in out
    assert "  Your meeting starts at 20:00. Please wait for the moderator." in out
    assert out[-2:] == ["  Goodbye.", "[call ended]"]
    assert seen == [[world.member.membership.ref]]
    headers = auth_headers(client, world.moderator_staff)
    body = client.get(f"/api/v1/meetings/{world.meeting.id}/roster", headers=headers).json()
    assert body["participants"] == []


def test_silence_at_the_keypad_ends_the_call(world: World, client: TestClient) -> None:
    out: list[str] = []
    make_phone(client, world, [""], out).dial()
    assert out[-3:] == ["  We did not hear any digits.", "  Goodbye.", "[call ended]"]


def test_a_phone_with_the_wrong_token_is_refused(world: World, client: TestClient) -> None:
    phone = make_phone(client, world, [], [])
    phone.auth_token = "not-the-servers-token"
    with pytest.raises(PhoneError, match="403"):
        phone.dial()


def test_the_command_reports_an_unreachable_server_cleanly() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(
        cli, ["call", "+48221234567", "--server", f"http://127.0.0.1:{port}"]
    )
    assert result.exit_code == 1
    assert "[dialling +48221234567]" in result.output


def test_the_phone_dials_a_real_server_over_http(
    app: FastAPI, sim: LocalTwilio, world: World
) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.listen()  # connections wait in the backlog until the server runs: no polling needed
    config = uvicorn.Config(app, lifespan="off", ws="none", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        out: list[str] = []
        keys: list[Key] = [world.member.participant_number, world.member.pin, ""]
        with httpx.Client(timeout=10.0) as http:
            make_phone(http, world, keys, out, server=f"http://127.0.0.1:{port}").dial()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert "[joined the conference as member]" in out
    assert out[-1] == "[call ended]"
