"""Duty reminders: each volunteer on a shift is reminded the evening before
(``DUTY_REMINDER_EVENING``, the contact point's local time) and again some hours before it
starts (``DUTY_REMINDER_HOURS_BEFORE``) — volunteers forget shifts more than anything else.

A run queues the latest reminder that is due and not yet past the shift's start, for every seat
filled now; the outbox's idempotency key (volunteer, shift, which reminder) makes each one go
once, however often the job runs and on however many workers. A volunteer seated after the
evening reminder's time still gets it at once; one seated within the last hours gets only the
later one. Each message expires at the shift's start.

Each goes by the channel the volunteer chose (``Volunteer.notify_by``): an SMS to the phone their
seats ring, which says to reply NO if they cannot come (``helpline.cover.reply_decline``), or an
e-mail with a link to withdraw in the console. It names the contact point and the shift's local
times, nothing about callers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.settings import get_settings
from groups.schedule import local_to_utc, parse_minute
from helpline import words
from helpline.models import ContactPoint, Seat, Shift, ShiftStatus, Volunteer
from helpline.words import Reply
from notifications import notices

EVENING, SOON = "duty_tomorrow", "duty_soon"
# How far ahead a run looks: far enough for any evening-before reminder.
HORIZON = timedelta(hours=36)


def due(shift: Shift, zone: ZoneInfo, now: datetime) -> str | None:
    """The latest reminder of ``shift`` due at ``now`` (None: none yet, or it has started)."""
    if now >= shift.starts_at:
        return None
    settings = get_settings()
    soon = shift.starts_at - timedelta(hours=settings.duty_reminder_hours_before)
    evening = local_to_utc(
        shift.local_date - timedelta(days=1), parse_minute(settings.duty_reminder_evening), zone
    )
    if now >= soon:
        return SOON
    if now >= evening:
        return EVENING
    return None


def queue_due(session: Session, *, now: datetime) -> int:
    """Queue the reminders due now; returns how many messages were new."""
    rows = session.execute(
        select(Shift, ContactPoint.time_zone, ContactPoint.language)
        .join(ContactPoint, ContactPoint.id == Shift.contact_point_id)
        .where(
            Shift.status == ShiftStatus.scheduled,
            Shift.starts_at > now,
            Shift.starts_at <= now + HORIZON,
        )
        .order_by(Shift.starts_at)
    ).all()
    queued = 0
    for shift, zone, language in rows:
        which = due(shift, ZoneInfo(zone), now)
        if which is None:
            continue
        volunteers = session.scalars(
            select(Volunteer)
            .join(Seat, Seat.volunteer_id == Volunteer.id)
            .where(Seat.shift_id == shift.id)
            .order_by(Seat.position)
        ).all()
        for volunteer in volunteers:
            queued += notices.notify_volunteer(
                session,
                volunteer=volunteer,
                event=which,
                contact_point_id=shift.contact_point_id,
                shift_id=shift.id,
                now=now,
                expires_at=shift.starts_at,
                reply=words.suggested(Reply.decline, language),
            )
    return queued
