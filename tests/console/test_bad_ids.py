"""Ids in console and API paths beyond any record: a clear 4xx, never the database's overflow."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import auth_headers, create_group, create_staff

HUGE = 2**63


@pytest.mark.parametrize(
    "path",
    [
        f"/console/groups/{HUGE}",
        f"/console/memberships/{HUGE}",
        f"/console/meetings/{HUGE}/live",
        "/console/admin/audit?offset=" + str(HUGE),
    ],
)
def test_a_console_page_for_an_impossible_id_is_a_clear_error(
    client: TestClient, db: Session, path: str
) -> None:
    sign_in(client, create_staff(db, Role.admin))
    response = client.get(path, follow_redirects=False)
    assert 400 <= response.status_code < 500, response.text


def test_deactivating_an_impossible_account_is_a_clear_error(
    client: TestClient, db: Session
) -> None:
    sign_in(client, create_staff(db, Role.admin))
    response = post_form(client, f"/console/admin/staff/{HUGE}/active", {"active": "no"})
    assert 400 <= response.status_code < 500, response.text


def test_a_deliveries_page_far_beyond_the_last_is_a_clear_error(
    client: TestClient, db: Session, clock: Clock
) -> None:
    sign_in(client, create_staff(db, Role.admin))
    group = create_group(db, now=clock.now())
    response = client.get(f"/console/groups/{group.id}/deliveries?offset={HUGE}")
    assert 400 <= response.status_code < 500, response.text


def test_an_api_participant_with_an_impossible_id_is_a_clear_error(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    headers = auth_headers(client, moderator)
    group = create_group(db, now=clock.now(), moderator=moderator)
    meeting_id = client.get(f"/api/v1/groups/{group.id}/meetings", headers=headers).json()["items"][
        0
    ]["id"]
    url = f"/api/v1/meetings/{meeting_id}/participants/{HUGE}/mute"
    response = client.post(url, headers=headers)
    assert response.status_code == 422
    assert "call_id" in response.json()["detail"]
