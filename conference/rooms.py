"""The room row on the webhook path: created by a meeting's first caller, found by its
conference's name, and joined by a call in the participant-join callback. Core statements built
once at import, for the reasons ``conference.calls`` gives."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    Row,
    String,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from conference.models import CallStage
from conference.tables import AT, calls, dialect_of, meetings, rooms


@dataclass(frozen=True, slots=True)
class LiveRoom:
    """The room row as the status callbacks read it."""

    id: int
    conference_sid: str | None
    conference_fired_at: datetime | None
    moderator_absent_since: datetime | None
    reconnect_announced_at: datetime | None

    @classmethod
    def of(cls, row: Row[*tuple[Any, ...]]) -> LiveRoom:
        return cls(
            row.id,
            row.conference_sid,
            row.conference_fired_at,
            row.moderator_absent_since,
            row.reconnect_announced_at,
        )


@dataclass(frozen=True, slots=True)
class NamedRoom:
    """The meeting a conference's name belongs to, and its room row (None: not created yet)."""

    meeting_id: int
    room: LiveRoom | None


@dataclass(frozen=True, slots=True)
class JoinedCall:
    """A participant-join applied to its call: whether it is a moderator's, and the room."""

    moderator: bool
    room: LiveRoom


_ROOM_LOCKED = select(rooms.c.locked).where(rooms.c.meeting_id == bindparam("meeting"))

_ROOM_BY_NAME = (
    select(
        meetings.c.id.label("meeting_id"),
        rooms.c.id,
        rooms.c.conference_sid,
        rooms.c.conference_fired_at,
        rooms.c.moderator_absent_since,
        rooms.c.reconnect_announced_at,
    )
    .select_from(meetings.outerjoin(rooms, rooms.c.meeting_id == meetings.c.id))
    .where(meetings.c.room == bindparam("name"))
)


