"""The tables of the dial-in path as Core ``Table`` objects, for the statements that
``conference.calls`` and ``conference.rooms`` build once at import."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table

from conference.models import Call, PinFailure, Room
from core.database import UTCDateTime
from groups.models import Group, Line, Meeting, Membership


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


calls = _table(Call)
rooms = _table(Room)
failures = _table(PinFailure)
members = _table(Membership)
meetings = _table(Meeting)
lines = _table(Line)
groups = _table(Group)

AT = UTCDateTime()  # UTC datetimes on every backend, for parameters SQL cannot type


def dialect_of(connection: Connection) -> str:
    return connection.dialect.name
