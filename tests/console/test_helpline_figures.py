"""The month in figures in the console: a coordinator's page with its numbers, charts and CSV
link; a volunteer is refused; and nothing about any caller on the page or in the file."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from helpline import calls
from helpline.models import HelplineCall
from tests.clock import Clock
from tests.console.helpers import sign_in
from tests.factories import create_staff
from tests.helpline.world import CALLER, OTHER_CALLER, Point, contact_point, seat_now, weekly

MONDAY = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 18:00 in Warsaw


@pytest.fixture
def point(db: Session, clock: Clock) -> Point:
    """Warszawa on duty on Monday evenings; a call answered after 12 seconds, one that rang
    out, and one on Tuesday morning, out of hours."""
    clock.set(MONDAY)
    admin = create_staff(db, Role.admin)
    built = contact_point(db, admin, name="Warszawa")
    weekly(db, built, admin, MONDAY, days="mon", start="16:00", end="21:00", seats=2)
    seat_now(db, built, admin, MONDAY, *built.volunteers)
    calls.incoming(db, call_sid="CA" + "1" * 32, caller=CALLER, to=built.line, now=MONDAY)
    first = db.scalar(select(HelplineCall).where(HelplineCall.call_sid == "CA" + "1" * 32))
    assert first is not None
    calls.accept(db, leg_id=first.legs[0].id, digits="1", now=MONDAY + timedelta(seconds=12))
    later = MONDAY + timedelta(minutes=30)
    calls.incoming(db, call_sid="CA" + "2" * 32, caller=OTHER_CALLER, to=built.line, now=later)
    calls.dialled(
        db, call_sid="CA" + "2" * 32, call_status="in-progress", talk_seconds="", now=later
    )
    morning = MONDAY + timedelta(hours=15)  # Tuesday 09:00
    calls.incoming(db, call_sid="CA" + "3" * 32, caller=CALLER, to=built.line, now=morning)
    db.flush()
    return built


def test_a_coordinator_sees_the_month_in_figures_and_no_caller_data(
    client: TestClient, db: Session, clock: Clock, point: Point
) -> None:
    clock.set(MONDAY + timedelta(days=2))
    sign_in(client, point.coordinator)
    month = client.get(f"/console/helpline/{point.point.id}")
    assert f'href="/console/helpline/{point.point.id}/figures"' in month.text

    page = client.get(f"/console/helpline/{point.point.id}/figures?month=2026-03")
    download = client.get(f"/console/helpline/{point.point.id}/figures.csv?month=2026-03")

    assert page.status_code == 200, page.text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "Warszawa: March 2026 in figures" in text
    assert "Calls 3 Answered 1 Missed 1 Everyone busy 0 Out of hours 1" in text
    assert "Median wait 12 seconds" in text
    assert "Monday to Friday 3 1 33%" in text and "Saturday and Sunday 0 0 –" in text
    assert "Monday: 2 calls; Tuesday: 1 call;" in text  # the weekday chart, in words
    assert "18:00–18:59: 2 calls" in text and "09:00–09:59: 1 call" in text
    base = f"/console/helpline/{point.point.id}/figures"
    assert f'href="{base}?month=2026-02"' in page.text
    assert f'href="{base}.csv?month=2026-03"' in page.text
    assert download.status_code == 200
    assert download.headers["content-disposition"].endswith('-2026-03.csv"')
    assert "2026-03,calls_by_time,calls,Monday,18,2" in download.text
    stored = db.scalars(select(HelplineCall)).all()
    secrets = [CALLER, CALLER.lstrip("+"), OTHER_CALLER.lstrip("+")]
    secrets += [value for call in stored for value in (call.call_sid, call.caller_key) if value]
    assert len(secrets) == 9
    for secret in secrets:
        assert secret not in page.text and secret not in download.text


def test_a_volunteer_is_refused_and_is_not_offered_the_page(
    client: TestClient, point: Point
) -> None:
    sign_in(client, point.staff[0])
    month = client.get(f"/console/helpline/{point.point.id}")
    assert "/figures" not in month.text
    for suffix in ("figures", "figures.csv"):
        refused = client.get(f"/console/helpline/{point.point.id}/{suffix}")
        assert refused.status_code == 403
        assert "coordinators (or an admin) can do this" in refused.text


def test_a_malformed_month_is_a_page_that_says_how_to_write_one(
    client: TestClient, point: Point
) -> None:
    sign_in(client, point.coordinator)
    page = client.get(f"/console/helpline/{point.point.id}/figures?month=2026-13")
    assert page.status_code == 422
    assert "Choose a month as YYYY-MM, like 2026-03." in page.text


def test_a_month_partly_past_the_call_logs_retention_says_so(
    client: TestClient, point: Point, clock: Clock
) -> None:
    sign_in(client, point.coordinator)
    url = f"/console/helpline/{point.point.id}/figures?month=2026-03"
    notice = "Calls are kept for 365 days, so some of this month's calls are no longer counted."
    assert notice not in client.get(url).text.replace("&#39;", "'")
    clock.set(datetime(2027, 3, 10, 12, tzinfo=UTC))  # a year on: early March is gone
    sign_in(client, point.coordinator)
    assert notice in client.get(url).text.replace("&#39;", "'")
