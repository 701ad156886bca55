"""Scheduled jobs: queue the reminders that are due, and dispatch the outbox.

The dispatcher's loop, a batch at a time: claim a batch of due rows and build its messages (one
commit), mark it ``sending`` (one statement), send it on the pool (``notifications.delivery``),
record every outcome (one commit, ``notifications.outcomes``). The next batch is claimed and
built while this one is with the provider, and marked only once this one is recorded, so at most
one batch is ever in doubt. The states a row goes through, and the rules behind exactly-once
delivery, are in ``notifications.outbox``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.logs import get_logger
from groups.models import Group, Meeting, MeetingStatus
from groups.schedule import local_to_utc
from notifications import notices, outbox
from notifications.delivery import (
    Batch,
    Providers,
    build_batch,
    finish_batch,
    sending_pool,
    start_batch,
)
from notifications.models import Channel
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
        count += notices.queue_reminders(session, meeting=meeting, now=now)
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
                            outbox.release_claims(session, token=following.token, now=clock())
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
        rows = outbox.claim(session, now=now, channels=channels, token=token)
        if not rows:
            return None
        return Batch(token=token, attempts=build_batch(session, rows, now=now, report=report))


def running_clock(start: datetime) -> Callable[[], datetime]:
    """``start`` (the time a job was given) moved on by the time that has passed since."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def prepare_queue(session: Session, *, now: datetime, channels: list[Channel]) -> None:
    """Recover expired leases, expire what is too late, hold what has no provider."""
    outbox.release_lapsed_claims(session, now=now)
    outbox.retry_in_doubt(session, now=now)
    outbox.expire_late(session, now=now)
    outbox.hold_without_provider(session, channels=channels)


# --- job entry points (registered in supportline.jobs) ---


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
