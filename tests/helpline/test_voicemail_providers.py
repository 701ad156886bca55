"""Fetching and deleting a voicemail's recording at Twilio: against Twilio's OpenAPI description
on Prism (the requests the spec accepts, and Twilio's errors injected), and against the project's
Twilio emulator over HTTP (the audio itself, and a deleted recording being gone)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from twilio.rest import Client

from core.settings import get_settings
from core.twilio_http import make_twilio_client
from helpline.providers import RecordingGone, RecordingUnavailable, TwilioRecordings
from supportline.emulator.hooks import ACCOUNT_SID
from supportline.emulator.recorder import Recording, tone
from tests.emulators.faults import FaultInjectingHttpClient
from tests.emulators.fixtures import TEST_ACCOUNT_SID
from tests.fixtures.phones import emulator_for

TwilioPair = tuple[Client, FaultInjectingHttpClient]
SID = "RE" + "0123456789abcdef" * 2
RESOURCE = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Recordings/{SID}.json"


def test_delete_sends_the_request_the_spec_accepts(twilio_client: TwilioPair) -> None:
    client, http = twilio_client

    TwilioRecordings(client).delete(SID)

    assert [(r.method, r.path, r.status) for r in http.requests] == [("DELETE", RESOURCE, 204)]


def test_fetch_asks_for_the_resource_first_then_for_its_audio(twilio_client: TwilioPair) -> None:
    client, http = twilio_client

    # Prism knows the resource (the spec's example, "completed") but serves no audio: the
    # spec describes no media path, so the audio is not there and the fetch is tried again.
    with pytest.raises(RecordingUnavailable, match="audio is not there"):
        TwilioRecordings(client).fetch(SID)

    assert [(r.method, r.path, r.status) for r in http.requests] == [("GET", RESOURCE, 200)]


@pytest.mark.parametrize("operation", ["fetch", "delete"])
@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"status": 404, "code": 20404}, RecordingGone),
        ({"status": 500}, RecordingUnavailable),
        ({"status": 503}, RecordingUnavailable),
        ({"status": 429, "code": 20429}, RecordingUnavailable),
        ({"status": 401, "code": 20003}, RecordingUnavailable),
    ],
)
def test_twilio_errors_become_ours(
    twilio_client: TwilioPair, operation: str, fault: dict[str, int], expected: type[Exception]
) -> None:
    client, http = twilio_client
    http.fail_next(status=fault["status"], code=fault.get("code"))

    with pytest.raises(expected):
        getattr(TwilioRecordings(client), operation)(SID)


@pytest.mark.parametrize("connect", [True, False])
def test_timeouts_are_tried_again_later(twilio_client: TwilioPair, connect: bool) -> None:
    client, http = twilio_client
    http.timeout_next(connect=connect)

    with pytest.raises(RecordingUnavailable, match="did not answer in time"):
        TwilioRecordings(client).delete(SID)


def test_the_emulator_serves_the_audio_then_forgets_a_deleted_recording(
    client: TestClient,
) -> None:
    token = get_settings().webhook_auth_token
    with emulator_for(client, token) as emulator:
        media = tone(3, SID)
        recording = Recording(SID, "CA" + "1" * 32, datetime(2026, 3, 7, tzinfo=UTC), 3, media)
        emulator.board.engine.recorder.recordings[SID] = recording
        twilio = TwilioRecordings(
            make_twilio_client(account_sid=ACCOUNT_SID, auth_token=token, api_url=emulator.url)
        )

        audio = twilio.fetch(SID)
        twilio.delete(SID)

        assert audio.content == media and audio.media_type == "audio/wav"
        with pytest.raises(RecordingGone):
            twilio.fetch(SID)
        with pytest.raises(RecordingGone):
            twilio.delete(SID)


def test_the_emulator_refuses_another_accounts_credentials(client: TestClient) -> None:
    token = get_settings().webhook_auth_token
    with emulator_for(client, token) as emulator:
        emulator.board.engine.recorder.recordings[SID] = Recording(
            SID, "CA" + "1" * 32, datetime(2026, 3, 7, tzinfo=UTC), 1, tone(1, SID)
        )
        twilio = TwilioRecordings(
            make_twilio_client(account_sid=ACCOUNT_SID, auth_token="wrong", api_url=emulator.url)
        )

        with pytest.raises(RecordingUnavailable, match="401"):
            twilio.fetch(SID)
        assert emulator.board.engine.recording(SID).media  # nothing deleted
