"""Scheduled jobs: enqueue the reminders that are due, and dispatch the outbox.

Dispatch, a batch at a time (docs/delivery.md explains the rules):

1. *claim*: a batch of due rows becomes ``claimed`` with a lease (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so concurrent dispatchers take disjoint rows), and its messages are built, in
   one commit; this happens while the previous batch is with the provider;
2. *sending*: once the previous batch is recorded, the rows still claimed are committed as
   ``sending`` in one statement, before the first provider call — from here on, after a crash,
   nobody knows which of them the provider accepted;
3. the messages are sent ``OUTBOX_SEND_CONCURRENCY`` at a time (a small pool of threads, each
   row handed to the provider once), then every outcome is committed at once: ``sent``
   (with the provider's id), ``pending`` again with backoff and jitter (transient failure), or
   ``failed`` (permanent, or out of attempts: moderators see it). Rows never handed to the
   provider (the sending stopped early) go back to ``pending``.

A dispatcher killed between 1 and 2 loses nothing: the claim lease runs out and the rows are
taken again. Killed between 2 and 3, the rows of that batch still ``sending`` are *in doubt*
(also one whose send timed out): an SMS waits for Twilio's status callback (which names the
outbox row), and is sent again only when none came before the in-doubt lease ran out; an e-mail
is sent again with the same Message-ID. So the in-flight window is one batch
(``OUTBOX_BATCH_SIZE``), not one row, and never two: the next batch is only claimed, not
``sending``, until this one is recorded.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.logs import get_logger
from core.settings import get_settings
from groups.models import Group, Meeting, MeetingStatus
from groups.schedule import local_to_utc
from notifications import notices
from notifications import service as outbox
from notifications.delivery import (
    Batch,
    Providers,
    build_batch,
    finish_batch,
    release_batch,
    sending_pool,
    start_batch,
)
from notifications.models import Channel, Kind, OutboxMessage, Status
from notifications.outcomes import DispatchReport

log = get_logger("notifications.dispatch")
REMINDER_HORIZON = timedelta(hours=26)  # longest reminder lead (24 h) plus a DST hour, rounded up


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
    those that began. A meeting's reminders are one multi-row insert; the idempotency key makes
    repeated runs harmless.
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
        count += outbox.enqueue_for_members(
            session,
            kind=Kind.reminder,
            channel=Channel.sms,
            group_id=meeting.group_id,
            membership_ids=notices.reachable_member_ids(session, meeting.group_id),
            meeting_id=meeting.id,
            version=notices.reminder_version(meeting),
            expires_at=meeting.starts_at,
            now=now,
        )
    return count


# --- dispatch ---


def dispatch(
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    providers: Providers,
) -> DispatchReport:
    """Send what is due, a batch at a time (see the module docstring).

    While a batch is with the provider the next one is claimed and built, so the provider is
    not idle while we read the database; it is marked ``sending`` only once the batch before
    it is recorded, so at most one batch is ever in doubt. ``clock`` is read for each step, not
    once per run: a run longer than the claim lease must not claim with a lease already over.
    """
    report = DispatchReport()
    channels = providers.channels()
    with sessions.begin() as session:
        prepare_queue(session, now=clock(), channels=channels)
    with sending_pool() as pool:
        batch = take_batch(sessions, clock=clock, channels=channels, report=report)
        while batch is not None:
            sending = start_batch(sessions, batch, clock=clock, providers=providers, pool=pool)
            following = None
            try:
                following = take_batch(sessions, clock=clock, channels=channels, report=report)
            finally:
                try:
                    finish_batch(sessions, sending, clock=clock, report=report)
                except BaseException:
                    if following is not None:  # built, never marked: back to the queue
                        with sessions.begin() as session:
                            release_batch(session, following, now=clock())
                    raise
            batch = following
    return report


def take_batch(
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    channels: list[Channel],
    report: DispatchReport,
) -> Batch | None:
    """Claim up to a batch of due rows and build their messages, in one commit (still claimed)."""
    token = secrets.token_hex(16)
    with sessions.begin() as session:
        now = clock()
        rows = claim(session, now=now, channels=channels, token=token)
        if not rows:
            return None
        return Batch(token=token, attempts=build_batch(session, rows, now=now, report=report))


def running_clock(start: datetime) -> Callable[[], datetime]:
    """``start`` (the time a job was given) moved on by the time that has passed since."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def prepare_queue(session: Session, *, now: datetime, channels: list[Channel]) -> None:
    """Recover expired leases, expire what is too late, hold what has no provider."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == Status.claimed, OutboxMessage.lease_until <= now)
        .values(status=Status.pending, claim_token=None, lease_until=None)
    )
    # In doubt and no status callback came: send again (docs/delivery.md).
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


def claim(
    session: Session, *, now: datetime, channels: list[Channel], token: str
) -> list[OutboxMessage]:
    """Take up to a batch of due rows for this dispatcher, oldest first, in one statement.

    On PostgreSQL the candidates are locked with ``SKIP LOCKED``, so concurrent dispatchers take
    disjoint rows; the rows stay locked by this transaction until it ends.
    """
    settings = get_settings()
    waiting = (Status.pending, Status.no_provider)
    candidates = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_(waiting),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(channels),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(settings.outbox_batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), OutboxMessage.status.in_(waiting))
        .values(
            status=Status.claimed,
            claim_token=token,
            lease_until=now + timedelta(seconds=settings.outbox_claim_lease_seconds),
        )
        .returning(OutboxMessage)
        .execution_options(populate_existing=True)
    ).all()
    return sorted(claimed, key=lambda row: (row.next_attempt_at, row.id))


# --- job entry points (registered in core.scheduler) ---


def dispatch_job(sessions: sessionmaker[Session], now: datetime) -> None:
    report = dispatch(sessions, clock=running_clock(now), providers=Providers.from_settings())
    if report.outcomes:
        log.info(
            "outbox.dispatched",
            extra={"sent": report.sent, "retried": report.retried, "failed": report.failed},
        )


def reminders_job(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions.begin() as session:
        enqueue_due_reminders(session, now=now)
