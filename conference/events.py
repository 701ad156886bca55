"""Conference status callbacks keep the live roster and the attendance record; announcements.

Twilio reports start, end, join, leave, mute, hold and speaker events for each room. The call
row of each participant records joined/left times (attendance) and its live state; the room row
records when the conference ran and when its last moderator dropped (the grace period).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from conference import rooms
from conference.admission import room_of
from conference.models import Call, CallStage, Room
from conference.prompts import Prompt
from conference.replies import Empty, Speak, line
from core.logs import get_logger
from core.work import Mode, runs
from groups.models import Group, Meeting

log = get_logger(__name__)

ANNOUNCEMENTS = {
    "five_minutes": Prompt.five_minutes,
    "one_minute": Prompt.one_minute,
    "reconnecting": Prompt.reconnecting,
}

_FLAGS = {
    "participant-mute": ("muted", True),
    "participant-unmute": ("muted", False),
    "participant-hold": ("on_hold", True),
    "participant-unhold": ("on_hold", False),
    "participant-speech-start": ("speaking", True),
    "participant-speech-stop": ("speaking", False),
}


@runs(Mode.normal)
def conference_event(session: Session, *, params: Mapping[str, str], now: datetime) -> None:
    """Apply one status callback; events for rooms or calls we do not know are ignored.

    A participant-join of one of our calls is ``participant_joined``'s (tried first); here a
    join only follows the room's conference.
    """
    event = params.get("StatusCallbackEvent", "")
    found = rooms.room_by_name(session.connection(), params.get("FriendlyName", ""))
    if found is None:
        log.warning("conference.unknown_room", extra={"callback": event})
        return
    if found.room is None:  # a callback before any admission created the room row
        rooms.ensure_room(session.connection(), found.meeting_id)
        found = rooms.room_by_name(session.connection(), params.get("FriendlyName", ""))
        assert found is not None and found.room is not None
    meeting = session.get_one(Meeting, found.meeting_id)
    room = room_of(session, meeting)
    conference_sid, fired = params.get("ConferenceSid", ""), rooms.fired_at(params)
    # Callbacks are separate requests in no promised order and may come late (Call resource,
    # status callbacks: https://www.twilio.com/docs/voice/api/call-resource). One of an earlier
    # conference of this room would point the room back at it, mark the people now in the call
    # as gone, or end the room: only a start fired after the current conference's brings a new
    # conference (``rooms.is_newer_conference``).
    newer = rooms.is_newer_conference(
        conference_sid,
        fired,
        current_sid=room.conference_sid,
        current_fired=room.conference_fired_at,
    )
    stale = bool(room.conference_sid) and conference_sid != room.conference_sid
    if stale and not (event == "conference-start" and newer):
        log.info("conference.stale_event", extra={"callback": event, "meeting_id": meeting.id})
        return
    if event == "conference-end":
        if conference_sid == room.conference_sid:  # not one whose start we never saw
            _conference_ended(session, room, now)
        session.flush()
        return
    if conference_sid and conference_sid != room.conference_sid:
        room.conference_sid, room.conference_fired_at = conference_sid, fired
    if event == "conference-start":
        room.started_at = room.started_at or now
    else:
        call = session.scalar(
            select(Call).where(
                Call.call_sid == params.get("CallSid", ""), Call.meeting_id == meeting.id
            )
        )
        if call is not None:
            _participant_event(session, room=room, call=call, event=event, params=params, now=now)
    session.flush()
    log.info("conference.event", extra={"callback": event, "meeting_id": meeting.id})


@runs(Mode.autocommit)
def participant_joined(connection: Connection, *, params: Mapping[str, str], now: datetime) -> bool:
    """A participant-join of one of our calls: the call's live state, the room's conference, a
    moderator back in it. The busiest callback: Core statements only, each whole by itself (no
    common transaction needed). False for any other callback, or a call that is not one of the
    room's meeting: ``conference_event`` then follows it like any other event."""
    if params.get("StatusCallbackEvent") != "participant-join":
        return False
    call_sid, room_name = params.get("CallSid", ""), params.get("FriendlyName", "")
    joined = rooms.joined(connection, call_sid=call_sid, room=room_name, params=params, now=now)
    if joined is None:
        return False
    room = joined.room
    changes: dict[str, Any] = {}
    conference_sid, fired = params.get("ConferenceSid", ""), rooms.fired_at(params)
    if rooms.is_newer_conference(
        conference_sid,
        fired,
        current_sid=room.conference_sid,
        current_fired=room.conference_fired_at,
    ):
        changes.update(conference_sid=conference_sid, conference_fired_at=fired)
    if joined.moderator and (room.moderator_absent_since or room.reconnect_announced_at):
        changes.update(moderator_absent_since=None, reconnect_announced_at=None)
    if changes:
        rooms.set_room(connection, room.id, **changes)
    log.info("conference.event", extra={"callback": "participant-join", "room_id": room.id})
    return True


