"""Signing in to the console and posting its forms the way a browser does."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx2 import Response

from auth.models import Staff
from tests.factories import PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, staff: Staff, password: str = PASSWORD) -> Response:
    page = client.get("/console/login")
    return client.post(
        "/console/login",
        data={"username": staff.username, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )


def post_form(
    client: TestClient, path: str, data: dict[str, str] | None = None, *, page: str = "/console/"
) -> Response:
    """Post a form with the CSRF token taken from a console page, as the browser would."""
    token = csrf_from(client.get(page).text)
    return client.post(path, data={**(data or {}), "csrf_token": token}, follow_redirects=False)
