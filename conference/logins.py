"""What the PIN step reads, in one statement built at import: the call, the membership its
participant number named and that group's meetings around now (``login``); and those meetings
alone, for admission after the first call's PIN change (``meetings_around``). The reasons for Core
statements on this path are in ``conference.calls``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, exists, select, true

from conference.models import CallStage
from conference.tables import AT, calls, dialect_of, failures, meetings, members, rooms
from groups.models import MeetingStatus, MembershipRole, MembershipStatus


@dataclass(frozen=True, slots=True)
class MeetingAround:
    """A scheduled meeting of a group around now, with what admission needs of its room."""

    id: int
    starts_at: datetime
    ends_at: datetime
    extended_minutes: int
    room: str
    room_id: int | None  # None: no caller created the room row yet
    locked: bool
    ended_at: datetime | None

    @classmethod
    def of(cls, row: Row[*tuple[Any, ...]]) -> MeetingAround:
        return cls(
            row.meeting_id,
            row.starts_at,
            row.ends_at,
            row.extended_minutes,
            row.room,
            row.room_id,
            bool(row.locked),
            row.ended_at,
        )


@dataclass(frozen=True, slots=True)
class Member:
    """The membership a call's participant number named, as the PIN step reads it."""

    id: int
    group_id: int
    role: MembershipRole
    status: MembershipStatus
    ref: str
    language: str
    pin_hash: str | None
    pin_is_temporary: bool
    locked_until: datetime | None
    has_failures: bool  # failures to forget on success

    @classmethod
    def of(cls, row: Row[*tuple[Any, ...]]) -> Member:
        return cls(
            row.membership_id,
            row.group_id,
            row.role,
            row.status,
            row.ref,
            row.member_language,
            row.pin_hash,
            bool(row.pin_is_temporary),
            row.locked_until,
            bool(row.has_failures),
        )


@dataclass(frozen=True, slots=True)
class Login:
    """What the PIN step reads in one statement (``login``)."""

    call_id: int
    stage: CallStage
    language: str  # the call's: the line's until the member is identified
    member: Member | None  # None: the participant number named nobody
    meetings: tuple[MeetingAround, ...]  # the member's group's, oldest first


_CALL = (calls.c.id, calls.c.stage, calls.c.line_id, calls.c.language, calls.c.caller_index)


# The membership's columns as the PIN step reads them; ``has_failures``: whether it has failures
# to forget on success.
def _member_columns() -> tuple[Any, ...]:
    return (
        members.c.id.label("membership_id"),
        members.c.group_id,
        members.c.role,
        members.c.status,
        members.c.ref,
        members.c.language.label("member_language"),
        members.c.pin_hash,
        members.c.pin_is_temporary,
        members.c.locked_until,
        exists(select(failures.c.id).where(failures.c.membership_id == members.c.id)).label(
            "has_failures"
        ),
    )


_MEETING_COLUMNS = (
    meetings.c.id.label("meeting_id"),
    meetings.c.starts_at,
    meetings.c.ends_at,
    meetings.c.extended_minutes,
    meetings.c.room,
    rooms.c.id.label("room_id"),
    rooms.c.locked,
    rooms.c.ended_at,
)


# Scheduled meetings of a group around now, each with its room (if created yet).
def _meetings_of(group: Any) -> Any:
    return and_(
        meetings.c.group_id == group,
        meetings.c.status == MeetingStatus.scheduled,
        meetings.c.starts_at <= bindparam("latest_start", type_=AT),
        meetings.c.ends_at > bindparam("earliest_end", type_=AT),
    )


def _login(dialect: str) -> Any:
    """The PIN step's one read: the call, the membership its participant number named (if any)
    and that group's meetings around now, one row per meeting, oldest first.

    On PostgreSQL the membership's row is locked as it is read, until the unit of work ends: the
    logins of one membership are serialised, so the admitting statement of each sees what the
    other committed (SQLite's unit of work holds the database's write lock already). PostgreSQL
    locks no row on the nullable side of an outer join, hence the lateral subquery.
    """
    if dialect == "postgresql":
        member: Any = (
            select(*_member_columns())
            .where(members.c.id == calls.c.membership_id)
            .with_for_update()
            .lateral("member")
        )
        joined = calls.outerjoin(member, true())
        columns = tuple(member.c)
    else:
        member = members
        joined = calls.outerjoin(members, members.c.id == calls.c.membership_id)
        columns = _member_columns()
    return (
        select(*_CALL, *columns, *_MEETING_COLUMNS)
        .select_from(
            joined.outerjoin(meetings, _meetings_of(member.c.group_id)).outerjoin(
                rooms, rooms.c.meeting_id == meetings.c.id
            )
        )
        .where(calls.c.call_sid == bindparam("sid"))
        .order_by(meetings.c.starts_at)
    )


# Scheduled meetings of a group around now, each with its room (if created yet), oldest first.
_MEETINGS_AROUND = (
    select(*_MEETING_COLUMNS)
    .select_from(meetings.outerjoin(rooms, rooms.c.meeting_id == meetings.c.id))
    .where(_meetings_of(bindparam("group")))
    .order_by(meetings.c.starts_at)
)

_LOGIN = {name: _login(name) for name in ("postgresql", "sqlite")}


def _around(now: datetime, back: timedelta) -> dict[str, datetime]:
    """Meetings starting within the hour and not over ``back`` ago."""
    return {"latest_start": now + timedelta(hours=1), "earliest_end": now - back}


def login(connection: Connection, call_sid: str, *, now: datetime, back: timedelta) -> Login | None:
    """The call, the membership its participant number named and that group's meetings around
    now (as ``meetings_around``); None for an unknown call. On PostgreSQL the membership's row
    stays locked until the unit of work ends."""
    values = {"sid": call_sid, **_around(now, back)}
    rows = connection.execute(_LOGIN[dialect_of(connection)], values).all()
    if not rows:
        return None
    call = rows[0]  # one row per meeting (or one without a meeting), the same call in each
    return Login(
        call.id,
        call.stage,
        call.language,
        None if call.membership_id is None else Member.of(call),
        tuple(MeetingAround.of(row) for row in rows if row.meeting_id is not None),
    )


def meetings_around(
    connection: Connection, *, group_id: int, now: datetime, back: timedelta
) -> list[MeetingAround]:
    """The group's scheduled meetings starting within the hour and not over ``back`` ago, each
    with its room, oldest first."""
    values = {"group": group_id, **_around(now, back)}
    return [MeetingAround.of(row) for row in connection.execute(_MEETINGS_AROUND, values)]
