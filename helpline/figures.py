"""A contact point's month in figures, for the team's monthly meeting: calls by local weekday
and hour, their outcomes, the median wait, the shifts planned and filled, weekends against
weekdays. Counts only: no query here reads a caller's key or a call's Twilio id.

The month is the contact point's local month, from local midnight on the 1st to local midnight
on the 1st of the next (a call at 00:30 local on the 1st is that month's, whatever the UTC date),
and each call falls in the local weekday and hour it started in, right across DST: in a month
with a clock change, a call at 18:00 UTC counts at 19:00 before it and 20:00 after it (Warsaw).
SQLite knows no time zones, so counts that need no local time are aggregated in SQL and the
calls' start times are bucketed here with ``zoneinfo`` (a month of one contact point's calls is
a few thousand rows at most). Shifts belong to the month of their local start date.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from groups.schedule import local_to_utc
from helpline import schedule
from helpline.models import (
    CallOutcome,
    ContactPoint,
    CoverRequest,
    HelplineCall,
    Leg,
    LegOutcome,
    NoShow,
    Seat,
    Shift,
    ShiftStatus,
    Voicemail,
)
from helpline.schemas import FiguresRead, ShareRead, ShiftFiguresRead

WEEKEND = frozenset({5, 6})  # Saturday, Sunday
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CSV_COLUMNS = ("month", "section", "name", "weekday", "hour", "value")


@dataclass(frozen=True)
class Month:
    """A contact point's local month: its first day and the UTC instants it spans."""

    first: date
    starts_at: datetime
    ends_at: datetime

    @property
    def key(self) -> str:
        return f"{self.first.year:04d}-{self.first.month:02d}"

    @property
    def last(self) -> date:
        return self.following - timedelta(days=1)

    @property
    def following(self) -> date:
        return schedule.next_month(self.first)

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)


def month_of(point: ContactPoint, value: str | None, *, now: datetime) -> Month:
    """The month ``value`` (YYYY-MM) at ``point``, or its current local month."""
    zone = ZoneInfo(point.time_zone)
    if value is None:
        first = schedule.this_month(point.time_zone, now)
    else:
        first = schedule.parse_month(value)
    following = schedule.next_month(first)
    return Month(first, local_to_utc(first, 0, zone), local_to_utc(following, 0, zone))


def month_figures(
    session: Session, point: ContactPoint, month: Month, *, now: datetime
) -> FiguresRead:
    """The figures of ``month`` at ``point``; for a month not over, the figures so far."""
    in_month = and_(
        HelplineCall.contact_point_id == point.id,
        HelplineCall.started_at >= month.starts_at,
        HelplineCall.started_at < month.ends_at,
    )
    outcomes = _outcomes(session, in_month)
    grid, weekdays, weekends, waits = _by_local_time(session, point, in_month)
    return FiguresRead(
        contact_point_id=point.id,
        month=month.key,
        time_zone=point.time_zone,
        complete=month.ends_at <= now,
        calls=sum(outcomes.values()),
        outcomes=outcomes,
        rings=_rings(session, in_month),
        voicemails=_voicemails(session, point, month),
        median_wait_seconds=round(statistics.median(waits), 1) if waits else None,
        by_weekday_hour=grid,
        by_weekday=[sum(row) for row in grid],
        by_hour=[sum(row[hour] for row in grid) for hour in range(24)],
        weekdays=weekdays,
        weekends=weekends,
        shifts=_shifts(session, point, month),
    )


def _outcomes(session: Session, in_month: ColumnElement[bool]) -> dict[CallOutcome, int]:
    counted = session.execute(
        select(HelplineCall.outcome, func.count(HelplineCall.id))
        .where(in_month)
        .group_by(HelplineCall.outcome)
    )
    found: dict[CallOutcome, int] = {outcome: 0 for outcome in CallOutcome}
    found.update({outcome: count for outcome, count in counted})
    return found


def _rings(session: Session, in_month: ColumnElement[bool]) -> dict[LegOutcome, int]:
    counted = session.execute(
        select(Leg.outcome, func.count(Leg.id))
        .join(HelplineCall, HelplineCall.id == Leg.call_id)
        .where(in_month)
        .group_by(Leg.outcome)
    )
    found: dict[LegOutcome, int] = {outcome: 0 for outcome in LegOutcome}
    found.update({outcome: count for outcome, count in counted})
    return found


def _by_local_time(
    session: Session, point: ContactPoint, in_month: ColumnElement[bool]
) -> tuple[list[list[int]], ShareRead, ShareRead, list[float]]:
    """Calls by local weekday × hour, weekdays and weekends with their answered calls, and the
    waits of the answered calls in seconds."""
    zone = ZoneInfo(point.time_zone)
    grid = [[0] * 24 for _ in range(7)]
    calls = {False: 0, True: 0}  # by "on a weekend"
    answered = {False: 0, True: 0}
    waits: list[float] = []
    rows = session.execute(
        select(HelplineCall.started_at, HelplineCall.answered_at, HelplineCall.outcome).where(
            in_month
        )
    )
    for started_at, answered_at, outcome in rows:
        local = started_at.astimezone(zone)
        grid[local.weekday()][local.hour] += 1
        weekend = local.weekday() in WEEKEND
        calls[weekend] += 1
        if outcome is CallOutcome.answered:
            answered[weekend] += 1
            if answered_at is not None:
                waits.append((answered_at - started_at).total_seconds())
    return grid, _share(calls[False], answered[False]), _share(calls[True], answered[True]), waits


