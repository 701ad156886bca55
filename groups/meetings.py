"""Meetings of a group: planned from the weekly schedule, re-planned when it changes, and the
moderators' changes to one meeting (cancel, move, an extra one, its topic)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import audit
from core.database import paginate
from core.settings import get_settings
from groups import schedule
from groups.exceptions import InvalidMeetingTime, MeetingNotChangeable, MeetingNotFound
from groups.models import Group, Meeting, MeetingStatus
from notifications import notices

MOVE_HORIZON = timedelta(days=366)


def next_meeting(session: Session, group_id: int, now: datetime) -> Meeting | None:
    return session.scalar(
        select(Meeting)
        .where(
            Meeting.group_id == group_id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.ends_at > now,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )


def plan_meetings(
    session: Session, *, group: Group, now: datetime, weeks: int | None = None
) -> list[Meeting]:
    """Materialise the group's occurrences from today (local) up to ``weeks`` ahead; idempotent."""
    weeks = weeks or get_settings().meetings_weeks_ahead
    zone = group.zone
    today = now.astimezone(zone).date()
    wanted = schedule.occurrences(
        [schedule.Slot(s.weekday, s.start_minute) for s in group.slots],
        zone=zone,
        duration_minutes=group.duration_minutes,
        start=today,
        end=today + timedelta(weeks=weeks),
    )
    ahead = list(
        session.scalars(
            select(Meeting).where(
                Meeting.group_id == group.id,
                or_(Meeting.local_date >= today, Meeting.ends_at > now),
            )
        )
    )
    existing = {(m.local_date, m.slot_start_minute) for m in ahead}
    # An extra or moved meeting may stand where a weekly one would go: it is not doubled.
    booked = [(m.starts_at, m.ends_at) for m in ahead if m.status is MeetingStatus.scheduled]
    created = []
    for occurrence in wanted:
        if (
            occurrence.ends_at <= now
            or (occurrence.local_date, occurrence.slot_start_minute) in existing
            or _overlaps(occurrence.starts_at, occurrence.ends_at - occurrence.starts_at, booked)
        ):
            continue
        meeting = Meeting(
            group_id=group.id,
            local_date=occurrence.local_date,
            slot_start_minute=occurrence.slot_start_minute,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            room="r" + secrets.token_hex(12),
        )
        session.add(meeting)
        created.append(meeting)
    session.flush()
    return created


@dataclass(frozen=True)
class Weekly:
    """A group's weekly schedule: its slots (weekday, local start minute) and time zone."""

    slots: frozenset[tuple[int, int]]
    zone: ZoneInfo

    @classmethod
    def of(cls, group: Group) -> Weekly:
        return cls(frozenset((s.weekday, s.start_minute) for s in group.slots), group.zone)

    def planned(self, meeting: Meeting) -> datetime | None:
        """When this schedule holds the meeting's weekly slot on its day; None if it has none."""
        if (meeting.local_date.weekday(), meeting.slot_start_minute) not in self.slots:
            return None
        return schedule.local_to_utc(meeting.local_date, meeting.slot_start_minute, self.zone)

    def has(self, meeting: Meeting) -> bool:
        """Whether the meeting is this schedule's own occurrence, at its planned time."""
        return (meeting.original_starts_at or meeting.starts_at) == self.planned(meeting)


