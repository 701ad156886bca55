"""An admin on a phone adds a contact point and its line, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from groups import service as groups_service
from groups.schemas import LineCreate
from tests.console.conftest import LiveServer
from tests.console.test_browser import look, seed, sign_in
from tests.factories import create_staff

pytestmark = pytest.mark.browser


def _admin_with_a_free_line(session: Session) -> Staff:
    admin = create_staff(session, Role.admin)
    groups_service.create_line(
        session, actor=admin, data=LineCreate(number="+48583004455", language="en")
    )
    return admin


def test_an_admin_on_a_phone_adds_a_contact_point(page: Page, live_server: LiveServer) -> None:
    admin = seed(live_server, _admin_with_a_free_line)
    sign_in(page, live_server, admin)
    page.get_by_role("link", name="Helpline").click()
    page.get_by_role("link", name="Add a contact point").click()
    page.get_by_label("Name").fill("Sopot")
    page.get_by_label("Time zone").fill("Europe/Nowhere")
    page.get_by_role("button", name="Add the contact point").click()
    expect(page.get_by_text("Please check the form")).to_be_visible()
    look(page, "helpline-new-point-refused")
    page.get_by_label("Time zone").fill("Europe/Warsaw")
    page.get_by_label("Its phone line").select_option(label="+48583004455")
    page.get_by_role("button", name="Add the contact point").click()
    expect(page.get_by_text("Sopot is added.")).to_be_visible()
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_text("+48583004455")).to_be_visible()
    look(page, "helpline-settings")
