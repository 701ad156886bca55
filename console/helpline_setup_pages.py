"""Setting up a contact point: an admin adds one and gives it a phone line; its coordinators
change how its phones ring and until when volunteers may sign up. The same rules as the API's
(``helpline.service``): adding and lines are an admin's, the settings a coordinator's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from console import forms
from console.dependencies import ConsoleAdmin, ConsoleCoordinatedPoint, ConsoleStaff, FormFields
from console.exceptions import FormRejected
from console.helpline_pages import point_path
from console.rendering import PREFIX, flash, redirect, reject_form, render, sentence
from core.database import SessionDep
from core.errors import Conflict, NotFound
from helpline import service
from helpline.models import ContactPoint, RingStrategy
from helpline.schemas import ContactPointCreate, ContactPointUpdate, HelplineLineAttach

router = APIRouter(prefix="/helpline")

SETTINGS = (
    "name",
    "language",
    "time_zone",
    "ring_strategy",
    "ring_seconds",
    "national_order",
    "signup_cutoff_hours",
)
STRATEGIES = [
    (RingStrategy.ring_all.value, "All free phones at once"),
    (RingStrategy.in_turn.value, "One phone after another"),
]
NEW_POINT = {"language": "pl", "time_zone": "Europe/Warsaw", "ring_seconds": "35"}


def _context(
    session: Session, point: ContactPoint | None, staff: Staff, values: dict[str, Any]
) -> dict[str, Any]:
    admin = staff.role is Role.admin
    return {
        "point": point,
        "values": values,
        "strategies": STRATEGIES,
        "lines": service.point_lines(session, point.id) if point else [],
        "free_lines": [(line.id, line.number) for line in service.free_lines(session)]
        if admin
        else [],
        "admin": admin,
    }


def _current(point: ContactPoint) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(point, name) for name in SETTINGS}
    values["ring_strategy"] = point.ring_strategy.value
    values["national_order"] = point.national_order or ""
    values["announce_national"] = "yes" if point.announce_national else ""
    values["number_on_national"] = "yes" if point.number_on_national else ""
    return values


def _submitted(fields: dict[str, str]) -> dict[str, Any]:
    data = forms.pick(fields, *SETTINGS)
    data["announce_national"] = fields.get("announce_national") == "yes"
    data["number_on_national"] = fields.get("number_on_national") == "yes"
    return data


def _refuse(
    request: Request,
    *,
    session: Session,
    point: ContactPoint | None,
    staff: Staff,
    fields: dict[str, str],
    errors: dict[str, str],
) -> FormRejected:
    context = _context(session, point, staff, fields)
    return reject_form(request, "helpline_settings.html", context, errors, staff=staff)


@router.get("/new")
def new_point_page(request: Request, staff: ConsoleAdmin, session: SessionDep) -> Response:
    """The form for a new contact point (admins)."""
    return render(
        request, "helpline_settings.html", _context(session, None, staff, NEW_POINT), staff=staff
    )


@router.post("/new")
def create_point(
    request: Request, staff: ConsoleAdmin, fields: FormFields, session: SessionDep
) -> Response:
    """Add the contact point, and give it the chosen line if one was chosen."""
    data, errors = forms.validate(ContactPointCreate, _submitted(fields))
    if data is None:
        raise _refuse(
            request, session=session, point=None, staff=staff, fields=fields, errors=errors
        )
    try:
        point = service.create_point(session, actor=staff, data=data)
    except Conflict as exc:
        errors = {"name": sentence(exc.detail)}
        raise _refuse(
            request, session=session, point=None, staff=staff, fields=fields, errors=errors
        ) from exc
    line, _errors = forms.validate(HelplineLineAttach, forms.pick(fields, "line_id"))
    if line is not None:  # the form offers only free lines; none chosen: one can follow
        service.attach_line(session, actor=staff, point=point, line_id=line.line_id)
    flash(request, f"{point.name} is added. Next: its team, duty phones and weekly shifts.")
    return redirect(f"{point_path(point.id)}/team")


@router.get("/{point_id}/settings")
def settings_page(
    request: Request, point: ConsoleCoordinatedPoint, staff: ConsoleStaff, session: SessionDep
) -> Response:
    """How the contact point's phones ring, its line and sign-up cut-off (coordinators)."""
    context = _context(session, point, staff, _current(point))
    return render(request, "helpline_settings.html", context, staff=staff)


@router.post("/{point_id}/settings")
def save_settings(
    request: Request,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
) -> Response:
    """Save the settings; a blank place on the national line takes it off the national line."""
    submitted = _submitted(fields)
    submitted.setdefault("national_order", 0)
    data, errors = forms.validate(ContactPointUpdate, submitted)
    if data is None:
        raise _refuse(
            request, session=session, point=point, staff=staff, fields=fields, errors=errors
        )
    try:
        service.update_point(session, point, actor=staff, data=data)
    except Conflict as exc:
        errors = {"name": sentence(exc.detail)}
        raise _refuse(
            request, session=session, point=point, staff=staff, fields=fields, errors=errors
        ) from exc
    flash(request, "The settings are saved.")
    return redirect(f"{point_path(point.id)}/settings")


@router.post("/{point_id}/lines")
def attach_line(
    request: Request,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleAdmin,
    fields: FormFields,
    session: SessionDep,
) -> Response:
    """Give the contact point one more of the organisation's lines (admins)."""
    chosen, errors = forms.validate(HelplineLineAttach, forms.pick(fields, "line_id"))
    try:
        if chosen is None:
            raise NotFound("choose one of the lines")
        line = service.attach_line(session, actor=staff, point=point, line_id=chosen.line_id)
    except (Conflict, NotFound) as exc:
        errors = {"line_id": sentence(exc.detail)}
        values = _current(point)
        raise _refuse(
            request, session=session, point=point, staff=staff, fields=values, errors=errors
        ) from exc
    flash(request, f"Calls to {line.number} now reach {point.name}.")
    return redirect(f"{PREFIX}/helpline/{point.id}/settings")
