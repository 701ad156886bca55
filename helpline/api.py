"""The helpline's JSON API under ``/api/v1/helpline`` (rules live in services).

Admins create contact points and give them lines; a contact point's coordinators keep its
schedule, volunteers, duty phones, calls and blocks; its volunteers read its schedule and sign up
for open seats. A contact point outside the caller's is a 404.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, status

from auth.dependencies import AdminStaff, CurrentStaff
from core.clock import Now
from core.database import SessionDep
from core.errors import API_ERRORS, InvalidInput
from core.schemas import Page, PageParams, PathId
from helpline import records, seats, service, shifts, views
from helpline.dependencies import CoordinatedPoint, OwnVolunteer, VisiblePoint
from helpline.models import CallOutcome
from helpline.schemas import (
    BlockCreate,
    BlockRead,
    CallRead,
    ContactPointCreate,
    ContactPointRead,
    ContactPointUpdate,
    CoordinatorAssign,
    DutyPhoneCreate,
    DutyPhoneRead,
    HelplineLineAttach,
    OnDutyRead,
    SeatAssign,
    ShiftChange,
    ShiftRead,
    TemplateCreate,
    TemplateRead,
    TemplateUpdate,
    VolunteerCreate,
    VolunteerRead,
)


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone))


router = APIRouter(prefix="/api/v1/helpline", tags=["helpline"], responses=API_ERRORS)
Paging = Annotated[PageParams, Depends()]
POINT = "/contact-points/{point_id}"
MAX_DAYS = 62


# --- contact points and lines ----------------------------------------------------------------


@router.post("/contact-points", response_model=ContactPointRead, status_code=201)
def create_point(data: ContactPointCreate, session: SessionDep, admin: AdminStaff) -> object:
    """A new contact point (admins)."""
    return views.point_read(session, service.create_point(session, actor=admin, data=data))


@router.get("/contact-points", response_model=list[ContactPointRead])
def list_points(session: SessionDep, staff: CurrentStaff) -> object:
    """The contact points the caller coordinates or serves at (admins: all)."""
    return [views.point_read(session, point) for point in service.list_points(session, staff)]


@router.get(POINT, response_model=ContactPointRead)
def get_point(point: VisiblePoint, session: SessionDep) -> object:
    return views.point_read(session, point)


@router.patch(POINT, response_model=ContactPointRead)
def update_point(
    data: ContactPointUpdate, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> object:
    """Name, language, ringing and the national line's order (coordinators)."""
    service.update_point(session, point, actor=staff, data=data)
    return views.point_read(session, point)


@router.post(POINT + "/lines", response_model=ContactPointRead)
def attach_line(
    data: HelplineLineAttach, point_id: PathId, session: SessionDep, admin: AdminStaff
) -> object:
    """Give a registered line to the contact point (admins); a group's line is refused."""
    point = service.get_point(session, point_id)
    service.attach_line(session, actor=admin, point=point, line_id=data.line_id)
    return views.point_read(session, point)


@router.post("/national-lines", status_code=status.HTTP_204_NO_CONTENT)
def attach_national_line(data: HelplineLineAttach, session: SessionDep, admin: AdminStaff) -> None:
    """Make a registered line the national helpline's number (admins)."""
    service.attach_line(session, actor=admin, point=None, line_id=data.line_id)


@router.delete("/lines/{line_id}", status_code=status.HTTP_204_NO_CONTENT)
def detach_line(line_id: PathId, session: SessionDep, admin: AdminStaff) -> None:
    """The line no longer belongs to the helpline (admins)."""
    service.detach_line(session, actor=admin, line_id=line_id)


# --- duty phones, volunteers, coordinators ---------------------------------------------------


@router.get(POINT + "/duty-phones", response_model=list[DutyPhoneRead])
def list_duty_phones(point: CoordinatedPoint, session: SessionDep) -> object:
    return service.list_duty_phones(session, point)


