"""A volunteer on duty checks in from the console on a phone, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from core.database import utcnow
from tests.console.conftest import LiveServer
from tests.console.test_browser import look, seed, sign_in
from tests.factories import create_staff
from tests.helpline.world import contact_point, seat_now, weekly


def _on_duty_now(session: Session) -> tuple[Staff, int]:
    """Gdynia staffed round the clock, its volunteer on the shift running now."""
    admin = create_staff(session, Role.admin)
    built = contact_point(session, admin, name="Gdynia", volunteers=1)
    now = utcnow()
    days = "mon tue wed thu fri sat sun"
    weekly(session, built, admin, now, days=days, start="00:00", end="12:00")
    weekly(session, built, admin, now, days=days, start="12:00", end="00:00")
    seat_now(session, built, admin, now, built.volunteers[0])
    return built.staff[0], built.point.id


@pytest.mark.browser
def test_a_volunteer_on_duty_checks_in_from_the_phone(page: Page, live_server: LiveServer) -> None:
    volunteer, point_id = seed(live_server, _on_duty_now)
    sign_in(page, live_server, volunteer)
    page.goto(f"{live_server.url}/console/helpline/{point_id}")
    page.get_by_role("link", name="Check-in").click()
    expect(page.get_by_text("not checked in")).to_be_visible()
    look(page, "helpline-checkin")
    page.get_by_role("button", name="I am here").click()
    expect(page.get_by_role("status")).to_contain_text("Checked in at")
    expect(page.locator(".badge", has_text="checked in at")).to_contain_text("(console)")
    expect(page.get_by_role("button", name="I am here")).to_have_count(0)
    look(page, "helpline-checked-in")
