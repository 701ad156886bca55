from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role
from tests.clock import Clock
from tests.factories import PASSWORD, auth_headers, create_staff


def test_login_returns_a_bearer_token_that_identifies_the_staff_member(
    client: TestClient, db: Session
) -> None:
    staff = create_staff(db, Role.helper)
    headers = auth_headers(client, staff)
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 200
    assert response.json()["username"] == staff.username
    assert response.json()["role"] == "helper"
    assert "password_hash" not in response.json()


def test_wrong_password_is_refused_with_a_clear_message(client: TestClient, db: Session) -> None:
    staff = create_staff(db)
    response = client.post(
        "/api/v1/auth/token", data={"username": staff.username, "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "detail": "wrong username or password"}


def test_a_json_login_is_told_to_send_form_fields(client: TestClient, db: Session) -> None:
    # The OAuth2 password flow posts a form; a JSON body used to get "username: Field required".
    staff = create_staff(db)
    as_json = client.post(
        "/api/v1/auth/token", json={"username": staff.username, "password": PASSWORD}
    )
    for response in (as_json, client.post("/api/v1/auth/token")):
        assert response.status_code == 422
        assert response.json() == {
            "error": "invalid_input",
            "detail": "send username and password as form fields, "
            "with Content-Type: application/x-www-form-urlencoded",
        }
    # A form that misses a field is told which one.
    half = client.post("/api/v1/auth/token", data={"username": staff.username})
    assert half.json()["detail"] == "password: Field required"


def test_a_password_of_thousands_of_characters_is_just_wrong(
    client: TestClient, db: Session
) -> None:
    staff = create_staff(db)
    for username in (staff.username, "nobody.here"):
        response = client.post(
            "/api/v1/auth/token", data={"username": username, "password": "x" * 5000}
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "wrong username or password"


def test_repeated_failures_throttle_the_account_even_for_the_right_password(
    client: TestClient, db: Session
) -> None:
    staff = create_staff(db)
    for _ in range(5):
        client.post("/api/v1/auth/token", data={"username": staff.username, "password": "wrong"})
    response = client.post(
        "/api/v1/auth/token", data={"username": staff.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "try again in 15 minutes" in response.json()["detail"]


def test_throttle_lifts_after_the_window(client: TestClient, db: Session, clock: Clock) -> None:
    staff = create_staff(db)
    for _ in range(5):
        client.post("/api/v1/auth/token", data={"username": staff.username, "password": "wrong"})
    clock.advance(minutes=16)
    response = client.post(
        "/api/v1/auth/token", data={"username": staff.username, "password": PASSWORD}
    )
    assert response.status_code == 200


def test_token_expires_after_its_lifetime(client: TestClient, db: Session, clock: Clock) -> None:
    staff = create_staff(db)
    headers = auth_headers(client, staff)
    clock.advance(minutes=59)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    clock.advance(minutes=2)
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_tampered_token_is_refused(client: TestClient, db: Session) -> None:
    headers = auth_headers(client, create_staff(db))
    headers["Authorization"] = headers["Authorization"][:-2] + "xx"
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_requests_without_a_token_are_refused(client: TestClient) -> None:
    response = client.get("/api/v1/groups")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
