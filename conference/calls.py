"""The call row on the webhook path: Core statements, built once, a handful per webhook.

At the top of the hour hundreds of calls arrive within minutes and Twilio waits for each answer.
Through the ORM one call cost ~26 statements over its four webhooks (the call row read five times,
autoflush splitting one change into several UPDATEs) and most of the server's time besides the PIN's
hash went into building queries and loading objects (``bench/dialin_cost.py`` counts the statements
and measures the CPU of a call). Here each webhook reads what it needs in one statement, writes
once, and the statements are built at import so no request pays for constructing and caching them.
The rare paths (a failed login, a lockout, the first-call PIN change) keep using the ORM models. The
room row's statements are in ``conference.rooms``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from conference.models import CallStage
from conference.tables import (
    AT,
    Found,
    calls,
    dialect_of,
    failures,
    lines,
    meetings,
    members,
    rooms,
)
from groups.models import MeetingStatus, group_lines

_CALL = (calls.c.id, calls.c.stage, calls.c.line_id, calls.c.language, calls.c.caller_index)


# Another call of the same credentials in the room, or admitted moments ago and on its way in.
def _other_call_in(membership: Any, call: Any) -> Any:
    other = calls.alias("other_call")
    return exists(
        select(other.c.id).where(
            other.c.membership_id == membership,
            other.c.id != call,
            other.c.left_at.is_(None),
            or_(
                other.c.stage == CallStage.in_conference,
                and_(
                    other.c.stage == CallStage.admitted,
                    other.c.admitted_at > bindparam("admitted_after", type_=AT),
                ),
            ),
        )
    )


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


_PIN_HASH = (
    select(members.c.pin_hash)
    .join(calls, calls.c.membership_id == members.c.id)
    .where(calls.c.call_sid == bindparam("sid"), calls.c.stage == CallStage.pin)
)

# The participant number typed: the membership it names, if its group answers on the call's line
# (correlated with the call row being updated), and on to the PIN.
_NUMBER_TYPED = (
    update(calls)
    .where(calls.c.call_sid == bindparam("sid"), calls.c.stage == CallStage.number)
    .values(
        membership_id=select(members.c.id)
        .join(
            group_lines,
            and_(
                group_lines.c.group_id == members.c.group_id,
                group_lines.c.line_id == calls.c.line_id,
            ),
        )
        .where(members.c.participant_number_index == bindparam("index", type_=String()))
        .scalar_subquery(),
        stage=CallStage.pin,
    )
    .returning(calls.c.id, calls.c.language)
)

_FAILURES_OF_CALLER = select(func.count(failures.c.id)).where(
    failures.c.caller_index == bindparam("index", type_=String()),
    failures.c.at >= bindparam("since", type_=AT),
)

_FORGET_FAILURES = (
    update(failures)
    .where(failures.c.membership_id == bindparam("membership"))
    .values(membership_id=None)
)

# Scheduled meetings of a group around now, each with its room (if created yet), oldest first.
_MEETINGS_AROUND = (
    select(*_MEETING_COLUMNS)
    .select_from(meetings.outerjoin(rooms, rooms.c.meeting_id == meetings.c.id))
    .where(_meetings_of(bindparam("group")))
    .order_by(meetings.c.starts_at)
)


def _upsert_call(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The line dialled gives the call its line and language; an unknown line inserts nothing.
    line = select(
        bindparam("sid", type_=String()),
        bindparam("caller_index", type_=String()),
        lines.c.id,
        lines.c.language,
        bindparam("now", type_=AT),
        literal(CallStage.number, calls.c.stage.type),
    ).where(lines.c.number == bindparam("number", type_=String()))
    columns = ["call_sid", "caller_index", "line_id", "language", "created_at", "stage"]
    statement = insert(calls).from_select(columns, line)
    # A retried first webhook (same CallSid) starts the keypad login again on the same row.
    return statement.on_conflict_do_update(
        index_elements=[calls.c.call_sid], set_={"stage": CallStage.number}
    ).returning(
        calls.c.id,
        calls.c.line_id,
        calls.c.language,
        _FAILURES_OF_CALLER.scalar_subquery().label("caller_failures"),
    )


_UPSERT_CALL = {name: _upsert_call(name) for name in ("postgresql", "sqlite")}
_LOGIN = {name: _login(name) for name in ("postgresql", "sqlite")}


def start(
    connection: Connection,
    *,
    call_sid: str,
    caller_index: str,
    number: str,
    now: datetime,
    failures_since: datetime,
) -> Found | None:
    """The call row for a call to the line ``number`` (None: not one of our lines), or a retried
    call put back at the participant number: (id, line_id, language, caller_failures), the last
    being the caller's failed logins since ``failures_since``."""
    values = {
        "sid": call_sid,
        "caller_index": caller_index,
        "index": caller_index,
        "number": number,
        "now": now,
        "since": failures_since,
    }
    return connection.execute(_UPSERT_CALL[dialect_of(connection)], values).first()


