"""The month in figures in Chromium on a phone-sized screen: a coordinator picks a month,
reads its numbers, charts and heat map, and downloads it as CSV; nothing about any caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from helpline.models import CallOutcome, HelplineCall
from tests.console.conftest import LiveServer
from tests.console.test_browser import look, seed, sign_in
from tests.factories import create_staff
from tests.helpline.world import contact_point

pytestmark = pytest.mark.browser
KEY = "c" * 64  # a caller's keyed hash, as the helpline stores it


@dataclass(frozen=True)
class Seeded:
    coordinator: Staff
    point_id: int
    sids: list[str]


def _march_of_calls(session: Session) -> Seeded:
    """London in March 2026, the month the clocks go forward: four calls at 19:00 UTC, two
    before the change (19:00 GMT) and two after (20:00 BST), one of them missed."""
    admin = create_staff(session, Role.admin)
    built = contact_point(session, admin, name="Croydon", language="en", zone="Europe/London")
    sids = []
    for index, day in enumerate((3, 10, 30, 31)):
        started_at = datetime(2026, 3, day, 19, 0, tzinfo=UTC)
        call = HelplineCall(
            call_sid=f"CA{index:032d}",
            language="en",
            contact_point_id=built.point.id,
            caller_key=KEY,
            started_at=started_at,
            outcome=CallOutcome.missed if day == 31 else CallOutcome.answered,
            answered_at=None if day == 31 else started_at + timedelta(seconds=20),
        )
        session.add(call)
        sids.append(call.call_sid or "")
    return Seeded(built.coordinator, built.point.id, sids)


def test_a_coordinator_on_a_phone_reads_a_month_in_figures_and_downloads_it(
    page: Page, live_server: LiveServer
) -> None:
    seeded = seed(live_server, _march_of_calls)
    sign_in(page, live_server, seeded.coordinator)
    page.get_by_role("link", name="Helpline").click()
    page.get_by_role("link", name="Croydon").click()
    page.get_by_role("link", name="Month in figures").click()
    expect(page.get_by_role("heading", name="The month at a glance")).to_be_visible()

    page.get_by_label("Show another month").fill("2026-03")
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_role("heading", name="Croydon: March 2026 in figures")).to_be_visible()
    glance = page.locator("section.card")
    expect(glance.locator("div", has_text="Calls").first.locator("dd")).to_have_text("4")
    expect(glance.locator("div", has_text="Median wait").locator("dd")).to_have_text("20 seconds")
    expect(page.get_by_role("img", name="Calls by hour of the day")).to_be_visible()
    expect(page.get_by_role("img")).to_have_count(3)
    heat = page.locator("table.heat")
    evening = heat.locator("tr", has=page.locator("th", has_text="19"))
    later = heat.locator("tr", has=page.locator("th", has_text="20"))
    expect(evening.locator("td.heat-4")).to_have_text(["2"])  # Tuesday 19:00, the busiest
    expect(later.locator("td.heat-2")).to_have_text(["1", "1"])  # Monday, Tuesday 20:00
    look(page, "helpline-figures")
    for secret in [KEY, *seeded.sids]:
        assert secret not in page.content()

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download March 2026 as CSV").click()
    download = downloading.value
    assert download.suggested_filename == f"helpline-figures-{seeded.point_id}-2026-03.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert "2026-03,calls,total,,,4" in text
    assert "2026-03,calls_by_time,calls,Tuesday,19,2" in text  # 3 and 10 March, GMT
    assert "2026-03,calls_by_time,calls,Monday,20,1" in text  # 30 March, BST
    assert KEY not in text

    page.get_by_role("link", name="Previous month").click()
    expect(page.get_by_role("heading", name="Croydon: February 2026 in figures")).to_be_visible()
    expect(page.get_by_text("Median wait", exact=True)).to_be_visible()
