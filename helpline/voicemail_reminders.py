"""The daily voicemail reminder: at each contact point's local review time, its coordinators and
the reviewers they named are told how many new voicemails wait, with a link to the inbox.

"New": not handled and in no reminder yet. Nothing is sent when nothing is new. The review time
is the contact point's wall-clock time on each local day, right across DST (a time in the spring
gap is taken as the hour after it); a scheduler that was down sends later the same local day, never
the next. Each person is told once per contact point and local day (the outbox's key).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.logs import get_logger
from helpline import inbox
from helpline.models import ContactPoint, FetchState, Voicemail, contact_point_coordinators
from notifications import notices

log = get_logger(__name__)


def review_instant(point: ContactPoint, day: date) -> datetime:
    """The UTC instant of the contact point's review time on its local ``day``."""
    hours, minutes = (int(part) for part in point.voicemail_review_at.split(":"))
    zone = ZoneInfo(point.time_zone)
    local = datetime.combine(day, time(hours, minutes), tzinfo=zone)
    # A wall time in the spring gap does not exist: a round trip through UTC moves it on.
    return local.astimezone(ZoneInfo("UTC")).astimezone(zone)


def queue_due(session: Session, *, now: datetime) -> int:
    """Queue the reminders due at ``now``; returns how many messages were queued."""
    points = session.scalars(
        select(ContactPoint).where(
            ContactPoint.id.in_(
                select(Voicemail.contact_point_id).where(
                    Voicemail.reminded_on.is_(None),
                    Voicemail.handled_at.is_(None),
                    Voicemail.fetch_state != FetchState.failed,
                )
            )
        )
    ).all()
    return sum(_remind(session, point, now) for point in points)


def _remind(session: Session, point: ContactPoint, now: datetime) -> int:
    today = now.astimezone(ZoneInfo(point.time_zone)).date()
    due_at = review_instant(point, today)
    if now < due_at:
        return 0
    new = list(
        session.scalars(
            select(Voicemail.id).where(
                Voicemail.contact_point_id == point.id,
                Voicemail.reminded_on.is_(None),
                Voicemail.handled_at.is_(None),
                Voicemail.fetch_state != FetchState.failed,
                Voicemail.received_at <= due_at,
            )
        )
    )
    if not new:
        return 0
    coordinators = session.scalars(
        select(contact_point_coordinators.c.staff_id).where(
            contact_point_coordinators.c.contact_point_id == point.id
        )
    )
    staff_ids = sorted(set(coordinators) | inbox.reviewer_ids(session, point.id))
    queued = notices.notify_voicemails(
        session,
        staff_ids=staff_ids,
        contact_point_id=point.id,
        count=len(new),
        day=today,
        now=now,
    )
    session.execute(
        update(Voicemail)
        .where(Voicemail.id.in_(new))
        .values(reminded_on=today)
        .execution_options(synchronize_session=False)
    )
    log.info(
        "helpline.voicemail_reminder",
        extra={"contact_point_id": point.id, "count": len(new), "queued": queued},
    )
    return queued