def number_typed(
    connection: Connection, *, call_sid: str, number_index: str | None
) -> Found | None:
    """The call waiting for its participant number now waits for the PIN, with the membership
    the number names on this line (or none): (id, language); None if no call waits for one."""
    values = {"sid": call_sid, "index": number_index}
    return connection.execute(_NUMBER_TYPED, values).first()


def _around(now: datetime, back: timedelta) -> dict[str, datetime]:
    """Meetings starting within the hour and not over ``back`` ago."""
    return {"latest_start": now + timedelta(hours=1), "earliest_end": now - back}


def login(connection: Connection, call_sid: str, *, now: datetime, back: timedelta) -> list[Found]:
    """The call, the membership its participant number named and that group's meetings around
    now (``meetings_around``), one row per meeting; empty for an unknown call. On PostgreSQL the
    membership's row stays locked until the unit of work ends."""
    values = {"sid": call_sid, **_around(now, back)}
    return list(connection.execute(_LOGIN[dialect_of(connection)], values))


def pin_hash(connection: Connection, call_sid: str) -> str | None:
    return connection.execute(_PIN_HASH, {"sid": call_sid}).scalar()


def caller_failures(connection: Connection, *, caller_index: str, since: datetime) -> int:
    return connection.execute(
        _FAILURES_OF_CALLER, {"index": caller_index, "since": since}
    ).scalar_one()


def forget_failures(connection: Connection, membership_id: int) -> None:
    connection.execute(_FORGET_FAILURES, {"membership": membership_id})


# Unless the same credentials are in the call already (or were admitted moments ago): asked by
# the admitting statement itself, after the membership's lock (taken by ``login``).
_ADMITTED = (
    update(calls)
    .where(
        calls.c.id == bindparam("call"),
        ~_other_call_in(bindparam("membership", type_=Integer()), calls.c.id),
    )
    .values(
        meeting_id=bindparam("meeting", type_=Integer()),
        membership_id=bindparam("membership", type_=Integer()),
        is_moderator=bindparam("moderator", type_=Boolean()),
        stage=CallStage.admitted,
        admitted_at=bindparam("now", type_=AT),
    )
)


def admitted(
    connection: Connection,
    *,
    call_id: int,
    meeting_id: int,
    membership_id: int,
    moderator: bool,
    now: datetime,
    admitted_after: datetime,
) -> bool:
    """The call is dialled into the meeting's room, unless the same credentials are in the call
    or were admitted after ``admitted_after``: then False, and nothing was written."""
    values = {
        "call": call_id,
        "meeting": meeting_id,
        "membership": membership_id,
        "moderator": moderator,
        "now": now,
        "admitted_after": admitted_after,
    }
    return connection.execute(_ADMITTED, values).rowcount == 1


def set_call(connection: Connection, call_id: int, **values: Any) -> None:
    connection.execute(update(calls).where(calls.c.id == call_id).values(**values))


def meetings_around(
    connection: Connection, *, group_id: int, now: datetime, back: timedelta
) -> list[Found]:
    """The group's scheduled meetings starting within the hour and not over ``back`` ago, each
    with its room: (meeting_id, starts_at, ends_at, extended_minutes, room, room_id, locked,
    ended_at), oldest first."""
    values = {"group": group_id, **_around(now, back)}
    return list(connection.execute(_MEETINGS_AROUND, values))
