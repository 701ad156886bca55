"""The helpline's month in Chromium on a phone-sized screen: a volunteer signs up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from console.helpline_views import describe
from core.database import utcnow
from helpline import shifts
from helpline.schedule import month_key
from tests.console.conftest import LiveServer
from tests.console.test_browser import look, seed, sign_in
from tests.factories import create_staff
from tests.helpline.world import contact_point, weekly

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    volunteer: Staff
    point_name: str
    when: str  # the next shift, as the page says it
    month: str  # its month, YYYY-MM
    this_month: str


def _point_with_evening_shifts(session: Session) -> Seeded:
    """Every evening 18:00–22:00 in Warsaw, two seats, no sign-up cut-off: the next shift is
    open whenever the test runs."""
    admin = create_staff(session, Role.admin)
    built = contact_point(session, admin, name="Gdańsk", volunteers=1)
    built.point.signup_cutoff_hours = 0
    now = utcnow()
    weekly(
        session,
        built,
        admin,
        now,
        days="mon tue wed thu fri sat sun",
        start="18:00",
        end="22:00",
        seats=2,
    )
    fortnight = shifts.shifts_between(
        session, built.point, now.date() - timedelta(days=1), now.date() + timedelta(days=14)
    )
    shift = min((s for s in fortnight if s.starts_at > now), key=lambda s: s.starts_at)
    today = now.astimezone(ZoneInfo(built.point.time_zone)).date()
    return Seeded(
        volunteer=built.staff[0],
        point_name=built.point.name,
        when=describe(built.point, shift),
        month=month_key(shift.local_date),
        this_month=month_key(today),
    )


def test_a_volunteer_on_a_phone_opens_the_month_and_signs_up(
    page: Page, live_server: LiveServer
) -> None:
    seeded = seed(live_server, _point_with_evening_shifts)
    sign_in(page, live_server, seeded.volunteer)
    page.get_by_role("link", name="Helpline").click()
    page.get_by_role("link", name="Gdańsk").click()
    expect(page.get_by_role("heading", name="On duty now")).to_be_visible()
    if seeded.month != seeded.this_month:
        page.get_by_role("link", name="Next month").click()
    look(page, "helpline-month")
    page.get_by_role("button", name=f"Sign up for {seeded.when}").click()
    expect(page.get_by_text(f"Thank you: you are on duty {seeded.when}.")).to_be_visible()
    expect(page.get_by_role("button", name=f"Withdraw from {seeded.when}")).to_be_visible()
    expect(page.get_by_text(f"{seeded.volunteer.username} (you)").first).to_be_visible()
    look(page, "helpline-signed-up")
