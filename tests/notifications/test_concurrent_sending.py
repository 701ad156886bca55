"""A claimed batch sent on several threads (``OUTBOX_SEND_CONCURRENCY``): same guarantees.

Every outcome is still recorded per row, a failure of one message touches no other, and a row
is never handed to the provider twice; a long run reads the time for each batch. Exactly-once
between dispatchers and after a SIGKILL is in ``test_exactly_once_pg.py``.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.settings import get_settings
from notifications.delivery import (
    Batch,
    Providers,
    finish_batch,
    sending_pool,
    start_batch,
)
from notifications.models import Channel, Kind, OutboxMessage, Status
from notifications.outbox import claim
from notifications.outcomes import DispatchReport
from notifications.providers import DeliveryError, Sms
from notifications.tasks import dispatch, take_batch
from tests.clock import Clock
from tests.factories import create_group, create_member
from tests.notifications.conftest import Setting
from tests.notifications.fakes import FakeSms

PHONES = [f"+4860200{index:04d}" for index in range(8)]


def pins(db: Session) -> list[OutboxMessage]:
    db.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.kind == Kind.pin).order_by(OutboxMessage.id)
    return list(db.scalars(query))


@pytest.fixture
def eight_pins(db: Session, clock: Clock, setting: Setting) -> None:
    """Eight new members, each with a PIN SMS queued (one batch), sent four at a time."""
    setting("OUTBOX_SEND_CONCURRENCY", 4)
    group = create_group(db, now=clock.now())
    for phone in PHONES:
        create_member(db, group, now=clock.now(), phone=phone)
    db.flush()


class MeetingSms(FakeSms):
    """Each send waits until ``parties`` sends are in flight together (or gives up, raising)."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.together = threading.Barrier(parties, timeout=30)
        self.threads: set[str] = set()

    def send_sms(self, message: Sms) -> str:
        self.together.wait()  # BrokenBarrierError if the batch were sent one at a time
        with self.lock:
            self.threads.add(threading.current_thread().name)
        return super().send_sms(message)


def test_a_batch_is_with_the_provider_several_messages_at_once(
    db: Session, clock: Clock, sessions: sessionmaker[Session], eight_pins: None
) -> None:
    sms = MeetingSms(parties=4)

    report = dispatch(sessions, clock=clock.now, providers=Providers(sms=sms, mailer=None))

    assert len(sms.threads) == 4
    assert sorted(message.to for message in sms.sent) == PHONES
    assert {row.status for row in pins(db)} == {Status.sent}
    assert report.sent == len(PHONES)


class FailsOnceFor(FakeSms):
    """Twilio answers 503 to the first message for one number; the others go through."""

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.refused = 0

    def send_sms(self, message: Sms) -> str:
        with self.lock:
            first = message.to == self.number and not self.refused
            self.refused += first
        if first:
            raise DeliveryError("twilio 503: HTTP 503", permanent=False)
        return super().send_sms(message)


def test_a_transient_failure_in_a_concurrent_batch_is_retried_and_the_rest_is_sent(
    db: Session, clock: Clock, sessions: sessionmaker[Session], eight_pins: None
) -> None:
    sms = FailsOnceFor(PHONES[3])
    providers = Providers(sms=sms, mailer=None)

    report = dispatch(sessions, clock=clock.now, providers=providers)
    by_phone = dict(zip(PHONES, pins(db), strict=True))
    assert (report.sent, report.retried) == (7, 1)
    retried = by_phone.pop(PHONES[3])
    assert (retried.status, retried.attempts, retried.last_error) == (
        Status.pending,
        1,
        "twilio 503: HTTP 503",
    )
    assert {(row.status, row.attempts) for row in by_phone.values()} == {(Status.sent, 1)}

    clock.advance(seconds=get_settings().outbox_retry_base_seconds * 1.5)  # the longest backoff
    dispatch(sessions, clock=clock.now, providers=providers)
    assert {row.status for row in pins(db)} == {Status.sent}
    assert Counter(message.to for message in sms.sent) == dict.fromkeys(PHONES, 1)


class BrokenFor(FakeSms):
    """Accepts every message but one, for which it fails in a way the dispatcher does not expect."""

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    def send_sms(self, message: Sms) -> str:
        if message.to == self.number:
            raise RuntimeError("provider bug")
        return super().send_sms(message)


