"""The month in figures over the API: JSON and a CSV download for a coordinator, a clear
answer to a malformed month, zeros for a month to come, and no caller's data in either."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role
from helpline.models import CallOutcome
from tests.clock import Clock
from tests.factories import auth_headers, create_staff
from tests.helpline.test_figures import add_call, utc
from tests.helpline.world import contact_point

URL = "/api/v1/helpline/contact-points/{}/figures"


def test_a_coordinator_reads_the_month_and_downloads_it_without_any_caller_data(
    client: TestClient, db: Session, clock: Clock
) -> None:
    clock.set(utc(2026, 3, 20, 12))
    point = contact_point(db, create_staff(db, Role.admin), name="Warszawa")
    calls = [
        add_call(db, point.point, utc(2026, 3, 10, 18), wait=6),
        add_call(db, point.point, utc(2026, 3, 14, 18), CallOutcome.missed),
    ]
    headers = auth_headers(client, point.coordinator)

    found = client.get(URL.format(point.point.id), params={"month": "2026-03"}, headers=headers)
    download = client.get(
        URL.format(point.point.id) + ".csv", params={"month": "2026-03"}, headers=headers
    )
    now = client.get(URL.format(point.point.id), headers=headers)

    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["month"], body["complete"], body["calls"]) == ("2026-03", False, 2)
    assert body["outcomes"]["answered"] == 1 and body["outcomes"]["missed"] == 1
    assert body["by_weekday_hour"][1][19] == 1  # Tuesday 19:00 in Warsaw
    assert body["voicemails"] == 0 and body["median_wait_seconds"] == 6.0
    assert now.json() == body  # no month: the current local month
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == (
        f'attachment; filename="helpline-figures-{point.point.id}-2026-03.csv"'
    )
    assert "2026-03,outcome,missed,,,1" in download.text
    for call in calls:
        for secret in (call.call_sid, call.caller_key):
            assert secret and secret not in found.text and secret not in download.text


@pytest.mark.parametrize("month", ["2026-13", "03-2026", "last", "2026-03-01"])
def test_a_malformed_month_is_a_422_that_says_how_to_write_one(
    client: TestClient, db: Session, month: str
) -> None:
    point = contact_point(db, create_staff(db, Role.admin), name="Warszawa")
    headers = auth_headers(client, point.coordinator)
    for suffix in ("", ".csv"):
        response = client.get(
            URL.format(point.point.id) + suffix, params={"month": month}, headers=headers
        )
        assert response.status_code == 422
        assert response.json() == {
            "error": "invalid_input",
            "detail": "choose a month as YYYY-MM, like 2026-03",
        }


def test_a_month_to_come_is_the_figures_so_far_zeros(
    client: TestClient, db: Session, clock: Clock
) -> None:
    clock.set(utc(2026, 3, 20, 12))
    point = contact_point(db, create_staff(db, Role.admin), name="Warszawa")
    add_call(db, point.point, utc(2026, 3, 10, 18), wait=6)
    headers = auth_headers(client, point.coordinator)
    response = client.get(URL.format(point.point.id), params={"month": "2026-05"}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["calls"], body["complete"], body["median_wait_seconds"]) == (0, False, None)
    assert body["shifts"] == {
        "planned": 0,
        "filled": 0,
        "cancelled": 0,
        "no_shows": 0,
        "covered": 0,
    }
