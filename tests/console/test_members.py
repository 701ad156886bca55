from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import security
from core.audit import AuditEntry
from groups import members as members_service
from groups.models import MembershipStatus
from groups.schemas import ReferralCreate
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import create_group, create_member, create_staff


def _actions(db: Session, membership_id: int) -> list[str]:
    rows = db.scalars(
        select(AuditEntry.action).where(
            AuditEntry.target_type == "membership", AuditEntry.target_id == membership_id
        )
    )
    return list(rows)


def test_contact_data_is_shown_only_on_an_audited_click(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    member = create_member(db, group, now=clock.now(), email="quiet@example.org")
    membership = member.membership
    sign_in(client, moderator)
    page = client.get(f"/console/memberships/{membership.id}").text
    assert "quiet@example.org" not in page
    assert "membership.view_contact" not in _actions(db, membership.id)
    shown = post_form(client, f"/console/memberships/{membership.id}/contact")
    assert shown.status_code == 200
    assert "quiet@example.org" in shown.text
    assert membership.phone is not None and membership.phone in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert "membership.view_contact" in _actions(db, membership.id)


def test_reset_pin_shows_a_new_temporary_pin_once(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    member = create_member(db, group, now=clock.now())
    sign_in(client, moderator)
    response = post_form(client, f"/console/memberships/{member.membership.id}/reset-pin")
    assert response.status_code == 200
    assert "Shown only once" in response.text
    assert member.participant_number in response.text
    new_pin = response.text.split('id="pin">')[1].split("<")[0]
    assert new_pin.isdigit() and new_pin != member.pin
    assert security.verify_secret(new_pin, member.membership.pin_hash or "")
    assert new_pin not in client.get(f"/console/memberships/{member.membership.id}").text


def test_suspend_reinstate_and_unlock(client: TestClient, db: Session, clock: Clock) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    membership = create_member(db, group, now=clock.now()).membership
    membership.locked_until = clock.now() + timedelta(minutes=20)
    db.flush()
    sign_in(client, moderator)
    path = f"/console/memberships/{membership.id}"
    assert (
        '<span class="badge danger">locked</span>' in client.get(f"/console/groups/{group.id}").text
    )
    assert "Unlock" in client.get(path).text
    assert post_form(client, f"{path}/unlock").status_code == 303
    assert membership.locked_until is None
    assert (
        '<span class="badge danger">locked</span>'
        not in client.get(f"/console/groups/{group.id}").text
    )
    assert post_form(client, f"{path}/suspend").status_code == 303
    assert membership.status is MembershipStatus.suspended
    assert "gets no reminders until reinstated" in client.get(path).text
    assert post_form(client, f"{path}/reinstate").status_code == 303
    assert membership.status is MembershipStatus.active
    refused = post_form(client, f"{path}/reinstate")  # not suspended any more
    assert refused.status_code == 409
    assert "Cannot reinstate a membership that is active." in refused.text


def test_eject_asks_for_confirmation_that_says_it_is_permanent(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    membership = create_member(db, group, now=clock.now()).membership
    sign_in(client, moderator)
    confirm = client.get(f"/console/memberships/{membership.id}/eject")
    assert "This is permanent." in confirm.text
    assert "membership.eject" not in _actions(db, membership.id)  # asking changes nothing
    response = post_form(client, f"/console/memberships/{membership.id}/eject")
    assert response.headers["location"] == f"/console/groups/{group.id}"
    assert membership.status is MembershipStatus.ejected
    assert "membership.eject" in _actions(db, membership.id)


def test_erase_destroys_contact_data_after_confirmation(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    membership = create_member(db, group, now=clock.now(), alias="Sam").membership
    sign_in(client, moderator)
    confirm = client.get(f"/console/memberships/{membership.id}/erase")
    assert "cannot be recovered" in confirm.text
    assert post_form(client, f"/console/memberships/{membership.id}/erase").status_code == 303
    assert membership.status is MembershipStatus.erased
    assert membership.alias is None and membership.phone is None
    assert "(erased)" in client.get(f"/console/groups/{group.id}").text


def test_erase_with_a_referral_waiting_for_the_same_phone_says_what_to_do_first(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    membership = create_member(db, group, now=clock.now(), phone="+48601777001").membership
    members_service.eject(db, actor=moderator, membership=membership, now=clock.now())
    data = ReferralCreate(
        group_id=group.id,
        alias="Sam",
        phone="+48601777001",
        email="sam@example.org",
        language="en",
        consent=True,
    )
    members_service.create_referral(db, actor=moderator, data=data, now=clock.now())
    sign_in(client, moderator)
    refused = post_form(client, f"/console/memberships/{membership.id}/erase")
    assert refused.status_code == 409
    assert "approve or reject it first, then erase" in refused.text.replace("&#39;", "'")
    assert "+48601777001" not in refused.text
    assert membership.status is MembershipStatus.ejected


def test_page_titles_name_no_member(client: TestClient, db: Session, clock: Clock) -> None:
    # Titles stay in the browser's history, its tab bar and a shared screen.
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    membership = create_member(db, group, now=clock.now(), alias="Sam Privately").membership
    sign_in(client, moderator)
    for path in ("", "/eject", "/erase"):
        page = client.get(f"/console/memberships/{membership.id}{path}").text
        title = page.split("<title>")[1].split("</title>")[0]
        assert "Sam" not in title
        assert "member" in title.lower()
        assert "Sam Privately" in page  # the page itself still says who it is
