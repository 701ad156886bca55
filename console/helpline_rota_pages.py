"""A contact point's rota in the console: which serving group covers which shift of a month, and
for its coordinators the groups (added, paused, resumed), the month generated or edited by hand,
the candidates with their mentors (confirmed or extended) and the rota's settings and the
coordinator's term. The rules are ``helpline.rota``'s, ``helpline.mentoring``'s and
``helpline.terms``'; a refusal is shown on the page again in its words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, NoReturn, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from auth.models import Staff
from console import forms, helpline_views
from console.dependencies import ConsoleCoordinatedPoint, ConsoleStaff, FormFields
from console.rendering import PREFIX, flash, redirect, reject_form, render, sentence
from core.clock import Now
from core.database import SessionDep
from core.errors import Conflict, InvalidInput
from core.schemas import PathId
from helpline import dependencies as helpline_dependencies
from helpline import mentoring, rota, rota_views, schedule, seats, service, terms, views
from helpline.models import Candidacy, ContactPoint, DutyPhone, DutyPhoneKind, ServingGroup
from helpline.rota_schemas import (
    CandidacyCreate,
    CandidacyExtend,
    RotaEdit,
    RotaMonthRead,
    RotaSeat,
    RotaSettings,
    ServingGroupCreate,
    WholeGroup,
)
from helpline.schemas import VolunteerRead

router = APIRouter(prefix="/helpline")


def get_rota_point(point_id: PathId, session: SessionDep, staff: ConsoleStaff) -> ContactPoint:
    """The API's rule: the coordinators, the volunteers and the serving groups' representatives."""
    return helpline_dependencies.get_rota_point(point_id, session, staff)


ConsoleRotaPoint = Annotated[ContactPoint, Depends(get_rota_point)]
MonthQuery = Annotated[str | None, Query(max_length=7, description="YYYY-MM")]
M = TypeVar("M", bound=BaseModel)
Where = tuple[Session, ContactPoint, Staff, datetime]  # what the page again is made of


@dataclass(frozen=True)
class RotaPage:
    point: ContactPoint
    month: date
    previous: str
    next: str
    rota: RotaMonthRead
    coordinator: bool
    groups: list[ServingGroup]
    candidacies: list[Candidacy]
    volunteers: dict[int, str]  # usernames by volunteer id (the team), for seats and mentors
    # The shifts whose seats the viewer fills: a coordinator's all, a representative's their
    # group's.
    fillable: set[int]
    mobiles: list[DutyPhone]


def covering(session: Session, point: ContactPoint, month: date) -> dict[int, str]:
    """The group covering each shift of the month, by shift id (for the month's page)."""
    return {
        row.shift.id: row.group.name
        for row in rota.month_shifts(session, point, month)
        if row.group is not None
    }


def _page(
    session: Session, point: ContactPoint, staff: Staff, month: date, now: datetime
) -> RotaPage:
    month_page = helpline_views.month_page(session, point=point, staff=staff, month=month, now=now)
    coordinator = month_page.coordinator
    shown = rota_views.month_read(session, point, month)
    groups = rota.list_groups(session, point)
    mine = {group.id for group in groups if coordinator or group.representative_id == staff.id}
    fillable = {row.shift_id for row in shown.shifts if row.serving_group_id in mine}
    team: list[VolunteerRead] = (
        views.volunteer_reads(session, point, staff) if coordinator or fillable else []
    )
    mobiles = [
        phone
        for phone in service.list_duty_phones(session, point)
        if phone.kind is DutyPhoneKind.mobile
    ]
    return RotaPage(
        point=point,
        month=month,
        previous=month_page.previous,
        next=month_page.next,
        rota=shown,
        coordinator=coordinator,
        groups=groups if coordinator else [],
        candidacies=mentoring.candidates(session, point) if coordinator else [],
        volunteers={person.id: person.username for person in team},
        fillable=fillable,
        mobiles=mobiles if fillable else [],
    )


def _path(point: ContactPoint, month: date | None = None) -> str:
    query = f"?month={schedule.month_key(month)}" if month else ""
    return f"{PREFIX}/helpline/{point.id}/rota{query}"


def _refused(
    request: Request, where: Where, errors: dict[str, str], month: date | None = None
) -> NoReturn:
    """The page again (the month given, or this one) with the errors at the top."""
    session, point, staff, now = where
    first = month or helpline_views.month_of(None, point, now)
    context = {"page": _page(session, point, staff, first, now)}
    raise reject_form(request, "helpline_rota.html", context, errors, staff=staff)


def _validated(
    request: Request,
    model: type[M],
    data: dict[str, Any],
    where: Where,
) -> M:
    """``data`` as ``model``, or the page again with the fields' errors."""
    found, errors = forms.validate(model, data)
    if found is None:
        _refused(request, where, errors)
    return found


@router.get("/{point_id}/rota")
def rota_page(
    request: Request,
    *,
    point: ConsoleRotaPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
    month: MonthQuery = None,
) -> Response:
    """The month's rota: which group covers each shift; the coordinators' forms."""
    first = helpline_views.month_of(month, point, now)
    page = _page(session, point, staff, first, now)
    return render(request, "helpline_rota.html", {"page": page}, staff=staff)


@router.post("/{point_id}/rota/generate")
def generate(
    request: Request,
    *,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Share the month's shifts out to the groups whose turn it is (again: hand edits stay)."""
    first = helpline_views.month_of(fields.get("month") or None, point, now)
    try:
        rota.generate(session, point, month=first, actor=staff, now=now)
    except (Conflict, InvalidInput) as exc:
        _refused(request, (session, point, staff, now), {"form": sentence(exc.detail)}, first)
    flash(request, f"The rota of {first.strftime('%B %Y')} is ready; the representatives are told.")
    return redirect(_path(point, first))


@router.post("/{point_id}/rota/shifts/{shift_id}")
def edit(
    request: Request,
    *,
    shift_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Give one shift to another group, or to none."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    where = (session, point, staff, now)
    chosen = fields.get("serving_group_id", "").strip() or None
    data = _validated(request, RotaEdit, {"serving_group_id": chosen}, where)
    group = (
        rota.get_group(session, point, data.serving_group_id)
        if data.serving_group_id is not None
        else None
    )
    try:
        rota.set_group(session, point, shift, group, actor=staff, now=now)
    except (Conflict, InvalidInput) as exc:
        _refused(request, where, {"form": sentence(exc.detail)}, shift.local_date.replace(day=1))
    flash(
        request, f"{helpline_views.describe(point, shift)}: {group.name if group else 'no group'}."
    )
    return redirect(_path(point, shift.local_date.replace(day=1)))


@router.post("/{point_id}/serving-groups")
def add_group(
    request: Request,
    *,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """A group joins the rota, last in the order, with its representative."""
    names = ("name", "representative_id", "contact_name", "contact_phone")
    data = _validated(
        request, ServingGroupCreate, forms.pick(fields, *names), (session, point, staff, now)
    )
    try:
        group = rota.add_group(session, point, actor=staff, data=data)
    except (Conflict, InvalidInput) as exc:
        _refused(request, (session, point, staff, now), {"form": sentence(exc.detail)})
    flash(request, f"{group.name} takes its turns from the next month generated.")
    return redirect(_path(point))


@router.post("/{point_id}/serving-groups/{group_id}/pause")
def pause_group(
    request: Request,
    *,
    group_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
) -> Response:
    """Pause a group (its turns are skipped), or resume a paused one."""
    group = rota.get_group(session, point, group_id)
    group.paused = not group.paused
    seats.audited(session, staff, "serving_group.update", "serving_group", group.id)
    flash(request, f"{group.name} is {'paused' if group.paused else 'taking turns again'}.")
    return redirect(_path(point))


@router.post("/{point_id}/candidates")
def add_candidate(
    request: Request,
    *,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """A volunteer becomes a candidate with an experienced volunteer as mentor."""
    where = (session, point, staff, now)
    data = _validated(
        request, CandidacyCreate, forms.pick(fields, "volunteer_id", "mentor_id", "months"), where
    )
    try:
        mentoring.add_candidate(
            session,
            point,
            actor=staff,
            volunteer=service.get_volunteer(session, point, data.volunteer_id),
            mentor=service.get_volunteer(session, point, data.mentor_id),
            starts_on=None,
            months=data.months,
            now=now,
        )
    except (Conflict, InvalidInput) as exc:
        _refused(request, where, {"form": sentence(exc.detail)})
    flash(request, "The candidacy is recorded.")
    return redirect(_path(point))


@router.post("/{point_id}/candidates/{candidacy_id}/{action}")
def close_or_extend(
    request: Request,
    *,
    candidacy_id: PathId,
    action: str,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Confirm the candidate as experienced, or extend the candidacy by some months."""
    candidacy = mentoring.get_candidacy(session, point, candidacy_id)
    where = (session, point, staff, now)
    try:
        if action == "confirm":
            mentoring.confirm(session, candidacy, actor=staff)
            flash(request, "Confirmed: an experienced volunteer from now on.")
        elif action == "extend":
            data = _validated(request, CandidacyExtend, forms.pick(fields, "months"), where)
            mentoring.extend(session, candidacy, actor=staff, months=data.months)
            flash(request, f"The candidacy now ends on {candidacy.ends_on:%d %B %Y}.")
        else:
            raise InvalidInput("confirm or extend a candidacy")
    except (Conflict, InvalidInput) as exc:
        _refused(request, where, {"form": sentence(exc.detail)})
    return redirect(_path(point))


@router.post("/{point_id}/rota-settings")
def settings(
    request: Request,
    *,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Groups per month, the mentoring rule and the coordinator's term."""
    data = forms.pick(fields, "rota_groups_per_month", "coordinator_term_start")
    data["any_experienced_mentor"] = fields.get("any_experienced_mentor") == "yes"
    found = _validated(request, RotaSettings, data, (session, point, staff, now))
    terms.update_settings(session, point, actor=staff, data=found)
    flash(request, "The rota's settings are saved.")
    return redirect(_path(point))


@router.post("/{point_id}/rota/shifts/{shift_id}/seats")
def fill_seat(
    request: Request,
    *,
    shift_id: PathId,
    point: ConsoleRotaPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Seat a volunteer on the group's shift (its representative, or a coordinator)."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    rota.may_fill(session, staff, point, shift)
    where = (session, point, staff, now)
    data = _validated(request, RotaSeat, forms.pick(fields, "volunteer_id"), where)
    volunteer = service.get_volunteer(session, point, data.volunteer_id)
    month = shift.local_date.replace(day=1)
    try:
        rota.fill_seat(session, point, shift, volunteer, actor=staff, now=now)
    except (Conflict, InvalidInput) as exc:
        _refused(request, where, {"form": sentence(exc.detail)}, month)
    flash(request, f"Seat filled for {helpline_views.describe(point, shift)}.")
    return redirect(_path(point, month))


@router.post("/{point_id}/rota/shifts/{shift_id}/whole-group")
def whole_group(
    request: Request,
    *,
    shift_id: PathId,
    point: ConsoleRotaPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """The group serves the shift as a whole, on a duty mobile."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    rota.may_fill(session, staff, point, shift)
    where = (session, point, staff, now)
    data = _validated(request, WholeGroup, forms.pick(fields, "duty_phone_id"), where)
    phone = service.get_duty_phone(session, point, data.duty_phone_id)
    month = shift.local_date.replace(day=1)
    try:
        rota.serve_whole(session, point, shift, phone, actor=staff, now=now)
    except (Conflict, InvalidInput) as exc:
        _refused(request, where, {"form": sentence(exc.detail)}, month)
    flash(request, f"The whole group serves {helpline_views.describe(point, shift)}.")
    return redirect(_path(point, month))
