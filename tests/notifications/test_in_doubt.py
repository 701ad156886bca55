"""A dispatcher that dies or gets no answer: claims taken again after their lease, sends in doubt
settled by the status callback or sent again once, a batch stopped midway."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.settings import get_settings
from notifications import outbox
from notifications.delivery import Providers
from notifications.models import Channel, Kind, Status
from notifications.providers import DeliveryInDoubt, Sms
from notifications.tasks import dispatch
from tests.clock import Clock
from tests.factories import create_group, create_member
from tests.notifications.conftest import Dispatch, Setting, rows
from tests.notifications.fakes import FakeMailer, FakeSms


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
