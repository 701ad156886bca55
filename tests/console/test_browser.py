"""The console in Chromium against the real server, on a phone-sized screen (390×844)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx2
import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from core.database import utcnow
from core.schemas import WEEKDAYS
from groups.models import Group, Membership, MembershipStatus
from groups.service import Credentials
from notifications.models import Kind, OutboxMessage, Status
from supportline.emulator.delivery import http_transport
from supportline.emulator.local import Handset, LocalTwilio
from tests.console.conftest import SCREENSHOTS, LiveServer, TwilioLiveServer
from tests.emulators.fixtures import TEST_ACCOUNT_SID
from tests.factories import (
    MEMBER_PHONES,
    PASSWORD,
    create_group,
    create_member,
    create_staff,
)
from tests.fixtures.live import LiveMeeting, meeting_in_progress

pytestmark = pytest.mark.browser
T = TypeVar("T")

UNLABELLED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button')]
  .filter(e => e.tagName === 'BUTTON'
    ? !(e.textContent.trim() || e.getAttribute('aria-label'))
    : e.labels.length === 0 && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id || e.tagName)"""
HORIZONTAL_OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
FOCUSED_LABEL = "() => document.activeElement.getAttribute('aria-label')"


def seed(server: LiveServer, build: Callable[[Session], T]) -> T:
    with server.sessions.begin() as session:
        return build(session)


