"""The deliveries page: what went out to the group's members, how it went, and resending."""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import security
from core.audit import AuditEntry
from groups import members as members_service
from groups.models import Group
from groups.service import Credentials
from notifications import optout
from notifications.models import Kind, OutboxMessage, Status
from tests.clock import Clock
from tests.console.helpers import csrf_from, post_form, sign_in
from tests.factories import create_group, create_member, create_staff
from tests.fixtures.settings import Change


def _messages(db: Session, membership_id: int, kind: Kind) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(
        OutboxMessage.membership_id == membership_id, OutboxMessage.kind == kind
    )
    return list(db.scalars(query.order_by(OutboxMessage.id)))


def _member_of_my_group(
    db: Session, clock: Clock, alias: str | None = None
) -> tuple[Staff, Group, Credentials]:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    return moderator, group, create_member(db, group, now=clock.now(), alias=alias)


def _deliveries(group: Group) -> str:
    return f"/console/groups/{group.id}/deliveries"


def test_deliveries_show_each_message_with_its_status_and_failure_reason(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator, group, member = _member_of_my_group(db, clock, "Ewa")
    (pin_message,) = _messages(db, member.membership.id, Kind.pin)
    pin_message.status = Status.failed
    pin_message.last_error = "twilio refused the number (error 21610)"
    db.flush()
    sign_in(client, moderator)
    assert f'href="{_deliveries(group)}"' in client.get(f"/console/groups/{group.id}").text
    page = client.get(_deliveries(group))
    assert page.status_code == 200
    pin_row = page.text.split(f'id="delivery-{pin_message.id}"')[1].split("</li>")[0]
    assert "PIN by SMS" in pin_row and ">failed<" in pin_row and ">Ewa<" in pin_row
    assert "Reason: Twilio refused the number (error 21610)." in pin_row
    assert "Send a new PIN" in pin_row
    assert "Invitation e-mail" in page.text
    assert member.pin not in page.text and member.participant_number not in page.text
    assert member.membership.email is not None and member.membership.email not in page.text
    failed = client.get(f"{_deliveries(group)}?status=failed").text
    assert f'id="delivery-{pin_message.id}"' in failed and "Invitation e-mail" not in failed
    assert client.get(f"{_deliveries(group)}?status=nonsense").status_code == 422


def test_resend_the_invitation_queues_it_again_and_is_audited(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator, group, member = _member_of_my_group(db, clock)
    membership = member.membership
    sign_in(client, moderator)
    path = f"/console/memberships/{membership.id}/resend/invitation"
    response = post_form(client, path, page=_deliveries(group))
    assert response.status_code == 303 and response.headers["location"] == _deliveries(group)
    invitations = _messages(db, membership.id, Kind.invitation)
    assert len(invitations) == 2 and invitations[-1].status is Status.pending
    assert "The invitation e-mail is queued again" in client.get(_deliveries(group)).text
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == membership.id))
    assert "membership.resend_invitation" in list(actions)


def test_send_a_new_pin_replaces_the_old_one(client: TestClient, db: Session, clock: Clock) -> None:
    moderator, group, member = _member_of_my_group(db, clock)
    sign_in(client, moderator)
    path = f"/console/memberships/{member.membership.id}/resend/pin"
    response = post_form(client, path, page=_deliveries(group))
    assert response.status_code == 303
    first, second = _messages(db, member.membership.id, Kind.pin)
    assert first.status is Status.cancelled and second.status is Status.pending
    assert not security.verify_secret(member.pin, member.membership.pin_hash or "")
    page = client.get(_deliveries(group)).text
    assert "A new temporary PIN is queued by SMS" in page
    assert "Replaced by a newer PIN." in page


def test_an_erased_member_cannot_be_sent_anything_and_has_no_resend_button(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator, group, member = _member_of_my_group(db, clock)
    membership = member.membership
    members_service.erase(db, actor=moderator, membership=membership, now=clock.now())
    sign_in(client, moderator)
    page = client.get(_deliveries(group)).text
    assert "Send the invitation again" not in page and "Send a new PIN" not in page
    response = post_form(client, f"/console/memberships/{membership.id}/resend/invitation")
    assert response.status_code == 409
    assert "This membership is erased." in response.text
    assert len(_messages(db, membership.id, Kind.invitation)) == 1


def test_another_groups_moderator_gets_404_and_a_csrf_less_post_is_refused(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator, group, member = _member_of_my_group(db, clock, "Hidden")
    membership = member.membership
    stranger = create_staff(db)
    create_group(db, now=clock.now(), moderator=stranger)
    sign_in(client, stranger)
    assert client.get(_deliveries(group)).status_code == 404
    token = csrf_from(client.get("/console/").text)
    for action in ("resend/invitation", "resend/pin"):
        path = f"/console/memberships/{membership.id}/{action}"
        refused = client.post(path, data={"csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 404 and "Hidden" not in refused.text
    sign_in(client, moderator)
    path = f"/console/memberships/{membership.id}/resend/invitation"
    assert client.post(path, data={}, follow_redirects=False).status_code == 403
    assert len(_messages(db, membership.id, Kind.invitation)) == 1


def _row(page: str, message: OutboxMessage) -> str:
    return page.split(f'id="delivery-{message.id}"')[1].split("</li>", maxsplit=1)[0]


def test_a_held_message_reads_as_one_calm_line(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator, group, member = _member_of_my_group(db, clock)
    (invitation,) = _messages(db, member.membership.id, Kind.invitation)
    (pin,) = _messages(db, member.membership.id, Kind.pin)
    for message in (invitation, pin):  # what the dispatcher does without a provider
        message.status, message.last_error = Status.no_provider, "no provider configured"
    db.flush()
    sign_in(client, moderator)
    page = client.get(_deliveries(group)).text
    held_email = "Held: no e-mail service is set up on this server yet; it is sent once one is."
    assert held_email in _row(page, invitation)
    assert "Held: no SMS service is set up on this server yet" in _row(page, pin)
    for row in (_row(page, invitation), _row(page, pin)):
        assert 'class="badge' not in row and "Reason:" not in row and "provider" not in row


def test_a_new_pin_is_offered_only_when_an_sms_can_reach_the_member(
    client: TestClient, db: Session, clock: Clock, settings: Change
) -> None:
    moderator, group, member = _member_of_my_group(db, clock)
    (pin,) = _messages(db, member.membership.id, Kind.pin)
    sign_in(client, moderator)
    no_service = _row(client.get(_deliveries(group)).text, pin)
    assert '<button type="button" class="small" disabled' in no_service
    assert "Cannot be sent: no SMS service is set up on this server yet." in no_service
    assert f'action="/console/memberships/{member.membership.id}/resend/pin"' not in no_service
    settings(twilio_account_sid="AC" + "0" * 32, twilio_auth_token="t" * 32)
    offered = _row(client.get(_deliveries(group)).text, pin)
    assert f'action="/console/memberships/{member.membership.id}/resend/pin"' in offered
    assert "disabled" not in offered and "Cannot be sent" not in offered
    assert member.membership.phone_index is not None
    optout.opt_out(db, phone_index=member.membership.phone_index, now=clock.now())
    stopped = _row(client.get(_deliveries(group)).text, pin)
    assert "disabled" in stopped
    assert "Cannot be sent: this member replied STOP, so no SMS reaches them." in stopped
    assert "Reset the PIN</a> on the member's page" in unescape(stopped)
