"""Scheduled jobs: enqueue the reminders that are due, and dispatch the outbox.

Dispatch, a batch at a time (README "Delivery" explains the rules):

1. *claim*: a batch of due rows becomes ``claimed`` with a lease (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so concurrent dispatchers take disjoint rows);
2. *sending*: the batch's messages are built and the rows committed as ``sending``, all in one
   commit, before the first provider call — from here on, after a crash, nobody knows which of
   them the provider accepted;
3. the messages are sent one after another, then every outcome is committed at once: ``sent``
   (with the provider's id), ``pending`` again with backoff and jitter (transient failure), or
   ``failed`` (permanent, or out of attempts: moderators see it). Rows never handed to the
   provider (the loop stopped early) go back to ``pending``.

A dispatcher killed between 1 and 2 loses nothing: the claim lease runs out and the rows are
taken again. Killed between 2 and 3, the rows of that batch still ``sending`` are *in doubt*
(also one whose send timed out): an SMS waits for Twilio's status callback (which names the
outbox row), and is sent again only when none came before the in-doubt lease ran out; an e-mail
is sent again with the same Message-ID. So the in-flight window is one batch
(``OUTBOX_BATCH_SIZE``), not one row: two commits per batch instead of two per message.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from core.logs import get_logger
from core.settings import get_settings
from groups.models import Group, Meeting, MeetingStatus, Membership
from groups.schedule import local_to_utc
from notifications import service as outbox
from notifications.models import Channel, Kind, OutboxMessage, Status
from notifications.providers import (
    UNSUBSCRIBED,
    DeliveryError,
    DeliveryInDoubt,
    Mailer,
    Sms,
    SmsSender,
    get_mailer,
    get_sms_sender,
)
from notifications.render import Skip, build

log = get_logger("notifications.dispatch")
_random = secrets.SystemRandom()
REMINDER_HORIZON = timedelta(hours=26)  # longest reminder lead (24 h) plus a DST hour, rounded up


@dataclass
class Providers:
    sms: SmsSender | None
    mailer: Mailer | None

    @classmethod
    def from_settings(cls) -> Providers:
        return cls(sms=get_sms_sender(), mailer=get_mailer())

    def channels(self) -> list[Channel]:
        available = [(Channel.sms, self.sms), (Channel.email, self.mailer)]
        return [channel for channel, provider in available if provider is not None]


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    in_doubt: int = 0
    skipped: int = 0
    outcomes: dict[int, Status] = field(default_factory=dict)


# --- reminders ---


def reminder_at(meeting: Meeting, group: Group) -> datetime:
    """The reminder instant: the start's local wall-clock time minus the group's minutes.

    Computed on the wall clock of the group's zone (then converted to UTC), so a 20:00 meeting is
    reminded at 17:00 local every week, also on the days the clocks change.
    """
    zone_start = meeting.starts_at.astimezone(ZoneInfo(group.time_zone))
    wall = zone_start.replace(tzinfo=None) - timedelta(minutes=group.reminder_minutes_before)
    return local_to_utc(wall.date(), wall.hour * 60 + wall.minute, ZoneInfo(group.time_zone))


def enqueue_due_reminders(session: Session, *, now: datetime) -> int:
    """Queue every reminder whose instant has come, for meetings that have not started.

    Run every minute; after downtime it catches up on meetings that are still ahead, never on
    those that began. The idempotency key makes repeated runs harmless.
    """
    meetings = session.scalars(
        select(Meeting)
        .join(Group, Group.id == Meeting.group_id)
        .where(
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at > now,
            Meeting.starts_at <= now + REMINDER_HORIZON,
            Group.is_active.is_(True),
        )
        .order_by(Meeting.starts_at)
    )
    count = 0
    for meeting in meetings:
        if reminder_at(meeting, meeting.group) > now:
            continue
        for membership in outbox.reachable_members(session, meeting.group_id):
            count += outbox.enqueue(
                session,
                kind=Kind.reminder,
                channel=Channel.sms,
                group_id=meeting.group_id,
                membership_id=membership.id,
                meeting_id=meeting.id,
                version=outbox.reminder_version(meeting),
                expires_at=meeting.starts_at,
                now=now,
            )
    return count


# --- dispatch ---


def dispatch(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    providers: Providers,
    max_batches: int | None = None,
) -> DispatchReport:
    """Send what is due, a batch at a time (see the module docstring)."""
    report = DispatchReport()
    with sessions.begin() as session:
        prepare_queue(session, now=now, channels=providers.channels())
    batches = 0
    while max_batches is None or batches < max_batches:
        token = secrets.token_hex(16)
        with sessions.begin() as session:
            ids = claim(session, now=now, channels=providers.channels(), token=token)
        if not ids:
            break
        batches += 1
        deliver_batch(sessions, token=token, now=now, providers=providers, report=report)
    return report


def prepare_queue(session: Session, *, now: datetime, channels: list[Channel]) -> None:
    """Recover expired leases, expire what is too late, hold what has no provider."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == Status.claimed, OutboxMessage.lease_until <= now)
        .values(status=Status.pending, claim_token=None, lease_until=None)
    )
    # In doubt and no status callback came: send again (README "Delivery").
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == Status.sending, OutboxMessage.lease_until <= now)
        .values(
            status=Status.pending,
            claim_token=None,
            lease_until=None,
            next_attempt_at=now,
            last_error="outcome unknown (no answer or process stopped); sent again",
        )
    )
    waiting = (Status.pending, Status.no_provider)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status.in_(waiting), OutboxMessage.expires_at <= now)
        .values(status=Status.expired, secret=None, last_error="too late: the meeting started")
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == Status.pending, OutboxMessage.channel.not_in(channels))
        .values(status=Status.no_provider, last_error="no provider configured")
    )


