from __future__ import annotations

import json
from base64 import b64encode
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth import service as auth_service
from auth.models import RevokedSession, Role, Staff
from core.settings import get_settings
from tests.clock import Clock
from tests.console.helpers import csrf_from, post_form, sign_in
from tests.factories import create_group, create_staff
from tests.fixtures.settings import Change
from tests.helpline.world import contact_point


def test_sign_in_sets_a_strict_httponly_secure_cookie_and_opens_my_groups(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator, name="Thursday circle")
    response = sign_in(client, moderator)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/"
    cookie = response.headers["set-cookie"].lower()
    for flag in ("httponly", "samesite=strict", "secure", "path=/console"):
        assert flag in cookie
    home = client.get("/console/")
    assert home.status_code == 200
    assert "Thursday circle" in home.text
    assert f"/console/groups/{group.id}" in home.text
    assert home.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]


def test_pages_without_a_session_redirect_to_sign_in(client: TestClient) -> None:
    for path in ("/console/", "/console/groups/1", "/console/referrals", "/console/admin/audit"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/console/login"


def test_wrong_password_is_refused_and_repeated_failures_are_throttled_kindly(
    client: TestClient, db: Session
) -> None:
    staff = create_staff(db)
    wrong = sign_in(client, staff, password="not the password")
    assert wrong.status_code == 401
    assert "do not match" in wrong.text
    for _ in range(get_settings().login_max_failures - 1):
        sign_in(client, staff, password="not the password")
    throttled = sign_in(client, staff)  # even the right password waits now
    assert throttled.status_code == 429
    assert "take a break" in throttled.text
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_empty_fields_are_named_next_to_the_field(client: TestClient) -> None:
    page = client.get("/console/login")
    response = client.post(
        "/console/login", data={"username": "", "password": "", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 422
    assert 'id="username-error"' in response.text
    assert 'id="password-error"' in response.text


def test_sign_in_without_the_csrf_token_is_refused(client: TestClient, db: Session) -> None:
    staff = create_staff(db)
    client.get("/console/login")
    response = client.post(
        "/console/login", data={"username": staff.username, "password": "x"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "could not be accepted" in response.text
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(client: TestClient, db: Session) -> None:
    staff = create_staff(db)
    sign_in(client, staff)
    response = post_form(client, "/console/logout")
    assert response.status_code == 303
    assert client.get("/console/", follow_redirects=False).status_code == 303
    assert "You are signed out." in client.get("/console/login").text


def copy_of(client: TestClient) -> TestClient:
    """Another browser holding a copy of the client's cookies (domain and path included, so the
    cookie it is given on renewal replaces the copy, as in a browser)."""
    other = TestClient(client.app, base_url=str(client.base_url))
    for cookie in client.cookies.jar:
        other.cookies.set(cookie.name, cookie.value or "", domain=cookie.domain, path=cookie.path)
    return other


def test_sign_out_also_ends_copies_of_the_cookie_but_not_other_sessions(
    client: TestClient, db: Session, clock: Clock
) -> None:
    staff = create_staff(db)
    sign_in(client, staff)
    thief = copy_of(client)  # e.g. left behind on a shared office computer
    with TestClient(client.app, base_url=str(client.base_url)) as laptop:
        sign_in(laptop, staff)  # the same moderator, signed in elsewhere
        assert post_form(client, "/console/logout").status_code == 303
        with thief:
            refused = thief.get("/console/", follow_redirects=False)
            assert refused.headers["location"] == "/console/login"
            clock.advance(minutes=get_settings().token_ttl_minutes - 1)
            assert thief.get("/console/", follow_redirects=False).status_code == 303
        assert laptop.get("/console/").status_code == 200


def test_a_tab_that_timed_out_still_signs_out_a_copy_that_kept_itself_alive(
    client: TestClient, db: Session, clock: Clock
) -> None:
    staff = create_staff(db)
    sign_in(client, staff)
    ttl = get_settings().token_ttl_minutes
    with copy_of(client) as copy:
        for _ in range(3):  # the copy is used now and then; the owner's tab sits idle
            clock.advance(minutes=ttl - 1)
            assert copy.get("/console/", follow_redirects=False).status_code == 200
        assert post_form(client, "/console/logout", page="/console/login").status_code == 303
        assert copy.get("/console/", follow_redirects=False).status_code == 303


def test_signing_out_twice_is_no_error(client: TestClient, db: Session) -> None:
    staff = create_staff(db)
    sign_in(client, staff)
    with copy_of(client) as other_tab:  # the same session: two tabs, or a double click
        assert post_form(client, "/console/logout", page="/console/login").status_code == 303
        assert post_form(other_tab, "/console/logout", page="/console/login").status_code == 303
    count = db.scalar(select(func.count()).select_from(RevokedSession))
    assert count == 1


def test_a_console_token_without_a_session_is_not_accepted(
    client: TestClient, db: Session, clock: Clock
) -> None:
    # What a console cookie held before sign-out could revoke sessions: a bare bearer token.
    staff = create_staff(db)
    bare = auth_service.issue_token(staff, now=clock.now()).access_token
    signer = TimestampSigner(get_settings().effective_secret_key.decode())
    data = b64encode(json.dumps({"token": bare, "csrf": "c"}).encode())
    client.cookies.set("supportline_console", signer.sign(data).decode(), path="/console")
    refused = client.get("/console/", follow_redirects=False)
    assert refused.headers["location"] == "/console/login"


def test_a_deactivated_account_loses_its_session(client: TestClient, db: Session) -> None:
    staff = create_staff(db)
    sign_in(client, staff)
    assert client.get("/console/").status_code == 200
    auth_service.set_active(db, staff=staff, active=False)
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_the_session_expires_when_left_idle(client: TestClient, db: Session, clock: Clock) -> None:
    staff = create_staff(db)
    sign_in(client, staff)
    clock.advance(minutes=get_settings().token_ttl_minutes - 1)
    assert client.get("/console/").status_code == 200  # activity keeps the session alive
    clock.advance(minutes=get_settings().token_ttl_minutes + 1)
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_helpers_start_on_the_referral_form(client: TestClient, db: Session) -> None:
    sign_in(client, create_staff(db, Role.helper))
    response = client.get("/console/", follow_redirects=False)
    assert response.headers["location"] == "/console/referrals/new"


def test_volunteers_and_coordinators_of_the_helpline_start_on_its_pages(
    client: TestClient, db: Session
) -> None:
    point = contact_point(db, create_staff(db, Role.admin), name="Kraków", volunteers=1)
    for person in (point.staff[0], point.coordinator):
        sign_in(client, person)
        response = client.get("/console/", follow_redirects=False)
        assert response.headers["location"] == "/console/helpline"


def test_cookie_is_not_secure_on_a_plain_http_address(db: Session, settings: Change) -> None:
    from supportline.app import create_app

    settings(public_base_url="http://127.0.0.1:8000")
    app = create_app()
    with TestClient(app, base_url="http://127.0.0.1:8000") as plain:
        cookie = plain.get("/console/login").headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "secure" not in cookie


def test_signing_in_again_looks_nobody_up_before_the_password_is_checked(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sign-in form verifies the password with no transaction open; reading who is signed
    # in (for the header of other pages) would open one for the whole request.
    staff = create_staff(db)
    sign_in(client, staff)
    looked_up: list[str] = []
    original = auth_service.staff_from_token

    def staff_from_token(session: Session, token: str, *, now: datetime) -> Staff:
        looked_up.append(token)
        return original(session, token, now=now)

    monkeypatch.setattr(auth_service, "staff_from_token", staff_from_token)
    assert sign_in(client, staff).status_code == 303
    assert looked_up == []
    assert client.get("/console/").status_code == 200 and len(looked_up) == 1
