from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.errors import install_error_handlers
from core.settings import get_settings
from core.webhooks import TwilioForm
from tests.twilio_signing import signature_for, signed_post


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/twilio/echo")
    def echo(form: TwilioForm) -> dict[str, str]:
        return form

    return app


def test_a_correctly_signed_request_is_accepted_with_its_form() -> None:
    client = TestClient(_app())
    response = signed_post(client, "/twilio/echo?step=pin", {"Digits": "1234", "CallSid": "CA1"})
    assert response.status_code == 200
    assert response.json() == {"Digits": "1234", "CallSid": "CA1"}


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
    assert response.json() == params


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
    assert response.json() == params


def test_a_signature_over_the_url_with_its_default_port_is_accepted_too() -> None:
    # Twilio signs the URL sometimes with the scheme's port written out; the check tries the
    # URL as configured first and must still accept that other form.
    client = TestClient(_app())
    assert get_settings().public_base_url == "https://line.example.org"  # tests/conftest.py
    params = {"Digits": "1"}
    signature = signature_for("https://line.example.org:443/twilio/echo", params)
    response = client.post("/twilio/echo", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert response.json() == params
