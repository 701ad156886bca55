"""``supportline call``: the terminal phone dials through the Twilio emulator, which runs the call
against the server as Twilio would; the phone prints what the call hears as it happens.

The first tests put the emulator in front of the test client's application; the last one runs
the server as production does, its own Twilio client reaching the emulator, and the moderator and
the meeting's lifecycle act on the phones through it.
"""

from __future__ import annotations

import socket
from datetime import timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conference import tasks
from conference.providers import TwilioConferenceControl
from core.twilio_http import make_twilio_client
from supportline.cli import app as cli
from supportline.emulator.hooks import ACCOUNT_SID
from supportline.phone import IN_CONFERENCE
from tests.factories import auth_headers
from tests.fixtures.calls import World
from tests.fixtures.live import api_client
from tests.fixtures.phones import EmulatedLiveServer, dial, emulator_for, phones_in_the_room
from tests.fixtures.settings import Change

CALLER = "+48601000777"
WELCOME = "Welcome. Please enter your participant number, then press the hash key."
ENTER_PIN = "Please enter your PIN, then press the hash key."


def test_the_phone_logs_in_waits_with_music_shows_in_the_roster_and_hangs_up(
    world: World, client: TestClient
) -> None:
    roster = f"/api/v1/meetings/{world.meeting.id}/roster"
    with emulator_for(client) as emulator:
        phone = dial(emulator.url, world.line_number, CALLER)
        phone.type("12ab", world.member.participant_number + "#", world.member.pin)
        phone.heard("[music]")
        assert emulator.board.wait_idle(10)
        headers = auth_headers(client, world.moderator_staff)
        (seen,) = client.get(roster, headers=headers).json()["participants"]
        assert seen["ref"] == world.member.membership.ref
        phone.type("")  # Enter, in the conference
        printed = phone.ended()
        assert emulator.board.wait_idle(10)
    assert printed == [
        f"[dialling {world.line_number}]",
        WELCOME,
        "[a keypad has 0-9, * and # only]",
        ENTER_PIN,
        "Thank you. You are joining your group now.",
        "[waiting]",
        IN_CONFERENCE,
        "Your meeting starts at 20:00. Please wait for the moderator.",
        "[music]",
        "[hung up]",
    ]
    assert client.get(roster, headers=headers).json()["participants"] == []


def test_silence_at_the_keypad_ends_the_call(world: World, client: TestClient) -> None:
    with emulator_for(client) as emulator:
        printed = dial(emulator.url, world.line_number, CALLER).type("").ended()
    assert printed[-3:] == ["We did not hear any digits.", "Goodbye.", "[call ended]"]


def test_ctrl_d_at_the_keypad_hangs_up(world: World, client: TestClient) -> None:
    with emulator_for(client) as emulator:
        phone = dial(emulator.url, world.line_number, CALLER)
        phone.heard(WELCOME)
        phone.keys.put(None)
        assert phone.ended()[-1] == "[hung up]"


def test_a_server_that_refuses_the_signature_is_an_application_error_on_the_phone(
    world: World, client: TestClient
) -> None:
    with emulator_for(client, auth_token="not-the-servers-token") as emulator:
        printed = dial(emulator.url, world.line_number, CALLER).ended()
        errors = emulator.board.engine.errors
    assert printed == [
        f"[dialling {world.line_number}]",
        "[an application error has occurred]",
        "[call ended]",
    ]
    assert errors == ["11200 HTTP retrieval failure (voice)"]


def test_the_command_reports_an_emulator_that_is_not_running() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    emulator = f"http://127.0.0.1:{port}"
    result = CliRunner().invoke(cli, ["call", "+48221234567", "--emulator", emulator])
    assert result.exit_code == 1
    assert "[dialling +48221234567]" in result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert f"is `supportline twilio-emulator` running at {emulator}?" in said


def test_the_phones_hear_the_moderators_controls_and_the_meetings_end(
    emulated_live_server: EmulatedLiveServer, settings: Change
) -> None:
    server, emulator = emulated_live_server.server, emulated_live_server.emulator
    room = phones_in_the_room(emulated_live_server)
    live, zofia, moderator = room.live, room.member, room.moderator
    marek = dial(emulator.url, live.line_number, "+48601000903")
    marek.type(live.other.participant_number, live.other.pin).heard("[in the conference]")
    assert emulator.board.wait_idle(10)

    base = f"/api/v1/meetings/{live.meeting.id}"
    with api_client(server, live.moderator.username) as api:
        ids = {p["alias"]: p["id"] for p in api.get(f"{base}/roster").json()["participants"]}
        assert set(ids) == {"Zofia", "Marek", live.moderator.username}
        muted = api.post(f"{base}/participants/{ids['Zofia']}/mute")
        assert muted.status_code == 200, muted.text
        zofia.heard("[muted]")
        kicked = api.post(f"{base}/participants/{ids['Marek']}/kick")
        assert kicked.status_code == 200, kicked.text
        assert marek.ended()[-4:] == [
            IN_CONFERENCE,
            "[removed from the conference]",
            "Goodbye.",
            "[call ended]",
        ]
        assert emulator.board.wait_idle(10)
        after = api.get(f"{base}/roster").json()["participants"]
        assert {(p["alias"], p["muted"]) for p in after} == {
            ("Zofia", True),
            (live.moderator.username, False),
        }

    # The scheduler's lifecycle step, as the server's process runs it: its public URL in the
    # announcements' addresses, its Twilio client for the emulator.
    settings(public_base_url=server.url)
    twilio = make_twilio_client(
        account_sid=ACCOUNT_SID, auth_token=emulated_live_server.auth_token, api_url=emulator.url
    )
    control = TwilioConferenceControl(twilio)
    steps = [
        (timedelta(minutes=4), "The meeting ends in five minutes."),
        (timedelta(seconds=30), "The meeting ends in one minute."),
        (timedelta(0), "[the conference ends]"),
    ]
    for before_the_end, heard in steps:
        with server.sessions.begin() as session:
            now = live.meeting.ends_at - before_the_end
            assert tasks.run_due_steps(session, now, control) == 1
        zofia.heard(heard)
        moderator.heard(heard)
    for phone in (zofia, moderator):
        printed = phone.ended()
        assert printed[printed.index("The meeting ends in five minutes.") :] == [
            "The meeting ends in five minutes.",
            "The meeting ends in one minute.",
            "[the conference ends]",
            "Goodbye.",
            "[call ended]",
        ]
