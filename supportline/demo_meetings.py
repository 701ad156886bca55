"""Meetings for trying the phone at once (``supportline demo --meeting-now``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from groups import meetings as groups_meetings
from groups.exceptions import InvalidMeetingTime
from groups.models import Group, Meeting, MeetingStatus


def _running(session: Session, group: Group, now: datetime) -> Meeting | None:
    return session.scalar(
        select(Meeting).where(
            Meeting.group_id == group.id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at <= now,
            Meeting.ends_at > now,
        )
    )


def _upcoming(session: Session, group: Group, now: datetime) -> Meeting | None:
    return session.scalar(
        select(Meeting)
        .where(
            Meeting.group_id == group.id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )


def in_progress(session: Session, admin: Staff, group: Group, now: datetime) -> Meeting:
    """The group's meeting running now: an existing one, or a one-off that began 5 minutes ago."""
    running = _running(session, group, now)
    if running is not None:
        return running
    starts_at = now.replace(second=0, microsecond=0) - timedelta(minutes=5)
    minutes = group.duration_minutes
    upcoming = _upcoming(session, group, now)
    if upcoming is not None and upcoming.starts_at < starts_at + timedelta(minutes=minutes):
        # End the one-off when the regular meeting begins.
        minutes = int((upcoming.starts_at - starts_at).total_seconds() // 60)
    return groups_meetings.add_meeting(
        session, actor=admin, group=group, starts_at=starts_at, now=now, duration_minutes=minutes
    )


def later_today(
    session: Session, admin: Staff, groups: list[Group], now: datetime
) -> Meeting | None:
    """Make one group's next meeting start later today (local), at least an hour from now.

    ``None`` when that is impossible because the local day ends within the next hour or so.
    """
    earliest = now + timedelta(hours=1)
    for group in groups:
        zone = group.zone
        today = now.astimezone(zone).date()
        upcoming = _upcoming(session, group, now)
        if (
            upcoming is not None
            and upcoming.starts_at >= earliest
            and upcoming.starts_at.astimezone(zone).date() == today
        ):
            return upcoming
        starts_at = _ceil_quarter(now + timedelta(minutes=75))
        if starts_at.astimezone(zone).date() != today:
            continue
        if upcoming is not None and upcoming.starts_at < starts_at:
            continue  # a regular meeting comes first (and too soon): try another group
        try:
            return groups_meetings.add_meeting(
                session, actor=admin, group=group, starts_at=starts_at, now=now
            )
        except InvalidMeetingTime:
            continue
    return None


def _ceil_quarter(moment: datetime) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    return moment + timedelta(minutes=-moment.minute % 15)
