from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.errors import Conflict, install_error_handlers
from core.settings import get_settings
from core.twilio_http import get_twilio_client
from core.webhooks import MAX_BODY_BYTES, TwilioRouter, TwilioWebhooks, Webhook
from tests.fixtures.settings import Change
from tests.twilio_signing import signature_for, signed_post


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    router = TwilioRouter("/twilio")

    @router.post("/echo")
    async def echo(hook: Webhook) -> str:
        return json.dumps(dict(hook.form))

    @router.post("/echo/query")
    async def echo_query(hook: Webhook) -> str:
        return json.dumps(dict(hook.query))

    @router.post("/echo/{name}")
    async def echo_param(hook: Webhook) -> str:
        return json.dumps({"param": hook.param})

    @router.post("/nothing")
    async def nothing(hook: Webhook) -> None:
        return None

    @router.post("/refused")
    async def refused(hook: Webhook) -> str:
        raise Conflict("not now")

    @app.post("/twilio/other")
    def other() -> dict[str, str]:
        return {"served_by": "fastapi"}

    app.add_middleware(TwilioWebhooks, routers=[router])
    return app


def test_a_correctly_signed_request_is_accepted_with_its_form() -> None:
    client = TestClient(_app())
    response = signed_post(client, "/twilio/echo?step=pin", {"Digits": "1234", "CallSid": "CA1"})
    assert response.status_code == 200
    assert json.loads(response.text) == {"Digits": "1234", "CallSid": "CA1"}


