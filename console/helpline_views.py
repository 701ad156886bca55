"""What the helpline's console pages show, assembled from ``helpline``'s services and views:
usernames and duty phones' labels on the schedule, never a volunteer's or a caller's number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from auth import service as auth_service
from auth.models import Staff
from console.rendering import ngettext
from core.clock import local_time
from helpline import records, schedule, seats, service, shifts, views
from helpline.models import (
    CallOutcome,
    ContactPoint,
    DutyPhone,
    DutyPhoneKind,
    HelplineCall,
    LegOutcome,
    RingsAt,
    Shift,
    Volunteer,
)
from helpline.schemas import CallRead, OnDutyRead, ShiftRead, VolunteerRead

CALLS_PAGE = 50
# Words for the helpline's codes, as a person reads them.
RINGS_AT = {
    RingsAt.own_phone: "the volunteer's own phone",
    RingsAt.duty_mobile: "the duty mobile given to the seat",
    RingsAt.desk_phone: "the desk phone",
    RingsAt.desk_first: "the desk phone first, then the mobiles",
}
OUTCOMES = {
    CallOutcome.ringing: "in progress",
    CallOutcome.answered: "answered",
    CallOutcome.missed: "missed: nobody took it",
    CallOutcome.busy: "missed: everyone on duty was in a call",
    CallOutcome.out_of_hours: "out of hours",
    CallOutcome.hung_up: "the caller hung up while it rang",
    CallOutcome.blocked: "blocked caller",
}
# The call log's filters: the same outcomes, short enough for a row of links on a phone.
OUTCOME_FILTERS = {
    CallOutcome.ringing: "In progress",
    CallOutcome.answered: "Answered",
    CallOutcome.missed: "Missed",
    CallOutcome.busy: "All busy",
    CallOutcome.out_of_hours: "Out of hours",
    CallOutcome.hung_up: "Hung up",
    CallOutcome.blocked: "Blocked",
}
LEG_OUTCOMES = {
    LegOutcome.ringing: "ringing",
    LegOutcome.taken: "took it",
    LegOutcome.declined: "answered but did not press 1",
    LegOutcome.too_late: "pressed 1 after someone else took it",
    LegOutcome.not_answered: "did not answer",
}
PHONE_KINDS = {DutyPhoneKind.desk: "desk phone", DutyPhoneKind.mobile: "duty mobile"}


@dataclass(frozen=True)
class ShiftRow:
    shift: ShiftRead
    over: bool  # ended or cancelled: nothing can change
    self_service: bool  # a volunteer may still sign up or withdraw themself
    mine: bool  # the viewer has a seat on it
    started: bool


@dataclass(frozen=True)
class MonthPage:
    point: ContactPoint
    month: date  # its first day
    previous: str  # YYYY-MM
    next: str
    rows: list[ShiftRow]
    on_duty: OnDutyRead
    coordinator: bool
    volunteer: Volunteer | None  # the viewer, when they serve here


@dataclass(frozen=True)
class ShiftPage:
    point: ContactPoint
    row: ShiftRow
    volunteer: Volunteer | None  # the viewer, when they serve here
    coordinator: bool
    volunteers: list[VolunteerRead]
    mobiles: list[DutyPhone]


@dataclass(frozen=True)
class CallsPage:
    point: ContactPoint
    items: list[tuple[CallRead, bool]]  # each call, and whether its caller can be blocked
    outcome: CallOutcome | None
    total: int
    offset: int
    limit: int = CALLS_PAGE


@dataclass(frozen=True)
class TeamPage:
    point: ContactPoint
    coordinator: bool
    volunteers: list[VolunteerRead]
    duty_phones: list[DutyPhone]
    candidates: list[Staff]  # active accounts not yet on this team


def month_of(value: str | None, point: ContactPoint, now: datetime) -> date:
    """The first day of ``value`` (YYYY-MM), or of the contact point's current local month."""
    if value is None:
        return schedule.this_month(point.time_zone, now)
    return schedule.parse_month(value)


