"""What comes of a send, with in-memory providers: sent, retried with backoff, failed for good
(and the moderators told), held while no provider is configured."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role
from core.settings import get_settings
from notifications import service as notifications_service
from notifications.delivery import Providers
from notifications.models import Kind, Status
from notifications.outcomes import Attempt, DispatchReport, record_outcomes
from notifications.providers import DeliveryError, Sms
from notifications.tasks import dispatch
from tests.clock import Clock
from tests.factories import create_group, create_member, create_staff
from tests.notifications.conftest import Dispatch, rows
from tests.notifications.fakes import FakeMailer, FakeSms


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
