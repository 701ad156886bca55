"""Check-in in the console: the shifts under way or about to start at a contact point, who has
checked in, and a button to check in (one's own seat; a coordinator any seat). Coordinators also
see the no-shows per volunteer and decide on sign-ups waiting for approval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from console import helpline_views
from console.dependencies import ConsoleCoordinatedPoint, ConsolePoint, ConsoleStaff, FormFields
from console.helpline_pages import point_path
from console.rendering import flash, redirect, reject_form, render, sentence
from core.clock import Now, local_time
from core.database import SessionDep
from core.errors import Conflict, Forbidden, InvalidInput
from core.schemas import PathId
from core.settings import get_settings
from helpline import checkin, noshows, service, views
from helpline.models import CheckInBy, ContactPoint, Shift, ShiftStatus
from helpline.schemas import PendingSignUpRead, ShiftRead, VolunteerRead

router = APIRouter(prefix="/helpline")


@dataclass(frozen=True)
class CheckInPage:
    point: ContactPoint
    coordinator: bool
    own_volunteer_id: int | None
    shifts: list[ShiftRead]
    team: list[VolunteerRead]  # with no-shows, for coordinators
    pending: list[PendingSignUpRead]


def _page(session: Session, point: ContactPoint, staff: Staff, now: datetime) -> CheckInPage:
    early = timedelta(minutes=get_settings().helpline_checkin_early_minutes)
    found = list(
        session.scalars(
            select(Shift)
            .where(
                Shift.contact_point_id == point.id,
                Shift.status == ShiftStatus.scheduled,
                Shift.starts_at <= now + early,
                Shift.ends_at > now,
            )
            .order_by(Shift.starts_at)
        )
    )
    own = service.volunteer_of(session, staff)
    coordinator = service.is_coordinator(session, staff, point.id)
    return CheckInPage(
        point=point,
        coordinator=coordinator,
        own_volunteer_id=own.id if own is not None else None,
        shifts=views.shift_reads(session, point, found, own),
        team=views.volunteer_reads(session, point, staff, now) if coordinator else [],
        pending=noshows.pending_reads(session, point, now) if coordinator else [],
    )


def _context(session: Session, point: ContactPoint, staff: Staff, now: datetime) -> dict[str, Any]:
    return {"page": _page(session, point, staff, now), "zone": point.time_zone}


def _path(point: ContactPoint) -> str:
    return f"{point_path(point.id)}/check-in"


@router.get("/{point_id}/check-in")
def checkin_page(
    request: Request, *, point: ConsolePoint, staff: ConsoleStaff, session: SessionDep, now: Now
) -> Response:
    """Who has checked in for the shifts under way or about to start."""
    return render(
        request, "helpline_checkin.html", _context(session, point, staff, now), staff=staff
    )


@router.post("/{point_id}/shifts/{shift_id}/check-in")
def check_in(
    request: Request,
    *,
    shift_id: PathId,
    point: ConsolePoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Check in for a seat: one's own, or (coordinators) the volunteer's named."""
    named = fields.get("volunteer_id", "")
    volunteer_id = int(named) if named.isdigit() and len(named) < 10 else None
    try:
        seat = checkin.seat_for(
            session, point, shift_id, actor=staff, volunteer_id=volunteer_id, now=now
        )
        checkin.check_in(session, seat, by=CheckInBy.console, now=now)
    except (Conflict, InvalidInput, Forbidden) as exc:
        context = _context(session, point, staff, now)
        raise reject_form(
            request, "helpline_checkin.html", context, {"form": sentence(exc.detail)}, staff=staff
        ) from exc
    flash(request, f"Checked in at {local_time(now, point.time_zone)}.")
    return redirect(_path(point))


def _decide(
    request: Request,
    approve: bool,
    *,
    seat_id: int,
    point: ContactPoint,
    staff: Staff,
    session: Session,
    now: datetime,
) -> Response:
    try:
        seat = noshows.get_pending(session, point, seat_id, now)
        when = helpline_views.describe(point, seat.shift)
        noshows.decide(session, seat, approve=approve, actor=staff, now=now)
    except (Conflict, InvalidInput) as exc:
        context = _context(session, point, staff, now)
        raise reject_form(
            request, "helpline_checkin.html", context, {"form": sentence(exc.detail)}, staff=staff
        ) from exc
    said = "approved; the volunteer is told" if approve else "refused; the seat is open again"
    flash(request, f"The sign-up for {when} is {said}.")
    return redirect(_path(point))


@router.post("/{point_id}/sign-ups/{seat_id}/approve")
def approve(
    request: Request,
    *,
    seat_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """Approve a sign-up waiting after too many no-shows (coordinators)."""
    return _decide(
        request, True, seat_id=seat_id, point=point, staff=staff, session=session, now=now
    )


@router.post("/{point_id}/sign-ups/{seat_id}/refuse")
def refuse(
    request: Request,
    *,
    seat_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """Refuse a sign-up waiting after too many no-shows: the seat is open again (coordinators)."""
    return _decide(
        request, False, seat_id=seat_id, point=point, staff=staff, session=session, now=now
    )