def look(page: Page, name: str) -> None:
    """Save a screenshot, and check what every page must satisfy on a phone."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert page.evaluate(HORIZONTAL_OVERFLOW) <= 0, f"{name} scrolls sideways"
    assert page.evaluate(UNLABELLED_CONTROLS) == [], f"{name} has unlabelled controls"


def sign_in(page: Page, server: LiveServer, staff: Staff) -> None:
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def _moderated_group(server: LiveServer, name: str | None = None) -> tuple[Staff, Group]:
    """A group whose meetings are days away whenever the test runs: a meeting under way (the
    factory's default slots are Monday and Thursday 20:00) could not be cancelled or moved."""
    later = utcnow().astimezone(ZoneInfo("Europe/Warsaw")) + timedelta(days=2)
    slots = [(WEEKDAYS[later.weekday()], "20:00")]

    def build(session: Session) -> tuple[Staff, Group]:
        moderator = create_staff(session)
        group = create_group(session, now=utcnow(), moderator=moderator, name=name, slots=slots)
        return moderator, group

    return seed(server, build)


def test_login_page_fits_a_phone_screen(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/console/login")
    assert page.viewport_size == {"width": 390, "height": 844}
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    look(page, "login")


def test_sign_in_with_the_keyboard_only_and_see_my_groups(
    page: Page, live_server: LiveServer
) -> None:
    moderator, _group = _moderated_group(live_server, "Thursday evening circle")
    page.goto(f"{live_server.url}/console/login")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "username":
            break
    page.keyboard.type(moderator.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/console/")
    expect(page.get_by_role("heading", name="Thursday evening circle")).to_be_visible()
    expect(page.get_by_text("Next meetings")).to_be_visible()
    look(page, "my-groups")


def test_helper_refers_a_caller_and_the_moderator_approves_and_sees_the_credentials(
    page: Page, live_server: LiveServer
) -> None:
    moderator, group = _moderated_group(live_server, "Monday support group")
    helper = seed(live_server, lambda session: create_staff(session, Role.helper))
    sign_in(page, live_server, helper)
    expect(page.get_by_role("heading", name="Refer a caller to a group")).to_be_visible()
    look(page, "referral-form")
    page.get_by_label("Group", exact=True).select_option(label=f"{group.name} (English)")
    page.get_by_label("Alias").fill("Marta")
    page.get_by_label("Phone number").fill("12345")
    page.get_by_label("E-mail address").fill("marta@example.org")
    page.get_by_role("button", name="File the referral").click()
    expect(page.locator("#phone-error")).to_contain_text("international form")
    expect(page.locator("#consent-error")).to_contain_text("consent is required")
    assert "12345" not in page.url and "marta" not in page.url
    look(page, "referral-form-errors")
    page.get_by_label("Phone number").fill(MEMBER_PHONES[0])
    page.get_by_label("The caller agreed").check()
    page.get_by_role("button", name="File the referral").click()
    expect(page.get_by_text("Thank you: the referral is filed.")).to_be_visible()
    assert page.url == f"{live_server.url}/console/referrals/new"
    sign_out(page)

    sign_in(page, live_server, moderator)
    page.get_by_role("link", name="Referral queue").click()
    expect(page.get_by_role("heading", name="Marta")).to_be_visible()
    look(page, "referral-queue")
    page.get_by_role("button", name="Approve Marta").click()
    expect(page.get_by_role("heading", name=re.compile("Approved: Marta"))).to_be_visible()
    expect(page.locator("#participant-number")).to_have_text(re.compile(r"^\d{8,15}$"))
    expect(page.locator("#pin")).to_have_text(re.compile(r"^\d{4,12}$"))
    expect(page.get_by_text("Shown only once.")).to_be_visible()
    look(page, "credentials")
    # The phone's browser opens the same address again (a restored tab): nothing is repeated,
    # the moderator lands on the new member with a word why, the console around them.
    page.goto(page.url)
    expect(page.get_by_role("heading", name="Marta")).to_be_visible()
    expect(page.locator(".flash")).to_contain_text("approved earlier; nothing was done again")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    look(page, "approve-address-opened-again")
    page.get_by_role("link", name="Monday support group").click()
    expect(page.get_by_role("link", name="Marta")).to_be_visible()


def test_the_referral_forms_language_follows_the_group_chosen(
    page: Page, live_server: LiveServer
) -> None:
    def build(session: Session) -> tuple[Staff, Group, Group]:
        helper = create_staff(session, Role.helper)
        polish = create_group(session, now=utcnow(), name="Kraków circle", language="pl")
        hebrew = create_group(session, now=utcnow(), name="Haifa circle", language="he")
        return helper, polish, hebrew

    helper, polish, hebrew = seed(live_server, build)
    sign_in(page, live_server, helper)
    group, language = page.get_by_label("Group", exact=True), page.get_by_label("Language")
    first = group.locator("option:checked").get_attribute("data-language")
    expect(language).to_have_value(first or "")  # the group shown first, with its language
    group.select_option(label=f"{hebrew.name} (Hebrew)")
    expect(language).to_have_value("he")
    group.select_option(label=f"{polish.name} (Polish)")
    expect(language).to_have_value("pl")
    look(page, "referral-form-language")
    language.select_option("en")  # the caller prefers English: a choice by hand stays
    group.select_option(label=f"{hebrew.name} (Hebrew)")
    expect(language).to_have_value("en")


def test_a_cancelled_meeting_shows_its_notice(page: Page, live_server: LiveServer) -> None:
    moderator, _group = _moderated_group(live_server)
    sign_in(page, live_server, moderator)
    page.get_by_role("link", name=re.compile("^Group ")).first.click()
    look(page, "group")
    page.get_by_role("link", name=re.compile("^Topic, move or cancel")).first.click()
    look(page, "meeting")
    page.get_by_role("link", name="Cancel this meeting…").click()
    expect(page.get_by_text("cancellation notice instead of the reminder")).to_be_visible()
    look(page, "cancel-confirm")
    page.get_by_role("button", name="Yes, cancel the meeting").click()
    expect(page.locator(".flash")).to_contain_text("is cancelled")
    cancelled = page.locator(".row.cancelled").first
    expect(cancelled).to_contain_text("Cancelled")
    expect(cancelled).to_contain_text("Members get a cancellation notice instead of the reminder.")
    look(page, "group-cancelled")


def test_a_form_posted_without_its_csrf_token_is_refused(
    page: Page, live_server: LiveServer
) -> None:
    moderator, group = _moderated_group(live_server)
    member = seed(live_server, lambda session: create_member(session, group, now=utcnow()))
    sign_in(page, live_server, moderator)
    page.goto(f"{live_server.url}/console/memberships/{member.membership.id}")
    look(page, "member")
    suspend = page.locator("form", has=page.get_by_role("button", name="Suspend"))
    suspend.locator("input[name=csrf_token]").evaluate("field => field.remove()")
    suspend.get_by_role("button", name="Suspend").click()
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("could not be accepted")).to_be_visible()
    expect(page.get_by_role("link", name="Referral queue")).to_be_visible()
    look(page, "csrf-refused")
    status = seed(
        live_server, lambda session: session.get_one(Membership, member.membership.id).status
    )
    assert status is MembershipStatus.active


def test_a_moderator_cannot_open_another_groups_pages(page: Page, live_server: LiveServer) -> None:
    moderator, _mine = _moderated_group(live_server)
    _other_moderator, other = _moderated_group(live_server, "Not my group")
    sign_in(page, live_server, moderator)
    expect(page.get_by_text("Not my group")).to_have_count(0)
    response = page.goto(f"{live_server.url}/console/groups/{other.id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("Not my group")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    look(page, "other-group-404")


def test_admin_pages_and_the_audited_contact_view(page: Page, live_server: LiveServer) -> None:
    def build(session: Session) -> tuple[Staff, Group, Membership]:
        admin = create_staff(session, Role.admin)
        group = create_group(session, now=utcnow(), moderator=admin, name="Admin's group")
        member = create_member(session, group, now=utcnow(), alias="Ola")
        return admin, group, member.membership

    admin, group, membership = seed(live_server, build)
    sign_in(page, live_server, admin)
    page.goto(f"{live_server.url}/console/groups/{group.id}/schedule")
    look(page, "schedule")
    page.goto(f"{live_server.url}/console/memberships/{membership.id}")
    page.get_by_role("button", name="Show phone and e-mail").click()
    expect(page.get_by_role("heading", name="Contact data of Ola")).to_be_visible()
    look(page, "contact")
    page.get_by_role("link", name="My groups").click()
    page.get_by_role("link", name="New group").click()
    look(page, "new-group")
    page.get_by_role("link", name="Staff").click()
    look(page, "staff")
    page.get_by_role("link", name="Lines").click()
    look(page, "lines")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_text("looked at a member's phone and e-mail").first).to_be_visible()
    expect(page.get_by_text("membership.view_contact")).to_have_count(0)
    look(page, "audit")
    page.goto(f"{live_server.url}/console/memberships/{membership.id}/eject")
    expect(page.get_by_text("This is permanent.")).to_be_visible()
    look(page, "eject-confirm")


def _dial_in(twilio: LocalTwilio, live: LiveMeeting, credentials: Credentials) -> Handset:
    call = twilio.dial(live.line_number, MEMBER_PHONES[7])
    call.press(credentials.participant_number).press(credentials.pin)
    assert call.state == "in_conference", call.said
    return call


def test_a_caller_appears_in_the_live_panel_and_is_muted_then_kicked_through_twilio(
    page: Page, twilio_live_server: TwilioLiveServer
) -> None:
    server = twilio_live_server.server
    live = seed(server, meeting_in_progress)
    with httpx2.Client(timeout=10) as http:
        twilio = LocalTwilio(
            http_transport(http, server=server.url, public_url=server.url),
            auth_token=twilio_live_server.auth_token,
            voice_url=f"{server.url}/twilio/voice",
        )
        _dial_in(twilio, live, live.moderator_phone)
        sign_in(page, server, live.moderator)
        expect(page.locator(".meetings li", has_text="now — in progress")).to_contain_text(
            "Live panel"
        )
        look(page, "my-groups-meeting-in-progress")
        page.get_by_role("link", name=re.compile("^Live panel")).first.click()
        expect(page.get_by_role("heading", name="Live: Live circle")).to_be_visible()
        expect(page.locator(".participant")).to_have_count(1)
        look(page, "live-panel-moderator-only")

        # Signed webhooks: the line, the participant number, the PIN, then Twilio's join callback.
        caller = _dial_in(twilio, live, live.member)
        row = page.locator(".participant", has_text="Zofia")
        expect(row).to_be_visible(timeout=2000)
        expect(row).to_contain_text("member")
        expect(page.locator(".live-status")).to_contain_text("2 in the call")
        look(page, "live-panel")

        # A refresh keeps the keyboard where it was: Twilio says Zofia speaks while the
        # moderator's focus is on her Hold button; then Shift+Tab and Enter mute her.
        page.get_by_role("button", name="Hold Zofia").focus()
        caller.speak()
        expect(row.locator(".badge.speaking")).to_be_visible(timeout=2000)
        assert page.evaluate(FOCUSED_LABEL) == "Hold Zofia"
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(FOCUSED_LABEL) == "Mute Zofia"
        page.keyboard.press("Enter")
        expect(page.locator(".flash")).to_have_text("Muted.")
        expect(row.locator(".badge.muted")).to_be_visible()
        look(page, "live-panel-muted")
        page.get_by_role("button", name="Kick Zofia").click()
        expect(page.locator(".flash")).to_contain_text("Removed from this call.")
        expect(row).to_have_count(0)
        look(page, "live-panel-after-kick")

    conference = twilio.room_of(caller).sid
    participant = (
        f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Conferences/{conference}"
        f"/Participants/{caller.sid}.json"
    )
    sent = [r for r in twilio_live_server.rest.seen() if "/Participants/" in r.path]
    assert [(r.method, r.path, r.form) for r in sent] == [
        ("POST", participant, {"Muted": ["true"]}),
        ("DELETE", participant, {}),
    ]
    assert [r.status for r in sent] == [200, 204]  # Prism accepted both as valid Twilio requests


def test_deliveries_show_a_failure_and_the_invitation_is_sent_again(
    page: Page, live_server: LiveServer
) -> None:
    def build(session: Session) -> tuple[Staff, Group]:
        moderator = create_staff(session)
        group = create_group(session, now=utcnow(), moderator=moderator, name="Deliveries group")
        member = create_member(session, group, now=utcnow(), alias="Ewa")
        messages = session.scalars(
            select(OutboxMessage).where(OutboxMessage.membership_id == member.membership.id)
        )
        by_kind = {message.kind: message for message in messages}
        pin, invitation = by_kind[Kind.pin], by_kind[Kind.invitation]
        pin.status, pin.last_error = Status.failed, "twilio refused the number (error 21610)"
        # What the dispatcher does on a server without an e-mail service.
        invitation.status, invitation.last_error = Status.no_provider, "no provider configured"
        return moderator, group

    moderator, group = seed(live_server, build)
    sign_in(page, live_server, moderator)
    page.goto(f"{live_server.url}/console/groups/{group.id}")
    page.get_by_role("link", name=re.compile("^Deliveries")).click()
    expect(page.get_by_role("heading", name="Deliveries: Deliveries group")).to_be_visible()
    failed = page.locator(".delivery", has_text="PIN by SMS")
    expect(failed).to_contain_text("Reason: Twilio refused the number (error 21610).")
    # No SMS service on this server: the new PIN is offered, disabled, with why beside it.
    expect(failed.get_by_role("button", name="Send a new PIN")).to_be_disabled()
    expect(failed).to_contain_text("Cannot be sent: no SMS service is set up on this server yet.")
    held = page.locator(".delivery", has_text="Invitation e-mail")
    expect(held).to_contain_text("Held: no e-mail service is set up on this server yet")
    expect(held.locator(".badge, .reason")).to_have_count(0)
    look(page, "deliveries")
    page.locator(".delivery", has_text="Invitation e-mail").get_by_role(
        "button", name="Send the invitation again"
    ).click()
    expect(page.locator(".flash")).to_contain_text("The invitation e-mail is queued again")
    expect(page.locator(".delivery", has_text="Invitation e-mail")).to_have_count(2)
    page.get_by_role("link", name="failed").click()
    expect(page.locator(".delivery")).to_have_count(1)
    look(page, "deliveries-failed")


def _offline(page: Page) -> list[str]:
    """Let the page reach this machine's server only, as on a network without internet; the
    addresses of everything else it tried are returned (filled in as it loads)."""
    tried: list[str] = []

    def only_here(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            tried.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    return tried


def test_the_api_docs_list_the_operations_without_internet(
    page: Page, live_server: LiveServer
) -> None:
    tried = _offline(page)
    page.goto(f"{live_server.url}/docs")
    token = page.locator(".opblock", has_text="/api/v1/auth/token")
    expect(token).to_be_visible()
    assert page.locator(".opblock").count() > 20
    # Not look(): Swagger UI and ReDoc are others' pages, with icon buttons of their own.
    page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))

    page.goto(f"{live_server.url}/redoc")
    expect(page.get_by_role("heading", name=re.compile(r"\bReadyz$")).first).to_be_attached()
    expect(page.get_by_text("/api/v1/auth/token").first).to_be_attached()
    page.screenshot(path=str(SCREENSHOTS / "api-redoc.png"))
    assert tried == []