def replan_meetings(session: Session, *, group: Group, now: datetime, before: Weekly) -> None:
    """After a schedule change: the weekly meetings ahead follow the new schedule.

    A weekly meeting whose slot the new schedule keeps moves with it (a new time zone), keeping
    its topic or cancellation. One the new schedule no longer has is dropped: removed quietly
    while nobody has been reminded of it (members get the updated invitation), cancelled with a
    notice once reminders have gone out, so nobody dials in to a meeting that silently vanished.
    A cancelled one stays as it is: members were told, and a new slot overlapping it that
    evening is planned cancelled (a slot moved from 20:00 to 20:30 does not bring it back).
    Meetings set by hand stay as they are: an extra one, and one moved to another time (members
    were told of it). Meetings whose dial-in window has opened are never touched: callers may
    be in the room.
    """
    after = Weekly.of(group)
    settled = now + timedelta(minutes=get_settings().dial_in_opens_minutes_before)
    called_off: list[tuple[datetime, datetime]] = []  # cancelled weekly evenings left behind
    ahead = list(
        session.scalars(select(Meeting).where(Meeting.group_id == group.id, Meeting.ends_at > now))
    )
    weekly = [
        m for m in ahead if m.starts_at > settled and m.original_starts_at is None and before.has(m)
    ]
    taken = [
        (m.starts_at, m.ends_at)
        for m in ahead
        if m not in weekly and m.status is MeetingStatus.scheduled
    ]
    duration = timedelta(minutes=group.duration_minutes)
    for meeting in weekly:
        starts_at = after.planned(meeting)
        if starts_at is None or starts_at <= settled or _overlaps(starts_at, duration, taken):
            if meeting.status is MeetingStatus.cancelled:
                called_off.append((meeting.starts_at, meeting.ends_at))
            _drop(session, meeting, now)
            continue
        previous_starts_at = meeting.starts_at
        meeting.starts_at, meeting.ends_at = starts_at, starts_at + duration
        if starts_at != previous_starts_at and _reminded(meeting):
            notices.on_meeting_moved(
                session, meeting=meeting, previous_starts_at=previous_starts_at, now=now
            )
    session.flush()
    for planned in plan_meetings(session, group=group, now=now):
        # The evening members were told is off stays off when its slot only moved (20:00 to
        # 20:30): the new occurrence that evening is planned cancelled.
        if _overlaps(planned.starts_at, planned.ends_at - planned.starts_at, called_off):
            planned.status, planned.cancelled_at = MeetingStatus.cancelled, now
    session.flush()


def _overlaps(
    starts_at: datetime, duration: timedelta, taken: Sequence[tuple[datetime, datetime]]
) -> bool:
    return any(starts_at < ends and starts < starts_at + duration for starts, ends in taken)


def _reminded(meeting: Meeting) -> bool:
    """Whether members may have been reminded of the meeting (still on)."""
    return meeting.status is MeetingStatus.scheduled and meeting.reminders_queued_at is not None


def _drop(session: Session, meeting: Meeting, now: datetime) -> None:
    """A weekly meeting the schedule no longer has: cancelled with a notice if members were
    reminded of it, removed if not; one cancelled already stays."""
    if meeting.status is MeetingStatus.cancelled:
        return
    if not _reminded(meeting):
        session.delete(meeting)
        return
    meeting.status = MeetingStatus.cancelled
    meeting.cancelled_at = now
    notices.on_meeting_cancelled(session, meeting=meeting, now=now)


def plan_all(session: Session, *, now: datetime) -> int:
    """The daily job: keep every active group planned ahead."""
    created = 0
    for group in session.scalars(select(Group).where(Group.is_active.is_(True))):
        created += len(plan_meetings(session, group=group, now=now))
    return created


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingNotFound()
    return meeting


def list_meetings(
    session: Session, *, group_id: int, since: datetime, limit: int, offset: int
) -> tuple[list[Meeting], int]:
    """Meetings that have not ended by ``since``, soonest first: also one that a moderator
    extended past its planned end and that is still running."""
    overtime = session.execute(
        select(Meeting.id, Meeting.ends_at, Meeting.extended_minutes).where(
            Meeting.group_id == group_id,
            Meeting.extended_minutes > 0,
            Meeting.ends_at <= since,
            Meeting.ends_at > since - schedule.MAX_EXTENSION,
        )
    ).all()
    running = [id_ for id_, ends_at, more in overtime if ends_at + timedelta(minutes=more) > since]
    query = select(Meeting).where(
        Meeting.group_id == group_id, or_(Meeting.ends_at > since, Meeting.id.in_(running))
    )
    return paginate(session, query, Meeting.starts_at, limit=limit, offset=offset)


def _require_future(meeting: Meeting, now: datetime, action: str) -> None:
    if meeting.starts_at <= now:
        raise MeetingNotChangeable(f"this meeting has already started; it cannot be {action}")
    if meeting.status is MeetingStatus.cancelled:
        raise MeetingNotChangeable(f"this meeting is cancelled; it cannot be {action}")


