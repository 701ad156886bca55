"""Pages for what went wrong keep the header, the navigation and Sign out; a button's address
opened as a page (a reload, a restored tab) leads back to the page the button is on."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from console import views
from groups import members as members_service
from groups.models import Referral, ReferralStatus
from tests.clock import Clock
from tests.console.helpers import csrf_from, post_form, sign_in
from tests.factories import create_group, create_member, create_referral, create_staff

NOTHING_DONE = "Nothing was done: that address works only with its button"


def assert_console_frame(html: str, staff: Staff) -> None:
    """The page has the header with who is signed in, the navigation and Sign out."""
    assert f'<span class="who">{staff.username} ' in html
    assert 'nav aria-label="Console"' in html
    assert ">Sign out</button>" in html


def _referral_signed_in(client: TestClient, db: Session, clock: Clock) -> Referral:
    """A referral waiting in a group of a moderator who is signed in."""
    moderator = create_staff(db)
    sign_in(client, moderator)
    group = create_group(db, now=clock.now(), moderator=moderator)
    return create_referral(db, group, now=clock.now(), alias="Kasia")


def test_opening_the_approve_address_after_approving_leads_to_the_new_member(
    client: TestClient, db: Session, clock: Clock
) -> None:
    referral = _referral_signed_in(client, db, clock)
    approved = post_form(client, f"/console/referrals/{referral.id}/approve")
    assert approved.status_code == 200 and "Approved: Kasia" in approved.text
    again = client.get(f"/console/referrals/{referral.id}/approve", follow_redirects=False)
    membership = members_service.membership_of_referral(db, referral)
    assert membership is not None
    assert again.status_code == 303
    assert again.headers["location"] == f"/console/memberships/{membership.id}"
    page = client.get(again.headers["location"]).text
    assert "This referral was approved earlier; nothing was done again." in page
    assert "use Reset the PIN" in page
    assert referral.status is ReferralStatus.approved


def test_opening_a_decision_address_of_a_waiting_or_rejected_referral_changes_nothing(
    client: TestClient, db: Session, clock: Clock
) -> None:
    referral = _referral_signed_in(client, db, clock)
    for action in ("approve", "reject"):
        waiting = client.get(f"/console/referrals/{referral.id}/{action}", follow_redirects=False)
        assert waiting.headers["location"] == f"/console/referrals#referral-{referral.id}"
        assert "the referral is still waiting" in client.get("/console/referrals").text
        assert referral.status is ReferralStatus.pending
    post_form(client, f"/console/referrals/{referral.id}/reject")
    rejected = client.get(f"/console/referrals/{referral.id}/approve")
    assert "This referral was rejected earlier; nothing was changed." in rejected.text
    assert referral.status is ReferralStatus.rejected


def test_another_buttons_address_opened_as_a_page_leads_back_to_its_page(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    member = create_member(db, group, now=clock.now())
    sign_in(client, moderator)
    member_page = f"/console/memberships/{member.membership.id}"
    for action in ("contact", "reset-pin", "suspend", "resend/pin"):
        response = client.get(f"{member_page}/{action}", follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, member_page), action
    assert NOTHING_DONE in client.get(member_page).text
    assert client.get("/console/logout", follow_redirects=False).headers["location"] == "/console"
    assert "Eject" in client.get(f"{member_page}/eject").text  # the confirmation pages stay
    slash = client.get(f"/console/groups/{group.id}/", follow_redirects=False)
    assert slash.headers["location"] == f"/console/groups/{group.id}"


@pytest.mark.parametrize("path", ["/console/no-such-page", "/console/groups/999999"])
def test_not_found_pages_keep_the_navigation(client: TestClient, db: Session, path: str) -> None:
    moderator = create_staff(db)
    sign_in(client, moderator)
    response = client.get(path)
    assert response.status_code == 404
    assert_console_frame(response.text, moderator)
    assert re.search(r'role="alert">\S', response.text)  # never an empty box


def test_refusals_keep_the_navigation(client: TestClient, db: Session, clock: Clock) -> None:
    helper = create_staff(db, Role.helper)
    sign_in(client, helper)
    forbidden = client.get("/console/referrals")
    assert forbidden.status_code == 403
    assert_console_frame(forbidden.text, helper)
    without_token = client.post("/console/referrals", data={}, follow_redirects=False)
    assert without_token.status_code == 403 and "could not be accepted" in without_token.text
    assert_console_frame(without_token.text, helper)
    token = csrf_from(client.get("/console/referrals/new").text)
    wrong_method = client.post("/console/referrals/new", data={"csrf_token": token})
    assert wrong_method.status_code == 405
    assert "nothing was changed" in wrong_method.text
    assert_console_frame(wrong_method.text, helper)


def test_an_unexpected_fault_and_a_busy_database_keep_the_navigation(
    app: FastAPI, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    moderator = create_staff(db)
    faults = {
        500: RuntimeError("a fault nobody expected"),
        503: OperationalError("SELECT 1", {}, Exception("database is locked")),
    }
    browser = TestClient(app, base_url="https://line.example.org", raise_server_exceptions=False)
    sign_in(browser, moderator)
    for status_code, fault in faults.items():

        def fail(*_args: object, fault: Exception = fault, **_kwargs: object) -> None:
            raise fault

        monkeypatch.setattr(views, "my_groups", fail)
        response = browser.get("/console/")
        assert response.status_code == status_code
        assert response.headers["content-type"].startswith("text/html")
        assert_console_frame(response.text, moderator)
        assert "nobody expected" not in response.text and "SELECT" not in response.text
    assert "Please try again in a minute" in response.text


def test_a_visitor_not_signed_in_gets_a_plain_not_found_page(client: TestClient) -> None:
    response = client.get("/console/no-such-page")
    assert response.status_code == 404
    assert "Sign out" not in response.text
    approve = client.get("/console/referrals/1/approve", follow_redirects=False)
    assert approve.headers["location"] == "/console/login"
