"""A contact point's coordinators at work: the call log and its blocks, the team and the duty
phones, the weekly shifts. Volunteers may look at the team (usernames, their own phone) and the
weekly shifts; every change is a coordinator's, by the API's rule. No page shows a caller's
number: the helpline never has one (``helpline.calls``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from auth.models import Staff
from console import forms, helpline_views
from console.dependencies import ConsoleCoordinatedPoint, ConsolePoint, ConsoleStaff, FormFields
from console.exceptions import FormRejected
from console.helpline_pages import point_path
from console.rendering import flash, ngettext, redirect, reject_form, render, sentence
from core.clock import Now, local_time
from core.database import SessionDep
from core.errors import Conflict, InvalidInput
from core.schemas import MAX_ID, WEEKDAYS, PathId
from helpline import records, service, shifts, views
from helpline.models import CallOutcome, ContactPoint
from helpline.schemas import (
    BlockCreate,
    DutyPhoneCreate,
    TemplateCreate,
    TemplateUpdate,
    VolunteerCreate,
)

router = APIRouter(prefix="/helpline")


# --- the call log -------------------------------------------------------------------------------


def _calls_context(
    session: Session, point: ContactPoint, outcome: CallOutcome | None, offset: int
) -> dict[str, Any]:
    page = helpline_views.calls_page(session, point=point, outcome=outcome, offset=offset)
    return {
        "page": page,
        "outcomes": helpline_views.OUTCOMES,
        "filters": helpline_views.OUTCOME_FILTERS,
        "leg_outcomes": helpline_views.LEG_OUTCOMES,
        "duration": helpline_views.duration,
    }


@router.get("/{point_id}/calls")
def calls_page(
    request: Request,
    *,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    outcome: Annotated[CallOutcome | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """The call log, newest first: waits, talk times, who took it, who was rung (coordinators)."""
    context = _calls_context(session, point, outcome, offset)
    return render(request, "helpline_calls.html", context, staff=staff)


@router.post("/{point_id}/calls/{call_id}/block")
def block_caller(
    request: Request,
    *,
    call_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Block this call's caller from the contact point for some days, by the number's hash."""
    call = records.get_call(session, point, call_id)
    data, errors = forms.validate(BlockCreate, forms.pick(fields, "days"))
    reason = sentence(errors.get("days", ""))
    if data is not None:
        try:
            block = records.block_caller(session, point, call, actor=staff, days=data.days, now=now)
        except (Conflict, InvalidInput) as exc:
            reason = sentence(exc.detail)
    if data is None or reason:
        context = _calls_context(session, point, None, 0)
        errors = {"form": reason, f"call-{call.id}": reason}
        raise reject_form(request, "helpline_calls.html", context, errors, staff=staff)
    started = local_time(call.started_at, point.time_zone, "%a %d %b, %H:%M")
    until = local_time(block.until, point.time_zone, "%a %d %b %Y")
    flash(
        request, f"The caller of {started} is blocked until {until}. They hear a neutral message."
    )
    return redirect(f"{point_path(point.id)}/calls")


# --- the team and the duty phones ---------------------------------------------------------------


