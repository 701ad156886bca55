"""Who may enter which room, and when: the admission checks after a successful login.

Each refusal has its own short, kind prompt. An admitted caller is dialled into the meeting's
room with a time limit that ends the call at the meeting's end (including any extension).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conference import twiml as t
from conference.models import AccessEvent, AccessEventKind, Call, CallStage, Room
from conference.prompts import Prompt, local_day, local_time
from core.logs import get_logger
from core.settings import get_settings
from groups.models import Group, Meeting, MeetingStatus, Membership, MembershipRole
from groups.models import MembershipStatus as Status

log = get_logger(__name__)

# An admitted call that has not joined within this time no longer blocks its credentials.
ADMITTED_GRACE = timedelta(minutes=2)


# Extensions have a ceiling, so a query for running meetings can have a lower bound and never
# walks a group's whole history on each dial-in.
MAX_EXTENSION = timedelta(hours=4)


def meeting_end(meeting: Meeting) -> datetime:
    return meeting.ends_at + timedelta(minutes=meeting.extended_minutes)


def room_of(session: Session, meeting: Meeting) -> Room:
    """The meeting's room row, created by its first caller.

    The first members of a meeting dial in at the same moment: their inserts race, and the
    loser's does nothing (instead of failing the call with a unique violation).
    """
    query = select(Room).where(Room.meeting_id == meeting.id)
    room = session.scalar(query)
    if room is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(Room)
            .values(meeting_id=meeting.id, locked=False)
            .on_conflict_do_nothing(index_elements=[Room.meeting_id])
        )
        room = session.scalars(query).one()
    return room


def _window_opens(meeting: Meeting) -> datetime:
    return meeting.starts_at - timedelta(minutes=get_settings().dial_in_opens_minutes_before)


def current_meeting(session: Session, group_id: int, now: datetime) -> Meeting | None:
    """The scheduled meeting whose dial-in window is open now and whose room has not ended."""
    candidates = session.scalars(
        select(Meeting)
        .where(
            Meeting.group_id == group_id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at <= now + timedelta(hours=1),
            Meeting.ends_at > now - MAX_EXTENSION,
        )
        .order_by(Meeting.starts_at)
    )
    for meeting in candidates:
        if _window_opens(meeting) <= now < meeting_end(meeting):
            room = session.scalar(select(Room).where(Room.meeting_id == meeting.id))
            if room is None or room.ended_at is None:
                return meeting
    return None


def _next_after(session: Session, group_id: int, after: datetime) -> Meeting | None:
    return session.scalar(
        select(Meeting)
        .where(
            Meeting.group_id == group_id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at > after,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )


def _no_meeting_lines(session: Session, group: Group, language: str, now: datetime) -> list[t.Line]:
    """Not open yet (today), cancelled, or no meeting now — and when the next one is."""
    upcoming = _next_after(session, group.id, now)
    today = now.astimezone(_zone(group)).date()
    if upcoming is not None and upcoming.starts_at.astimezone(_zone(group)).date() == today:
        when = local_time(upcoming.starts_at, group.time_zone, language)
        return [t.line(Prompt.not_open, time=when)]
    cancelled = session.scalar(
        select(Meeting.id).where(
            Meeting.group_id == group.id,
            Meeting.status == MeetingStatus.cancelled,
            Meeting.local_date == today,
        )
    )
    lines = [t.line(Prompt.cancelled if cancelled else Prompt.no_meeting)]
    if upcoming is not None:
        day = local_day(upcoming.starts_at, group.time_zone, language)
        when = local_time(upcoming.starts_at, group.time_zone, language)
        lines.append(t.line(Prompt.next_meeting, day=day, time=when))
    return lines


def _zone(group: Group) -> ZoneInfo:
    return ZoneInfo(group.time_zone)


def _already_in(session: Session, call: Call, membership: Membership, now: datetime) -> bool:
    others = session.scalars(
        select(Call).where(
            Call.membership_id == membership.id,
            Call.id != call.id,
            Call.left_at.is_(None),
            Call.stage.in_((CallStage.admitted, CallStage.in_conference)),
        )
    )
    return any(
        other.stage is CallStage.in_conference
        or (other.admitted_at is not None and other.admitted_at > now - ADMITTED_GRACE)
        for other in others
    )


def admit(
    session: Session, *, call: Call, membership: Membership, now: datetime, lines: list[t.Line]
) -> str:
    """Run the admission checks; dial into the room or say kindly why not and hang up."""
    language = call.language
    call.stage = CallStage.ended
    if membership.status is not Status.active:
        return t.farewell(language, [*lines, t.line(Prompt.access_ended)])
    group = session.get_one(Group, membership.group_id)
    meeting = current_meeting(session, group.id, now)
    if meeting is None:
        return t.farewell(language, [*lines, *_no_meeting_lines(session, group, language, now)])
    moderator = membership.role is MembershipRole.moderator
    if room_of(session, meeting).locked and not moderator:
        return t.farewell(language, [*lines, t.line(Prompt.room_locked)])
    call.meeting_id = meeting.id
    if _already_in(session, call, membership, now):
        session.add(
            AccessEvent(
                group_id=group.id,
                membership_id=membership.id,
                meeting_id=meeting.id,
                kind=AccessEventKind.duplicate,
                at=now,
            )
        )
        log.warning("call.duplicate_credentials", extra={"membership_ref": membership.ref})
        return t.farewell(language, [*lines, t.line(Prompt.already_in_call)])
    call.membership_id = membership.id
    call.is_moderator = moderator
    call.stage = CallStage.admitted
    call.admitted_at = now
    session.flush()
    log.info("call.admitted", extra={"call_id": call.id, "meeting_id": meeting.id})
    return _dial(call, meeting, membership, now, [*lines, t.line(Prompt.joining)])


def _dial(
    call: Call, meeting: Meeting, membership: Membership, now: datetime, lines: list[t.Line]
) -> str:
    seconds = max(1, int((meeting_end(meeting) - now).total_seconds()))
    return t.join(
        call.language,
        lines=lines,
        room=meeting.room,
        label=membership.ref,
        moderator=call.is_moderator,
        time_limit=seconds,
    )


def dial_ended(session: Session, *, call_sid: str, call_status: str, now: datetime) -> str:
    """The ``<Dial>`` is over: the caller hung up, was removed, or reached the time limit.

    After an extension the old time limit ends the dial early; a caller still on the line is
    then dialled back into the room with the new limit.
    """
    call = session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None:
        return t.farewell("en", [])
    rejoin = _may_rejoin(session, call, call_status, now)
    if rejoin is not None:
        meeting, membership = rejoin
        return _dial(call, meeting, membership, now, [])
    call.stage = CallStage.ended
    if call.left_at is None and call.joined_at is not None:
        call.left_at = now
    return t.farewell(call.language, [])


def _may_rejoin(
    session: Session, call: Call, call_status: str, now: datetime
) -> tuple[Meeting, Membership] | None:
    if call_status != "in-progress" or call.stage is CallStage.ended:
        return None
    if call.meeting_id is None or call.membership_id is None:
        return None
    meeting = session.get_one(Meeting, call.meeting_id)
    membership = session.get_one(Membership, call.membership_id)
    room = room_of(session, meeting)
    if membership.status is not Status.active or room.ended_at is not None:
        return None
    if meeting_end(meeting) - now < timedelta(seconds=30):
        return None
    return meeting, membership


def wait_prompt(session: Session, *, call_sid: str) -> str:
    """While members wait for the moderator: when the meeting starts, then music."""
    call = session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None or call.meeting_id is None:
        return t.waiting("en", [])
    meeting = session.get_one(Meeting, call.meeting_id)
    group = session.get_one(Group, meeting.group_id)
    when = local_time(meeting.starts_at, group.time_zone, call.language)
    return t.waiting(call.language, [t.line(Prompt.wait, time=when)])
