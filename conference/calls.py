"""The call row on the webhook path: Core statements, built once, a handful per webhook.

At the top of the hour hundreds of calls arrive within minutes and Twilio waits for each answer.
Through the ORM one call cost ~26 statements over its four webhooks (the call row read five times,
autoflush splitting one change into several UPDATEs) and most of the server's time besides the PIN's
hash went into building queries and loading objects (``bench/dialin_cost.py`` counts the statements
and measures the CPU of a call). Here each webhook reads what it needs in one statement, writes
once, and the statements are built at import so no request pays for constructing and caching them.
The rare paths (a failed login, a lockout, the first-call PIN change) keep using the ORM models. The
PIN step's read is in ``conference.logins``, the room row's statements in ``conference.rooms``; each
answers with small frozen dataclasses, never with rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from conference.models import CallStage
from conference.tables import AT, calls, dialect_of, failures, groups, lines, meetings, members
from groups.models import group_lines


@dataclass(frozen=True, slots=True)
class StartedCall:
    """A new call on one of our lines (or a retried one, back at the participant number)."""

    id: int
    line_id: int
    language: str  # the line's
    caller_failures: int  # the caller's failed logins within the throttle's window


@dataclass(frozen=True, slots=True)
class CallAtPin:
    """The call, now waiting for its PIN."""

    id: int
    language: str


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


def _upsert_call(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The line dialled gives the call its line and language; a number that is no group's line
    # (unknown, or the helpline's) inserts nothing.
    line = select(
        bindparam("sid", type_=String()),
        bindparam("caller_index", type_=String()),
        lines.c.id,
        lines.c.language,
        bindparam("now", type_=AT),
        literal(CallStage.number, calls.c.stage.type),
    ).where(
        lines.c.number == bindparam("number", type_=String()),
        exists(select(group_lines.c.line_id).where(group_lines.c.line_id == lines.c.id)),
    )
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


def start(
    connection: Connection,
    *,
    call_sid: str,
    caller_index: str,
    number: str,
    now: datetime,
    failures_since: datetime,
) -> StartedCall | None:
    """The call to the line ``number`` (None: no group's line), or a retried call put back
    at the participant number; its caller's failed logins counted since ``failures_since``."""
    values = {
        "sid": call_sid,
        "caller_index": caller_index,
        "index": caller_index,
        "number": number,
        "now": now,
        "since": failures_since,
    }
    row = connection.execute(_UPSERT_CALL[dialect_of(connection)], values).first()
    if row is None:
        return None
    return StartedCall(row.id, row.line_id, row.language, row.caller_failures)


def number_typed(
    connection: Connection, *, call_sid: str, number_index: str | None
) -> CallAtPin | None:
    """The call waiting for its participant number now waits for the PIN, with the membership
    the number names on this line (or none); None if no call waits for one."""
    values = {"sid": call_sid, "index": number_index}
    row = connection.execute(_NUMBER_TYPED, values).first()
    return None if row is None else CallAtPin(row.id, row.language)


def pin_hash(connection: Connection, call_sid: str) -> str | None:
    return connection.execute(_PIN_HASH, {"sid": call_sid}).scalar()


def caller_failures(connection: Connection, *, caller_index: str, since: datetime) -> int:
    return connection.execute(
        _FAILURES_OF_CALLER, {"index": caller_index, "since": since}
    ).scalar_one()


def forget_failures(connection: Connection, membership_id: int) -> None:
    connection.execute(_FORGET_FAILURES, {"membership": membership_id})


# Unless the same credentials are in the call already (or were admitted moments ago): asked by
# the admitting statement itself, after the membership's lock (taken by ``logins.login``).
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


@dataclass(frozen=True, slots=True)
class Waiting:
    """An admitted call waiting for its conference to start."""

    language: str
    moderator: bool
    starts_at: datetime
    time_zone: str  # the group's


_WAITING = (
    select(calls.c.language, calls.c.is_moderator, meetings.c.starts_at, groups.c.time_zone)
    .join(meetings, meetings.c.id == calls.c.meeting_id)
    .join(groups, groups.c.id == meetings.c.group_id)
    .where(calls.c.call_sid == bindparam("sid"))
)


def waiting(connection: Connection, call_sid: str) -> Waiting | None:
    """What the wait URL says to the call (None: no admitted call by this sid). One read,
    repeated each time Twilio fetches the wait URL, so it takes no lock."""
    row = connection.execute(_WAITING, {"sid": call_sid}).first()
    if row is None:
        return None
    return Waiting(row.language, bool(row.is_moderator), row.starts_at, row.time_zone)
