"""What the outbox queues and holds: one row per key, the PIN encrypted and only until sent,
nothing personal in keys, errors or logs, and who gets nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from auth.models import Role
from groups import members as members_service
from groups.models import Membership
from notifications import notices, outbox
from notifications.models import Channel, Kind, Status
from notifications.providers import DeliveryError
from tests.clock import Clock
from tests.factories import create_group, create_member, create_referral, create_staff
from tests.notifications.conftest import Dispatch, rows
from tests.notifications.fakes import FakeMailer, FakeSms
from tests.notifications.smtp_server import decoded_text


def test_approval_queues_invitation_and_pin_sms_with_the_code_alone(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms, fake_mailer: FakeMailer
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now(), phone="+48601234567")

    queued = {(row.kind, row.channel, row.status) for row in rows(db)}
    assert queued == {
        (Kind.invitation, Channel.email, Status.pending),
        (Kind.pin, Channel.sms, Status.pending),
    }
    run_dispatch()

    assert [sms.body for sms in fake_sms.sent] == [f"Your code: {credentials.pin}"]
    assert fake_sms.sent[0].to == "+48601234567"
    assert fake_sms.sent[0].from_ == group.lines[0].number
    assert len(fake_mailer.sent) == 1
    assert credentials.pin not in decoded_text(fake_mailer.sent[0])
    assert {row.status for row in rows(db)} == {Status.sent}


def test_approval_writes_its_two_messages_and_reads_nothing_back(db: Session, clock: Clock) -> None:
    # A new member has nothing queued yet: no version to look up, no PIN to replace.
    group = create_group(db, now=clock.now())
    referral = create_referral(db, group, now=clock.now())
    admin = create_staff(db, Role.admin)
    db.flush()
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statement: str = args[2]
        if "outbox_messages" in statement:
            statements.append(statement.split(maxsplit=1)[0].upper())

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        members_service.approve_referral(db, actor=admin, referral=referral, now=clock.now())
        db.flush()
    finally:
        event.remove(connection, "before_cursor_execute", seen)

    assert statements == ["INSERT", "INSERT"]
    assert {(row.kind, row.version) for row in rows(db)} >= {(Kind.invitation, 1), (Kind.pin, 1)}


def test_pin_is_stored_encrypted_and_only_until_sent(
    db: Session, clock: Clock, run_dispatch: Dispatch
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    pin_row = rows(db, Kind.pin)[0]
    db.flush()
    raw = db.execute(
        text("SELECT secret FROM outbox_messages WHERE id = :id"), {"id": pin_row.id}
    ).scalar_one()
    assert raw is not None and credentials.pin not in raw  # a Fernet token, not the PIN
    assert pin_row.secret == credentials.pin

    run_dispatch()

    raw_after = db.execute(
        text("SELECT secret FROM outbox_messages WHERE id = :id"), {"id": pin_row.id}
    ).scalar_one()
    assert raw_after is None


def test_a_new_pin_replaces_one_not_yet_sent(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    admin = create_staff(db, Role.admin)
    new = members_service.reset_pin(
        db, actor=admin, membership=credentials.membership, now=clock.now()
    )

    run_dispatch()

    assert [sms.body for sms in fake_sms.sent] == [f"Your code: {new.pin}"]
    first, second = rows(db, Kind.pin)
    assert (first.status, first.secret) == (Status.cancelled, None)
    assert second.status is Status.sent


def test_enqueue_is_idempotent_per_key(db: Session, clock: Clock) -> None:
    group = create_group(db, now=clock.now())
    membership = create_member(db, group, now=clock.now()).membership
    for _ in range(3):
        outbox.enqueue(
            db,
            kind=Kind.reminder,
            channel=Channel.sms,
            group_id=group.id,
            membership_ids=[membership.id],
            meeting_id=None,
            version=7,
            now=clock.now(),
        )
    assert len(rows(db, Kind.reminder)) == 1


def test_moderators_without_e_mail_get_a_discreet_sms_about_a_locked_number(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    moderator = create_staff(db, Role.moderator)
    moderator.phone = "+48601234588"
    group = create_group(db, now=clock.now(), moderator=moderator, name="Quiet Waters")
    run_dispatch()
    count = notices.notify_moderators(
        db, group_id=group.id, event="participant_locked", now=clock.now()
    )
    assert count == 1
    run_dispatch()
    assert [(sms.to, sms.body) for sms in fake_sms.sent] == [
        (
            "+48601234588",
            "A participant number was locked after repeated wrong PINs. Details in the console.",
        )
    ]
    clock.advance(minutes=40)  # a later lockout is a new notice
    assert (
        notices.notify_moderators(
            db, group_id=group.id, event="participant_locked", now=clock.now()
        )
        == 1
    )


def test_messages_to_members_who_left_are_skipped(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    admin = create_staff(db, Role.admin)
    members_service.erase(db, actor=admin, membership=credentials.membership, now=clock.now())

    run_dispatch()
    assert fake_sms.sent == []
    assert {row.status for row in rows(db)} == {Status.skipped}
    assert all(row.secret is None for row in rows(db))


def test_no_personal_data_in_logs_or_errors(
    db: Session,
    clock: Clock,
    run_dispatch: Dispatch,
    fake_sms: FakeSms,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="supportline")
    group = create_group(db, now=clock.now())
    credentials = create_member(
        db, group, now=clock.now(), phone="+48601234599", email="secret.person@example.org"
    )
    fake_sms.failures.append(
        DeliveryError("twilio 21211: invalid 'To' phone number", permanent=True, code=21211)
    )
    run_dispatch()

    membership = db.get_one(Membership, credentials.membership.id)
    stored = " ".join(f"{row.idempotency_key} {row.last_error} {row.payload}" for row in rows(db))
    for secret in (
        "+48601234599",
        "601234599",
        "secret.person",
        credentials.pin,
        credentials.participant_number,
        membership.alias or "-",
    ):
        assert secret not in caplog.text
        assert secret not in stored
