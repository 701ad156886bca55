"""The helpline for its volunteers and coordinators: their contact points, a contact point's
month of shifts with who is on duty now, and the seats: a volunteer signs up or withdraws, a
coordinator assigns, removes and cancels. The rules are ``helpline.shifts``'; a refusal is shown
on the page again in its words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from auth.models import Staff
from console import forms, helpline_rota_pages, helpline_views
from console.dependencies import (
    ConsoleCoordinatedPoint,
    ConsolePoint,
    ConsoleStaff,
    ConsoleVolunteer,
    FormFields,
)
from console.exceptions import FormRejected
from console.rendering import PREFIX, flash, ngettext, redirect, reject_form, render, sentence
from core.clock import Now
from core.database import SessionDep
from core.errors import Conflict, InvalidInput
from core.schemas import PathId
from helpline import inbox, rota, schedule, seats, service
from helpline.models import ContactPoint, Shift, Volunteer
from helpline.schemas import SeatAssign

router = APIRouter(prefix="/helpline")
MonthQuery = Annotated[str | None, Query(max_length=7, description="YYYY-MM")]


def point_path(point_id: int) -> str:
    return f"{PREFIX}/helpline/{point_id}"


def _month_path(point: ContactPoint, shift: Shift) -> str:
    month = schedule.month_key(shift.local_date)
    return f"{point_path(point.id)}?month={month}#shift-{shift.id}"


@router.get("")
def points_page(request: Request, staff: ConsoleStaff, session: SessionDep) -> Response:
    """The contact points the signed-in person coordinates or serves at (admins: all), the
    voicemail they review and the serving groups they represent."""
    points = service.list_points(session, staff)
    context = {
        "points": points,
        "reviewed": inbox.reviewed_ids(session, staff),
        "represented": [p for p in rota.represented(session, staff) if p not in points],
    }
    return render(request, "helpline_points.html", context, staff=staff)


def _month_context(
    session: Session, point: ContactPoint, staff: Staff, shift: Shift, now: datetime
) -> dict[str, Any]:
    month = shift.local_date.replace(day=1)
    page = helpline_views.month_page(session, point=point, staff=staff, month=month, now=now)
    return {"page": page}


@router.get("/{point_id}")
def month_page(
    request: Request,
    *,
    point: ConsolePoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
    month: MonthQuery = None,
) -> Response:
    """A month of shifts, local dates and times: seats filled and open, and who is on duty."""
    first = helpline_views.month_of(month, point, now)
    page = helpline_views.month_page(session, point=point, staff=staff, month=first, now=now)
    rota = helpline_rota_pages.covering(session, point, first)
    return render(request, "helpline_month.html", {"page": page, "rota": rota}, staff=staff)


def _refused(
    request: Request,
    template: str,
    context: dict[str, Any],
    exc: Conflict | InvalidInput,
    *,
    shift: Shift,
    staff: Staff,
) -> FormRejected:
    """The page again, the service's reason at the top and beside the shift."""
    reason = sentence(exc.detail)
    errors = {"form": reason, f"shift-{shift.id}": reason}
    return reject_form(request, template, context, errors, staff=staff)


def _change_own_seat(
    request: Request,
    change: Callable[..., object],
    said: str,
    *,
    shift_id: int,
    point: ContactPoint,
    volunteer: Volunteer,
    staff: Staff,
    session: Session,
    now: datetime,
) -> Response:
    """Sign up or withdraw; ``said`` is the confirmation, with the shift's ``{when}``."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    try:
        change(session, point, shift, volunteer, now=now)
    except (Conflict, InvalidInput) as exc:
        context = _month_context(session, point, staff, shift, now)
        raise _refused(
            request, "helpline_month.html", context, exc, shift=shift, staff=staff
        ) from exc
    flash(request, said.format(when=helpline_views.describe(point, shift)))
    return redirect(_month_path(point, shift))


@router.post("/{point_id}/shifts/{shift_id}/sign-up")
def sign_up(
    request: Request,
    *,
    shift_id: PathId,
    point: ConsolePoint,
    volunteer: ConsoleVolunteer,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """Take an open seat (volunteers of this contact point, until the cut-off)."""
    return _change_own_seat(
        request,
        seats.sign_up,
        "Thank you: you are on duty {when}.",
        shift_id=shift_id,
        point=point,
        volunteer=volunteer,
        staff=staff,
        session=session,
        now=now,
    )


@router.post("/{point_id}/shifts/{shift_id}/withdraw")
def withdraw(
    request: Request,
    *,
    shift_id: PathId,
    point: ConsolePoint,
    volunteer: ConsoleVolunteer,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """Give up one's seat (until the cut-off; later, the coordinator)."""
    return _change_own_seat(
        request,
        seats.withdraw,
        "You are no longer on duty {when}.",
        shift_id=shift_id,
        point=point,
        volunteer=volunteer,
        staff=staff,
        session=session,
        now=now,
    )


