"""The Twilio ConferenceControl against Twilio's OpenAPI description on Prism, with faults."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from twilio.rest import Client

from auth.models import Role
from conference.providers import (
    ControlRejected,
    ControlUnavailable,
    ParticipantGone,
    TwilioConferenceControl,
    get_conference_control,
)
from supportline.emulator.local import LocalTwilio
from tests.emulators.faults import FaultInjectingHttpClient
from tests.emulators.fixtures import TEST_ACCOUNT_SID
from tests.factories import auth_headers, create_staff
from tests.fixtures.calls import World, login

TwilioPair = tuple[Client, FaultInjectingHttpClient]
CONF = "CF" + "0123456789abcdef" * 2
CALL = "CA" + "fedcba9876543210" * 2
ACCOUNT = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
PARTICIPANT = f"{ACCOUNT}/Conferences/{CONF}/Participants/{CALL}.json"


def test_every_control_sends_a_request_the_spec_accepts(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    control = TwilioConferenceControl(client)
    control.set_muted(CONF, CALL, muted=True)
    control.set_muted(CONF, CALL, muted=False)
    control.set_hold(CONF, CALL, hold=True)
    control.set_hold(CONF, CALL, hold=False)
    control.remove(CONF, CALL)
    control.announce(CONF, "https://line.example.org/twilio/conference/announce/one_minute")
    control.end(CONF)
    control.set_time_limit(CALL, 1500)
    sent = [(r.method, r.path, r.data, r.status) for r in http.requests]
    assert sent == [
        ("POST", PARTICIPANT, {"Muted": "true"}, 200),
        ("POST", PARTICIPANT, {"Muted": "false"}, 200),
        ("POST", PARTICIPANT, {"Hold": "true"}, 200),
        ("POST", PARTICIPANT, {"Hold": "false"}, 200),
        ("DELETE", PARTICIPANT, {}, 204),
        (
            "POST",
            f"{ACCOUNT}/Conferences/{CONF}.json",
            {
                "AnnounceUrl": "https://line.example.org/twilio/conference/announce/one_minute",
                "AnnounceMethod": "POST",
            },
            200,
        ),
        ("POST", f"{ACCOUNT}/Conferences/{CONF}.json", {"Status": "completed"}, 200),
        ("POST", f"{ACCOUNT}/Calls/{CALL}.json", {"TimeLimit": 1500}, 200),
    ]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"status": 404, "code": 20404}, ParticipantGone),
        ({"status": 500}, ControlUnavailable),
        ({"status": 503}, ControlUnavailable),
        ({"status": 400, "code": 21220, "message": "Invalid call state"}, ControlRejected),
    ],
)
def test_twilio_errors_become_ours(
    twilio_client: TwilioPair, fault: dict[str, object], expected: type[Exception]
) -> None:
    client, http = twilio_client
    http.fail_next(**fault)  # type: ignore[arg-type]
    with pytest.raises(expected):
        TwilioConferenceControl(client).set_muted(CONF, CALL, muted=True)


@pytest.mark.parametrize("connect", [True, False])
def test_timeouts_become_unavailable(twilio_client: TwilioPair, connect: bool) -> None:
    client, http = twilio_client
    http.timeout_next(connect=connect)
    with pytest.raises(ControlUnavailable, match="did not answer"):
        TwilioConferenceControl(client).end(CONF)


@pytest.fixture
def on_prism(app: FastAPI, sim: LocalTwilio, twilio_client: TwilioPair) -> FaultInjectingHttpClient:
    """The calls are simulated; the moderator's controls go to Twilio's API on Prism."""
    client, http = twilio_client
    app.dependency_overrides[get_conference_control] = lambda: TwilioConferenceControl(client)
    return http


def _member_id(client: TestClient, world: World, headers: dict[str, str]) -> int:
    body = client.get(f"/api/v1/meetings/{world.meeting.id}/roster", headers=headers).json()
    (member,) = [p for p in body["participants"] if p["role"] == "member"]
    return int(member["id"])


def test_controls_through_the_api_reach_twilio(
    sim: LocalTwilio, world: World, client: TestClient, on_prism: FaultInjectingHttpClient
) -> None:
    login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    conference_sid = sim.room_of(member).sid
    headers = auth_headers(client, world.moderator_staff)
    call_id = _member_id(client, world, headers)
    base = f"/api/v1/meetings/{world.meeting.id}"
    for action in ("mute", "unmute", "hold", "resume"):
        response = client.post(f"{base}/participants/{call_id}/{action}", headers=headers)
        assert response.status_code == 200, response.text
    body = client.post(f"{base}/conference/mute-all", headers=headers).json()
    assert [p["muted"] for p in body["participants"]] == [False, True]
    assert client.post(f"{base}/conference/extend", headers=headers).status_code == 200
    assert client.post(f"{base}/participants/{call_id}/kick", headers=headers).status_code == 200
    assert client.post(f"{base}/conference/end", headers=headers).status_code == 200
    paths = {(r.method, r.path) for r in on_prism.requests}
    participant = f"{ACCOUNT}/Conferences/{conference_sid}/Participants/{member.sid}.json"
    assert ("DELETE", participant) in paths
    assert ("POST", f"{ACCOUNT}/Conferences/{conference_sid}.json") in paths
    assert ("POST", f"{ACCOUNT}/Calls/{member.sid}.json") in paths
    assert all(r.status in (200, 204) for r in on_prism.requests)


def test_participant_already_gone_is_a_clear_409_and_the_roster_drops_them(
    sim: LocalTwilio, world: World, client: TestClient, on_prism: FaultInjectingHttpClient
) -> None:
    login(sim, world, world.moderator)
    login(sim, world, world.member, caller="+48601000111")
    headers = auth_headers(client, world.moderator_staff)
    call_id = _member_id(client, world, headers)
    on_prism.fail_next(status=404, code=20404)
    url = f"/api/v1/meetings/{world.meeting.id}/participants/{call_id}/mute"
    response = client.post(url, headers=headers)
    assert response.status_code == 409
    assert response.json()["error"] == "participant_left"
    body = client.get(f"/api/v1/meetings/{world.meeting.id}/roster", headers=headers).json()
    assert [p["role"] for p in body["participants"]] == ["moderator"]
    assert client.post(url, headers=headers).status_code == 404


@pytest.mark.parametrize("fault", ["server_error", "timeout"])
def test_twilio_failure_is_a_502_and_changes_nothing(
    sim: LocalTwilio,
    world: World,
    client: TestClient,
    on_prism: FaultInjectingHttpClient,
    fault: str,
) -> None:
    login(sim, world, world.moderator)
    login(sim, world, world.member, caller="+48601000111")
    headers = auth_headers(client, world.moderator_staff)
    call_id = _member_id(client, world, headers)
    if fault == "timeout":
        on_prism.timeout_next()
    else:
        on_prism.fail_next(status=503)
    url = f"/api/v1/meetings/{world.meeting.id}/participants/{call_id}/mute"
    response = client.post(url, headers=headers)
    assert response.status_code == 502
    assert response.json()["error"] == "provider_error"
    assert "try again" in response.json()["detail"]
    body = client.get(f"/api/v1/meetings/{world.meeting.id}/roster", headers=headers).json()
    assert [(p["role"], p["muted"]) for p in body["participants"]] == [
        ("moderator", False),
        ("member", False),
    ]
    assert client.post(url, headers=headers).status_code == 200  # the retry works


def test_ending_a_conference_twilio_already_ended_is_fine(
    sim: LocalTwilio, world: World, client: TestClient, on_prism: FaultInjectingHttpClient
) -> None:
    login(sim, world, world.moderator)
    headers = auth_headers(client, world.moderator_staff)
    on_prism.fail_next(status=404, code=20404)
    response = client.post(f"/api/v1/meetings/{world.meeting.id}/conference/end", headers=headers)
    assert response.status_code == 200
    assert response.json()["conference_running"] is False
    assert response.json()["participants"] == []


def test_helpers_and_other_groups_moderators_cannot_control_the_call(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    login(sim, world, world.moderator)
    base = f"/api/v1/meetings/{world.meeting.id}"
    helper = auth_headers(client, create_staff(db, Role.helper))
    stranger = auth_headers(client, create_staff(db, Role.moderator))
    assert client.post(f"{base}/conference/end", headers=helper).status_code == 403
    assert client.post(f"{base}/conference/end", headers=stranger).status_code == 404
    assert client.get(f"{base}/roster", headers=stranger).status_code == 404
    assert sim.actions == []


def test_the_server_uses_twilio_when_an_account_is_configured(
    twilio_client: TwilioPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conference import providers

    assert isinstance(get_conference_control(), providers.FakeConferenceControl)  # no account
    client, _http = twilio_client
    monkeypatch.setattr(providers, "get_twilio_client", lambda: client)
    control = get_conference_control()
    assert isinstance(control, TwilioConferenceControl) and control.client is client
