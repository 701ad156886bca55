"""The Twilio emulator process (``supportline twilio-emulator``): Twilio's REST API as the
server's own twilio SDK client sees it, SMS to the phones, and the delivery mode in which the
callbacks a REST request causes arrive before its answer."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from typer.testing import CliRunner

from conference.providers import ControlRejected, ParticipantGone, TwilioConferenceControl
from core.settings import get_settings
from core.twilio_http import make_twilio_client
from notifications.models import Kind, OutboxMessage
from notifications.providers import Sms, TwilioSms
from notifications.render import status_callback_url
from supportline.cli import app as cli
from supportline.emulator.delivery import Mode
from supportline.emulator.hooks import ACCOUNT_SID
from tests.fixtures.calls import World
from tests.fixtures.live import api_client
from tests.fixtures.phones import (
    EmulatedLiveServer,
    Phone,
    RunningEmulator,
    dial,
    emulator_for,
    phones_in_the_room,
)
from tests.fixtures.settings import Change

UNKNOWN = "CF" + "0" * 32


def twilio(emulator: RunningEmulator, auth_token: str | None = None) -> Client:
    token = auth_token or get_settings().webhook_auth_token
    return make_twilio_client(account_sid=ACCOUNT_SID, auth_token=token, api_url=emulator.url)


def log_in(emulator: RunningEmulator, world: World, *, moderator: bool, caller: str) -> Phone:
    credentials = world.moderator if moderator else world.member
    phone = dial(emulator.url, world.line_number, caller)
    return phone.type(credentials.participant_number, credentials.pin)


def test_a_wrong_auth_token_is_refused_as_twilio_refuses_it(client: TestClient) -> None:
    with emulator_for(client) as emulator:
        control = TwilioConferenceControl(twilio(emulator, auth_token="not-the-token"))
        with pytest.raises(ControlRejected, match="error 20003"):
            control.end(UNKNOWN)
        answer = httpx.post(f"{emulator.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Basic realm="Twilio API"'
    assert answer.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


def test_an_unknown_conference_or_participant_is_twilios_404(
    world: World, client: TestClient
) -> None:
    with emulator_for(client) as emulator:
        control = TwilioConferenceControl(twilio(emulator))
        with pytest.raises(ParticipantGone):
            control.end(UNKNOWN)
        with pytest.raises(ParticipantGone):
            control.set_muted(UNKNOWN, "CA" + "0" * 32, muted=True)
        with pytest.raises(TwilioRestException) as raised:
            twilio(emulator).calls("CA" + "1" * 32).update(time_limit=60)
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert raised.value.uri.endswith(f"/Accounts/{ACCOUNT_SID}/Calls/{'CA' + '1' * 32}.json")


def test_the_sdk_mutes_holds_and_removes_a_participant_and_the_phone_hears_it(
    world: World, client: TestClient
) -> None:
    with emulator_for(client) as emulator:
        member = log_in(emulator, world, moderator=False, caller="+48601000931")
        member.heard("[music]")
        log_in(emulator, world, moderator=True, caller="+48601000932")
        member.heard("[the conference starts]")
        assert emulator.board.wait_idle(10)
        conference = emulator.board.engine.conference_named(world.meeting.room)
        assert conference is not None
        call_sid = next(sid for sid, leg in conference.legs.items() if not leg.start_on_enter)
        sdk = twilio(emulator)
        muted = sdk.conferences(conference.sid).participants(call_sid).update(muted=True)
        member.heard("[muted]")
        assert (muted.muted, muted.hold, muted.label) == (True, False, world.member.membership.ref)
        held = sdk.conferences(conference.sid).participants(call_sid).update(hold=True)
        member.heard("[on hold: music]")
        assert held.hold is True
        limited = sdk.calls(call_sid).update(time_limit=600)
        assert (limited.sid, limited.status, limited.direction) == (
            call_sid,
            "in-progress",
            "inbound",
        )
        assert sdk.conferences(conference.sid).participants(call_sid).delete() is True
        printed = member.ended()
        assert emulator.board.wait_idle(10)
    assert printed[-3:] == ["[removed from the conference]", "Goodbye.", "[call ended]"]


def test_an_sms_shows_on_the_phone_calling_from_its_number_and_is_reported_delivered(
    world: World, client: TestClient, db: Session
) -> None:
    pin_sms = db.scalars(
        select(OutboxMessage).where(
            OutboxMessage.membership_id == world.member.membership.id,
            OutboxMessage.kind == Kind.pin,
        )
    ).one()
    with emulator_for(client) as emulator:
        phone = dial(emulator.url, world.line_number, world.phones[0])
        phone.heard("Welcome. Please enter your participant number, then press the hash key.")
        sms = Sms(
            to=world.phones[0],
            from_=world.line_number,
            body="Your group meets today at 20:00.",
            status_callback=status_callback_url(pin_sms.id),
        )
        sid = TwilioSms(twilio(emulator)).send_sms(sms)
        phone.heard(f"[SMS from {world.line_number}] Your group meets today at 20:00.")
        assert emulator.board.wait_idle(10)
        phone.type("")
        phone.ended()
        journal = list(emulator.board.journal)
    assert sid.startswith("SM") and len(sid) == 34
    assert [entry for entry in journal if "/twilio/sms/status" in entry] == [
        "posted status /twilio/sms/status -",
        "posted status /twilio/sms/status -",
    ]
    db.refresh(pin_sms)
    assert (pin_sms.provider_id, pin_sms.provider_status) == (sid, "delivered")


def test_the_command_runs_on_loopback_only_and_with_the_servers_token(settings: Change) -> None:
    result = CliRunner().invoke(cli, ["twilio-emulator", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "loopback only" in result.output
    result = CliRunner().invoke(cli, ["twilio-emulator", "--server", "http://192.0.2.1:8000"])
    assert result.exit_code == 1
    assert "loopback only" in result.output
    loopback = ["twilio-emulator", "--server", "http://127.0.0.1:8000"]
    settings(twilio_auth_token="")
    result = CliRunner().invoke(cli, loopback)
    assert "SUPPORTLINE_TWILIO_AUTH_TOKEN" in " ".join(result.output.split())
    settings(twilio_account_sid="AC" + "9" * 32, twilio_auth_token="token")
    result = CliRunner().invoke(cli, loopback)
    assert "set SUPPORTLINE_TWILIO_ACCOUNT_SID to it" in " ".join(result.output.split())


@pytest.mark.parametrize("emulated_live_server", [Mode.during], indirect=True)
def test_ending_the_meeting_while_every_dial_action_arrives_dials_nobody_back_in(
    emulated_live_server: EmulatedLiveServer,
) -> None:
    server, emulator = emulated_live_server.server, emulated_live_server.emulator
    room = phones_in_the_room(emulated_live_server)
    live, member, moderator = room.live, room.member, room.moderator
    conference = emulator.board.engine.conference_named(live.meeting.room)
    assert conference is not None
    legs = list(conference.legs)

    with api_client(server, live.moderator.username) as api:
        ended = api.post(f"/api/v1/meetings/{live.meeting.id}/conference/end")
    assert ended.status_code == 200, ended.text
    assert ended.json()["conference_running"] is False

    for phone in (member, moderator):
        printed = phone.ended()
        assert printed[printed.index("[the conference starts]") + 1 :][-3:] == [
            "[the conference ends]",
            "Goodbye.",
            "[call ended]",
        ]
        assert printed.count("[waiting]") <= 1  # nobody was dialled into a room again
    assert emulator.board.wait_idle(10)
    assert emulator.board.engine.conference_named(live.meeting.room) is None
    journal = list(emulator.board.journal)
    answered = journal.index(f"answered POST Conferences/{conference.sid}")
    for leg in legs:
        # Each leg's Dial action was on its connection while the server's end was running.
        assert journal.index(f"posted action /twilio/voice/dial-ended {leg}") < answered
