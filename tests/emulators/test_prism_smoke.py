"""The Twilio SDK, pointed at Prism, is accepted by Twilio's spec for every call the product makes.

Also checks that Prism really validates (so the app's own integration tests mean something),
that the fault injector produces the exceptions the app must handle without getting past the
loopback guard, and the harness's own parts: the spec patch and Prism's start. The redirecting
client itself is tested in ``tests/core/test_twilio_http.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from twilio.base import values
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from core.twilio_http import RedirectingHttpClient, RefusedTargetError, make_twilio_client
from tests.emulators import prism
from tests.emulators.faults import FaultInjectingHttpClient
from tests.emulators.fixtures import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.emulators.prism import patch_array_form_encoding

TwilioPair = tuple[Client, FaultInjectingHttpClient]

CONF_SID = "CF" + "0123456789abcdef" * 2
CALL_SID = "CA" + "fedcba9876543210" * 2
ACCOUNT_PATH = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
CONF_PATH = f"{ACCOUNT_PATH}/Conferences/{CONF_SID}.json"
PARTICIPANT_PATH = f"{ACCOUNT_PATH}/Conferences/{CONF_SID}/Participants/{CALL_SID}.json"
CALL_PATH = f"{ACCOUNT_PATH}/Calls/{CALL_SID}.json"
TO, FROM = "+48500100200", "+15005550006"


def _is_sid(value: object, prefix: str) -> bool:
    return isinstance(value, str) and len(value) == 34 and value.startswith(prefix)


# --- operations the product uses ------------------------------------------------------------


def test_messages_create(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    message = client.messages.create(
        to=TO,
        from_=FROM,
        body="Spotkanie o 19:00",
        status_callback="https://example.org/sms/status",
    )
    assert _is_sid(message.sid, "SM")
    (sent,) = http.requests
    assert (sent.method, sent.path, sent.status) == ("POST", f"{ACCOUNT_PATH}/Messages.json", 201)
    assert sent.data == {
        "To": TO,
        "From": FROM,
        "Body": "Spotkanie o 19:00",
        "StatusCallback": "https://example.org/sms/status",
    }


def test_array_form_parameters_pass_the_patched_spec(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    media = ["https://example.org/a.png", "https://example.org/b.png"]
    message = client.messages.create(to=TO, from_=FROM, body="x", media_url=media)
    assert _is_sid(message.sid, "SM")
    assert http.requests[-1].data["MediaUrl"] == media


def test_conference_end(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    conference = client.conferences(CONF_SID).update(status="completed")
    assert _is_sid(conference.sid, "CF")
    (sent,) = http.requests
    assert (sent.method, sent.path, sent.data, sent.status) == (
        "POST",
        CONF_PATH,
        {"Status": "completed"},
        200,
    )


def test_conference_announce(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    conference = client.conferences(CONF_SID).update(
        announce_url="https://example.org/voice/announce", announce_method="POST"
    )
    assert _is_sid(conference.sid, "CF")
    assert http.requests[-1].path == CONF_PATH
    assert http.requests[-1].data == {
        "AnnounceUrl": "https://example.org/voice/announce",
        "AnnounceMethod": "POST",
    }


@pytest.mark.parametrize(
    ("kwargs", "form"),
    [
        ({"muted": True}, {"Muted": "true"}),
        ({"muted": False}, {"Muted": "false"}),
        (
            {"hold": True, "hold_url": "https://example.org/voice/hold"},
            {"Hold": "true", "HoldUrl": "https://example.org/voice/hold"},
        ),
        (
            {"announce_url": "https://example.org/voice/announce"},
            {"AnnounceUrl": "https://example.org/voice/announce"},
        ),
    ],
    ids=["mute", "unmute", "hold", "announce"],
)
def test_participant_update(
    twilio_client: TwilioPair, kwargs: dict[str, Any], form: dict[str, str]
) -> None:
    client, http = twilio_client
    participant = client.conferences(CONF_SID).participants(CALL_SID).update(**kwargs)
    assert _is_sid(participant.call_sid, "CA")
    assert _is_sid(participant.conference_sid, "CF")
    (sent,) = http.requests
    assert (sent.method, sent.path, sent.data, sent.status) == ("POST", PARTICIPANT_PATH, form, 200)


def test_participant_delete(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    assert client.conferences(CONF_SID).participants(CALL_SID).delete() is True
    (sent,) = http.requests
    assert (sent.method, sent.path, sent.data, sent.status) == ("DELETE", PARTICIPANT_PATH, {}, 204)


@pytest.mark.parametrize(
    ("kwargs", "form"),
    [
        ({"status": "completed"}, {"Status": "completed"}),
        (
            {"twiml": "<Response><Say>Koniec</Say></Response>"},
            {"Twiml": "<Response><Say>Koniec</Say></Response>"},
        ),
    ],
    ids=["hangup", "twiml"],
)
def test_call_update(
    twilio_client: TwilioPair, kwargs: dict[str, str], form: dict[str, str]
) -> None:
    client, http = twilio_client
    call = client.calls(CALL_SID).update(**kwargs)
    assert _is_sid(call.sid, "CA")
    (sent,) = http.requests
    assert (sent.method, sent.path, sent.data, sent.status) == ("POST", CALL_PATH, form, 200)


def test_conferences_list(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    # Prism serves the spec's first example, "readEmpty".
    assert client.conferences.list(friendly_name="group-7", status="in-progress") == []
    (sent,) = http.requests
    assert (sent.method, sent.path) == ("GET", f"{ACCOUNT_PATH}/Conferences.json")
    assert sent.params == {"FriendlyName": "group-7", "Status": "in-progress"}


def test_conferences_list_with_records_and_paging(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    http.prefer_example("readNext", match="/Conferences.json")  # a page with a next page
    conferences = client.conferences.list(friendly_name="group-7", status="in-progress")
    assert conferences
    assert all(_is_sid(c.sid, "CF") and c.status == "in-progress" for c in conferences)
    # The SDK followed next_page_uri (rewritten to Prism too), which answered the empty page.
    assert [r.method for r in http.requests] == ["GET", "GET"]
    assert all(r.status == 200 for r in http.requests)


def test_make_twilio_client_talks_to_the_emulator(prism_url: str) -> None:
    client = make_twilio_client(
        account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN, api_url=prism_url
    )
    try:
        assert isinstance(client.http_client, RedirectingHttpClient)
        assert _is_sid(client.messages.create(to=TO, from_=FROM, body="x").sid, "SM")
    finally:
        client.http_client.session.close()


# --- Prism validates requests against the spec ------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda c: c.messages.create(to=values.unset, from_=FROM, body="x"), id="missing-To"
        ),
        pytest.param(
            lambda c: c.messages.create(to=TO, from_=FROM, body="x", status_callback="not a url"),
            id="bad-uri",
        ),
        pytest.param(lambda c: c.conferences(CONF_SID).update(status="ended"), id="bad-enum"),
        pytest.param(
            lambda c: c.calls("XX" + "0" * 32).update(status="completed"), id="bad-CallSid"
        ),
    ],
)
def test_prism_rejects_requests_the_spec_forbids(twilio_client: TwilioPair, call: Any) -> None:
    client, http = twilio_client
    with pytest.raises(TwilioRestException) as caught:
        call(client)
    assert caught.value.status == 422
    assert http.requests[-1].status == 422
    assert http.requests[-1].injected is None


def test_list_errors_are_plain_twilio_exceptions(twilio_client: TwilioPair) -> None:
    """SDK quirk: a failed page fetch raises TwilioException("Unable to fetch page", response),
    not TwilioRestException, so callers of list() must catch the base class (no .code)."""
    client, http = twilio_client
    with pytest.raises(TwilioException) as rejected:
        client.conferences.list(status="running")  # not in the spec's enum
    assert not isinstance(rejected.value, TwilioRestException)
    assert rejected.value.args[1].status_code == 422

    http.fail_next(status=503, match="/Conferences.json")
    with pytest.raises(TwilioException) as unavailable:
        client.conferences.list(status="in-progress")
    assert unavailable.value.args[1].status_code == 503


# --- injected failures --------------------------------------------------------------------


def test_injected_twilio_errors(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    http.fail_next(status=404, code=20404, match=CONF_SID)
    http.fail_next(status=400, code=21610, match="/Messages.json", method="POST")

    with pytest.raises(TwilioRestException) as not_found:
        client.conferences(CONF_SID).participants(CALL_SID).update(muted=True)
    assert (not_found.value.status, not_found.value.code) == (404, 20404)

    with pytest.raises(TwilioRestException) as unsubscribed:
        client.messages.create(to=TO, from_=FROM, body="x")
    assert (unsubscribed.value.status, unsubscribed.value.code) == (400, 21610)
    assert "unsubscribed" in unsubscribed.value.msg

    # Each fault was used once: the same calls now reach Prism and succeed.
    client.conferences(CONF_SID).participants(CALL_SID).update(muted=True)
    client.messages.create(to=TO, from_=FROM, body="x")
    assert [(r.injected, r.status) for r in http.requests] == [
        ("reply", 404),
        ("reply", 400),
        (None, 200),
        (None, 201),
    ]


def test_injected_server_errors_repeat(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    http.fail_next(status=503, times=2)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            client.calls(CALL_SID).update(status="completed")
        assert (caught.value.status, caught.value.code) == (503, 503)
    assert _is_sid(client.calls(CALL_SID).update(status="completed").sid, "CA")


@pytest.mark.parametrize(
    ("connect", "exception"),
    [(False, requests.ReadTimeout), (True, requests.ConnectTimeout)],
)
def test_injected_timeout(
    twilio_client: TwilioPair, connect: bool, exception: type[Exception]
) -> None:
    client, http = twilio_client
    http.timeout_next(match="/Messages.json", connect=connect)
    with pytest.raises(exception):
        client.messages.create(to=TO, from_=FROM, body="x")
    assert issubclass(exception, requests.Timeout)  # one except clause catches both
    assert http.requests[-1].injected == "timeout"
    assert http.requests[-1].status is None
    assert http.sent("/Messages.json", method="post")[-1].data["To"] == TO


def test_reply_next_gives_a_chosen_body(twilio_client: TwilioPair) -> None:
    client, http = twilio_client
    http.reply_next(
        status=200,
        match="/Conferences.json",
        body={"conferences": [{"sid": CONF_SID, "status": "in-progress"}], "next_page_uri": None},
    )
    (conference,) = client.conferences.list(status="in-progress")
    assert conference.sid == CONF_SID


def test_refused_even_when_a_fault_is_pending() -> None:
    """The fault injector answers only requests the redirecting client would have sent."""
    http = FaultInjectingHttpClient("http://127.0.0.1:9")
    http.fail_next(status=500)
    with pytest.raises(RefusedTargetError):
        http.request("GET", "https://example.org/x")
    assert http.session is not None
    http.session.close()


# --- the spec patch: array properties as repeated form fields ---------------------------------


def test_patch_adds_form_encoding_for_array_properties() -> None:
    spec: dict[str, Any] = {
        "paths": {
            "/x.json": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {"$ref": "#/components/schemas/X"}
                            }
                        }
                    }
                },
                "parameters": [],
            }
        },
        "components": {
            "schemas": {
                "X": {
                    "properties": {
                        "Tags": {"type": "array", "items": {"type": "string"}},
                        "Events": {"$ref": "#/components/schemas/Events"},
                        "Name": {"type": "string"},
                    }
                },
                "Events": {"type": "array", "items": {"type": "string"}},
            }
        },
    }
    assert patch_array_form_encoding(spec) == ["POST /x.json: Tags, Events"]
    media = spec["paths"]["/x.json"]["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"
    ]
    assert media["encoding"] == {
        "Tags": {"style": "form", "explode": True},
        "Events": {"style": "form", "explode": True},
    }


# --- run_prism's own failure modes: a missing part fails loudly, never skips ------------------


def test_missing_tools_fail_with_install_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(prism, "PRISM_BIN", tmp_path / "no-prism")
    hint = r"scripts/install-test-tools\.sh"
    with pytest.raises(prism.PrismUnavailableError, match=hint), prism.run_prism():
        pass


def test_prism_start_failure_reports_its_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "twilio_api_v2010.json"
    broken.write_text('{"openapi": "3.0.1", "paths": {}}')
    monkeypatch.setattr(prism, "TWILIO_SPEC", broken)
    failure = "Prism exited with 1; its output:(.|\n)*No operations found"
    with pytest.raises(prism.PrismUnavailableError, match=failure), prism.run_prism(timeout=30):
        pass
