"""Scheduled jobs: enqueue the reminders that are due, and dispatch the outbox.

Dispatch, row by row (README "Delivery" explains the rules):

1. *claim*: a batch of due rows becomes ``claimed`` with a lease (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so concurrent dispatchers take disjoint rows);
2. *sending*: just before the provider is called the row is committed as ``sending`` — from here
   on, after a crash, nobody knows whether the provider accepted it;
3. the outcome is committed: ``sent`` (with the provider's id), ``pending`` again with backoff
   and jitter (transient failure), or ``failed`` (permanent, or out of attempts: moderators see it).

A dispatcher killed between 1 and 2 loses nothing: the claim lease runs out and the row is taken
again. Killed (or timed out) between 2 and 3, the row is *in doubt*: an SMS waits for Twilio's
status callback (which names the outbox row), and is sent again only when none came before the
in-doubt lease ran out; an e-mail is sent again with the same Message-ID.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

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
    """Send what is due; each step commits on its own (see the module docstring)."""
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
        for outbox_id in ids:
            deliver(
                sessions,
                outbox_id=outbox_id,
                token=token,
                now=now,
                providers=providers,
                report=report,
            )
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


def deliver(
    sessions: sessionmaker[Session],
    *,
    outbox_id: int,
    token: str,
    now: datetime,
    providers: Providers,
    report: DispatchReport,
) -> None:
    with sessions.begin() as session:
        row = session.get_one(OutboxMessage, outbox_id)
        if row.status is not Status.claimed or row.claim_token != token:
            return
        try:
            message = build(session, row, now=now)
        except Skip as skip:
            _finish(row, skip.status, skip.reason, now)
            if skip.status is Status.failed:
                outbox.notify_failure(session, row, now)
            report.skipped += 1
            report.outcomes[row.id] = skip.status
            return
        row.status = Status.sending
        row.attempts += 1
        row.updated_at = now
        row.lease_until = now + timedelta(seconds=get_settings().outbox_in_doubt_seconds)
    try:
        provider_id = _send(providers, message)
    except DeliveryInDoubt as doubt:
        with sessions.begin() as session:
            session.get_one(OutboxMessage, outbox_id).last_error = doubt.reason
        report.in_doubt += 1
        report.outcomes[outbox_id] = Status.sending
        log.warning("outbox.in_doubt", extra={"outbox_id": outbox_id})
        return
    except DeliveryError as error:
        with sessions.begin() as session:
            status = record_failure(session, outbox_id=outbox_id, error=error, now=now)
        report.outcomes[outbox_id] = status
        if status is Status.failed:
            report.failed += 1
        else:
            report.retried += 1
        return
    with sessions.begin() as session:
        record_sent(session, outbox_id=outbox_id, provider_id=provider_id, now=now)
    report.sent += 1
    report.outcomes[outbox_id] = Status.sent


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