@router.post(POINT + "/duty-phones", response_model=DutyPhoneRead, status_code=201)
def add_duty_phone(
    data: DutyPhoneCreate, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> object:
    """The desk phone or a duty mobile the contact point owns (coordinators)."""
    return service.add_duty_phone(session, point, actor=staff, data=data)


@router.delete(POINT + "/duty-phones/{phone_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_duty_phone(
    phone_id: PathId, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> None:
    phone = service.get_duty_phone(session, point, phone_id)
    service.remove_duty_phone(session, phone, actor=staff)


@router.get(POINT + "/volunteers", response_model=list[VolunteerRead])
def list_volunteers(
    point: VisiblePoint, session: SessionDep, staff: CurrentStaff, now: Now
) -> object:
    """The team; phone numbers (and no-shows) only for coordinators (and each one's own number)."""
    return views.volunteer_reads(session, point, staff, now)


@router.post(POINT + "/volunteers", response_model=VolunteerRead, status_code=201)
def add_volunteer(
    data: VolunteerCreate, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> object:
    """A staff account joins the team, with the phone its seats ring (coordinators)."""
    volunteer = service.add_volunteer(session, point, actor=staff, data=data)
    return next(v for v in views.volunteer_reads(session, point, staff) if v.id == volunteer.id)


@router.delete(POINT + "/volunteers/{volunteer_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_volunteer(
    *,
    volunteer_id: PathId,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> None:
    """The volunteer leaves the team; their seats here are freed, the shift under way included."""
    volunteer = service.get_volunteer(session, point, volunteer_id)
    service.remove_volunteer(session, point, volunteer, actor=staff, now=now)


@router.post(POINT + "/coordinators", status_code=status.HTTP_204_NO_CONTENT)
def add_coordinator(
    data: CoordinatorAssign, point_id: PathId, session: SessionDep, admin: AdminStaff
) -> None:
    """Make a staff account a coordinator of the contact point (admins)."""
    point = service.get_point(session, point_id)
    service.add_coordinator(session, point, actor=admin, staff_id=data.staff_id)


# --- the schedule ----------------------------------------------------------------------------


@router.get(POINT + "/templates", response_model=list[TemplateRead])
def list_templates(point: VisiblePoint, session: SessionDep) -> object:
    return [views.template_read(t) for t in shifts.templates(session, point)]


@router.post(POINT + "/templates", response_model=TemplateRead, status_code=201)
def add_template(
    *,
    data: TemplateCreate,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    """A weekly shift; its shifts are planned weeks ahead at once (coordinators)."""
    return views.template_read(shifts.add_template(session, point, actor=staff, data=data, now=now))


@router.patch(POINT + "/templates/{template_id}", response_model=TemplateRead)
def update_template(
    *,
    template_id: PathId,
    data: TemplateUpdate,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    """New seats or phones for the coming shifts of this kind (coordinators)."""
    template = shifts.get_template(session, point, template_id)
    shifts.update_template(session, point, template, actor=staff, data=data, now=now)
    return views.template_read(template)


@router.delete(POINT + "/templates/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_template(
    *,
    template_id: PathId,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> None:
    """The weekly shift ends; coming shifts with volunteers are cancelled, not deleted."""
    template = shifts.get_template(session, point, template_id)
    shifts.remove_template(session, point, template, actor=staff, now=now)


@router.get(POINT + "/shifts", response_model=list[ShiftRead])
def list_shifts(
    *,
    point: VisiblePoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
    first: Annotated[date | None, Query(alias="from", description="local date")] = None,
    last: Annotated[date | None, Query(alias="to", description="local date")] = None,
) -> object:
    """The shifts between two local dates (default: the coming four weeks), seats and open
    seats; no phone numbers."""
    today = now.astimezone(ZoneInfo(point.time_zone)).date()
    first = first or today
    last = last or first + timedelta(weeks=4)
    if last < first or (last - first).days > MAX_DAYS:
        raise InvalidInput(f"'to' must be on or after 'from', at most {MAX_DAYS} days later")
    found = shifts.shifts_between(session, point, first, last)
    return views.shift_reads(session, point, found, service.volunteer_of(session, staff))


@router.patch(POINT + "/shifts/{shift_id}", response_model=ShiftRead)
def change_shift(
    *,
    shift_id: PathId,
    data: ShiftChange,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    """This one shift's seats (coordinators); the weekly shift stays as it is."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    seats.change_seats(session, shift, actor=staff, seats=data.seats, now=now)
    return views.shift_reads(session, point, [shift], None)[0]


@router.post(POINT + "/shifts/{shift_id}/cancel", response_model=ShiftRead)
def cancel_shift(
    *,
    shift_id: PathId,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    shift = seats.get_shift(session, point, shift_id, lock=True)
    seats.cancel_shift(session, shift, actor=staff, now=now)
    return views.shift_reads(session, point, [shift], None)[0]


@router.post(POINT + "/shifts/{shift_id}/sign-up", response_model=ShiftRead)
def sign_up(
    shift_id: PathId, point: VisiblePoint, volunteer: OwnVolunteer, session: SessionDep, now: Now
) -> object:
    """Take an open seat (volunteers of this contact point, until the cut-off)."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    seats.sign_up(session, point, shift, volunteer, now=now)
    return views.shift_reads(session, point, [shift], volunteer)[0]


@router.post(POINT + "/shifts/{shift_id}/withdraw", response_model=ShiftRead)
def withdraw(
    shift_id: PathId, point: VisiblePoint, volunteer: OwnVolunteer, session: SessionDep, now: Now
) -> object:
    """Give up one's seat (until the cut-off; later, ask the coordinator)."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    seats.withdraw(session, point, shift, volunteer, now=now)
    return views.shift_reads(session, point, [shift], volunteer)[0]


@router.post(POINT + "/shifts/{shift_id}/seats", response_model=ShiftRead)
def assign_seat(
    *,
    shift_id: PathId,
    data: SeatAssign,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    """Seat a volunteer of this contact point, or give a seated one a duty mobile."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    volunteer = service.get_volunteer(session, point, data.volunteer_id)
    phone = (
        service.get_duty_phone(session, point, data.duty_phone_id)
        if data.duty_phone_id is not None
        else None
    )
    seats.assign(session, point, shift, volunteer, actor=staff, duty_phone=phone, now=now)
    return views.shift_reads(session, point, [shift], None)[0]


@router.delete(POINT + "/shifts/{shift_id}/seats/{volunteer_id}", response_model=ShiftRead)
def unassign_seat(
    *,
    shift_id: PathId,
    volunteer_id: PathId,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    shift = seats.get_shift(session, point, shift_id, lock=True)
    volunteer = service.get_volunteer(session, point, volunteer_id)
    seats.unassign(session, shift, volunteer, actor=staff, now=now)
    return views.shift_reads(session, point, [shift], None)[0]


# --- on duty, calls, blocks ------------------------------------------------------------------


@router.get(POINT + "/on-duty", response_model=OnDutyRead)
def on_duty(point: VisiblePoint, session: SessionDep, now: Now) -> object:
    """Who is on duty now, calls in progress, and calls missed today."""
    return records.on_duty_now(session, point, now=now)


@router.get(POINT + "/calls", response_model=Page[CallRead])
def list_calls(
    point: CoordinatedPoint,
    session: SessionDep,
    paging: Paging,
    outcome: CallOutcome | None = None,
    since: Annotated[date | None, Query(description="local date: calls from this day on")] = None,
) -> object:
    """The call log, newest first (coordinators): outcome, waits, who took it, who was rung."""
    start = local_midnight(since, point.time_zone) if since is not None else None
    calls, total = records.list_calls(
        session, point, limit=paging.limit, offset=paging.offset, outcome=outcome, since=start
    )
    items = [views.call_read(session, call) for call in calls]
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(POINT + "/calls/{call_id}/block", response_model=BlockRead, status_code=201)
def block_caller(
    *,
    call_id: PathId,
    data: BlockCreate,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    """Block this call's caller from the contact point for a number of days (coordinators);
    they hear a neutral message. The block holds only the number's keyed hash."""
    call = records.get_call(session, point, call_id)
    return records.block_caller(session, point, call, actor=staff, days=data.days, now=now)