# --- a coordinator's seats ----------------------------------------------------------------------


def _shift_context(
    session: Session, point: ContactPoint, shift: Shift, staff: Staff, now: datetime
) -> dict[str, Any]:
    page = helpline_views.shift_page(session, point=point, shift=shift, staff=staff, now=now)
    return {"page": page, "rings_at": helpline_views.RINGS_AT}


@router.get("/{point_id}/shifts/{shift_id}")
def shift_page(
    request: Request,
    *,
    shift_id: PathId,
    point: ConsolePoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """One shift: its seats, and for a coordinator the forms to assign and cancel."""
    shift = seats.get_shift(session, point, shift_id)
    context = _shift_context(session, point, shift, staff, now)
    return render(request, "helpline_shift.html", context, staff=staff)


@router.post("/{point_id}/shifts/{shift_id}/seats")
def assign(
    request: Request,
    *,
    shift_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Seat a volunteer of this contact point, or give a seated one a duty mobile."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    context = {**_shift_context(session, point, shift, staff, now), "values": fields}
    data, errors = forms.validate(SeatAssign, forms.pick(fields, "volunteer_id", "duty_phone_id"))
    if data is None:
        raise reject_form(request, "helpline_shift.html", context, errors, staff=staff)
    volunteer = service.get_volunteer(session, point, data.volunteer_id)
    phone = (
        service.get_duty_phone(session, point, data.duty_phone_id)
        if data.duty_phone_id is not None
        else None
    )
    try:
        seats.assign(session, point, shift, volunteer, actor=staff, duty_phone=phone, now=now)
    except (Conflict, InvalidInput) as exc:
        raise _refused(
            request, "helpline_shift.html", context, exc, shift=shift, staff=staff
        ) from exc
    flash(request, f"Seat assigned for {helpline_views.describe(point, shift)}.")
    return redirect(_month_path(point, shift))


@router.post("/{point_id}/shifts/{shift_id}/seats/{volunteer_id}/remove")
def unassign(
    request: Request,
    *,
    shift_id: PathId,
    volunteer_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """Free a volunteer's seat (coordinators; no cut-off applies)."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    volunteer = service.get_volunteer(session, point, volunteer_id)
    try:
        seats.unassign(session, shift, volunteer, actor=staff, now=now)
    except (Conflict, InvalidInput) as exc:
        context = _month_context(session, point, staff, shift, now)
        raise _refused(
            request, "helpline_month.html", context, exc, shift=shift, staff=staff
        ) from exc
    flash(request, f"The seat is free again on {helpline_views.describe(point, shift)}.")
    return redirect(_month_path(point, shift))


@router.get("/{point_id}/shifts/{shift_id}/cancel")
def confirm_cancel(
    request: Request,
    *,
    shift_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """Confirm a cancellation, naming who loses their seat; it cannot be undone."""
    shift = seats.get_shift(session, point, shift_id)
    context = _shift_context(session, point, shift, staff, now)
    return render(request, "helpline_cancel.html", context, staff=staff)


@router.post("/{point_id}/shifts/{shift_id}/cancel")
def cancel(
    request: Request,
    *,
    shift_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """Cancel one shift (coordinators): nobody's phone rings for it."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    try:
        seated = seats.cancel_shift(session, shift, actor=staff, now=now)
    except (Conflict, InvalidInput) as exc:
        context = _shift_context(session, point, shift, staff, now)
        raise _refused(
            request, "helpline_shift.html", context, exc, shift=shift, staff=staff
        ) from exc
    volunteers = ngettext(
        "%(num)d volunteer had a seat on it", "%(num)d volunteers had a seat on it", seated
    ) % {"num": seated}
    flash(
        request,
        f"The shift of {helpline_views.describe(point, shift)} is cancelled; {volunteers}. "
        "Let them know.",
    )
    return redirect(_month_path(point, shift))
