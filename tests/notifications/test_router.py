"""HTTP: inbound SMS keywords, status callbacks, and the moderators' delivery API."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from notifications import optout
from notifications.models import Kind, OutboxMessage, SmsOptOut, Status
from notifications.tasks import enqueue_due_reminders
from tests.clock import Clock
from tests.factories import auth_headers, create_group, create_member, create_staff
from tests.notifications.conftest import Dispatch
from tests.notifications.fakes import FakeSms
from tests.notifications.test_reminders import at, reminder_bodies
from tests.twilio_signing import signed_post

PHONE = "+48601234571"


def sms_reply(client: TestClient, body: str, sender: str = PHONE, to: str = "") -> str | None:
    params = {"From": sender, "To": to, "Body": body, "MessageSid": "SM" + "1" * 32}
    response = signed_post(client, "/twilio/sms", params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    message = ElementTree.fromstring(response.text).find("Message")
    return None if message is None else message.text


def test_stop_skips_the_next_reminder_and_start_brings_them_back(
    client: TestClient, db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now(), phone=PHONE)
    clock.set(at(2026, 3, 2, 16, 0))
    enqueue_due_reminders(db, now=clock.now())  # queued before the STOP arrives

    # Twilio answers STOP itself on a long code: the app follows it without a second reply.
    assert sms_reply(client, " stop ") is None
    run_dispatch()
    assert reminder_bodies(fake_sms) == []
    statuses = db.scalars(
        select(OutboxMessage.status).where(OutboxMessage.kind == Kind.reminder)
    ).all()
    assert statuses == [Status.skipped]
    clock.set(at(2026, 3, 5, 16, 0))
    assert enqueue_due_reminders(db, now=clock.now()) == 0  # opted out: not even queued

    assert sms_reply(client, "Start") is None
    clock.set(at(2026, 3, 9, 16, 0))
    enqueue_due_reminders(db, now=clock.now())
    run_dispatch()
    assert reminder_bodies(fake_sms) == [
        "Reminder: your call today at 20:00. Reply STOP to stop reminders."
    ]


def test_opt_out_is_stored_as_the_blind_index_only(
    client: TestClient, db: Session, clock: Clock
) -> None:
    sms_reply(client, "UNSUBSCRIBE")
    stored = db.scalars(select(SmsOptOut.phone_index)).all()
    assert len(stored) == 1
    assert PHONE not in stored[0] and PHONE[1:] not in stored[0]


def test_help_answers_with_the_contact_line_in_the_members_language(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group = create_group(db, now=clock.now(), language="pl")
    create_member(db, group, now=clock.now(), phone=PHONE, language="pl")
    reply = sms_reply(client, "POMOC")
    assert reply is not None and reply.startswith("Please call the helpline")
    assert reply.endswith("Odpisz STOP, aby wyłączyć przypomnienia, START, aby je wznowić.")


def test_polish_and_hebrew_keywords(client: TestClient, db: Session, clock: Clock) -> None:
    group = create_group(db, now=clock.now(), language="he")
    create_member(db, group, now=clock.now(), phone=PHONE, language="he")
    assert sms_reply(client, "עצור") == "לא יישלחו אליך עוד תזכורות. לחידוש השב/י START."
    assert db.scalars(select(SmsOptOut)).all() != []
    assert sms_reply(client, "wznów") is not None
    assert db.scalars(select(SmsOptOut)).all() == []
    assert sms_reply(client, "KONIEC") is not None
    assert db.scalars(select(SmsOptOut)).all() != []


def test_twilios_own_keywords_are_followed_and_not_answered_twice(
    client: TestClient, db: Session
) -> None:
    # https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out: Twilio replies to these
    # and keeps the opt-out; the message still reaches the webhook.
    for stop, start in (("REVOKE", "YES"), ("optout", "unstop"), ("Cancel.", "start")):
        assert sms_reply(client, stop) is None
        assert db.scalars(select(SmsOptOut)).all() != [], stop
        assert sms_reply(client, start) is None
        assert db.scalars(select(SmsOptOut)).all() == [], start
    assert sms_reply(client, "INFO") is None


def test_the_organisations_own_words_are_answered_once_by_the_app(
    client: TestClient, db: Session
) -> None:
    assert sms_reply(client, "KONIEC") == (
        "You will get no more reminders. Reply START to get them again."
    )
    assert sms_reply(client, "WZNOW") == "Reminders are on again. Reply STOP to stop them."


def test_an_opt_out_twilio_handled_under_advanced_opt_out_is_followed_silently(
    client: TestClient, db: Session
) -> None:
    # With Advanced Opt-Out the Messaging Service's own words count, marked with OptOutType.
    params = {"From": PHONE, "To": "", "Body": "ARRET", "OptOutType": "STOP"}
    response = signed_post(client, "/twilio/sms", params)
    assert response.status_code == 200
    assert ElementTree.fromstring(response.text).find("Message") is None
    assert db.scalars(select(SmsOptOut)).all() != []


def test_other_messages_get_no_reply(client: TestClient) -> None:
    assert sms_reply(client, "hello, is anyone there?") is None


def test_unsigned_inbound_sms_is_forbidden(client: TestClient, db: Session) -> None:
    response = client.post("/twilio/sms", data={"From": PHONE, "Body": "STOP"})
    assert response.status_code == 403
    assert db.scalars(select(SmsOptOut)).all() == []


def test_status_callbacks_record_delivery_and_failure(
    client: TestClient, db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    run_dispatch()
    row = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.pin)).one()
    callback = fake_sms.sent[0].status_callback
    path = callback.removeprefix("https://line.example.org")
    assert re.fullmatch(r"/twilio/sms/status\?outbox=\d+", path)

    params = {"MessageSid": row.provider_id or "", "MessageStatus": "delivered"}
    assert signed_post(client, path, params).status_code == 204
    db.expire_all()
    assert (row.status, row.provider_status) == (Status.delivered, "delivered")

    params = {
        "MessageSid": row.provider_id or "",
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    assert signed_post(client, path, params).status_code == 204
    db.expire_all()
    assert (row.status, row.last_error) == (Status.failed, "twilio 30003: undelivered")

    params |= {"ErrorCode": "3" * 500}
    assert signed_post(client, path, params).status_code == 204  # kept short, not a 500
    db.expire_all()
    assert row.last_error is not None and len(row.last_error) == 200


def test_an_opt_out_reported_in_the_status_callback_is_followed(
    client: TestClient, db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    # Twilio may accept the message and report 21610 afterwards ("fail with Error Code 21610
    # asynchronously": https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out).
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    run_dispatch()
    row = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.pin)).one()
    path = fake_sms.sent[0].status_callback.removeprefix("https://line.example.org")
    params = {"MessageSid": row.provider_id or "", "MessageStatus": "failed", "ErrorCode": "21610"}
    assert signed_post(client, path, params).status_code == 204
    assert optout.is_opted_out(db, credentials.membership.phone_index)


def test_status_callback_for_an_unknown_message_is_not_found(client: TestClient) -> None:
    params = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered"}
    response = signed_post(client, "/twilio/sms/status?outbox=999999", params)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("outbox", [str(2**63), "9" * 5000, "0", "-1"])
def test_status_callback_naming_no_possible_message_is_refused(
    client: TestClient, outbox: str
) -> None:
    params = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered"}
    response = signed_post(client, f"/twilio/sms/status?outbox={outbox}", params)
    assert response.status_code == 422
    assert "names no outbox message" in response.json()["detail"]


def test_moderator_sees_failed_deliveries_of_their_group_only(
    client: TestClient, db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    from notifications.providers import DeliveryError

    moderator = create_staff(db, Role.moderator)
    group = create_group(db, now=clock.now(), moderator=moderator)
    other_group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    fake_sms.failures.append(
        DeliveryError(
            "twilio 21610: recipient unsubscribed (replied STOP)", permanent=True, code=21610
        )
    )
    run_dispatch()
    headers = auth_headers(client, moderator)

    response = client.get(f"/api/v1/groups/{group.id}/deliveries?status=failed", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert [
        (item["kind"], item["last_error"], item["membership_id"]) for item in body["items"]
    ] == [("pin", "twilio 21610: recipient unsubscribed (replied STOP)", credentials.membership.id)]
    assert "secret" not in body["items"][0] and "idempotency_key" not in body["items"][0]
    other = client.get(f"/api/v1/groups/{other_group.id}/deliveries", headers=headers)
    assert other.status_code == 404


def test_resend_invitation_and_pin(
    client: TestClient, db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    moderator = create_staff(db, Role.moderator)
    group = create_group(db, now=clock.now(), moderator=moderator)
    credentials = create_member(db, group, now=clock.now())
    run_dispatch()
    headers = auth_headers(client, moderator)
    membership_id = credentials.membership.id

    invitation = client.post(
        f"/api/v1/memberships/{membership_id}/resend-invitation", headers=headers
    )
    assert invitation.status_code == 202, invitation.text
    assert (invitation.json()["kind"], invitation.json()["status"]) == ("invitation", "pending")

    pin = client.post(f"/api/v1/memberships/{membership_id}/resend-pin", headers=headers)
    assert pin.status_code == 202
    assert (pin.json()["kind"], pin.json()["channel"]) == ("pin", "sms")
    assert not re.search(r"\d{6}", pin.text.replace(str(membership_id), ""))
    run_dispatch()
    new_code = fake_sms.sent[-1].body
    assert re.fullmatch(r"Your code: \d{6}", new_code)
    assert new_code != f"Your code: {credentials.pin}"


def test_helpers_and_other_moderators_cannot_resend(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    path = f"/api/v1/memberships/{credentials.membership.id}/resend-pin"
    helper = client.post(path, headers=auth_headers(client, create_staff(db, Role.helper)))
    assert helper.status_code == 403
    stranger = client.post(path, headers=auth_headers(client, create_staff(db, Role.moderator)))
    assert stranger.status_code == 404


def test_a_member_who_replied_stop_gets_the_pin_from_the_moderator_not_by_sms(
    client: TestClient, db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    # Twilio refuses every SMS to a number that replied STOP (error 21610): the PIN is not
    # tried there, the moderator sees why, and Reset PIN shows it to them to pass on.
    moderator = create_staff(db, Role.moderator)
    group = create_group(db, now=clock.now(), moderator=moderator)
    credentials = create_member(db, group, now=clock.now(), phone=PHONE)
    assert sms_reply(client, "STOP") is None
    run_dispatch()
    assert [m for m in fake_sms.sent if m.body.startswith("Your code")] == []
    headers = auth_headers(client, moderator)
    membership_id = credentials.membership.id
    deliveries = client.get(f"/api/v1/groups/{group.id}/deliveries", headers=headers).json()
    pin = next(d for d in deliveries["items"] if d["kind"] == "pin")
    assert pin["status"] == "skipped"
    assert "pass the PIN on yourself (Reset PIN shows it)" in pin["last_error"]

    refused = client.post(f"/api/v1/memberships/{membership_id}/resend-pin", headers=headers)
    assert refused.status_code == 409
    assert "use Reset PIN" in refused.json()["detail"]
    reset = client.post(f"/api/v1/memberships/{membership_id}/reset-pin", headers=headers)
    assert reset.status_code == 200
    assert re.fullmatch(r"\d{6}", reset.json()["pin"])
