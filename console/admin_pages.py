"""Administration: staff accounts and roles, phone lines, the audit log (admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from auth import service as auth_service
from auth.exceptions import StaffNotFound
from auth.models import Role
from auth.schemas import StaffCreate
from console import forms, views
from console.dependencies import ConsoleAdmin, FormFields
from console.rendering import PREFIX, flash, redirect, reject_form, render
from core import audit
from core.database import SessionDep
from core.errors import Conflict, InvalidInput
from core.schemas import MAX_ID, PathId
from groups import service as groups_service
from groups.schemas import LineCreate

router = APIRouter(prefix="/admin")


def _staff_context(session: Session, values: dict[str, str]) -> dict[str, Any]:
    people, _total = auth_service.list_staff(session, limit=1000, offset=0)
    return {"people": people, "roles": [role.value for role in Role], "values": values}


@router.get("/staff")
def staff_page(request: Request, admin: ConsoleAdmin, session: SessionDep) -> Response:
    """Staff accounts and their roles, and the form to add one."""
    return render(request, "staff.html", _staff_context(session, {}), staff=admin)


@router.post("/staff")
def create_staff(
    request: Request, admin: ConsoleAdmin, fields: FormFields, session: SessionDep
) -> Response:
    """Add a staff account with a role."""
    values = {key: value for key, value in fields.items() if key != "password"}
    data, errors = forms.validate(StaffCreate, forms.pick(fields, "username", "password", "role"))
    if data is None:
        raise reject_form(
            request, "staff.html", _staff_context(session, values), errors, staff=admin
        )
    try:
        person = auth_service.create_staff(
            session, username=data.username, password=data.password, role=data.role
        )
    except Conflict as exc:
        context = _staff_context(session, values)
        raise reject_form(
            request, "staff.html", context, {"username": exc.detail}, staff=admin
        ) from exc
    audit.record(
        session, actor_id=admin.id, action="staff.create", target_type="staff", target_id=person.id
    )
    # No name in the flash: it travels in the session cookie, signed but readable.
    flash(request, f"The {person.role.value} account is created.")
    return redirect(f"{PREFIX}/admin/staff")


@router.post("/staff/{staff_id}/active")
def set_active(
    request: Request, staff_id: PathId, admin: ConsoleAdmin, fields: FormFields, session: SessionDep
) -> Response:
    """Deactivate an account (its sessions and tokens stop working at once) or reactivate it."""
    person = auth_service.get_staff(session, staff_id)
    if person is None:
        raise StaffNotFound()
    if person.id == admin.id:
        raise InvalidInput("you cannot deactivate your own account; ask another coordinator")
    active = fields.get("active") == "yes"
    auth_service.set_active(session, staff=person, active=active)
    audit.record(
        session, actor_id=admin.id, action="staff.update", target_type="staff", target_id=person.id
    )
    state = "reactivated" if active else "deactivated; the person is signed out everywhere"
    flash(request, f"The account is {state}.")
    return redirect(f"{PREFIX}/admin/staff")


def _lines_context(session: Session, values: dict[str, str]) -> dict[str, Any]:
    return {"lines": groups_service.list_lines(session), "values": values}


@router.get("/lines")
def lines_page(request: Request, admin: ConsoleAdmin, session: SessionDep) -> Response:
    """The organisation's phone lines, and the form to register one."""
    return render(request, "lines.html", _lines_context(session, {}), staff=admin)


@router.post("/lines")
def create_line(
    request: Request, admin: ConsoleAdmin, fields: FormFields, session: SessionDep
) -> Response:
    """Register a phone line."""
    data, errors = forms.validate(LineCreate, forms.pick(fields, "number", "language", "label"))
    if data is None:
        raise reject_form(
            request, "lines.html", _lines_context(session, fields), errors, staff=admin
        )
    try:
        groups_service.create_line(session, actor=admin, data=data)
    except Conflict as exc:
        context = _lines_context(session, fields)
        raise reject_form(
            request, "lines.html", context, {"number": exc.detail}, staff=admin
        ) from exc
    flash(request, "The line is registered.")
    return redirect(f"{PREFIX}/admin/lines")


@router.get("/audit")
def audit_page(
    request: Request,
    admin: ConsoleAdmin,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """The audit log, newest first."""
    page = views.audit_page(session, offset=offset)
    return render(request, "audit.html", {"page": page}, staff=admin)