def _team_context(
    session: Session,
    point: ContactPoint,
    staff: Staff,
    values: dict[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    page = helpline_views.team_page(session, point=point, staff=staff, now=now)
    return {"page": page, "values": values or {}, "kinds": helpline_views.PHONE_KINDS}


@router.get("/{point_id}/team")
def team_page(
    request: Request, point: ConsolePoint, staff: ConsoleStaff, session: SessionDep, now: Now
) -> Response:
    """The volunteers (phones and no-shows only for coordinators, and one's own phone) and the
    duty phones."""
    context = _team_context(session, point, staff, now=now)
    return render(request, "helpline_team.html", context, staff=staff)


def _refuse_team_form(
    request: Request,
    *,
    session: Session,
    point: ContactPoint,
    staff: Staff,
    fields: dict[str, str],
    errors: dict[str, str],
) -> FormRejected:
    context = _team_context(session, point, staff, fields)
    return reject_form(request, "helpline_team.html", context, errors, staff=staff)


@router.post("/{point_id}/volunteers")
def add_volunteer(
    request: Request,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
) -> Response:
    """A staff account joins the team, with the phone its seats ring."""
    data, errors = forms.validate(VolunteerCreate, forms.pick(fields, "staff_id", "phone"))
    if data is None:
        raise _refuse_team_form(
            request, session=session, point=point, staff=staff, fields=fields, errors=errors
        )
    try:
        service.add_volunteer(session, point, actor=staff, data=data)
    except (Conflict, InvalidInput) as exc:
        errors = {"phone": sentence(exc.detail)}
        raise _refuse_team_form(
            request, session=session, point=point, staff=staff, fields=fields, errors=errors
        ) from exc
    flash(request, "The volunteer is on the team now and can sign up for shifts.")
    return redirect(f"{point_path(point.id)}/team")


@router.post("/{point_id}/volunteers/{volunteer_id}/remove")
def remove_volunteer(
    request: Request,
    *,
    volunteer_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """The volunteer leaves the team; their seats here, from the shift under way on, are freed."""
    volunteer = service.get_volunteer(session, point, volunteer_id)
    freed = service.remove_volunteer(session, point, volunteer, actor=staff, now=now)
    seats = ngettext("%(num)d seat was freed", "%(num)d seats were freed", freed)
    flash(request, f"The volunteer is no longer on the team; {seats % {'num': freed}}.")
    return redirect(f"{point_path(point.id)}/team")


@router.post("/{point_id}/duty-phones")
def add_duty_phone(
    request: Request,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
) -> Response:
    """The desk phone or a duty mobile the contact point owns."""
    data, errors = forms.validate(DutyPhoneCreate, forms.pick(fields, "kind", "label", "number"))
    if data is None:
        raise _refuse_team_form(
            request, session=session, point=point, staff=staff, fields=fields, errors=errors
        )
    try:
        phone = service.add_duty_phone(session, point, actor=staff, data=data)
    except (Conflict, InvalidInput) as exc:
        errors = {"number": sentence(exc.detail)}
        raise _refuse_team_form(
            request, session=session, point=point, staff=staff, fields=fields, errors=errors
        ) from exc
    flash(request, f"{phone.label} is added.")
    return redirect(f"{point_path(point.id)}/team")


@router.post("/{point_id}/duty-phones/{phone_id}/remove")
def remove_duty_phone(
    request: Request,
    *,
    phone_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
) -> Response:
    """The phone no longer belongs to the contact point; seats that carried it ring none."""
    phone = service.get_duty_phone(session, point, phone_id)
    service.remove_duty_phone(session, phone, actor=staff)
    flash(request, f"{phone.label} is removed.")
    return redirect(f"{point_path(point.id)}/team")


# --- the weekly shifts --------------------------------------------------------------------------


def _weekly_context(
    session: Session, point: ContactPoint, staff: Staff, values: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "point": point,
        "coordinator": service.is_coordinator(session, staff, point.id),
        "templates": [views.template_read(t) for t in shifts.templates(session, point)],
        "weekdays": WEEKDAYS,
        "rings_at": helpline_views.RINGS_AT,
        "values": values or {"start": "16:00", "end": "21:00", "seats": "2"},
    }


@router.get("/{point_id}/weekly")
def weekly_page(
    request: Request, point: ConsolePoint, staff: ConsoleStaff, session: SessionDep
) -> Response:
    """The weekly shifts the month is planned from, and for coordinators their forms."""
    context = _weekly_context(session, point, staff)
    return render(request, "helpline_weekly.html", context, staff=staff)


@router.post("/{point_id}/weekly")
def add_weekly(
    request: Request,
    *,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """A weekly shift; its shifts are planned weeks ahead at once."""
    picked = forms.pick(fields, "weekday", "start", "end", "seats", "rings_at")
    data, errors = forms.validate(TemplateCreate, picked)
    if data is None:
        context = _weekly_context(session, point, staff, fields)
        raise reject_form(request, "helpline_weekly.html", context, errors, staff=staff)
    try:
        shifts.add_template(session, point, actor=staff, data=data, now=now)
    except (Conflict, InvalidInput) as exc:
        context = _weekly_context(session, point, staff, fields)
        errors = {"form": sentence(exc.detail)}
        raise reject_form(request, "helpline_weekly.html", context, errors, staff=staff) from exc
    flash(request, "The weekly shift is added and its shifts are planned.")
    return redirect(f"{point_path(point.id)}/weekly")


@router.post("/{point_id}/weekly/{template_id}/seats")
def change_seats(
    request: Request,
    *,
    template_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """New seats for the coming shifts of this kind; never fewer than are taken."""
    template = shifts.get_template(session, point, template_id)
    data, errors = forms.validate(TemplateUpdate, forms.pick(fields, "seats"))
    try:
        if data is None or data.seats is None:
            raise InvalidInput(errors.get("seats", "enter the number of seats, 1 to 10"))
        shifts.update_template(session, point, template, actor=staff, data=data, now=now)
    except (Conflict, InvalidInput) as exc:
        context = _weekly_context(session, point, staff)
        reason = sentence(exc.detail)
        errors = {"form": reason, f"template-{template.id}": reason}
        raise reject_form(request, "helpline_weekly.html", context, errors, staff=staff) from exc
    seats = ngettext("%(num)d seat", "%(num)d seats", template.seats) % {"num": template.seats}
    flash(request, f"The coming shifts of this kind have {seats} now.")
    return redirect(f"{point_path(point.id)}/weekly")


@router.post("/{point_id}/weekly/{template_id}/remove")
def remove_weekly(
    request: Request,
    *,
    template_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """The weekly shift ends; coming shifts with volunteers stay, cancelled."""
    template = shifts.get_template(session, point, template_id)
    cancelled = shifts.remove_template(session, point, template, actor=staff, now=now)
    kept = ngettext(
        "%(num)d coming shift with volunteers is kept as cancelled; tell them",
        "%(num)d coming shifts with volunteers are kept as cancelled; tell them",
        cancelled,
    ) % {"num": cancelled}
    flash(request, f"The weekly shift is removed. {sentence(kept)}")
    return redirect(f"{point_path(point.id)}/weekly")