def claim(session: Session, *, now: datetime, channels: list[Channel], token: str) -> list[int]:
    """Take up to a batch of due rows for this dispatcher; disjoint from other dispatchers'."""
    settings = get_settings()
    candidates = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_((Status.pending, Status.no_provider)),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(channels),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(settings.outbox_batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.scalars(candidates))
    if not ids:
        return []
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status.in_((Status.pending, Status.no_provider)),
        )
        .values(
            status=Status.claimed,
            claim_token=token,
            lease_until=now + timedelta(seconds=settings.outbox_claim_lease_seconds),
        )
    )
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        )
    )


@dataclass
class Attempt:
    """One message of a batch on its way to the provider, and what came of it."""

    outbox_id: int
    message: Sms | EmailMessage
    started: bool = False
    provider_id: str | None = None
    error: DeliveryError | None = None
    doubt: str | None = None


def deliver_batch(
    sessions: sessionmaker[Session],
    *,
    token: str,
    now: datetime,
    providers: Providers,
    report: DispatchReport,
) -> None:
    """Mark the batch ``sending`` in one commit, send one after another, record in one commit.

    Whatever stops the loop (an unexpected error, the time budget), the outcomes known so far are
    recorded; rows never handed to the provider go back to the queue, and a row whose provider
    call did not return stays ``sending``: in doubt.
    """
    with sessions.begin() as session:
        attempts = mark_sending(session, token=token, now=now, report=report)
    # Every row of the batch has been ``sending`` since the commit above: stop early enough
    # that none of them outlives its in-doubt lease before its outcome is recorded.
    deadline = time.monotonic() + get_settings().outbox_in_doubt_seconds / 2
    try:
        send_all(providers, attempts, deadline=deadline)
    finally:
        with sessions.begin() as session:
            record_outcomes(session, attempts, now=now, report=report)


def mark_sending(
    session: Session, *, token: str, now: datetime, report: DispatchReport
) -> list[Attempt]:
    """Build each claimed row's message; moot rows end here, the others become ``sending``."""
    rows = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.claim_token == token, OutboxMessage.status == Status.claimed)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .with_for_update()
        )
    )
    recipients = load_recipients(session, rows)
    lease_until = now + timedelta(seconds=get_settings().outbox_in_doubt_seconds)
    attempts: list[Attempt] = []
    for row in rows:
        try:
            message = build(session, row, now=now, opted_out=recipients.opted_out)
        except Skip as skip:
            _finish(row, skip.status, skip.reason, now)
            if skip.status is Status.failed:
                outbox.notify_failure(session, row, now)
            report.skipped += 1
            report.outcomes[row.id] = skip.status
            continue
        row.status = Status.sending
        row.attempts += 1
        row.updated_at = now
        row.lease_until = lease_until
        attempts.append(Attempt(outbox_id=row.id, message=message))
    return attempts


@dataclass
class Recipients:
    """A batch's records, read in a few queries instead of several per row.

    Held while the batch is built: the session's identity map keeps objects only weakly, and it
    is what lets ``build`` find memberships, groups, lines and meetings without a query.
    """

    records: list[object]
    opted_out: frozenset[str]


def load_recipients(session: Session, rows: list[OutboxMessage]) -> Recipients:
    membership_ids = {row.membership_id for row in rows if row.membership_id is not None}
    memberships = session.scalars(select(Membership).where(Membership.id.in_(membership_ids))).all()
    group_ids = {membership.group_id for membership in memberships}
    groups = session.scalars(
        select(Group).where(Group.id.in_(group_ids)).options(selectinload(Group.lines))
    ).all()
    meeting_ids = {row.meeting_id for row in rows if row.meeting_id is not None}
    meetings = session.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids))).all()
    phones = {member.phone_index for member in memberships if member.phone_index is not None}
    return Recipients(
        records=[*memberships, *groups, *meetings],
        opted_out=outbox.opted_out_among(session, phones),
    )


