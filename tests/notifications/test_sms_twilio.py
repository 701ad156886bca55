"""SMS through the real twilio SDK against Twilio's OpenAPI description served by Prism."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from twilio.rest import Client

from core.settings import get_settings
from notifications import optout
from notifications.delivery import Providers
from notifications.models import Kind, OutboxMessage, Status
from notifications.outcomes import DispatchReport
from notifications.providers import TwilioSms
from notifications.tasks import enqueue_due_reminders
from tests.clock import Clock
from tests.emulators.faults import FaultInjectingHttpClient
from tests.factories import create_group, create_member
from tests.notifications.conftest import dispatcher
from tests.notifications.fakes import FakeMailer
from tests.notifications.test_reminders import at

MESSAGES = "/Messages.json"
Run = Callable[[], DispatchReport]


@pytest.fixture
def http(twilio_client: tuple[Client, FaultInjectingHttpClient]) -> FaultInjectingHttpClient:
    return twilio_client[1]


@pytest.fixture
def run(
    db: Session,
    sessions: sessionmaker[Session],
    clock: Clock,
    twilio_client: tuple[Client, FaultInjectingHttpClient],
) -> Run:
    providers = Providers(sms=TwilioSms(twilio_client[0]), mailer=FakeMailer())
    return dispatcher(db, sessions, providers, clock)


def pin_row(db: Session) -> OutboxMessage:
    return db.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.pin)).one()


def test_pin_and_reminder_are_accepted_by_the_twilio_spec(
    db: Session, clock: Clock, run: Run, http: FaultInjectingHttpClient
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now(), phone="+48601234575")
    run()
    clock.set(at(2026, 3, 2, 16, 0))
    enqueue_due_reminders(db, now=clock.now())
    run()

    sent = http.sent(MESSAGES, "POST")
    assert [request.status for request in sent] == [201, 201]
    assert [request.data["Body"] for request in sent] == [
        f"Your code: {credentials.pin}",
        "Reminder: your call today at 20:00. Reply STOP to stop reminders.",
    ]
    for request in sent:
        assert request.data["To"] == "+48601234575"
        assert request.data["From"] == group.lines[0].number
        assert str(request.data["StatusCallback"]).startswith(
            "https://line.example.org/twilio/sms/status?outbox="
        )
    row = pin_row(db)
    assert row.status is Status.sent
    assert row.provider_id is not None and row.provider_id.startswith("SM")


def test_21610_unsubscribed_fails_for_good_and_stops_reminders(
    db: Session, clock: Clock, run: Run, http: FaultInjectingHttpClient
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    http.fail_next(status=400, code=21610, match=MESSAGES)
    run()

    row = pin_row(db)
    assert (row.status, row.last_error, row.attempts) == (
        Status.failed,
        "twilio 21610: recipient unsubscribed (replied STOP)",
        1,
    )
    assert row.secret is None
    phone_index = credentials.membership.phone_index
    assert optout.is_opted_out(db, phone_index)
    clock.set(at(2026, 3, 2, 16, 0))
    assert enqueue_due_reminders(db, now=clock.now()) == 0


def test_21211_invalid_number_fails_for_good(
    db: Session, clock: Clock, run: Run, http: FaultInjectingHttpClient
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    http.fail_next(status=400, code=21211, match=MESSAGES)
    run()
    clock.advance(hours=2)
    run()
    assert pin_row(db).status is Status.failed
    assert pin_row(db).last_error == "twilio 21211: invalid 'To' phone number"
    assert len(http.sent(MESSAGES, "POST")) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_5xx_and_429_are_retried_then_sent(
    db: Session, clock: Clock, run: Run, http: FaultInjectingHttpClient, status: int
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    http.fail_next(status=status, code=20429 if status == 429 else status, match=MESSAGES)
    run()
    row = pin_row(db)
    assert row.status is Status.pending
    assert row.last_error is not None and row.last_error.startswith("twilio")
    clock.set(row.next_attempt_at)
    run()
    assert pin_row(db).status is Status.sent
    assert [r.status for r in http.sent(MESSAGES, "POST")] == [status, 201]


def test_connect_timeout_is_retried(
    db: Session, clock: Clock, run: Run, http: FaultInjectingHttpClient
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    http.timeout_next(match=MESSAGES, connect=True)
    run()
    row = pin_row(db)
    assert (row.status, row.last_error) == (Status.pending, "twilio: connect timeout")
    clock.set(row.next_attempt_at)
    run()
    assert pin_row(db).status is Status.sent


def test_read_timeout_waits_for_the_callback_then_sends_again(
    db: Session, clock: Clock, run: Run, http: FaultInjectingHttpClient
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    http.timeout_next(match=MESSAGES)
    run()
    row = pin_row(db)
    assert (row.status, row.last_error) == (
        Status.sending,
        "twilio: no answer in time (read timeout)",
    )
    clock.advance(seconds=get_settings().outbox_in_doubt_seconds // 2)
    run()
    assert len(http.sent(MESSAGES, "POST")) == 1

    clock.advance(seconds=get_settings().outbox_in_doubt_seconds)
    run()
    bodies = [r.data["Body"] for r in http.sent(MESSAGES, "POST")]
    assert bodies == [f"Your code: {credentials.pin}"] * 2
    assert pin_row(db).status is Status.sent