# The participant-join callback: the call of the meeting whose room it names is in the
# conference; back come its moderator flag and meeting, then the room row is read by meeting.
# On PostgreSQL both in one statement (the UPDATE as a CTE); SQLite has no UPDATE in a CTE, and
# SQLAlchemy renders RETURNING's columns unqualified there, which un-correlates subqueries in it.
def sequence_number(params: Mapping[str, str]) -> int | None:
    """The callback's ``SequenceNumber``: "the order in which the events were fired"
    (https://www.twilio.com/docs/voice/api/call-resource, status callbacks); None if absent."""
    value = params.get("SequenceNumber", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def fired_at(params: Mapping[str, str]) -> datetime | None:
    """The callback's ``Timestamp`` (RFC 2822, to the second): when Twilio fired the event
    (https://www.twilio.com/docs/voice/twiml/conference#statuscallbackevent); None if absent."""
    try:
        fired = email.utils.parsedate_to_datetime(params.get("Timestamp", ""))
    except (TypeError, ValueError):
        return None
    return fired if fired.tzinfo is not None else None


def is_newer_conference(
    conference_sid: str,
    fired: datetime | None,
    *,
    current_sid: str | None,
    current_fired: datetime | None,
) -> bool:
    """Whether an event of ``conference_sid`` may make it the room's conference. One conference
    of a name runs at a time (https://www.twilio.com/docs/voice/api/conference-resource), so all
    events of an earlier one were fired before any of the next: one fired before the event that
    made the current conference current is of an older conference, arriving late."""
    if not conference_sid or conference_sid == current_sid:
        return False
    return current_fired is None or fired is None or fired >= current_fired


def later_than_applied() -> Any:
    """The callback (``:conference``, ``:sequence``) was fired after the last one applied to the
    call, or is of another conference (a call dialled back in), or carries no number."""
    sequence = bindparam("sequence", type_=Integer())
    return or_(
        sequence.is_(None),
        calls.c.event_sequence.is_(None),
        calls.c.event_conference_sid.is_distinct_from(bindparam("conference", type_=String())),
        calls.c.event_sequence < sequence,
    )


_JOINED = (
    update(calls)
    .where(
        calls.c.call_sid == bindparam("sid", type_=String()),
        calls.c.meeting_id
        == select(meetings.c.id)
        .where(meetings.c.room == bindparam("room", type_=String()))
        .scalar_subquery(),
        later_than_applied(),
    )
    .values(
        stage=CallStage.in_conference,
        joined_at=func.coalesce(calls.c.joined_at, bindparam("now", type_=AT)),
        left_at=None,
        muted=bindparam("muted", type_=Boolean()),
        on_hold=bindparam("on_hold", type_=Boolean()),
        event_conference_sid=bindparam("conference", type_=String()),
        event_sequence=bindparam("sequence", type_=Integer()),
    )
    .returning(calls.c.is_moderator, calls.c.meeting_id)
)

_ROOM_COLUMNS = (
    rooms.c.id,
    rooms.c.conference_sid,
    rooms.c.conference_fired_at,
    rooms.c.moderator_absent_since,
    rooms.c.reconnect_announced_at,
)
_ROOM_OF_MEETING = select(*_ROOM_COLUMNS).where(rooms.c.meeting_id == bindparam("meeting"))
_JOINED_CALL = _JOINED.cte("joined_call")
_JOINED_WITH_ROOM = select(_JOINED_CALL.c.is_moderator, *_ROOM_COLUMNS).join_from(
    _JOINED_CALL, rooms, rooms.c.meeting_id == _JOINED_CALL.c.meeting_id
)


def _create_room(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(rooms)
        .values(meeting_id=bindparam("meeting"), locked=False)
        .on_conflict_do_nothing(index_elements=[rooms.c.meeting_id])
    )


_CREATE_ROOM = {name: _create_room(name) for name in ("postgresql", "sqlite")}


def ensure_room(connection: Connection, meeting_id: int) -> None:
    """The meeting's room row, created by its first caller.

    The first members of a meeting dial in at the same moment: their inserts race, and the
    loser's does nothing (instead of failing the call with a unique violation).
    """
    connection.execute(_CREATE_ROOM[dialect_of(connection)], {"meeting": meeting_id})


def new_room(connection: Connection, meeting_id: int) -> bool:
    """``ensure_room``, then whether the room is locked."""
    ensure_room(connection, meeting_id)
    return bool(connection.execute(_ROOM_LOCKED, {"meeting": meeting_id}).scalar_one())


def room_by_name(connection: Connection, name: str) -> NamedRoom | None:
    """The meeting whose room is called ``name``, with its room row; None: no such meeting."""
    found = connection.execute(_ROOM_BY_NAME, {"name": name}).first()
    if found is None:
        return None
    return NamedRoom(found.meeting_id, None if found.id is None else LiveRoom.of(found))


def joined(
    connection: Connection, *, call_sid: str, room: str, params: Mapping[str, str], now: datetime
) -> JoinedCall | None:
    """The participant-join callback: the call is in the room. None when it is not a call of the
    meeting whose room this is, or the room row is missing."""
    values = {
        "sid": call_sid,
        "room": room,
        "now": now,
        "muted": params.get("Muted") == "true",
        "on_hold": params.get("Hold") == "true",
        "conference": params.get("ConferenceSid", ""),
        "sequence": sequence_number(params),
    }
    if dialect_of(connection) == "postgresql":
        both = connection.execute(_JOINED_WITH_ROOM, values).first()
        return None if both is None else JoinedCall(bool(both.is_moderator), LiveRoom.of(both))
    call = connection.execute(_JOINED, values).first()
    if call is None:
        return None
    found = connection.execute(_ROOM_OF_MEETING, {"meeting": call.meeting_id}).first()
    return None if found is None else JoinedCall(bool(call.is_moderator), LiveRoom.of(found))


def set_room(connection: Connection, room_id: int, **values: Any) -> None:
    connection.execute(update(rooms).where(rooms.c.id == room_id).values(**values))