def _participant_event(
    session: Session,
    *,
    room: Room,
    call: Call,
    event: str,
    params: Mapping[str, str],
    now: datetime,
) -> None:
    sequence = rooms.sequence_number(params)
    conference_sid = params.get("ConferenceSid", "")
    if (
        sequence is not None
        and call.event_sequence is not None
        and call.event_conference_sid == conference_sid
        and sequence <= call.event_sequence
    ):
        # Fired before the last one applied (or the same one again): out of date.
        log.info("conference.late_event", extra={"callback": event, "call_id": call.id})
        return
    if sequence is not None:
        call.event_conference_sid, call.event_sequence = conference_sid, sequence
    if event == "participant-leave":
        # Only the time: the call itself may go on (a <Dial> time limit after an extension is
        # answered by dialling back in); our own removals mark the call ended (mark_left).
        call.left_at = call.left_at or now
        call.speaking = False
        if call.is_moderator and room.ended_at is None and not _moderator_present(session, room):
            room.moderator_absent_since = now
    elif event in _FLAGS:
        name, value = _FLAGS[event]
        setattr(call, name, value)


def mark_left(call: Call, now: datetime) -> None:
    """The call is out of the room for good: removed by a moderator, or the meeting ended."""
    call.stage = CallStage.ended
    call.left_at = call.left_at or now
    call.speaking = False


def _moderator_present(session: Session, room: Room) -> bool:
    found = session.scalar(
        select(Call.id).where(
            Call.meeting_id == room.meeting_id,
            Call.is_moderator.is_(True),
            Call.stage == CallStage.in_conference,
            Call.left_at.is_(None),
        )
    )
    return found is not None


def _conference_ended(session: Session, room: Room, now: datetime) -> None:
    """Twilio ended the conference. When we ended it, ``ended_at`` is set already; otherwise
    everyone simply hung up before the end, and the room stays open for whoever calls back."""
    if room.ended_at is not None:
        end_room(session, room, now)
        return
    _all_left(session, room, now)
    room.conference_sid = None
    room.started_at = None
    room.moderator_absent_since = None
    room.reconnect_announced_at = None


def _all_left(session: Session, room: Room, now: datetime) -> None:
    session.execute(
        update(Call)
        .where(Call.meeting_id == room.meeting_id, Call.left_at.is_(None))
        .values(left_at=now, stage=CallStage.ended, speaking=False)
    )


def end_room(session: Session, room: Room, now: datetime) -> None:
    """The meeting is over: nobody stays in the room and nobody is let in again."""
    room.ended_at = room.ended_at or now
    room.moderator_absent_since = None
    _all_left(session, room, now)


@runs(Mode.normal)
def announcement(session: Session, *, kind: str, conference_sid: str) -> Speak | Empty:
    """What an announce URL says: one sentence in the group's language."""
    prompt = ANNOUNCEMENTS.get(kind)
    room = session.scalar(select(Room).where(Room.conference_sid == conference_sid))
    if prompt is None or room is None:
        return Empty()
    meeting = session.get_one(Meeting, room.meeting_id)
    group = session.get_one(Group, meeting.group_id)
    return Speak(group.language, (line(prompt),))


def attendance(session: Session, *, membership_id: int) -> list[Call]:
    """The membership's calls that reached a room: joined and left times, for statistics."""
    return list(
        session.scalars(
            select(Call)
            .where(Call.membership_id == membership_id, Call.joined_at.is_not(None))
            .order_by(Call.joined_at.desc())
        )
    )