def test_an_unexpected_error_in_a_concurrent_batch_leaves_only_that_call_in_doubt(
    db: Session, clock: Clock, sessions: sessionmaker[Session], eight_pins: None
) -> None:
    broken = BrokenFor(PHONES[2])

    with pytest.raises(RuntimeError):
        dispatch(sessions, clock=clock.now, providers=Providers(sms=broken, mailer=None))

    by_phone = dict(zip(PHONES, pins(db), strict=True))
    accepted = {message.to for message in broken.sent}
    assert by_phone[PHONES[2]].status is Status.sending  # the call that broke: in doubt
    for phone, row in by_phone.items():
        if phone in accepted:
            assert (row.status, row.attempts) == (Status.sent, 1)  # recorded despite the error
        elif phone != PHONES[2]:
            assert (row.status, row.attempts) == (Status.pending, 0)  # never started: requeued

    again = FakeSms()
    dispatch(sessions, clock=clock.now, providers=Providers(sms=again, mailer=None))
    assert accepted.isdisjoint(message.to for message in again.sent)  # nothing sent twice
    assert {message.to for message in again.sent} == set(PHONES) - accepted - {PHONES[2]}
    in_doubt = dict(zip(PHONES, pins(db), strict=True))[PHONES[2]]
    assert in_doubt.status is Status.sending  # still waits for Twilio's status callback


class SlowSms(FakeSms):
    """Each message takes the provider 100 s of the test clock."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def send_sms(self, message: Sms) -> str:
        with self.lock:
            self.clock.advance(seconds=100)
        return super().send_sms(message)


def test_a_run_longer_than_the_claim_lease_claims_each_batch_at_its_own_time(
    db: Session, clock: Clock, sessions: sessionmaker[Session], eight_pins: None, setting: Setting
) -> None:
    setting("OUTBOX_BATCH_SIZE", 4)
    start = clock.now()

    dispatch(sessions, clock=clock.now, providers=Providers(SlowSms(clock), None))

    rows = pins(db)
    assert {row.status for row in rows} == {Status.sent}
    lease = get_settings().outbox_claim_lease_seconds
    assert clock.now() - start > timedelta(seconds=lease)  # the run outlived a claim lease
    # The second batch was claimed and recorded at the time it happened, not the run's start.
    sent_at = sorted({row.sent_at for row in rows if row.sent_at is not None})
    assert len(sent_at) == 2
    assert sent_at[1] - start > timedelta(seconds=lease)


def take(sessions: sessionmaker[Session], clock: Clock) -> Batch:
    report = DispatchReport()
    batch = take_batch(sessions, clock=clock.now, channels=[Channel.sms], report=report)
    assert batch is not None
    return batch


def test_a_built_batch_sends_only_rows_still_claimed_by_it_and_not_expired(
    db: Session, clock: Clock, sessions: sessionmaker[Session], eight_pins: None
) -> None:
    batch = take(sessions, clock)  # built while the batch before was with the provider
    rows = pins(db)
    assert {row.status for row in rows} == {Status.claimed}
    # Meanwhile the claim lease of one row ran out and another dispatcher took it...
    rows[0].claim_token = "another-dispatcher"
    # ...and the meeting another row reminds of began.
    rows[1].expires_at = clock.now()
    db.flush()
    sms = FakeSms()

    with sending_pool() as pool:
        sending = start_batch(
            sessions, batch, clock=clock.now, providers=Providers(sms, None), pool=pool
        )
        finish_batch(sessions, sending, clock=clock.now, report=DispatchReport())

    rows = pins(db)
    assert sorted(message.to for message in sms.sent) == PHONES[2:]
    assert (rows[0].status, rows[0].claim_token) == (Status.claimed, "another-dispatcher")
    assert (rows[1].status, rows[1].attempts, rows[1].claim_token) == (Status.pending, 0, None)
    assert {row.status for row in rows[2:]} == {Status.sent}


def test_a_dispatcher_stopped_by_an_error_puts_the_batch_it_built_back(
    db: Session, clock: Clock, sessions: sessionmaker[Session], eight_pins: None, setting: Setting
) -> None:
    setting("OUTBOX_BATCH_SIZE", 4)  # two batches: the second is built while the first sends
    broken = BrokenFor(PHONES[0])

    with pytest.raises(RuntimeError):
        dispatch(sessions, clock=clock.now, providers=Providers(sms=broken, mailer=None))

    statuses = Counter(row.status for row in pins(db))
    assert statuses[Status.claimed] == 0  # nothing waits for a claim lease
    assert statuses[Status.sending] == 1  # the call that broke
    assert statuses[Status.sent] == len(broken.sent)
    assert statuses[Status.pending] == len(PHONES) - 1 - len(broken.sent)


def test_a_claim_takes_the_longest_waiting_rows_first_in_the_order_they_became_due(
    db: Session, clock: Clock, eight_pins: None, setting: Setting
) -> None:
    setting("OUTBOX_BATCH_SIZE", 3)
    rows = pins(db)
    for minutes, row in enumerate(rows, start=1):  # the newest row has waited longest
        row.next_attempt_at = clock.now() - timedelta(minutes=minutes)
    db.flush()

    claimed = claim(db, now=clock.now(), channels=[Channel.sms], token="first")

    assert [row.id for row in claimed] == [rows[-1].id, rows[-2].id, rows[-3].id]
    assert {row.status for row in claimed} == {Status.claimed}