def test_missing_signature_is_forbidden() -> None:
    response = TestClient(_app()).post("/twilio/echo", data={"Digits": "1"})
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_signature_over_other_params_is_forbidden() -> None:
    client = TestClient(_app())
    signature = signature_for("https://line.example.org/twilio/echo", {"Digits": "1"})
    response = client.post(
        "/twilio/echo", data={"Digits": "2"}, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_signature_for_another_host_is_forbidden() -> None:
    client = TestClient(_app())
    signature = signature_for("https://evil.example.org/twilio/echo", {"Digits": "1"})
    response = client.post(
        "/twilio/echo", data={"Digits": "1"}, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_encoded_and_empty_values_reach_the_handler_as_twilio_sent_them() -> None:
    client = TestClient(_app())
    params = {"From": "+48601000123", "Digits": "", "SpeechResult": "zażółć & = ? +1%"}
    response = signed_post(client, "/twilio/echo", params)
    assert response.status_code == 200
    assert json.loads(response.text) == params


def test_a_multipart_form_is_read_too() -> None:
    client = TestClient(_app())
    params = {"CallSid": "CA1", "Digits": "42"}
    url = "https://line.example.org/twilio/echo"
    response = client.post(
        "/twilio/echo",
        files={name: (None, value) for name, value in params.items()},
        headers={"X-Twilio-Signature": signature_for(url, params)},
    )
    assert response.status_code == 200
    assert json.loads(response.text) == params


def test_a_signature_over_the_url_with_its_default_port_is_accepted_too() -> None:
    # Twilio signs the URL sometimes with the scheme's port written out; the check tries the
    # URL as configured first and must still accept that other form.
    client = TestClient(_app())
    assert get_settings().public_base_url == "https://line.example.org"  # tests/conftest.py
    params = {"Digits": "1"}
    signature = signature_for("https://line.example.org:443/twilio/echo", params)
    response = client.post("/twilio/echo", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert json.loads(response.text) == params


def test_the_answer_is_twiml() -> None:
    response = signed_post(TestClient(_app()), "/twilio/echo", {"CallSid": "CA1"})
    assert response.headers["content-type"] == "application/xml"


def test_the_signed_query_string_reaches_the_handler() -> None:
    response = signed_post(TestClient(_app()), "/twilio/echo/query?outbox=7", {"CallSid": "CA1"})
    assert response.status_code == 200
    assert json.loads(response.text) == {"outbox": "7"}


def test_a_route_ending_in_a_parameter_gets_the_last_segment() -> None:
    response = signed_post(TestClient(_app()), "/twilio/echo/five-minutes", {"CallSid": "CA1"})
    assert json.loads(response.text) == {"param": "five-minutes"}


def test_no_answer_is_an_empty_204() -> None:
    response = signed_post(TestClient(_app()), "/twilio/nothing", {"CallSid": "CA1"})
    assert (response.status_code, response.content) == (204, b"")


def test_an_app_error_is_the_apis_json_error() -> None:
    response = signed_post(TestClient(_app()), "/twilio/refused", {"CallSid": "CA1"})
    assert response.status_code == 409
    assert response.json() == {"error": "conflict", "detail": "not now"}


def test_an_id_longer_than_any_twilio_id_is_a_bad_request() -> None:
    params = {"CallSid": "CA" + "f" * 100, "ConferenceSid": "CF1", "Digits": "1"}
    response = signed_post(TestClient(_app()), "/twilio/echo", params)
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "detail": "CallSid: longer than any Twilio id",
    }


def test_a_get_is_refused_with_405() -> None:
    response = TestClient(_app()).get("/twilio/echo")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.headers["allow"] == "POST"


def test_an_oversized_form_is_refused_before_anything_runs() -> None:
    params = {"Body": "x" * (MAX_BODY_BYTES + 1)}
    response = signed_post(TestClient(_app()), "/twilio/echo", params)
    assert response.status_code == 413
    assert "at most" in response.json()["detail"]


def test_an_oversized_multipart_form_is_refused_too() -> None:
    # Twilio never posts multipart, but a form of any other type must not get past the limit:
    # it is read whole before its signature can be checked.
    params = {"Body": "x" * (MAX_BODY_BYTES + 1)}
    url = "https://line.example.org/twilio/echo"
    response = TestClient(_app()).post(
        "/twilio/echo",
        files={name: (None, value) for name, value in params.items()},
        headers={"X-Twilio-Signature": signature_for(url, params)},
    )
    assert response.status_code == 413


def test_a_malformed_multipart_form_is_a_bad_request() -> None:
    response = TestClient(_app()).post(
        "/twilio/echo",
        content=b"--xx\r\nContent-Disposition: form-data\r\n\r\nv\r\n--xx--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=xx", "X-Twilio-Signature": "x"},
    )
    assert response.status_code == 400
    assert "the form cannot be read" in response.json()["detail"]


def test_other_paths_go_on_to_the_application() -> None:
    client = TestClient(_app())
    assert client.post("/twilio/other").json() == {"served_by": "fastapi"}
    assert client.post("/twilio/unknown").status_code == 404


def test_while_the_auth_token_is_rotated_the_previous_tokens_signature_is_accepted(
    settings: Change,
) -> None:
    url, params = "https://line.example.org/twilio/echo", {"CallSid": "CA1"}
    old, new = "the auth token before", "the auth token now"
    client = TestClient(_app())

    def post(signature: str | None) -> int:
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        return client.post("/twilio/echo", data=params, headers=headers).status_code

    settings(twilio_account_sid="AC" + "0" * 32, twilio_auth_token=new)
    assert post(signature_for(url, params, new)) == 200
    assert post(signature_for(url, params, old)) == 403  # not during a rotation: refused

    settings(twilio_previous_auth_token=old)
    assert post(signature_for(url, params, new)) == 200
    assert post(signature_for(url, params, old)) == 200
    assert post(signature_for(url, params, "some other token")) == 403
    assert post(signature_for(url, {"CallSid": "CA2"}, old)) == 403  # over other parameters
    assert post("") == 403
    assert post(None) == 403

    settings(twilio_previous_auth_token="")  # the rotation is over
    assert post(signature_for(url, params, old)) == 403
    assert post(signature_for(url, params, new)) == 200


def test_rest_requests_use_the_new_auth_token_during_a_rotation(settings: Change) -> None:
    settings(
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="the auth token now",
        twilio_previous_auth_token="the auth token before",
    )
    client = get_twilio_client()
    assert client is not None
    assert client.password == "the auth token now"
