"""Counts read as English does: "1 referral", "2 referrals" (ngettext's forms), never "(s)"."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.clock import Clock
from tests.console.helpers import sign_in
from tests.factories import create_group, create_referral, create_staff
from tests.fixtures.calls import World
from tests.fixtures.settings import Change


def test_the_referrals_waiting_on_a_group_page_are_counted_in_words(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    sign_in(client, moderator)
    for count in (1, 2):
        create_referral(db, group, now=clock.now())
        page = client.get(f"/console/groups/{group.id}").text
        words = "1 referral waiting" if count == 1 else "2 referrals waiting"
        assert f"{words} for approval" in page
        assert "(s)" not in page


def test_a_pause_and_an_extension_of_one_minute_say_minute(
    client: TestClient, db: Session, world: World, settings: Change
) -> None:
    settings(extension_minutes=1, login_failure_window_minutes=1, login_max_failures=1)
    staff = create_staff(db)
    assert sign_in(client, staff, password="not the password").status_code == 401
    throttled = sign_in(client, staff)
    assert throttled.status_code == 429
    assert "paused for up to 1 minute to keep it safe" in throttled.text
    sign_in(client, world.moderator_staff)
    page = client.get(f"/console/meetings/{world.meeting.id}/live").text
    assert "Extend by 1 minute<" in page
    assert "0 wrong PINs typed" in page
