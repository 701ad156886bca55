"""Bodies larger than any the API or the console takes are refused before they are read."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient
from httpx2 import Response

from core.limits import MAX_BODY_BYTES

TOO_LARGE = b"x" * (MAX_BODY_BYTES + 1)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post_form(client: TestClient, path: str, body: bytes | Iterator[bytes]) -> Response:
    return client.post(path, content=body, headers=FORM)


def test_a_large_body_is_refused_with_413_before_the_login_looks_at_it(client: TestClient) -> None:
    response = post_form(client, "/api/v1/auth/token", b"username=a&password=" + TOO_LARGE)
    assert response.status_code == 413
    assert response.json() == {
        "error": "payload_too_large",
        "detail": "the request body may be at most 256 KB",
    }


def test_a_large_body_sent_without_a_length_is_refused_too(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to go by
        for start in range(0, len(TOO_LARGE), 64 * 1024):
            yield TOO_LARGE[start : start + 64 * 1024]

    response = client.post(
        "/api/v1/groups", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_the_console_refuses_a_large_form(client: TestClient) -> None:
    response = post_form(client, "/console/login", b"username=a&password=" + TOO_LARGE)
    assert response.status_code == 413


def test_ordinary_bodies_pass_as_before(client: TestClient) -> None:
    small = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "wrong"})
    assert small.status_code == 401

    def chunks() -> Iterator[bytes]:
        yield b"username=nobody"
        yield b"&password=wrong"

    chunked = post_form(client, "/api/v1/auth/token", chunks())
    # Read whole and handed on: the form's fields arrive, the credentials are simply wrong.
    assert chunked.status_code == 401, chunked.text