def _share(calls: int, answered: int) -> ShareRead:
    share = round(answered / calls, 3) if calls else None
    return ShareRead(calls=calls, answered=answered, answered_share=share)


def _shifts(session: Session, point: ContactPoint, month: Month) -> ShiftFiguresRead:
    per_shift = (
        select(
            Shift.status.label("status"),
            func.count(Seat.id).label("seats"),
            func.count(Seat.volunteer_id).label("taken"),
        )
        .outerjoin(Seat, Seat.shift_id == Shift.id)
        .where(
            Shift.contact_point_id == point.id,
            Shift.local_date >= month.first,
            Shift.local_date <= month.last,
        )
        .group_by(Shift.id, Shift.status)
        .subquery()
    )
    full = and_(per_shift.c.seats > 0, per_shift.c.taken == per_shift.c.seats)
    counted = session.execute(
        select(
            per_shift.c.status,
            func.count(),
            func.coalesce(func.sum(case((full, 1), else_=0)), 0),
        ).group_by(per_shift.c.status)
    )
    by_status = {status: (count, filled) for status, count, filled in counted}
    planned, filled = by_status.get(ShiftStatus.scheduled, (0, 0))
    cancelled, _ = by_status.get(ShiftStatus.cancelled, (0, 0))
    return ShiftFiguresRead(
        planned=planned,
        filled=filled,
        cancelled=cancelled,
        no_shows=_no_shows(session, point, month),
        covered=_covered(session, point, month),
    )


# --- the CSV file ---------------------------------------------------------------------------


def csv_filename(found: FiguresRead) -> str:
    """The download's name: the contact point's id, never its name (no quoting, any language)."""
    return f"helpline-figures-{found.contact_point_id}-{found.month}.csv"


def to_csv(found: FiguresRead) -> str:
    """The figures in long format, one figure a row, so every figure has the same columns and a
    spreadsheet's pivot table makes any grid of them: ``month,section,name,weekday,hour,value``.
    ``weekday`` (Monday … Sunday) and ``hour`` (0 … 23, local) are filled only in the
    ``calls_by_time`` rows; an empty ``value`` is a figure not counted at this contact point."""
    rows: list[tuple[str, str, str, str, int | float | None]] = [
        ("calls", "total", "", "", found.calls),
        *(("outcome", o.value, "", "", count) for o, count in found.outcomes.items()),
        ("voicemails", "total", "", "", found.voicemails),
        ("wait", "median_seconds", "", "", found.median_wait_seconds),
        *(("rings", o.value, "", "", count) for o, count in found.rings.items()),
    ]
    for section, share in (("weekdays", found.weekdays), ("weekends", found.weekends)):
        rows += [
            (section, "calls", "", "", share.calls),
            (section, "answered", "", "", share.answered),
            (section, "answered_share", "", "", share.answered_share),
        ]
    rows += [("shifts", name, "", "", value) for name, value in found.shifts.model_dump().items()]
    rows += [
        ("calls_by_time", "calls", WEEKDAY_NAMES[day], str(hour), count)
        for day, hours in enumerate(found.by_weekday_hour)
        for hour, count in enumerate(hours)
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for section, name, weekday, hour, value in rows:
        writer.writerow((found.month, section, name, weekday, hour, "" if value is None else value))
    return out.getvalue()


# --- figures other parts of the helpline count ------------------------------------------------
# Each answers None ("not counted here yet") until the part that records it is wired in here;
# the page and the CSV then show the count, the API's fields keep their names.


def _voicemails(session: Session, point: ContactPoint, month: Month) -> int | None:
    """Voicemails left at ``point`` in ``month`` (those retention has destroyed are not)."""
    return session.scalar(
        select(func.count(Voicemail.id)).where(
            Voicemail.contact_point_id == point.id,
            Voicemail.received_at >= month.starts_at,
            Voicemail.received_at < month.ends_at,
        )
    )


def _no_shows(session: Session, point: ContactPoint, month: Month) -> int | None:
    """Seats of the month's shifts whose volunteer did not check in (late check-ins not)."""
    return session.scalar(
        select(func.count(NoShow.id))
        .join(Shift, Shift.id == NoShow.shift_id)
        .where(
            Shift.contact_point_id == point.id,
            Shift.local_date >= month.first,
            Shift.local_date <= month.last,
            NoShow.cleared_at.is_(None),
        )
    )


def _covered(session: Session, point: ContactPoint, month: Month) -> int | None:
    """Seats of the month's shifts taken over through a cover request."""
    return session.scalar(
        select(func.count(CoverRequest.id))
        .join(Shift, Shift.id == CoverRequest.shift_id)
        .where(
            Shift.contact_point_id == point.id,
            Shift.local_date >= month.first,
            Shift.local_date <= month.last,
            CoverRequest.filled_at.is_not(None),
        )
    )
