"""The rota in Chromium on a phone-sized screen: a coordinator generates next month's rota and
sees which group covers each shift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from core.database import utcnow
from helpline import rota
from helpline.rota_schemas import ServingGroupCreate
from tests.console.conftest import LiveServer
from tests.console.test_browser import look, seed, sign_in
from tests.factories import create_staff
from tests.helpline.world import contact_point, weekly

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    coordinator: Staff
    next_month: str  # "February 2027"


def _point_with_groups(session: Session) -> Seeded:
    admin = create_staff(session, Role.admin)
    built = contact_point(session, admin, name="Bielsko-Biała", volunteers=2)
    now = utcnow()
    weekly(session, built, admin, now, days="mon thu", start="16:00", end="20:00", seats=2)
    for name, phone in (("Grupa Jedność", "+48600555301"), ("Grupa Nadzieja", "+48600555302")):
        data = ServingGroupCreate(name=name, contact_name="Rep", contact_phone=phone)
        rota.add_group(session, built.point, actor=admin, data=data)
    today = now.astimezone(ZoneInfo(built.point.time_zone)).date()
    following = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return Seeded(built.coordinator, following.strftime("%B %Y"))


def test_a_coordinator_on_a_phone_generates_next_months_rota(
    page: Page, live_server: LiveServer
) -> None:
    seeded = seed(live_server, _point_with_groups)
    sign_in(page, live_server, seeded.coordinator)
    page.get_by_role("link", name="Helpline").click()
    page.get_by_role("link", name="Bielsko-Biała").click()
    page.get_by_role("link", name="Rota").click()
    page.get_by_role("link", name="Next month").click()
    expect(page.get_by_text(f"No rota for {seeded.next_month} yet.")).to_be_visible()
    look(page, "helpline-rota-empty")
    page.get_by_role("button", name=f"Generate the rota of {seeded.next_month}").click()
    expect(page.get_by_text(f"The rota of {seeded.next_month} is ready")).to_be_visible()
    expect(page.locator("strong.group", has_text="Grupa Jedność").first).to_be_visible()
    expect(page.locator("strong.group", has_text="Grupa Nadzieja").first).to_be_visible()
    look(page, "helpline-rota")
