"""The outbox with in-memory providers: what is queued, how it is sent, retried, failed, held."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role
from core.settings import get_settings
from groups import members as members_service
from groups.models import Membership
from notifications import notices, outbox
from notifications import service as notifications_service
from notifications.delivery import Providers
from notifications.models import Channel, Kind, OutboxMessage, Status
from notifications.outcomes import Attempt, DispatchReport, record_outcomes
from notifications.providers import DeliveryError, DeliveryInDoubt, Sms
from notifications.tasks import dispatch
from tests.clock import Clock
from tests.factories import create_group, create_member, create_staff
from tests.notifications.conftest import Dispatch, Setting
from tests.notifications.fakes import FakeMailer, FakeSms
from tests.notifications.smtp_server import decoded_text


def rows(db: Session, kind: Kind | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.scalars(query))


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


def test_transient_failures_are_retried_with_backoff_and_jitter(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    fake_sms.failures.extend(
        [DeliveryError("twilio 503: HTTP 503", permanent=False) for _ in range(2)]
    )
    base = get_settings().outbox_retry_base_seconds

    run_dispatch()
    row = rows(db, Kind.pin)[0]
    assert (row.status, row.attempts, row.last_error) == (
        Status.pending,
        1,
        "twilio 503: HTTP 503",
    )
    delay = (row.next_attempt_at - clock.now()).total_seconds()
    assert base * 0.5 <= delay <= base * 1.5

    run_dispatch()  # not due yet: nothing happens
    assert rows(db, Kind.pin)[0].attempts == 1

    clock.advance(seconds=delay)
    run_dispatch()
    row = rows(db, Kind.pin)[0]
    second_delay = (row.next_attempt_at - clock.now()).total_seconds()
    assert (row.attempts, row.status) == (2, Status.pending)
    assert base * 2 * 0.5 <= second_delay <= base * 2 * 1.5

    clock.advance(seconds=second_delay)
    run_dispatch()
    assert rows(db, Kind.pin)[0].status is Status.sent
    assert [sms.body for sms in fake_sms.sent] == [f"Your code: {credentials.pin}"]


def test_gives_up_after_the_attempt_limit(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    limit = get_settings().outbox_max_attempts
    fake_sms.failures.extend(
        [DeliveryError("twilio: connection failed", permanent=False) for _ in range(limit)]
    )
    for _ in range(limit):
        run_dispatch()
        clock.advance(hours=2)
    row = rows(db, Kind.pin)[0]
    assert row.status is Status.failed
    assert row.attempts == limit
    assert row.last_error == f"gave up after {limit}: twilio: connection failed"
    assert row.secret is None
    assert fake_sms.sent == []


def test_permanent_failure_is_shown_to_moderators_and_they_are_told(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms, fake_mailer: FakeMailer
) -> None:
    moderator = create_staff(db, Role.moderator)
    moderator.email = "moderator@example.org"
    group = create_group(db, now=clock.now(), moderator=moderator)
    create_member(db, group, now=clock.now())
    fake_sms.failures.append(
        DeliveryError("twilio 21211: invalid 'To' phone number", permanent=True, code=21211)
    )
    run_dispatch()  # the PIN fails; the moderator notice is queued in the same step
    run_dispatch()

    failed, _total = notifications_service.list_deliveries(
        db, group_id=group.id, status=Status.failed, limit=10
    )
    assert [(row.kind, row.last_error, row.attempts) for row in failed] == [
        (Kind.pin, "twilio 21211: invalid 'To' phone number", 1)
    ]
    to_moderator = [m for m in fake_mailer.sent if m["To"] == "moderator@example.org"]
    subjects = sorted(str(m["Subject"]) for m in to_moderator)
    assert subjects == [
        "A message to a member could not be delivered.",
        "A referral is waiting for your decision.",
    ]


def test_without_providers_messages_wait_marked_no_provider_then_go(
    db: Session, clock: Clock, sessions: sessionmaker[Session], providers: Providers
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    db.flush()

    dispatch(sessions, clock=clock.now, providers=Providers(sms=None, mailer=None))
    db.expire_all()
    assert {(row.status, row.last_error) for row in rows(db)} == {
        (Status.no_provider, "no provider configured")
    }

    clock.advance(minutes=5)
    dispatch(sessions, clock=clock.now, providers=providers)
    db.expire_all()
    assert {row.status for row in rows(db)} == {Status.sent}


def test_a_claim_left_by_a_dead_dispatcher_is_taken_again_after_its_lease(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    claimed = outbox.claim(db, now=clock.now(), channels=[Channel.sms, Channel.email], token="dead")
    assert len(claimed) == 2

    run_dispatch()  # lease still running: nobody else takes them
    assert fake_sms.sent == []

    clock.advance(seconds=get_settings().outbox_claim_lease_seconds)
    run_dispatch()
    assert len(fake_sms.sent) == 1
    assert {row.status for row in rows(db)} == {Status.sent}


def test_sms_in_doubt_is_not_resent_when_the_status_callback_arrived(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    fake_sms.failures.append(DeliveryInDoubt("twilio: no answer in time (read timeout)"))
    run_dispatch()
    row = rows(db, Kind.pin)[0]
    assert row.status is Status.sending
    assert row.secret is not None  # still needed if it must be sent again

    from notifications import inbound

    inbound.record_status(
        db,
        outbox_id=row.id,
        message_sid="SM" + "a" * 32,
        status="sent",
        error_code=None,
        now=clock.now(),
    )
    clock.advance(seconds=get_settings().outbox_in_doubt_seconds + 1)
    run_dispatch()

    row = rows(db, Kind.pin)[0]
    assert (row.status, row.provider_id, row.secret) == (Status.sent, "SM" + "a" * 32, None)
    assert fake_sms.sent == []


def test_sms_in_doubt_without_callback_is_sent_again_once_after_the_lease(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    fake_sms.failures.append(DeliveryInDoubt("twilio: no answer in time (read timeout)"))
    run_dispatch()

    clock.advance(seconds=get_settings().outbox_in_doubt_seconds - 1)
    run_dispatch()
    assert fake_sms.sent == []  # still waiting for Twilio's callback

    clock.advance(seconds=1)
    run_dispatch()
    run_dispatch()
    assert [sms.body for sms in fake_sms.sent] == [f"Your code: {credentials.pin}"]
    row = rows(db, Kind.pin)[0]
    assert (row.status, row.attempts) == (Status.sent, 2)


class BrokenAfterFirst(FakeSms):
    """Accepts one message, then fails in a way the dispatcher does not expect."""

    def send_sms(self, message: Sms) -> str:
        if self.sent:
            raise RuntimeError("provider bug")
        return super().send_sms(message)


def test_a_batch_stopped_midway_keeps_what_was_sent_and_requeues_what_was_not(
    db: Session,
    clock: Clock,
    sessions: sessionmaker[Session],
    setting: Setting,
) -> None:
    setting(
        "OUTBOX_SEND_CONCURRENCY", 1
    )  # one at a time, in claim order (the concurrent case has its own test)
    group = create_group(db, now=clock.now())
    for _ in range(3):
        create_member(db, group, now=clock.now())
    db.flush()
    sms = BrokenAfterFirst()
    with pytest.raises(RuntimeError):
        dispatch(sessions, clock=clock.now, providers=Providers(sms=sms, mailer=None))
    db.expire_all()

    pins = sorted(rows(db, Kind.pin), key=lambda row: row.id)
    assert [(row.status, row.attempts) for row in pins] == [
        (Status.sent, 1),  # accepted: recorded although the batch stopped
        (Status.sending, 1),  # the call that broke: in doubt, waits for a status callback
        (Status.pending, 0),  # never handed to the provider: simply queued again
    ]
    dispatch(sessions, clock=clock.now, providers=Providers(sms=FakeSms(), mailer=None))
    db.expire_all()
    assert [row.status for row in pins] == [Status.sent, Status.sending, Status.sent]


def test_email_in_doubt_is_sent_again_with_the_same_message_id(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_mailer: FakeMailer
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    row = rows(db, Kind.invitation)[0]
    outbox.claim(db, now=clock.now(), channels=[Channel.email], token="crashed")
    row.status = Status.sending  # the process died while the SMTP server was answering
    row.lease_until = clock.now() + timedelta(seconds=get_settings().outbox_in_doubt_seconds)
    db.flush()

    clock.advance(seconds=get_settings().outbox_in_doubt_seconds)
    run_dispatch()
    assert len(fake_mailer.sent) == 1
    assert fake_mailer.sent[0]["Message-ID"] == f"<outbox-{row.id}@line.example.org>"


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


def test_recorded_as_sent_unless_a_status_callback_came_first(db: Session, clock: Clock) -> None:
    # The provider's status callback can arrive before the dispatcher records the send: what
    # it said (delivered) stays; the provider id, the sending time and the forgotten PIN text
    # are recorded either way.
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    create_member(db, group, now=clock.now())
    first, second = rows(db, Kind.pin)
    for row in (first, second):
        row.status, row.attempts = Status.sending, 1
    second.status, second.provider_status = Status.delivered, "delivered"
    db.flush()
    message = Sms(to="+48601000000", from_="+48221000000", body="code", status_callback="")
    attempts = [
        Attempt(outbox_id=row.id, message=message, started=True, provider_id=f"SM{row.id}")
        for row in (first, second)
    ]
    report = DispatchReport()
    record_outcomes(db, attempts, now=clock.now(), report=report)
    db.flush()  # as the dispatcher's commit does
    db.expire_all()

    assert (first.status, second.status) == (Status.sent, Status.delivered)
    for row in (first, second):
        assert row.provider_id == f"SM{row.id}"
        assert row.sent_at == clock.now()
        assert row.secret is None
        assert (row.claim_token, row.lease_until) == (None, None)
    assert (report.sent, report.outcomes) == (2, {first.id: Status.sent, second.id: Status.sent})