def _rows(
    session: Session,
    point: ContactPoint,
    found: list[Shift],
    viewer: Volunteer | None,
    now: datetime,
) -> list[ShiftRow]:
    reads = views.shift_reads(session, point, found, viewer)
    return [
        ShiftRow(
            shift=read,
            over=seats.is_over(shift, now),
            self_service=seats.seats_open_to_volunteers(point, shift, now),
            mine=any(seat.mine for seat in read.seats),
            started=shift.starts_at <= now,
        )
        for shift, read in zip(found, reads, strict=True)
    ]


def _own_volunteer(session: Session, staff: Staff, point: ContactPoint) -> Volunteer | None:
    volunteer = service.volunteer_of(session, staff)
    if volunteer is None or not service.serves_at(session, volunteer.id, point.id):
        return None
    return volunteer


def month_page(
    session: Session, *, point: ContactPoint, staff: Staff, month: date, now: datetime
) -> MonthPage:
    following = schedule.next_month(month)
    found = shifts.shifts_between(session, point, month, following - timedelta(days=1))
    volunteer = _own_volunteer(session, staff, point)
    return MonthPage(
        point=point,
        month=month,
        previous=schedule.month_key((month - timedelta(days=1)).replace(day=1)),
        next=schedule.month_key(following),
        rows=_rows(session, point, found, volunteer, now),
        on_duty=records.on_duty_now(session, point, now=now),
        coordinator=service.is_coordinator(session, staff, point.id),
        volunteer=volunteer,
    )


def shift_page(
    session: Session, *, point: ContactPoint, shift: Shift, staff: Staff, now: datetime
) -> ShiftPage:
    mobiles = [
        phone
        for phone in service.list_duty_phones(session, point)
        if phone.kind is DutyPhoneKind.mobile
    ]
    volunteer = _own_volunteer(session, staff, point)
    return ShiftPage(
        point=point,
        row=_rows(session, point, [shift], volunteer, now)[0],
        volunteer=volunteer,
        coordinator=service.is_coordinator(session, staff, point.id),
        volunteers=views.volunteer_reads(session, point, staff),
        mobiles=mobiles,
    )


def calls_page(
    session: Session, *, point: ContactPoint, outcome: CallOutcome | None, offset: int
) -> CallsPage:
    calls, total = records.list_calls(
        session, point, limit=CALLS_PAGE, offset=offset, outcome=outcome
    )
    items = [(views.call_read(session, call), _blockable(call)) for call in calls]
    return CallsPage(point=point, items=items, outcome=outcome, total=total, offset=offset)


def _blockable(call: HelplineCall) -> bool:
    return call.caller_key is not None


def team_page(
    session: Session, *, point: ContactPoint, staff: Staff, now: datetime | None = None
) -> TeamPage:
    coordinator = service.is_coordinator(session, staff, point.id)
    volunteers = views.volunteer_reads(session, point, staff, now)
    candidates: list[Staff] = []
    if coordinator:
        on_team = {volunteer.staff_id for volunteer in volunteers}
        people, _total = auth_service.list_staff(session, limit=1000, offset=0)
        candidates = [p for p in people if p.is_active and p.id not in on_team]
    return TeamPage(
        point=point,
        coordinator=coordinator,
        volunteers=volunteers,
        duty_phones=service.list_duty_phones(session, point) if coordinator else [],
        candidates=candidates,
    )


def describe(point: ContactPoint, shift: Shift | ShiftRead) -> str:
    """A shift in words: its local day and hours ("Wed 04 Mar, 16:00–21:00")."""
    start = local_time(shift.starts_at, point.time_zone)
    end = local_time(shift.ends_at, point.time_zone)
    return f"{shift.local_date:%a %d %b}, {start}–{end}"


def duration(seconds: int | None) -> str:
    """A wait or a talk in words: "45 seconds", "3 minutes 20 seconds"; nothing when unknown."""
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    said = ngettext("%(num)d second", "%(num)d seconds", rest) % {"num": rest}
    if not minutes:
        return said
    whole = ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}
    return whole if not rest else f"{whole} {said}"