def cancel_meeting(session: Session, *, actor: Staff, meeting: Meeting, now: datetime) -> Meeting:
    _require_future(meeting, now, "cancelled")
    meeting.status = MeetingStatus.cancelled
    meeting.cancelled_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="meeting.cancel",
        target_type="meeting",
        target_id=meeting.id,
        group_id=meeting.group_id,
    )
    notices.on_meeting_cancelled(session, meeting=meeting, now=now)
    return meeting


def move_meeting(
    session: Session, *, actor: Staff, meeting: Meeting, starts_at: datetime, now: datetime
) -> Meeting:
    _require_future(meeting, now, "moved")
    starts_at = starts_at.astimezone(UTC)
    if starts_at <= now:
        raise InvalidMeetingTime("the new start time is in the past")
    if starts_at > now + MOVE_HORIZON:
        raise InvalidMeetingTime("a meeting can be moved at most a year ahead")
    duration = meeting.ends_at - meeting.starts_at
    _refuse_clash(session, meeting.group_id, starts_at, starts_at + duration, meeting.id)
    previous_starts_at = meeting.starts_at
    if meeting.original_starts_at is None:
        meeting.original_starts_at = meeting.starts_at
    meeting.starts_at = starts_at
    meeting.ends_at = starts_at + duration
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="meeting.move",
        target_type="meeting",
        target_id=meeting.id,
        group_id=meeting.group_id,
    )
    notices.on_meeting_moved(
        session, meeting=meeting, previous_starts_at=previous_starts_at, now=now
    )
    return meeting


def _refuse_clash(
    session: Session, group_id: int, starts_at: datetime, ends_at: datetime, exclude_id: int | None
) -> None:
    query = select(Meeting.id).where(
        Meeting.group_id == group_id,
        Meeting.status == MeetingStatus.scheduled,
        Meeting.starts_at < ends_at,
        Meeting.ends_at > starts_at,
    )
    if exclude_id is not None:
        query = query.where(Meeting.id != exclude_id)
    if session.scalar(query) is not None:
        raise InvalidMeetingTime("the new time overlaps another meeting of this group")


def add_meeting(
    session: Session,
    *,
    actor: Staff,
    group: Group,
    starts_at: datetime,
    now: datetime,
    duration_minutes: int | None = None,
) -> Meeting:
    """An extra, one-off meeting outside the weekly slots (it may have started already).

    A later schedule change keeps it (``replan_meetings``).
    """
    starts_at = starts_at.astimezone(UTC)
    ends_at = starts_at + timedelta(minutes=duration_minutes or group.duration_minutes)
    if ends_at <= now:
        raise InvalidMeetingTime("this meeting would be over already; choose a later time")
    _refuse_clash(session, group.id, starts_at, ends_at, None)
    local = starts_at.astimezone(group.zone)
    local_date, minute = local.date(), local.hour * 60 + local.minute
    taken = session.scalar(
        select(Meeting.id).where(
            Meeting.group_id == group.id,
            Meeting.local_date == local_date,
            Meeting.slot_start_minute == minute,
        )
    )
    if taken is not None:
        raise InvalidMeetingTime("a cancelled meeting stands at this time; choose another one")
    meeting = Meeting(
        group_id=group.id,
        local_date=local_date,
        slot_start_minute=minute,
        starts_at=starts_at,
        ends_at=ends_at,
        room="r" + secrets.token_hex(12),
    )
    session.add(meeting)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="meeting.add",
        target_type="meeting",
        target_id=meeting.id,
        group_id=group.id,
    )
    return meeting


def set_topic(session: Session, *, actor: Staff, meeting: Meeting, topic: str | None) -> Meeting:
    meeting.topic = topic
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="meeting.topic",
        target_type="meeting",
        target_id=meeting.id,
        group_id=meeting.group_id,
    )
    return meeting


def meetings_on(session: Session, *, group_id: int, day: date) -> list[Meeting]:
    return list(
        session.scalars(
            select(Meeting).where(Meeting.group_id == group_id, Meeting.local_date == day)
        )
    )