def send_all(providers: Providers, attempts: list[Attempt], *, deadline: float) -> None:
    """One after another; an ``Attempt`` left not ``started`` was never handed to the provider."""
    for attempt in attempts:
        if time.monotonic() >= deadline:
            return
        attempt.started = True
        try:
            attempt.provider_id = _send(providers, attempt.message)
        except DeliveryInDoubt as doubt:
            attempt.doubt = doubt.reason
        except DeliveryError as error:
            attempt.error = error


def record_outcomes(
    session: Session, attempts: list[Attempt], *, now: datetime, report: DispatchReport
) -> None:
    ids = [attempt.outbox_id for attempt in attempts]
    # Locked, so a status callback arriving now waits for this commit instead of being overwritten.
    rows = {
        row.id: row
        for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).with_for_update()
        )
    }  # held, so ``record_*`` find them in the identity map
    for attempt in attempts:
        record_outcome(session, rows[attempt.outbox_id], attempt, now=now, report=report)


def record_outcome(
    session: Session,
    row: OutboxMessage,
    attempt: Attempt,
    *,
    now: datetime,
    report: DispatchReport,
) -> None:
    outbox_id = row.id
    if attempt.provider_id is not None:
        record_sent(session, outbox_id=outbox_id, provider_id=attempt.provider_id, now=now)
        report.sent += 1
        report.outcomes[outbox_id] = Status.sent
    elif attempt.error is not None:
        status = record_failure(session, outbox_id=outbox_id, error=attempt.error, now=now)
        report.outcomes[outbox_id] = status
        if status is Status.failed:
            report.failed += 1
        else:
            report.retried += 1
    elif attempt.started:  # the provider may have it: in doubt (README "Delivery")
        row.last_error = (attempt.doubt or "outcome unknown: the send did not return")[:200]
        report.in_doubt += 1
        report.outcomes[outbox_id] = Status.sending
        log.warning("outbox.in_doubt", extra={"outbox_id": outbox_id})
    else:
        release(row, now)


def release(row: OutboxMessage, now: datetime) -> None:
    """A ``sending`` row that never reached the provider: back to the queue, attempt not counted."""
    if row.status is not Status.sending:
        return
    row.status = Status.pending
    row.attempts -= 1
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now
    row.next_attempt_at = now


def _send(providers: Providers, message: Sms | EmailMessage) -> str:
    if isinstance(message, Sms):
        assert providers.sms is not None  # claimed only for channels with a provider
        return providers.sms.send_sms(message)
    assert providers.mailer is not None
    return providers.mailer.send_email(message)


def _finish(row: OutboxMessage, status: Status, reason: str, now: datetime) -> None:
    row.status = status
    row.last_error = reason[:200]
    row.secret = None
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now


def record_sent(session: Session, *, outbox_id: int, provider_id: str, now: datetime) -> None:
    row = session.get_one(OutboxMessage, outbox_id)
    if row.status is Status.sending:  # a status callback may have been faster
        row.status = Status.sent
    row.provider_id = provider_id[:64]
    row.sent_at = row.sent_at or now
    row.secret = None
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now
    log.info("outbox.sent", extra={"outbox_id": row.id, "kind": row.kind.value})


def record_failure(
    session: Session, *, outbox_id: int, error: DeliveryError, now: datetime
) -> Status:
    settings = get_settings()
    row = session.get_one(OutboxMessage, outbox_id)
    if error.permanent or row.attempts >= settings.outbox_max_attempts:
        reason = (
            error.reason if error.permanent else f"gave up after {row.attempts}: {error.reason}"
        )
        _finish(row, Status.failed, reason, now)
        if error.code == UNSUBSCRIBED and row.membership_id is not None:
            membership = session.get(Membership, row.membership_id)
            if membership is not None and membership.phone_index is not None:
                outbox.opt_out(session, phone_index=membership.phone_index, now=now)
        outbox.notify_failure(session, row, now)
        log.warning("outbox.failed", extra={"outbox_id": row.id, "reason": row.last_error})
        return Status.failed
    row.status = Status.pending
    row.last_error = error.reason[:200]
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now
    row.next_attempt_at = now + backoff(row.attempts)
    return Status.pending


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with ±50 % jitter, so retries of many rows do not arrive together."""
    settings = get_settings()
    base = min(
        settings.outbox_retry_base_seconds * 2 ** max(attempts - 1, 0),
        settings.outbox_retry_max_seconds,
    )
    return timedelta(seconds=base * _random.uniform(0.5, 1.5))


# --- job entry points (registered in core.scheduler) ---


def dispatch_job(sessions: sessionmaker[Session], now: datetime) -> None:
    report = dispatch(sessions, now=now, providers=Providers.from_settings())
    if report.outcomes:
        log.info(
            "outbox.dispatched",
            extra={"sent": report.sent, "retried": report.retried, "failed": report.failed},
        )


def reminders_job(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions.begin() as session:
        enqueue_due_reminders(session, now=now)
